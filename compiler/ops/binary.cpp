// Semantics of binary and variadic elementwise ops with numpy broadcasting: arithmetic,
// comparisons, logic, bit operations, Where. Kernels live in codegen/kernels/binary.cpp.
//
// Evaluation is typed (computed in the element type itself, not via double), so it matches the
// generated code bit for bit on integers and up to libm rounding on floats. Decisions shared with
// the kernels (see docs/ops/binary.md):
//  - integer Add/Sub/Mul/Sum/PRelu wrap around (two's complement), computed in unsigned;
//  - integer Div truncates toward zero like C; x/0 gives 0 and INT_MIN/-1 wraps to INT_MIN;
//  - integer Mod by 0 gives 0; fmod=0 takes the divisor's sign (Python), fmod=1 the dividend's;
//  - Min/Max propagate NaN; BitShift by >= the bit width gives 0;
//  - Pow with an integer base and float exponent saturates to the base type's range (NaN -> 0);
//    integer ** negative integer gives 1 for base 1, +-1 for base -1, else 0.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "compiler/ops/binary.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Shape;
using ir::Value;

namespace {

constexpr size_t kMaxInputs = 1u << 16;

bool is_numeric(DType t) {
  return t == DType::F32 || t == DType::F64 || ir::dtype_is_int(t);
}
bool is_float(DType t) {
  return t == DType::F32 || t == DType::F64;
}
bool is_bool(DType t) {
  return t == DType::Bool;
}
bool is_int(DType t) {
  return ir::dtype_is_int(t);
}
bool is_unsigned(DType t) {
  return t == DType::U8 || t == DType::U16 || t == DType::U32 || t == DType::U64;
}
bool is_numeric_or_bool(DType t) {
  return is_numeric(t) || t == DType::Bool;
}
bool is_any_supported(DType t) {
  return is_numeric_or_bool(t) || t == DType::F16;
}
bool is_pow_base(DType t) {
  return t == DType::F32 || t == DType::F64 || t == DType::I32 || t == DType::I64;
}

// Input i must exist and have a type accepted by `ok` (described by `what`).
void require_type(const Node& n, size_t i, bool (*ok)(DType), const char* what) {
  const ir::Tensor& t = ops::input(n, i);
  if (ok(t.dtype)) return;
  if (t.dtype == DType::F16)
    ops::fail(n, "input {} ('{}') is float16, which tinyaot does not support for {}", i, t.name, n.op);
  ops::fail(n, "input {} ('{}') has type {}; {} expects {}", i, t.name, ir::dtype_name(t.dtype), n.op, what);
}

// All inputs in [first, end) must have the type of input `first`.
void require_same_type(const Node& n, size_t first = 0) {
  for (size_t i = first + 1; i < n.inputs.size(); ++i)
    if (ops::input(n, i).dtype != ops::input(n, first).dtype)
      ops::fail(n, "inputs {} and {} have different types ({} and {})", first, i,
                ir::dtype_name(n.inputs[first]->dtype), ir::dtype_name(n.inputs[i]->dtype));
}

std::vector<Shape> input_shapes(const Node& n) {
  std::vector<Shape> s;
  for (size_t i = 0; i < n.inputs.size(); ++i) s.push_back(ops::input(n, i).shape);
  return s;
}

// Binary (or variadic) op whose inputs share one type accepted by `ok`; output type `out` (or
// the input type when Undefined) with the broadcast shape.
void infer_same(Node& n, size_t lo, size_t hi, bool (*ok)(DType), const char* what,
                DType out = DType::Undefined) {
  ops::check_arity(n, lo, hi);
  for (size_t i = 0; i < n.inputs.size(); ++i) require_type(n, i, ok, what);
  require_same_type(n);
  ops::set_output(n, 0, out == DType::Undefined ? n.inputs[0]->dtype : out,
                  ops::broadcast_shapes(n, input_shapes(n)));
}

// ---------------------------------------------------------------------------------------------
// Typed scalar semantics (shared by all evals).

template <class T>
using WideU = std::conditional_t<(sizeof(T) <= 4), uint32_t, uint64_t>;

template <class T>
T s_add(T a, T b) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<T>(static_cast<WideU<T>>(a) + static_cast<WideU<T>>(b));
  else
    return a + b;
}
template <class T>
T s_sub(T a, T b) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<T>(static_cast<WideU<T>>(a) - static_cast<WideU<T>>(b));
  else
    return a - b;
}
template <class T>
T s_mul(T a, T b) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<T>(static_cast<WideU<T>>(a) * static_cast<WideU<T>>(b));
  else
    return a * b;
}
template <class T>
T s_div(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if (b == 0) return 0;
    if constexpr (std::is_signed_v<T>)
      if (b == T(-1)) return static_cast<T>(WideU<T>(0) - static_cast<WideU<T>>(a));
    return static_cast<T>(a / b);
  } else {
    return a / b;
  }
}
template <class T>
T s_mod(T a, T b, bool fmod) {
  if constexpr (std::is_integral_v<T>) {
    if (b == 0) return 0;
    if constexpr (std::is_signed_v<T>) {
      if (b == T(-1)) return 0;
      T r = static_cast<T>(a % b);
      if (!fmod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
      return r;
    } else {
      return static_cast<T>(a % b);
    }
  } else {
    (void)fmod;  // float Mod requires fmod=1 (checked by infer)
    return std::fmod(a, b);
  }
}
template <class T>
T s_max(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    return (b > a || b != b) ? b : a;
  else
    return b > a ? b : a;
}
template <class T>
T s_min(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    return (b < a || b != b) ? b : a;
  else
    return b < a ? b : a;
}
template <class T>
T s_shift(T a, T b, bool left) {
  if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
    if (b >= sizeof(T) * 8) return 0;
    if (left) return static_cast<T>(static_cast<WideU<T>>(a) << b);
    return static_cast<T>(a >> b);
  } else {
    (void)b, (void)left;
    return a;  // unreachable: infer only accepts unsigned types
  }
}
template <class T>
T s_prelu(T x, T slope) {
  return x < 0 ? s_mul(slope, x) : x;
}

// Float -> integer conversion saturating at the type's range (NaN -> 0), as the kernels do.
template <class T>
T sat_cast(double r) {
  if (!(r == r)) return 0;
  const double hi = std::ldexp(1.0, std::numeric_limits<T>::digits);
  if (r >= hi) return std::numeric_limits<T>::max();
  const double lo = std::is_signed_v<T> ? -hi : 0.0;
  if (r <= lo - 1.0) return std::numeric_limits<T>::min();
  return static_cast<T>(r);
}
// Integer power with wraparound; negative exponents truncate 1/a^|e| toward zero.
template <class T>
T ipow(T a, int64_t e) {
  if (e < 0) {
    if (a == 1) return 1;
    if constexpr (std::is_signed_v<T>)
      if (a == T(-1)) return (e & 1) ? T(-1) : T(1);
    return 0;
  }
  WideU<T> r = 1, b = static_cast<WideU<T>>(a);
  for (uint64_t u = static_cast<uint64_t>(e); u; u >>= 1) {
    if (u & 1) r = static_cast<WideU<T>>(r * b);
    b = static_cast<WideU<T>>(b * b);
  }
  return static_cast<T>(r);
}
template <class TA, class TB>
TA s_pow(TA a, TB b) {
  if constexpr (std::is_floating_point_v<TA>) {
    if constexpr (std::is_same_v<TA, TB>)
      return std::pow(a, b);
    else
      return static_cast<TA>(std::pow(static_cast<double>(a), static_cast<double>(b)));
  } else if constexpr (std::is_floating_point_v<TB>) {
    return sat_cast<TA>(std::pow(static_cast<double>(a), static_cast<double>(b)));
  } else {
    return ipow<TA>(a, static_cast<int64_t>(b));
  }
}

// ---------------------------------------------------------------------------------------------
// Broadcast evaluation drivers.

template <class TA, class TB, class TO, class F>
void eval2(const Value& a, const Shape& sa, const Value& b, const Shape& sb, Value& o, F f) {
  const TA* pa = a.data<TA>();
  const TB* pb = b.data<TB>();
  TO* po = o.data<TO>();
  ops::for_each_broadcast(o.shape, {sa, sb}, [&](int64_t e, const std::vector<int64_t>& off) {
    po[e] = static_cast<TO>(f(pa[off[0]], pb[off[1]]));
  });
}

// Same-typed binary op: f is a generic lambda called with two T values.
template <class F>
void eval_same(const std::vector<const Value*>& in, Value& o, F f) {
  ops::visit_ctype(in[0]->dtype, [&](auto tag) {
    using T = decltype(tag);
    eval2<T, T, T>(*in[0], in[0]->shape, *in[1], in[1]->shape, o, [&](T a, T b) { return f(a, b); });
  });
}
// Comparison: T, T -> bool.
template <class F>
void eval_cmp(const std::vector<const Value*>& in, Value& o, F f) {
  ops::visit_ctype(in[0]->dtype, [&](auto tag) {
    using T = decltype(tag);
    eval2<T, T, uint8_t>(*in[0], in[0]->shape, *in[1], in[1]->shape, o,
                         [&](T a, T b) { return static_cast<uint8_t>(f(a, b) ? 1 : 0); });
  });
}
// Left fold over 1..N inputs: out = f(...f(f(x0, x1), x2)..., xN-1).
template <class F>
void eval_fold(const std::vector<const Value*>& in, Value& o, F f) {
  ops::visit_ctype(o.dtype, [&](auto tag) {
    using T = decltype(tag);
    T* po = o.data<T>();
    const T* p0 = in[0]->data<T>();
    ops::for_each_broadcast(o.shape, {in[0]->shape},
                            [&](int64_t e, const std::vector<int64_t>& off) { po[e] = p0[off[0]]; });
    for (size_t k = 1; k < in.size(); ++k) {
      const T* pk = in[k]->data<T>();
      ops::for_each_broadcast(o.shape, {in[k]->shape}, [&](int64_t e, const std::vector<int64_t>& off) {
        po[e] = f(po[e], pk[off[0]]);
      });
    }
  });
}

bool fmod_attr(const Node& n) {
  int64_t f = n.attrs.get_int("fmod", 0);
  if (f != 0 && f != 1) ops::fail(n, "attribute fmod must be 0 or 1, got {}", f);
  return f == 1;
}

bool shift_left(const Node& n) {
  if (!n.attrs.has("direction")) ops::fail(n, "attribute 'direction' is required");
  std::string d = n.attrs.get_string("direction", "");
  if (d == "LEFT") return true;
  if (d == "RIGHT") return false;
  ops::fail(n, "attribute direction must be \"LEFT\" or \"RIGHT\", got \"{}\"", d);
}

}  // namespace

// Slope shape used for PRelu's evaluation: the slope itself when it broadcasts unidirectionally
// to X; a 1-D slope of X's channel count (dimension 1) is applied per channel (the opset-6 form,
// which the ONNX version converter carries over unchanged); anything else is an error.
ir::Shape binary_prelu_slope_shape(const ir::Node& n, const ir::Shape& x, const ir::Shape& s) {
  bool uni = s.size() <= x.size();
  for (size_t k = 0; uni && k < s.size(); ++k) {
    int64_t xd = x[x.size() - s.size() + k];
    if (s[k] != 1 && s[k] != xd) uni = false;
  }
  if (uni) return s;
  if (s.size() == 1 && x.size() >= 2 && s[0] == x[1]) {
    Shape e(x.size() - 1, 1);
    e[0] = s[0];
    return e;
  }
  ops::fail(n, "slope shape {} cannot be broadcast to input shape {}", ir::shape_str(s), ir::shape_str(x));
}

// ---------------------------------------------------------------------------------------------
// Arithmetic

void infer_Add(Node& n) {
  infer_same(n, 2, 2, is_numeric, "float32/float64/integer inputs");
}
void eval_Add(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_same(in, out[0], [](auto a, auto b) { return s_add(a, b); });
}
void infer_Sub(Node& n) {
  infer_same(n, 2, 2, is_numeric, "float32/float64/integer inputs");
}
void eval_Sub(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_same(in, out[0], [](auto a, auto b) { return s_sub(a, b); });
}
void infer_Mul(Node& n) {
  infer_same(n, 2, 2, is_numeric, "float32/float64/integer inputs");
}
void eval_Mul(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_same(in, out[0], [](auto a, auto b) { return s_mul(a, b); });
}
void infer_Div(Node& n) {
  infer_same(n, 2, 2, is_numeric, "float32/float64/integer inputs");
}
void eval_Div(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_same(in, out[0], [](auto a, auto b) { return s_div(a, b); });
}

void infer_Mod(Node& n) {
  bool fmod = fmod_attr(n);
  infer_same(n, 2, 2, is_numeric, "float32/float64/integer inputs");
  if (is_float(n.inputs[0]->dtype) && !fmod)
    ops::fail(n, "floating-point inputs ({}) require attribute fmod=1", ir::dtype_name(n.inputs[0]->dtype));
}
void eval_Mod(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  bool fmod = fmod_attr(n);
  eval_same(in, out[0], [fmod](auto a, auto b) { return s_mod(a, b, fmod); });
}

void infer_Pow(Node& n) {
  ops::check_arity(n, 2, 2);
  require_type(n, 0, is_pow_base, "a float32/float64/int32/int64 base");
  if (n.opset < 12) {
    require_type(n, 1, is_float, "a float32/float64 exponent before opset 12");
    require_same_type(n);
  } else {
    require_type(n, 1, is_numeric, "a float32/float64/integer exponent");
  }
  ops::set_output(n, 0, n.inputs[0]->dtype, ops::broadcast_shapes(n, input_shapes(n)));
}
void eval_Pow(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  ops::visit_ctype(in[0]->dtype, [&](auto ta) {
    using TA = decltype(ta);
    ops::visit_ctype(in[1]->dtype, [&](auto tb) {
      using TB = decltype(tb);
      eval2<TA, TB, TA>(*in[0], in[0]->shape, *in[1], in[1]->shape, out[0],
                        [](TA a, TB b) { return s_pow<TA, TB>(a, b); });
    });
  });
}

void infer_PRelu(Node& n) {
  ops::check_arity(n, 2, 2);
  require_type(n, 0, is_numeric, "float32/float64/integer inputs");
  require_type(n, 1, is_numeric, "float32/float64/integer inputs");
  require_same_type(n);
  binary_prelu_slope_shape(n, n.inputs[0]->shape, n.inputs[1]->shape);
  ops::set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
}
void eval_PRelu(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  Shape ss = binary_prelu_slope_shape(n, in[0]->shape, in[1]->shape);
  ops::visit_ctype(in[0]->dtype, [&](auto tag) {
    using T = decltype(tag);
    eval2<T, T, T>(*in[0], in[0]->shape, *in[1], ss, out[0], [](T x, T s) { return s_prelu(x, s); });
  });
}

// ---------------------------------------------------------------------------------------------
// Variadic

void infer_Min(Node& n) {
  infer_same(n, 1, kMaxInputs, is_numeric, "float32/float64/integer inputs");
}
void eval_Min(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_fold(in, out[0], [](auto a, auto b) { return s_min(a, b); });
}
void infer_Max(Node& n) {
  infer_same(n, 1, kMaxInputs, is_numeric, "float32/float64/integer inputs");
}
void eval_Max(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_fold(in, out[0], [](auto a, auto b) { return s_max(a, b); });
}
void infer_Sum(Node& n) {
  infer_same(n, 1, kMaxInputs, is_float, "float32/float64 inputs");
}
void eval_Sum(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_fold(in, out[0], [](auto a, auto b) { return s_add(a, b); });
}
void infer_Mean(Node& n) {
  infer_same(n, 1, kMaxInputs, is_float, "float32/float64 inputs");
}
void eval_Mean(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_fold(in, out[0], [](auto a, auto b) { return s_add(a, b); });
  if (in.size() == 1) return;
  // The kernels multiply by the reciprocal (rounded to the element type) instead of dividing.
  ops::visit_ctype(out[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T r = static_cast<T>(1.0 / static_cast<double>(in.size()));
      T* p = out[0].data<T>();
      for (int64_t i = 0; i < out[0].numel(); ++i) p[i] = p[i] * r;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Comparisons

void infer_Equal(Node& n) {
  infer_same(n, 2, 2, is_numeric_or_bool, "bool/float32/float64/integer inputs", DType::Bool);
}
void eval_Equal(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_cmp(in, out[0], [](auto a, auto b) { return a == b; });
}
void infer_Less(Node& n) {
  infer_same(n, 2, 2, is_numeric, "float32/float64/integer inputs", DType::Bool);
}
void eval_Less(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_cmp(in, out[0], [](auto a, auto b) { return a < b; });
}
void infer_LessOrEqual(Node& n) {
  infer_same(n, 2, 2, is_numeric, "float32/float64/integer inputs", DType::Bool);
}
void eval_LessOrEqual(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_cmp(in, out[0], [](auto a, auto b) { return a <= b; });
}
void infer_Greater(Node& n) {
  infer_same(n, 2, 2, is_numeric, "float32/float64/integer inputs", DType::Bool);
}
void eval_Greater(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_cmp(in, out[0], [](auto a, auto b) { return a > b; });
}
void infer_GreaterOrEqual(Node& n) {
  infer_same(n, 2, 2, is_numeric, "float32/float64/integer inputs", DType::Bool);
}
void eval_GreaterOrEqual(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_cmp(in, out[0], [](auto a, auto b) { return a >= b; });
}

// ---------------------------------------------------------------------------------------------
// Logic and bit operations

void infer_And(Node& n) {
  infer_same(n, 2, 2, is_bool, "bool inputs");
}
void eval_And(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_cmp(in, out[0], [](auto a, auto b) { return a != 0 && b != 0; });
}
void infer_Or(Node& n) {
  infer_same(n, 2, 2, is_bool, "bool inputs");
}
void eval_Or(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_cmp(in, out[0], [](auto a, auto b) { return a != 0 || b != 0; });
}
void infer_Xor(Node& n) {
  infer_same(n, 2, 2, is_bool, "bool inputs");
}
void eval_Xor(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_cmp(in, out[0], [](auto a, auto b) { return (a != 0) != (b != 0); });
}

void infer_BitShift(Node& n) {
  shift_left(n);
  infer_same(n, 2, 2, is_unsigned, "unsigned integer inputs");
}
void eval_BitShift(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  bool left = shift_left(n);
  eval_same(in, out[0], [left](auto a, auto b) { return s_shift(a, b, left); });
}

template <class F>
void eval_bitwise(const std::vector<const Value*>& in, Value& o, F f) {
  eval_same(in, o, [&](auto a, auto b) {
    using T = decltype(a);
    if constexpr (std::is_integral_v<T>)
      return static_cast<T>(f(a, b));
    else
      return a;  // unreachable: infer only accepts integers
  });
}
void infer_BitwiseAnd(Node& n) {
  infer_same(n, 2, 2, is_int, "integer inputs");
}
void eval_BitwiseAnd(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_bitwise(in, out[0], [](auto a, auto b) { return a & b; });
}
void infer_BitwiseOr(Node& n) {
  infer_same(n, 2, 2, is_int, "integer inputs");
}
void eval_BitwiseOr(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_bitwise(in, out[0], [](auto a, auto b) { return a | b; });
}
void infer_BitwiseXor(Node& n) {
  infer_same(n, 2, 2, is_int, "integer inputs");
}
void eval_BitwiseXor(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_bitwise(in, out[0], [](auto a, auto b) { return a ^ b; });
}

// ---------------------------------------------------------------------------------------------
// Where

void infer_Where(Node& n) {
  ops::check_arity(n, 3, 3);
  require_type(n, 0, is_bool, "a bool condition");
  require_type(n, 1, is_any_supported, "numeric or bool values");
  require_type(n, 2, is_any_supported, "numeric or bool values");
  require_same_type(n, 1);
  ops::set_output(n, 0, n.inputs[1]->dtype, ops::broadcast_shapes(n, input_shapes(n)));
}
void eval_Where(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  ops::visit_ctype(in[1]->dtype, [&](auto tag) {
    using T = decltype(tag);
    const uint8_t* c = in[0]->data<uint8_t>();
    const T* a = in[1]->data<T>();
    const T* b = in[2]->data<T>();
    T* o = out[0].data<T>();
    ops::for_each_broadcast(
        out[0].shape, {in[0]->shape, in[1]->shape, in[2]->shape},
        [&](int64_t e, const std::vector<int64_t>& off) { o[e] = c[off[0]] ? a[off[1]] : b[off[2]]; });
  });
}

}  // namespace tinyaot
