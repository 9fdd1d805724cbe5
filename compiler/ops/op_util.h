// Helpers shared by the op families' semantics: diagnostics that name the node, input checks,
// axis normalisation and numpy-style broadcasting (used by inference, evaluation and codegen).
#pragma once

#include <fmt/format.h>

#include <string>
#include <vector>

#include "compiler/ir.h"

namespace tinyaot::ops {

// Throws a CompileError "<label>: <message>" so every error names the node and op.
template <class... A>
[[noreturn]] void fail(const ir::Node& n, fmt::format_string<A...> f, A&&... args) {
  throw CompileError(n.label() + ": " + fmt::format(f, std::forward<A>(args)...));
}

// Attribute readers whose kind errors (an int where a float is expected, ...) name the node.
inline int64_t int_attr(const ir::Node& n, const char* name, int64_t def) {
  try {
    return n.attrs.get_int(name, def);
  } catch (const CompileError& e) {
    fail(n, "{}", e.what());
  }
}
inline float float_attr(const ir::Node& n, const char* name, float def) {
  try {
    return n.attrs.get_float(name, def);
  } catch (const CompileError& e) {
    fail(n, "{}", e.what());
  }
}

// Checks window attributes (kernel_shape, strides, pads, dilations) of `n`: every value in
// [min_value, 2^31]. The upper bound keeps window arithmetic (pads + extents) far from int64
// overflow on hostile models.
inline void check_window_ints(const ir::Node& n, const char* name, const std::vector<int64_t>& v,
                              int64_t min_value) {
  for (int64_t x : v)
    if (x < min_value || x > (int64_t(1) << 31)) fail(n, "attribute '{}' has invalid value {}", name, x);
}

// Reads window attribute `name` of `n` (strides, dilations, pads, output_padding): `count` values
// checked by check_window_ints, `count` copies of `def` when absent or empty (as ONNX Runtime
// reads an empty list). The one reader for Conv, ConvTranspose, the quantized convolutions and
// pooling, so every window attribute gets the same bounds.
inline std::vector<int64_t> window_ints(const ir::Node& n, const char* name, size_t count, int64_t def,
                                        int64_t min_value) {
  std::vector<int64_t> v = n.attrs.get_ints(name, std::vector<int64_t>(count, def));
  if (v.empty()) v.assign(count, def);
  if (v.size() != count) fail(n, "attribute '{}' has {} values, expected {}", name, v.size(), count);
  check_window_ints(n, name, v, min_value);
  return v;
}

// Input i must be present; returns it.
ir::Tensor& input(const ir::Node& n, size_t i);
// True if optional input i is present (not omitted and not an empty name).
bool has_input(const ir::Node& n, size_t i);
// Checks the number of inputs is within [lo, hi] and outputs within [1, max_out].
void check_arity(const ir::Node& n, size_t lo, size_t hi, size_t max_out = 1);
// Input i must be a constant (e.g. a shape operand); returns its value.
const ir::Value& const_input(const ir::Node& n, size_t i, const char* what);
// Sets output i's dtype and shape (skips omitted outputs).
void set_output(ir::Node& n, size_t i, ir::DType t, ir::Shape s);
// Requires a float type for input i (f32 is what the kernels support; f64 too where noted).
void require_float(const ir::Node& n, size_t i);
// Normalises a possibly negative axis against `rank`; fails with a message if out of range.
int64_t normalize_axis(const ir::Node& n, int64_t axis, int64_t rank);

// Calls f(T{}) with the C type that stores dtype `t` (bool as uint8_t, float16 as its raw
// uint16_t bits); throws for an undefined type. Lets eval functions be written once per type.
template <class F>
void visit_ctype(ir::DType t, F&& f) {
  using ir::DType;
  switch (t) {
    case DType::F32: f(float{}); return;
    case DType::F64: f(double{}); return;
    case DType::I8: f(int8_t{}); return;
    case DType::U8:
    case DType::Bool: f(uint8_t{}); return;
    case DType::I16: f(int16_t{}); return;
    case DType::U16:
    case DType::F16: f(uint16_t{}); return;
    case DType::I32: f(int32_t{}); return;
    case DType::U32: f(uint32_t{}); return;
    case DType::I64: f(int64_t{}); return;
    case DType::U64: f(uint64_t{}); return;
    case DType::Undefined: break;
  }
  throw CompileError("value of undefined element type");
}

// Numpy broadcasting of two or more shapes; fails naming the node when incompatible.
ir::Shape broadcast_shapes(const ir::Node& n, const std::vector<ir::Shape>& shapes);
// Row-major strides of `in` viewed inside broadcast shape `out` (0 on broadcast dimensions).
std::vector<int64_t> broadcast_strides(const ir::Shape& in, const ir::Shape& out);
std::vector<int64_t> strides_of(const ir::Shape& s);

// Calls f(out_index, in_offsets...) over every element of `out` with broadcast input offsets.
// Used by reference evaluation of n-ary elementwise ops.
template <class F>
void for_each_broadcast(const ir::Shape& out, const std::vector<ir::Shape>& ins, F&& f) {
  const size_t rank = out.size();
  std::vector<std::vector<int64_t>> st;
  for (auto& s : ins) st.push_back(broadcast_strides(s, out));
  std::vector<int64_t> idx(rank, 0), off(ins.size(), 0);
  const int64_t total = ir::num_elements(out);
  for (int64_t e = 0; e < total; ++e) {
    f(e, off);
    for (size_t d = rank; d-- > 0;) {
      ++idx[d];
      for (size_t k = 0; k < ins.size(); ++k) off[k] += st[k][d];
      if (idx[d] < out[d]) break;
      for (size_t k = 0; k < ins.size(); ++k) off[k] -= st[k][d] * out[d];
      idx[d] = 0;
    }
  }
}

}  // namespace tinyaot::ops
