// Semantics of the shape family: views (Reshape, Flatten, Squeeze, Unsqueeze), shape queries
// (Shape, Size), constant generators (Constant, ConstantOfShape, Range, EyeLike, NonZero of a
// constant) and broadcasting data movement (Expand, Tile, Trilu, OneHot).
// Kernels live in codegen/kernels/shape.cpp. Every shape-determining operand must be a constant.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <type_traits>

#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"
#include "frontend/tensor_proto.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

namespace {

// Data-movement ops accept every dtype the IR can hold except float16 (out of scope).
void require_movable(const Node& n, size_t i) {
  const ir::Tensor& t = ops::input(n, i);
  if (t.dtype == DType::F16 || t.dtype == DType::Undefined)
    ops::fail(n, "input {} ('{}') has unsupported type {}", i, t.name, ir::dtype_name(t.dtype));
}

// A shape-like operand: constant, integer, rank 0 or 1.
std::vector<int64_t> const_ints(const Node& n, size_t i, const char* what) {
  const Value& v = ops::const_input(n, i, what);
  if (!ir::dtype_is_int(v.dtype))
    ops::fail(n, "input {} ({}) must be an integer tensor, got {}", i, what, ir::dtype_name(v.dtype));
  if (v.shape.size() > 1)
    ops::fail(n, "input {} ({}) must be 1-D, got shape {}", i, what, ir::shape_str(v.shape));
  return v.to_i64_vector();
}

// Normalises a list of axes against `rank`, rejecting duplicates.
std::vector<int64_t> normalize_axes(const Node& n, const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<int64_t> r;
  std::set<int64_t> seen;
  for (int64_t a : axes) {
    int64_t x = ops::normalize_axis(n, a, rank);
    if (!seen.insert(x).second) ops::fail(n, "axis {} is repeated", a);
    r.push_back(x);
  }
  return r;
}

// Axes of Squeeze/Unsqueeze: attribute before opset 13, optional/required input from 13.
bool axes_operand(const Node& n, std::vector<int64_t>& axes) {
  if (n.opset >= 13) {
    if (n.attrs.has("axes")) ops::fail(n, "'axes' is an input since opset 13, not an attribute");
    if (!ops::has_input(n, 1)) return false;
    axes = const_ints(n, 1, "axes");
    return true;
  }
  if (n.inputs.size() > 1) ops::fail(n, "expects 1 input before opset 13 (axes is an attribute)");
  if (!n.attrs.has("axes")) return false;
  axes = n.attrs.get_ints("axes");
  return true;
}

// Output has the input's bytes under a new shape.
void eval_copy(const std::vector<const Value*>& in, std::vector<Value>& out) {
  out[0].bytes = in[0]->bytes;
}

template <class T>
void range_fill(const Value& s, const Value& d, Value& o) {
  T v = *s.data<T>();
  const T delta = *d.data<T>();
  T* y = o.data<T>();
  for (int64_t i = 0; i < o.numel(); ++i) {
    y[i] = v;
    if constexpr (std::is_integral_v<T>) {
      using U = std::make_unsigned_t<T>;
      v = static_cast<T>(static_cast<U>(static_cast<U>(v) + static_cast<U>(delta)));
    } else {
      v = static_cast<T>(v + delta);
    }
  }
}

// ONNX dtype code of an attribute (EyeLike dtype) -> our dtype.
DType onnx_dtype(const Node& n, int64_t code) {
  try {
    return frontend::dtype_from_onnx(static_cast<int32_t>(code), n.label() + " attribute 'dtype'");
  } catch (const CompileError& e) {
    ops::fail(n, "unsupported dtype {}: {}", code, e.what());
  }
}

int64_t nonzero_count(const Value& v) {
  int64_t c = 0;
  for (int64_t i = 0; i < v.numel(); ++i)
    c += ir::dtype_is_float(v.dtype) ? v.get_f64(i) != 0 : v.get_i64(i) != 0;
  return c;
}

}  // namespace

// ---------------------------------------------------------------------------------- Reshape
void infer_Reshape(Node& n) {
  ops::check_arity(n, 2, 2);
  require_movable(n, 0);
  const Shape& in = n.inputs[0]->shape;
  std::vector<int64_t> s = const_ints(n, 1, "shape");
  const int64_t allowzero = n.opset >= 14 ? n.attrs.get_int("allowzero", 0) : 0;
  if (n.opset < 14 && n.attrs.has("allowzero")) ops::fail(n, "attribute 'allowzero' needs opset 14");
  Shape out;
  int64_t infer_at = -1, known = 1;
  bool has_zero = false;
  for (size_t i = 0; i < s.size(); ++i) {
    int64_t d = s[i];
    if (d == -1) {
      if (infer_at >= 0) ops::fail(n, "shape {} has more than one -1", fmt::join(s, ","));
      infer_at = static_cast<int64_t>(i);
      out.push_back(1);
      continue;
    }
    if (d < -1) ops::fail(n, "shape {} has an invalid dimension {}", fmt::join(s, ","), d);
    if (d == 0 && !allowzero) {
      if (i >= in.size())
        ops::fail(n, "shape {}: 0 at position {} copies a dimension the input ({}) lacks", fmt::join(s, ","),
                  i, ir::shape_str(in));
      d = in[i];
    } else if (d == 0) {
      has_zero = true;
    }
    out.push_back(d);
    if (d > 0 && known > INT64_MAX / d)
      ops::fail(n, "shape {} has more elements than int64 holds", fmt::join(s, ","));
    known *= d;
  }
  const int64_t total = ir::num_elements(in);
  if (infer_at >= 0) {
    if (has_zero) ops::fail(n, "shape {} combines -1 with 0 while allowzero=1", fmt::join(s, ","));
    if (known == 0 || total % known != 0)
      ops::fail(n, "cannot reshape {} to {}: the -1 dimension cannot be inferred", ir::shape_str(in),
                fmt::join(s, ","));
    out[static_cast<size_t>(infer_at)] = total / known;
  }
  if (ir::num_elements(out) != total)
    ops::fail(n, "cannot reshape {} ({} elements) to {}", ir::shape_str(in), total, ir::shape_str(out));
  ops::set_output(n, 0, n.inputs[0]->dtype, out);
}
void eval_Reshape(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_copy(in, out);
}

// ---------------------------------------------------------------------------------- Flatten
void infer_Flatten(Node& n) {
  ops::check_arity(n, 1, 1);
  require_movable(n, 0);
  const Shape& in = n.inputs[0]->shape;
  const int64_t r = static_cast<int64_t>(in.size());
  int64_t axis = n.attrs.get_int("axis", 1);
  if (axis < -r || axis > r)
    ops::fail(n, "axis {} is out of range for rank {} (allowed {}..{})", axis, r, -r, r);
  if (axis < 0) axis += r;
  int64_t a = 1, b = 1;
  for (int64_t d = 0; d < r; ++d) (d < axis ? a : b) *= in[static_cast<size_t>(d)];
  ops::set_output(n, 0, n.inputs[0]->dtype, {a, b});
}
void eval_Flatten(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_copy(in, out);
}

// ---------------------------------------------------------------------------------- Squeeze
void infer_Squeeze(Node& n) {
  ops::check_arity(n, 1, n.opset >= 13 ? 2 : 1);
  require_movable(n, 0);
  const Shape& in = n.inputs[0]->shape;
  const int64_t r = static_cast<int64_t>(in.size());
  std::vector<int64_t> axes;
  std::vector<bool> drop(in.size(), false);
  // Empty axes behave like absent axes (as in onnxruntime): every size-1 dimension goes.
  if (axes_operand(n, axes) && !axes.empty()) {
    for (int64_t a : normalize_axes(n, axes, r)) {
      if (in[static_cast<size_t>(a)] != 1)
        ops::fail(n, "cannot squeeze axis {}: its size is {}, not 1 (input {})", a,
                  in[static_cast<size_t>(a)], ir::shape_str(in));
      drop[static_cast<size_t>(a)] = true;
    }
  } else {
    for (size_t d = 0; d < in.size(); ++d) drop[d] = in[d] == 1;
  }
  Shape out;
  for (size_t d = 0; d < in.size(); ++d)
    if (!drop[d]) out.push_back(in[d]);
  ops::set_output(n, 0, n.inputs[0]->dtype, out);
}
void eval_Squeeze(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_copy(in, out);
}

// -------------------------------------------------------------------------------- Unsqueeze
void infer_Unsqueeze(Node& n) {
  ops::check_arity(n, 1, n.opset >= 13 ? 2 : 1);
  require_movable(n, 0);
  const Shape& in = n.inputs[0]->shape;
  std::vector<int64_t> axes;
  if (!axes_operand(n, axes)) ops::fail(n, "requires axes");
  if (axes.empty()) ops::fail(n, "axes must not be empty");
  const int64_t r = static_cast<int64_t>(in.size() + axes.size());
  std::vector<bool> ins(static_cast<size_t>(r), false);
  for (int64_t a : normalize_axes(n, axes, r)) ins[static_cast<size_t>(a)] = true;
  Shape out;
  size_t k = 0;
  for (int64_t d = 0; d < r; ++d) out.push_back(ins[static_cast<size_t>(d)] ? 1 : in[k++]);
  ops::set_output(n, 0, n.inputs[0]->dtype, out);
}
void eval_Unsqueeze(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_copy(in, out);
}

// --------------------------------------------------------------------------------- Constant
namespace {
// The constant's value from whichever single attribute carries it.
Value constant_value(const Node& n) {
  static const char* kinds[] = {"value",      "value_float",  "value_floats",  "value_int",
                                "value_ints", "value_string", "value_strings", "sparse_value"};
  int count = 0;
  for (const char* k : kinds) count += n.attrs.has(k);
  if (count != 1) ops::fail(n, "needs exactly one of the value attributes, got {}", count);
  if (n.attrs.has("sparse_value")) ops::fail(n, "sparse_value (sparse tensor constants) is not supported");
  if (n.attrs.has("value_string") || n.attrs.has("value_strings"))
    ops::fail(n, "string constants are not supported");
  if (n.attrs.has("value")) {
    const ir::Attribute* a = n.attrs.find("value");
    if (a->kind != ir::Attribute::Kind::Tensor || !a->t) ops::fail(n, "attribute 'value' must be a tensor");
    if (a->t->dtype == DType::F16) ops::fail(n, "float16 constants are not supported");
    return *a->t;
  }
  if (n.attrs.has("value_float")) {
    Value v(DType::F32, {});
    v.data<float>()[0] = n.attrs.get_float("value_float", 0);
    return v;
  }
  if (n.attrs.has("value_int")) {
    Value v(DType::I64, {});
    v.data<int64_t>()[0] = n.attrs.get_int("value_int", 0);
    return v;
  }
  if (n.attrs.has("value_floats")) {
    auto f = n.attrs.get_floats("value_floats");
    Value v(DType::F32, {static_cast<int64_t>(f.size())});
    std::copy(f.begin(), f.end(), v.data<float>());
    return v;
  }
  auto i = n.attrs.get_ints("value_ints");
  Value v(DType::I64, {static_cast<int64_t>(i.size())});
  std::copy(i.begin(), i.end(), v.data<int64_t>());
  return v;
}
}  // namespace

void infer_Constant(Node& n) {
  ops::check_arity(n, 0, 0);
  Value v = constant_value(n);
  ops::set_output(n, 0, v.dtype, v.shape);
}
void eval_Constant(const Node& n, const std::vector<const Value*>&, std::vector<Value>& out) {
  out[0].bytes = constant_value(n).bytes;
}

// -------------------------------------------------------------------------- ConstantOfShape
namespace {
Value constant_of_shape_fill(const Node& n) {
  const ir::Attribute* a = n.attrs.find("value");
  if (!a) {
    Value v(DType::F32, {1});
    return v;
  }
  if (a->kind != ir::Attribute::Kind::Tensor || !a->t) ops::fail(n, "attribute 'value' must be a tensor");
  if (a->t->numel() != 1)
    ops::fail(n, "attribute 'value' must have exactly one element, got {}", a->t->numel());
  if (a->t->dtype == DType::F16) ops::fail(n, "float16 values are not supported");
  return *a->t;
}
}  // namespace

void infer_ConstantOfShape(Node& n) {
  ops::check_arity(n, 1, 1);
  if (n.inputs[0]->dtype != DType::I64)
    ops::fail(n, "input must be int64, got {}", ir::dtype_name(n.inputs[0]->dtype));
  std::vector<int64_t> s = const_ints(n, 0, "shape");
  for (int64_t d : s)
    if (d < 0) ops::fail(n, "shape {} has a negative dimension", fmt::join(s, ","));
  ops::set_output(n, 0, constant_of_shape_fill(n).dtype, s);
}
void eval_ConstantOfShape(const Node& n, const std::vector<const Value*>&, std::vector<Value>& out) {
  Value f = constant_of_shape_fill(n);
  const size_t es = f.bytes.size();
  for (int64_t i = 0; i < out[0].numel(); ++i)
    std::memcpy(out[0].bytes.data() + static_cast<size_t>(i) * es, f.bytes.data(), es);
}

// ------------------------------------------------------------------------------ Shape, Size
namespace {
// [start, end) of Shape after clamping (opset 15 attributes).
std::pair<int64_t, int64_t> shape_slice(const Node& n, int64_t r) {
  int64_t start = 0, end = r;
  if (n.opset >= 15) {
    start = n.attrs.get_int("start", 0);
    end = n.attrs.get_int("end", r);
  } else if (n.attrs.has("start") || n.attrs.has("end")) {
    ops::fail(n, "attributes 'start'/'end' need opset 15");
  }
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::clamp<int64_t>(start, 0, r);
  end = std::clamp<int64_t>(end, 0, r);
  return {start, std::max(start, end)};
}
}  // namespace

void infer_Shape(Node& n) {
  ops::check_arity(n, 1, 1);
  auto [s, e] = shape_slice(n, static_cast<int64_t>(n.inputs[0]->shape.size()));
  ops::set_output(n, 0, DType::I64, {e - s});
}
// Only the input's shape is used: the frontend passes a shape-only Value for run-time inputs.
void eval_Shape(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Shape& sh = in[0]->shape;
  auto [s, e] = shape_slice(n, static_cast<int64_t>(sh.size()));
  for (int64_t i = s; i < e; ++i) out[0].data<int64_t>()[i - s] = sh[static_cast<size_t>(i)];
}

void infer_Size(Node& n) {
  ops::check_arity(n, 1, 1);
  ops::set_output(n, 0, DType::I64, {});
}
void eval_Size(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  out[0].data<int64_t>()[0] = ir::num_elements(in[0]->shape);
}

// ------------------------------------------------------------------------------------ Range
namespace {
int64_t range_count(const Node& n, const Value& s, const Value& l, const Value& d) {
  double start = s.get_f64(0), limit = l.get_f64(0), delta = d.get_f64(0);
  if (delta == 0) ops::fail(n, "delta must not be zero");
  if (!std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta))
    ops::fail(n, "start, limit and delta must be finite");
  double c = std::ceil((limit - start) / delta);
  if (c > 1e9) ops::fail(n, "the range has too many elements ({})", c);
  return c > 0 ? static_cast<int64_t>(c) : 0;
}
}  // namespace

void infer_Range(Node& n) {
  ops::check_arity(n, 3, 3);
  const DType t = n.inputs[0]->dtype;
  if (t != DType::F32 && t != DType::F64 && t != DType::I16 && t != DType::I32 && t != DType::I64)
    ops::fail(n, "unsupported type {} (float, double, int16, int32, int64)", ir::dtype_name(t));
  const Value* v[3];
  for (size_t i = 0; i < 3; ++i) {
    if (n.inputs[i]->dtype != t) ops::fail(n, "inputs must all have the same type");
    v[i] = &ops::const_input(n, i, i == 0 ? "start" : i == 1 ? "limit" : "delta");
    if (v[i]->numel() != 1) ops::fail(n, "input {} must be a scalar", i);
  }
  ops::set_output(n, 0, t, {range_count(n, *v[0], *v[1], *v[2])});
}
void eval_Range(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  switch (n.outputs[0]->dtype) {
    case DType::F32: range_fill<float>(*in[0], *in[2], out[0]); break;
    case DType::F64: range_fill<double>(*in[0], *in[2], out[0]); break;
    case DType::I16: range_fill<int16_t>(*in[0], *in[2], out[0]); break;
    case DType::I32: range_fill<int32_t>(*in[0], *in[2], out[0]); break;
    case DType::I64: range_fill<int64_t>(*in[0], *in[2], out[0]); break;
    default: ops::fail(n, "unsupported type");
  }
}

// ----------------------------------------------------------------------------------- Expand
void infer_Expand(Node& n) {
  ops::check_arity(n, 2, 2);
  require_movable(n, 0);
  std::vector<int64_t> s = const_ints(n, 1, "shape");
  for (int64_t d : s)
    if (d < 0) ops::fail(n, "shape {} has a negative dimension", fmt::join(s, ","));
  ops::set_output(n, 0, n.inputs[0]->dtype, ops::broadcast_shapes(n, {n.inputs[0]->shape, Shape(s)}));
}
void eval_Expand(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const size_t es = ir::dtype_size(in[0]->dtype);
  ops::for_each_broadcast(out[0].shape, {in[0]->shape}, [&](int64_t e, const std::vector<int64_t>& off) {
    std::memcpy(out[0].bytes.data() + static_cast<size_t>(e) * es,
                in[0]->bytes.data() + static_cast<size_t>(off[0]) * es, es);
  });
}

// ------------------------------------------------------------------------------------- Tile
void infer_Tile(Node& n) {
  ops::check_arity(n, 2, 2);
  require_movable(n, 0);
  const Shape& in = n.inputs[0]->shape;
  std::vector<int64_t> r = const_ints(n, 1, "repeats");
  if (r.size() != in.size())
    ops::fail(n, "repeats has {} entries for an input of rank {}", r.size(), in.size());
  Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    // Bounded so in * repeats cannot overflow; the importer then rejects oversized outputs.
    if (r[d] < 0 || r[d] > (int64_t(1) << 31)) ops::fail(n, "repeats must be in [0, 2^31], got {}", r[d]);
    out.push_back(in[d] * r[d]);
  }
  ops::set_output(n, 0, n.inputs[0]->dtype, out);
}
void eval_Tile(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Shape& is = in[0]->shape;
  const Shape& os = out[0].shape;
  const size_t es = ir::dtype_size(in[0]->dtype);
  const auto ist = ops::strides_of(is);
  std::vector<int64_t> idx(os.size(), 0);
  for (int64_t e = 0; e < out[0].numel(); ++e) {
    int64_t src = 0;
    for (size_t d = 0; d < os.size(); ++d) src += (idx[d] % is[d]) * ist[d];
    std::memcpy(out[0].bytes.data() + static_cast<size_t>(e) * es,
                in[0]->bytes.data() + static_cast<size_t>(src) * es, es);
    for (size_t d = os.size(); d-- > 0;) {
      if (++idx[d] < os[d]) break;
      idx[d] = 0;
    }
  }
}

// ------------------------------------------------------------------------------------ Trilu
void infer_Trilu(Node& n) {
  ops::check_arity(n, 1, 2);
  require_movable(n, 0);
  if (n.inputs[0]->shape.size() < 2)
    ops::fail(n, "input must have rank >= 2, got {}", ir::shape_str(n.inputs[0]->shape));
  if (ops::has_input(n, 1)) {
    const ir::Tensor& k = *n.inputs[1];
    if (k.dtype != DType::I64 || k.numel() != 1) ops::fail(n, "k must be an int64 scalar");
  }
  int64_t upper = n.attrs.get_int("upper", 1);
  if (upper != 0 && upper != 1) ops::fail(n, "attribute 'upper' must be 0 or 1, got {}", upper);
  ops::set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
}
void eval_Trilu(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Shape& s = in[0]->shape;
  const int64_t N = s[s.size() - 2], M = s[s.size() - 1];
  const int64_t k = in.size() > 1 && in[1] ? in[1]->get_i64(0) : 0;
  const bool upper = n.attrs.get_int("upper", 1) != 0;
  const size_t es = ir::dtype_size(in[0]->dtype);
  out[0].bytes.assign(in[0]->bytes.size(), 0);
  const int64_t total = in[0]->numel();
  for (int64_t e = 0; e < total; ++e) {
    const int64_t j = e % M, i = (e / M) % N;
    const bool keep = upper ? j - i >= k : j - i <= k;
    if (keep) std::memcpy(out[0].bytes.data() + e * es, in[0]->bytes.data() + e * es, es);
  }
}

// ---------------------------------------------------------------------------------- EyeLike
void infer_EyeLike(Node& n) {
  ops::check_arity(n, 1, 1);
  if (n.inputs[0]->shape.size() != 2)
    ops::fail(n, "input must be 2-D, got {}", ir::shape_str(n.inputs[0]->shape));
  DType t = n.attrs.has("dtype") ? onnx_dtype(n, n.attrs.get_int("dtype", 1)) : n.inputs[0]->dtype;
  if (t == DType::F16 || t == DType::Undefined) ops::fail(n, "unsupported output type {}", ir::dtype_name(t));
  ops::set_output(n, 0, t, n.inputs[0]->shape);
}
// Only the input's shape is used.
void eval_EyeLike(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const int64_t N = in[0]->shape[0], M = in[0]->shape[1];
  const int64_t k = n.attrs.get_int("k", 0);
  for (int64_t i = 0; i < N; ++i) {
    if (k > M || k < -N) break;  // keeps i + k free of overflow
    const int64_t j = i + k;
    if (j >= 0 && j < M) out[0].set_f64(i * M + j, 1.0);
  }
}

// ----------------------------------------------------------------------------------- OneHot
namespace {
struct OneHotGeom {
  int64_t depth, axis, outer, inner;
};
OneHotGeom onehot_geom(const Node& n, const Value& depth_v) {
  if (depth_v.numel() != 1) ops::fail(n, "depth must be a scalar or 1-element tensor");
  double dd = depth_v.get_f64(0);
  if (!(dd >= 1 && dd < 1e9)) ops::fail(n, "depth must be positive, got {}", dd);
  OneHotGeom g{};
  g.depth = static_cast<int64_t>(dd);
  const Shape& is = n.inputs[0]->shape;
  const int64_t r = static_cast<int64_t>(is.size());
  g.axis = ops::normalize_axis(n, n.attrs.get_int("axis", -1), r + 1);
  g.outer = 1;
  g.inner = 1;
  for (int64_t d = 0; d < r; ++d) (d < g.axis ? g.outer : g.inner) *= is[static_cast<size_t>(d)];
  return g;
}
}  // namespace

void infer_OneHot(Node& n) {
  ops::check_arity(n, 3, 3);
  const ir::Tensor& idx = *n.inputs[0];
  if (idx.dtype == DType::F16 || idx.dtype == DType::Bool)
    ops::fail(n, "indices have unsupported type {}", ir::dtype_name(idx.dtype));
  require_movable(n, 2);
  if (n.inputs[2]->numel() != 2)
    ops::fail(n, "values must hold exactly 2 elements [off, on], got {}", n.inputs[2]->numel());
  OneHotGeom g = onehot_geom(n, ops::const_input(n, 1, "depth"));
  Shape out = idx.shape;
  out.insert(out.begin() + g.axis, g.depth);
  ops::set_output(n, 0, n.inputs[2]->dtype, out);
}
void eval_OneHot(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  OneHotGeom g = onehot_geom(n, *in[1]);
  const size_t es = ir::dtype_size(out[0].dtype);
  const uint8_t* off = in[2]->bytes.data();
  const uint8_t* on = off + es;
  uint8_t* y = out[0].bytes.data();
  for (int64_t e = 0; e < out[0].numel(); ++e) std::memcpy(y + e * es, off, es);
  const bool fidx = ir::dtype_is_float(in[0]->dtype);
  for (int64_t o = 0; o < g.outer; ++o)
    for (int64_t i = 0; i < g.inner; ++i) {
      int64_t v;
      if (fidx) {
        double f = in[0]->get_f64(o * g.inner + i);
        if (!(f > -static_cast<double>(g.depth) - 1 && f < static_cast<double>(g.depth))) continue;
        v = static_cast<int64_t>(f);
      } else {
        v = in[0]->get_i64(o * g.inner + i);
      }
      if (v < 0) v += g.depth;
      if (v < 0 || v >= g.depth) continue;
      std::memcpy(y + ((o * g.depth + v) * g.inner + i) * static_cast<int64_t>(es), on, es);
    }
}

// ---------------------------------------------------------------------------------- NonZero
void infer_NonZero(Node& n) {
  ops::check_arity(n, 1, 1);
  require_movable(n, 0);
  const Value& v = ops::const_input(n, 0, "NonZero has a data-dependent output shape, so its input");
  const int64_t r = static_cast<int64_t>(v.shape.size());
  ops::set_output(n, 0, DType::I64, {r, nonzero_count(v)});
}
void eval_NonZero(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Value& v = *in[0];
  const int64_t cnt = nonzero_count(v), r = static_cast<int64_t>(v.shape.size());
  const auto st = ops::strides_of(v.shape);
  int64_t c = 0;
  for (int64_t e = 0; e < v.numel(); ++e) {
    if (!(ir::dtype_is_float(v.dtype) ? v.get_f64(e) != 0 : v.get_i64(e) != 0)) continue;
    for (int64_t d = 0; d < r; ++d)
      out[0].data<int64_t>()[d * cnt + c] =
          (e / st[static_cast<size_t>(d)]) % v.shape[static_cast<size_t>(d)];
    ++c;
  }
}

}  // namespace tinyaot
