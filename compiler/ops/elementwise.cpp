// Semantics of unary elementwise ops: maths, activations, Clip, predicates, Cast, Identity and
// inference-mode Dropout. Kernels live in codegen/kernels/elementwise.cpp; decisions on corner
// cases are documented in docs/ops/elementwise.md.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Value;
using Inputs = std::vector<const Value*>;
using Outputs = std::vector<Value>;

namespace {

// Sets of element types an op accepts.
enum Accept : unsigned { kFloat = 1, kSigned = 2, kUnsigned = 4, kBool = 8 };
constexpr unsigned kNumeric = kFloat | kSigned | kUnsigned;

bool accepts(DType t, unsigned acc) {
  switch (t) {
    case DType::F32:
    case DType::F64: return acc & kFloat;
    case DType::I8:
    case DType::I16:
    case DType::I32:
    case DType::I64: return acc & kSigned;
    case DType::U8:
    case DType::U16:
    case DType::U32:
    case DType::U64: return acc & kUnsigned;
    case DType::Bool: return acc & kBool;
    default: return false;
  }
}

std::string accepted_names(unsigned acc) {
  std::string s;
  auto add = [&](const char* x) { s += (s.empty() ? "" : ", ") + std::string(x); };
  if (acc & kFloat) add("float32, float64");
  if (acc & kSigned) add("int8..int64");
  if (acc & kUnsigned) add("uint8..uint64");
  if (acc & kBool) add("bool");
  return s;
}

void check_type(const Node& n, size_t i, unsigned acc) {
  const ir::Tensor& t = ops::input(n, i);
  if (!accepts(t.dtype, acc))
    ops::fail(n, "input {} ('{}') has type {}; supported: {}", i, t.name, ir::dtype_name(t.dtype),
              accepted_names(acc));
}

// One input, one output of the same type and shape.
void infer_same(Node& n, unsigned acc) {
  ops::check_arity(n, 1, 1);
  check_type(n, 0, acc);
  ops::set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
}

// y[i] = f(x[i]) for float inputs; f works in double.
template <class F>
void map_float(const Inputs& in, Outputs& out, F f) {
  const Value& x = *in[0];
  Value& y = out[0];
  if (x.dtype == DType::F32) {
    for (int64_t i = 0; i < x.numel(); ++i)
      y.data<float>()[i] = static_cast<float>(f(static_cast<double>(x.data<float>()[i])));
  } else {
    for (int64_t i = 0; i < x.numel(); ++i) y.data<double>()[i] = f(x.data<double>()[i]);
  }
}

// y[i] = f(x[i]) in the input's own C type (f is generic over the type).
template <class F>
void map_typed(const Inputs& in, Outputs& out, F f) {
  const Value& x = *in[0];
  Value& y = out[0];
  ops::visit_ctype(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* a = x.data<T>();
    T* b = y.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) b[i] = static_cast<T>(f(a[i]));
  });
}

// Two's-complement negation without signed overflow.
template <class T>
T wrap_neg(T v) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(U(0) - static_cast<U>(v)));
}

// ---- Cast ----

// Value of an ONNX TensorProto element type code (the Cast 'to' attribute).
DType dtype_of_onnx_code(const Node& n, int64_t code) {
  switch (code) {
    case 1: return DType::F32;
    case 2: return DType::U8;
    case 3: return DType::I8;
    case 4: return DType::U16;
    case 5: return DType::I16;
    case 6: return DType::I32;
    case 7: return DType::I64;
    case 9: return DType::Bool;
    case 11: return DType::F64;
    case 12: return DType::U32;
    case 13: return DType::U64;
    case 8: ops::fail(n, "casts to string are not supported");
    case 10: ops::fail(n, "casts to float16 are not supported");
    case 16: ops::fail(n, "casts to bfloat16 are not supported");
    default: break;
  }
  ops::fail(n, "attribute 'to' has unsupported element type code {}", code);
}

constexpr unsigned kCastable = kNumeric | kBool;

// Float to integer: truncation toward zero, saturating at the type's range, NaN -> 0 (ONNX leaves
// out-of-range values undefined; the generated code uses exactly the same rule).
template <class D, class S>
D float_to_int(S v) {
  if (std::isnan(v)) return 0;
  constexpr int bits = std::numeric_limits<D>::digits;  // value bits: 7 for int8, 8 for uint8
  const S hi = std::ldexp(S(1), bits);                  // first value above the range
  if (std::is_signed<D>::value && v <= -hi) return std::numeric_limits<D>::min();
  if (!std::is_signed<D>::value && v <= 0) return 0;
  if (v >= hi) return std::numeric_limits<D>::max();
  return static_cast<D>(v);
}

template <class D, class S>
D cast_elem(S v, bool to_bool) {
  if (to_bool) return static_cast<D>(v != 0);
  if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>)
    return float_to_int<D>(v);
  else if constexpr (std::is_integral_v<S> && std::is_integral_v<D>)
    // Integer narrowing wraps modulo 2^bits (numpy astype); done through unsigned arithmetic.
    return static_cast<D>(static_cast<std::make_unsigned_t<D>>(v));
  else
    return static_cast<D>(v);
}

void eval_cast(const Value& x, Value& y) {
  ops::visit_ctype(x.dtype, [&](auto stag) {
    using S = decltype(stag);
    ops::visit_ctype(y.dtype, [&](auto dtag) {
      using D = decltype(dtag);
      const S* a = x.data<S>();
      D* b = y.data<D>();
      const bool to_bool = y.dtype == DType::Bool;
      for (int64_t i = 0; i < x.numel(); ++i) b[i] = cast_elem<D>(a[i], to_bool);
    });
  });
}

// Clip bound given as input i (opset >= 11): must be a one-element tensor of the input's type.
void check_clip_bound(const Node& n, size_t i) {
  if (!ops::has_input(n, i)) return;
  const ir::Tensor& b = *n.inputs[i];
  if (b.dtype != n.inputs[0]->dtype)
    ops::fail(n, "{} bound '{}' has type {} but the input has type {}", i == 1 ? "min" : "max", b.name,
              ir::dtype_name(b.dtype), ir::dtype_name(n.inputs[0]->dtype));
  if (b.numel() != 1)
    ops::fail(n, "{} bound '{}' must be a scalar, got shape {}", i == 1 ? "min" : "max", b.name,
              ir::shape_str(b.shape));
}

}  // namespace

// ---- float maths: y = f(x) ----
#define TINYAOT_FLOAT_UNARY(OP, EXPR)                            \
  void infer_##OP(Node& n) {                                     \
    infer_same(n, kFloat);                                       \
  }                                                              \
  void eval_##OP(const Node&, const Inputs& in, Outputs& out) {  \
    map_float(in, out, [](double x) -> double { return EXPR; }); \
  }

TINYAOT_FLOAT_UNARY(Sqrt, std::sqrt(x))
TINYAOT_FLOAT_UNARY(Exp, std::exp(x))
TINYAOT_FLOAT_UNARY(Log, std::log(x))
TINYAOT_FLOAT_UNARY(Reciprocal, 1.0 / x)
TINYAOT_FLOAT_UNARY(Floor, std::floor(x))
TINYAOT_FLOAT_UNARY(Ceil, std::ceil(x))
TINYAOT_FLOAT_UNARY(Round, std::nearbyint(x))  // default rounding mode: half to even
TINYAOT_FLOAT_UNARY(Erf, std::erf(x))
TINYAOT_FLOAT_UNARY(Sin, std::sin(x))
TINYAOT_FLOAT_UNARY(Cos, std::cos(x))
TINYAOT_FLOAT_UNARY(Tan, std::tan(x))
TINYAOT_FLOAT_UNARY(Asin, std::asin(x))
TINYAOT_FLOAT_UNARY(Acos, std::acos(x))
TINYAOT_FLOAT_UNARY(Atan, std::atan(x))
TINYAOT_FLOAT_UNARY(Sinh, std::sinh(x))
TINYAOT_FLOAT_UNARY(Cosh, std::cosh(x))
TINYAOT_FLOAT_UNARY(Asinh, std::asinh(x))
TINYAOT_FLOAT_UNARY(Acosh, std::acosh(x))
TINYAOT_FLOAT_UNARY(Atanh, std::atanh(x))
TINYAOT_FLOAT_UNARY(Sigmoid, 1.0 / (1.0 + std::exp(-x)))
TINYAOT_FLOAT_UNARY(Tanh, std::tanh(x))
TINYAOT_FLOAT_UNARY(Softplus, x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)))
TINYAOT_FLOAT_UNARY(Softsign, x / (1.0 + std::fabs(x)))
TINYAOT_FLOAT_UNARY(Mish, x* std::tanh(x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x))))
#undef TINYAOT_FLOAT_UNARY

// ---- activations with attributes ----

void infer_LeakyRelu(Node& n) {
  infer_same(n, kFloat);
  ops::float_attr(n, "alpha", 0.01f);
}
void eval_LeakyRelu(const Node& n, const Inputs& in, Outputs& out) {
  const double a = ops::float_attr(n, "alpha", 0.01f);
  map_float(in, out, [=](double x) { return x < 0 ? a * x : x; });
}

void infer_Elu(Node& n) {
  infer_same(n, kFloat);
  ops::float_attr(n, "alpha", 1.0f);
}
void eval_Elu(const Node& n, const Inputs& in, Outputs& out) {
  const double a = ops::float_attr(n, "alpha", 1.0f);
  map_float(in, out, [=](double x) { return x < 0 ? a * std::expm1(x) : x; });
}

constexpr float kSeluAlpha = 1.67326319217681884765625f, kSeluGamma = 1.05070102214813232421875f;
void infer_Selu(Node& n) {
  infer_same(n, kFloat);
  ops::float_attr(n, "alpha", kSeluAlpha);
  ops::float_attr(n, "gamma", kSeluGamma);
}
void eval_Selu(const Node& n, const Inputs& in, Outputs& out) {
  const double a = ops::float_attr(n, "alpha", kSeluAlpha), g = ops::float_attr(n, "gamma", kSeluGamma);
  map_float(in, out, [=](double x) { return x > 0 ? g * x : g * a * std::expm1(x); });
}

void infer_Celu(Node& n) {
  infer_same(n, kFloat);
  if (ops::float_attr(n, "alpha", 1.0f) == 0) ops::fail(n, "attribute 'alpha' must not be 0");
}
void eval_Celu(const Node& n, const Inputs& in, Outputs& out) {
  const double a = ops::float_attr(n, "alpha", 1.0f);
  map_float(in, out, [=](double x) {
    return std::isnan(x) ? x : std::max(0.0, x) + std::min(0.0, a * std::expm1(x / a));
  });
}

void infer_HardSigmoid(Node& n) {
  infer_same(n, kFloat);
  ops::float_attr(n, "alpha", 0.2f);
  ops::float_attr(n, "beta", 0.5f);
}
void eval_HardSigmoid(const Node& n, const Inputs& in, Outputs& out) {
  const double a = ops::float_attr(n, "alpha", 0.2f), b = ops::float_attr(n, "beta", 0.5f);
  map_float(in, out, [=](double x) {
    double t = a * x + b;
    return t < 0 ? 0.0 : t > 1 ? 1.0 : t;
  });
}

// HardSwish = x * HardSigmoid(x) with alpha = 1/6, beta = 0.5 (no attributes).
void infer_HardSwish(Node& n) {
  infer_same(n, kFloat);
}
void eval_HardSwish(const Node&, const Inputs& in, Outputs& out) {
  const double a = static_cast<float>(1.0 / 6.0);
  map_float(in, out, [=](double x) {
    double t = a * x + 0.5;
    return x * (t < 0 ? 0.0 : t > 1 ? 1.0 : t);
  });
}

void infer_Shrink(Node& n) {
  infer_same(n, kFloat);
  ops::float_attr(n, "lambd", 0.5f);
  ops::float_attr(n, "bias", 0.0f);
}
void eval_Shrink(const Node& n, const Inputs& in, Outputs& out) {
  const double l = ops::float_attr(n, "lambd", 0.5f), b = ops::float_attr(n, "bias", 0.0f);
  map_float(in, out, [=](double x) { return x < -l ? x + b : x > l ? x - b : 0.0; });
}

void infer_ThresholdedRelu(Node& n) {
  infer_same(n, kFloat);
  ops::float_attr(n, "alpha", 1.0f);
}
void eval_ThresholdedRelu(const Node& n, const Inputs& in, Outputs& out) {
  const double a = ops::float_attr(n, "alpha", 1.0f);
  map_float(in, out, [=](double x) { return x > a ? x : 0.0; });
}

// ---- ops on floats and integers ----

// Relu: floats and (opset >= 14) signed integers.
void infer_Relu(Node& n) {
  infer_same(n, kFloat | kSigned);
}
void eval_Relu(const Node&, const Inputs& in, Outputs& out) {
  map_typed(in, out, [](auto v) { return v > 0 ? v : decltype(v)(0); });
}

void infer_Abs(Node& n) {
  infer_same(n, kNumeric);
}
void eval_Abs(const Node&, const Inputs& in, Outputs& out) {
  map_typed(in, out, [](auto v) {
    using T = decltype(v);
    if constexpr (std::is_floating_point_v<T>)
      return std::fabs(v);
    else if constexpr (std::is_signed_v<T>)
      return v < 0 ? wrap_neg(v) : v;
    else
      return v;
  });
}

void infer_Neg(Node& n) {
  infer_same(n, kFloat | kSigned);
}
void eval_Neg(const Node&, const Inputs& in, Outputs& out) {
  map_typed(in, out, [](auto v) {
    if constexpr (std::is_floating_point_v<decltype(v)>)
      return -v;
    else
      return wrap_neg(v);
  });
}

// Sign: -1, 0 or 1 (NaN stays NaN).
void infer_Sign(Node& n) {
  infer_same(n, kNumeric);
}
void eval_Sign(const Node&, const Inputs& in, Outputs& out) {
  map_typed(in, out, [](auto v) {
    using T = decltype(v);
    if constexpr (std::is_unsigned_v<T>)
      return static_cast<T>(v > 0);
    else
      return v > 0 ? T(1) : v < 0 ? static_cast<T>(-1) : v;
  });
}

// Clip: opset < 11 takes float attributes min/max; later opsets optional scalar inputs min/max
// (constant or run-time); integer types from opset 12. min > max gives max everywhere.
void infer_Clip(Node& n) {
  if (n.opset < 11) {
    infer_same(n, kFloat);
    ops::float_attr(n, "min", 0.0f);
    ops::float_attr(n, "max", 0.0f);
    return;
  }
  ops::check_arity(n, 1, 3);
  check_type(n, 0, n.opset >= 12 ? kNumeric : kFloat);
  check_clip_bound(n, 1);
  check_clip_bound(n, 2);
  ops::set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
}
void eval_Clip(const Node& n, const Inputs& in, Outputs& out) {
  ops::visit_ctype(in[0]->dtype, [&](auto tag) {
    using T = decltype(tag);
    T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
    if (n.opset < 11) {
      if (n.attrs.has("min")) lo = static_cast<T>(ops::float_attr(n, "min", 0.0f));
      if (n.attrs.has("max")) hi = static_cast<T>(ops::float_attr(n, "max", 0.0f));
    } else {
      if (in.size() > 1 && in[1]) lo = in[1]->data<T>()[0];
      if (in.size() > 2 && in[2]) hi = in[2]->data<T>()[0];
    }
    const T* x = in[0]->data<T>();
    T* y = out[0].data<T>();
    for (int64_t i = 0; i < in[0]->numel(); ++i) {
      const T t = x[i] < lo ? lo : x[i];  // max first, then min: min > max gives max
      y[i] = t > hi ? hi : t;
    }
  });
}

// ---- predicates and logic ----

void infer_IsNaN(Node& n) {
  ops::check_arity(n, 1, 1);
  check_type(n, 0, kFloat);
  ops::set_output(n, 0, DType::Bool, n.inputs[0]->shape);
}
void eval_IsNaN(const Node&, const Inputs& in, Outputs& out) {
  for (int64_t i = 0; i < in[0]->numel(); ++i) out[0].data<uint8_t>()[i] = std::isnan(in[0]->get_f64(i));
}

void infer_IsInf(Node& n) {
  ops::check_arity(n, 1, 1);
  check_type(n, 0, kFloat);
  ops::int_attr(n, "detect_negative", 1);
  ops::int_attr(n, "detect_positive", 1);
  ops::set_output(n, 0, DType::Bool, n.inputs[0]->shape);
}
void eval_IsInf(const Node& n, const Inputs& in, Outputs& out) {
  const bool neg = ops::int_attr(n, "detect_negative", 1) != 0,
             pos = ops::int_attr(n, "detect_positive", 1) != 0;
  for (int64_t i = 0; i < in[0]->numel(); ++i) {
    double v = in[0]->get_f64(i);
    out[0].data<uint8_t>()[i] = std::isinf(v) && (v > 0 ? pos : neg);
  }
}

void infer_Not(Node& n) {
  infer_same(n, kBool);
}
void eval_Not(const Node&, const Inputs& in, Outputs& out) {
  for (int64_t i = 0; i < in[0]->numel(); ++i) out[0].data<uint8_t>()[i] = in[0]->data<uint8_t>()[i] == 0;
}

// ---- Cast, CastLike ----

void infer_Cast(Node& n) {
  ops::check_arity(n, 1, 1);
  check_type(n, 0, kCastable);
  if (!n.attrs.has("to")) ops::fail(n, "attribute 'to' is required");
  ops::set_output(n, 0, dtype_of_onnx_code(n, ops::int_attr(n, "to", 0)), n.inputs[0]->shape);
}
void eval_Cast(const Node&, const Inputs& in, Outputs& out) {
  eval_cast(*in[0], out[0]);
}

void infer_CastLike(Node& n) {
  ops::check_arity(n, 2, 2);
  check_type(n, 0, kCastable);
  check_type(n, 1, kCastable);
  ops::set_output(n, 0, n.inputs[1]->dtype, n.inputs[0]->shape);
}
void eval_CastLike(const Node&, const Inputs& in, Outputs& out) {
  eval_cast(*in[0], out[0]);
}

// ---- copies ----

// Identity copies bytes, so any tensor type works (float16 included).
void infer_Identity(Node& n) {
  ops::check_arity(n, 1, 1);
  ops::set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
}
void eval_Identity(const Node&, const Inputs& in, Outputs& out) {
  out[0].bytes = in[0]->bytes;
}

// Dropout in inference mode: y = x, mask all true (of the data type before opset 10).
// training_mode (opset >= 12) must be absent, false, or a run-time input; a run-time
// training_mode is ignored (the generated code is inference-only; see docs/ops/elementwise.md).
void infer_Dropout(Node& n) {
  ops::check_arity(n, 1, n.opset >= 12 ? 3 : 1, 2);
  check_type(n, 0, kFloat);
  double ratio = 0.5;
  if (n.opset < 12) {
    ratio = ops::float_attr(n, "ratio", 0.5f);
  } else if (ops::has_input(n, 1)) {
    check_type(n, 1, kFloat);
    if (n.inputs[1]->numel() != 1) ops::fail(n, "ratio must be a scalar");
    if (n.inputs[1]->is_constant()) ratio = n.inputs[1]->value->get_f64(0);
  }
  if (ratio < 0 || ratio >= 1) ops::fail(n, "ratio {} is outside [0, 1)", ratio);
  if (n.opset >= 12 && ops::has_input(n, 2)) {
    const ir::Tensor& t = *n.inputs[2];
    if (t.dtype != DType::Bool || t.numel() != 1) ops::fail(n, "training_mode must be a bool scalar");
    if (t.is_constant() && t.value->get_i64(0) != 0 && ratio != 0)
      ops::fail(n, "training-mode Dropout (random masking) is not supported; export the model for inference");
  }
  ops::set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
  ops::set_output(n, 1, n.opset < 10 ? n.inputs[0]->dtype : DType::Bool, n.inputs[0]->shape);
}
void eval_Dropout(const Node&, const Inputs& in, Outputs& out) {
  out[0].bytes = in[0]->bytes;
  if (out.size() > 1 && out[1].dtype != DType::Undefined)
    for (int64_t i = 0; i < out[1].numel(); ++i) out[1].set_f64(i, 1.0);
}

}  // namespace tinyaot
