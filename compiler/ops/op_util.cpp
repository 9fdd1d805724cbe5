// Shared helpers for op semantics: argument checks, axes and broadcasting.
#include "compiler/ops/op_util.h"

namespace tinyaot::ops {

bool has_input(const ir::Node& n, size_t i) {
  return i < n.inputs.size() && n.inputs[i] != nullptr;
}

ir::Tensor& input(const ir::Node& n, size_t i) {
  if (!has_input(n, i)) fail(n, "required input {} is missing", i);
  return *n.inputs[i];
}

void check_arity(const ir::Node& n, size_t lo, size_t hi, size_t max_out) {
  if (n.inputs.size() < lo || n.inputs.size() > hi)
    fail(n, "expects {}..{} inputs, got {}", lo, hi, n.inputs.size());
  for (size_t i = 0; i < lo; ++i)
    if (!n.inputs[i]) fail(n, "required input {} is missing", i);
  if (n.outputs.empty() || n.outputs.size() > max_out)
    fail(n, "expects 1..{} outputs, got {}", max_out, n.outputs.size());
}

const ir::Value& const_input(const ir::Node& n, size_t i, const char* what) {
  const ir::Tensor& t = input(n, i);
  if (!t.is_constant()) {
    CompileError e(
        fmt::format("{}: input {} ('{}', {}) must be a compile-time constant", n.label(), i, t.name, what));
    e.needs_constant = t.name;
    throw e;
  }
  return *t.value;
}

void set_output(ir::Node& n, size_t i, ir::DType t, ir::Shape s) {
  if (i >= n.outputs.size() || !n.outputs[i]) return;
  for (int64_t d : s)
    if (d < 0) fail(n, "output {} would have a negative dimension ({})", i, ir::shape_str(s));
  ir::Tensor* o = n.outputs[i];
  o->dtype = t;
  o->shape = std::move(s);
  o->shaped = true;
}

void require_float(const ir::Node& n, size_t i) {
  const ir::Tensor& t = input(n, i);
  if (t.dtype != ir::DType::F32 && t.dtype != ir::DType::F64)
    fail(n, "input {} ('{}') has type {}; only float32/float64 are supported", i, t.name,
         ir::dtype_name(t.dtype));
}

int64_t normalize_axis(const ir::Node& n, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) fail(n, "axis {} is out of range for rank {}", axis, rank);
  return axis < 0 ? axis + rank : axis;
}

ir::Shape broadcast_shapes(const ir::Node& n, const std::vector<ir::Shape>& shapes) {
  size_t rank = 0;
  for (auto& s : shapes) rank = std::max(rank, s.size());
  ir::Shape out(rank, 1);
  for (auto& s : shapes) {
    for (size_t k = 0; k < s.size(); ++k) {
      size_t d = rank - s.size() + k;
      if (s[k] == out[d] || s[k] == 1) continue;
      if (out[d] == 1) {
        out[d] = s[k];
        continue;
      }
      std::string all;
      for (auto& x : shapes) all += (all.empty() ? "" : ", ") + ir::shape_str(x);
      fail(n, "input shapes cannot be broadcast together: {}", all);
    }
  }
  return out;
}

std::vector<int64_t> strides_of(const ir::Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (size_t d = s.size(); d-- > 1;) st[d - 1] = st[d] * s[d];
  return st;
}

std::vector<int64_t> broadcast_strides(const ir::Shape& in, const ir::Shape& out) {
  std::vector<int64_t> st(out.size(), 0);
  std::vector<int64_t> own = strides_of(in);
  for (size_t k = 0; k < in.size(); ++k) {
    size_t d = out.size() - in.size() + k;
    st[d] = in[k] == 1 ? 0 : own[k];
  }
  return st;
}

}  // namespace tinyaot::ops
