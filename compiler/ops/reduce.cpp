// Semantics of reductions: Reduce{Mean,Sum,Max,Min,Prod,L1,L2,LogSum,LogSumExp,SumSquare},
// ArgMax/ArgMin, CumSum and TopK. Kernels live in codegen/kernels/reduce.cpp.
//
// Decisions (see also docs/ops/reduce.md):
// - Reduction axes: the `axes` attribute before opset 13 (ReduceSum) / 18 (the others), the
//   optional `axes` input from then on (must be a compile-time constant). Empty axes reduce all
//   axes unless noop_with_empty_axes=1, in which case the op is an identity (the spec's "output
//   is equivalent to the input"), for every Reduce op.
// - The reference evaluator accumulates floats in double and integers in 64-bit two's complement
//   (wrapping), then converts to the output type (truncating for integer Mean).
// - TopK returns sorted results for sorted=0 too (allowed by the spec); ties: lower index first.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Value;

namespace reduce_detail {

// The normalised, sorted reduced axes of a Reduce* node; *noop is set when the node is an
// identity (empty axes with noop_with_empty_axes=1). Shared with codegen/kernels/reduce.cpp.
std::vector<int64_t> reduce_axes(const Node& n, bool* noop);
// First opset in which op `n.op` takes axes as an input.
int axes_input_opset(const Node& n) {
  return n.op == "ReduceSum" ? 13 : 18;
}

std::vector<int64_t> reduce_axes(const Node& n, bool* noop) {
  const int64_t rank = static_cast<int64_t>(ops::input(n, 0).shape.size());
  std::vector<int64_t> axes;
  bool noop_flag = false;
  if (n.opset >= axes_input_opset(n)) {
    if (n.attrs.has("axes"))
      ops::fail(n, "'axes' is an input from opset {}, not an attribute", axes_input_opset(n));
    if (ops::has_input(n, 1) && n.inputs[1]->numel() == 0) {
      // An empty axes tensor is known to be empty even when it is a run-time input.
    } else if (ops::has_input(n, 1)) {
      const Value& v = ops::const_input(n, 1, "axes");
      if (v.dtype != DType::I64) ops::fail(n, "input 'axes' must be int64, got {}", ir::dtype_name(v.dtype));
      if (v.shape.size() != 1) ops::fail(n, "input 'axes' must be 1-D, got shape {}", ir::shape_str(v.shape));
      axes = v.to_i64_vector();
    }
    int64_t f = n.attrs.get_int("noop_with_empty_axes", 0);
    if (f != 0 && f != 1) ops::fail(n, "noop_with_empty_axes must be 0 or 1, got {}", f);
    noop_flag = f == 1;
  } else {
    if (n.inputs.size() > 1) ops::fail(n, "takes 1 input at opset {}, got {}", n.opset, n.inputs.size());
    axes = n.attrs.get_ints("axes", {});
  }
  if (noop) *noop = axes.empty() && noop_flag;
  if (axes.empty()) {
    if (noop_flag) return {};
    axes.resize(static_cast<size_t>(rank));
    std::iota(axes.begin(), axes.end(), 0);
    return axes;
  }
  for (auto& a : axes) a = ops::normalize_axis(n, a, rank);
  std::vector<int64_t> s = axes;
  std::sort(s.begin(), s.end());
  if (std::adjacent_find(s.begin(), s.end()) != s.end()) ops::fail(n, "'axes' contains an axis twice");
  return s;
}

}  // namespace reduce_detail

namespace {

using reduce_detail::reduce_axes;

bool keepdims(const Node& n) {
  int64_t k = n.attrs.get_int("keepdims", 1);
  if (k != 0 && k != 1) ops::fail(n, "keepdims must be 0 or 1, got {}", k);
  return k == 1;
}

bool is_signed_int(DType t) {
  return t == DType::I8 || t == DType::I16 || t == DType::I32 || t == DType::I64;
}

// Which element types each op accepts.
enum class TypeSet { FloatOnly, Arith, AllNumeric };

bool type_ok(DType t, TypeSet s) {
  switch (t) {
    case DType::F32:
    case DType::F64: return true;
    case DType::I32:
    case DType::I64:
    case DType::U32:
    case DType::U64: return s != TypeSet::FloatOnly;
    case DType::I8:
    case DType::U8:
    case DType::I16:
    case DType::U16: return s == TypeSet::AllNumeric;
    default: return false;
  }
}

void require_type(const Node& n, size_t i, TypeSet s) {
  const ir::Tensor& t = ops::input(n, i);
  if (!type_ok(t.dtype, s))
    ops::fail(n, "input {} ('{}') has type {}, which this op does not support (supported: {})", i, t.name,
              ir::dtype_name(t.dtype),
              s == TypeSet::FloatOnly ? "f32, f64"
              : s == TypeSet::Arith   ? "f32, f64, i32, i64, u32, u64"
                                      : "f32, f64, i8..i64, u8..u64");
}

// Writes an integer (two's complement bits) into element i of an integer Value, wrapping.
void store_int(Value& v, int64_t i, uint64_t bits) {
  uint8_t* p = v.bytes.data() + static_cast<size_t>(i) * ir::dtype_size(v.dtype);
  std::memcpy(p, &bits, ir::dtype_size(v.dtype));  // little-endian: low bytes first
}

uint64_t load_bits(const Value& v, int64_t i) {
  uint64_t bits = 0;
  const size_t sz = ir::dtype_size(v.dtype);
  std::memcpy(&bits, v.bytes.data() + static_cast<size_t>(i) * sz, sz);
  if (is_signed_int(v.dtype) && sz < 8 && (bits >> (8 * sz - 1) & 1)) bits |= ~uint64_t(0) << (8 * sz);
  return bits;
}

// Reduce ops ---------------------------------------------------------------------------------

enum class RKind { Mean, Sum, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare };

TypeSet rkind_types(RKind k) {
  switch (k) {
    case RKind::Max:
    case RKind::Min: return TypeSet::AllNumeric;
    case RKind::L2:
    case RKind::LogSum:
    case RKind::LogSumExp: return TypeSet::FloatOnly;
    default: return TypeSet::Arith;
  }
}

void infer_reduce(Node& n, RKind k) {
  ops::check_arity(n, 1, 2);
  require_type(n, 0, rkind_types(k));
  const ir::Tensor& x = ops::input(n, 0);
  bool noop = false;
  std::vector<int64_t> axes = reduce_axes(n, &noop);
  bool keep = keepdims(n);
  if (noop) {
    ops::set_output(n, 0, x.dtype, x.shape);
    return;
  }
  ir::Shape out;
  for (size_t d = 0; d < x.shape.size(); ++d) {
    bool red = std::binary_search(axes.begin(), axes.end(), static_cast<int64_t>(d));
    if (!red)
      out.push_back(x.shape[d]);
    else if (keep)
      out.push_back(1);
  }
  ops::set_output(n, 0, x.dtype, out);
}

void eval_reduce(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out, RKind k) {
  const Value& x = *in[0];
  Value& y = out[0];
  bool noop = false;
  std::vector<int64_t> axes = reduce_axes(n, &noop);
  if (noop) {
    y.bytes = x.bytes;
    return;
  }
  ir::Shape keep_shape = x.shape;
  int64_t count = 1;
  for (int64_t a : axes) {
    count *= x.shape[static_cast<size_t>(a)];
    keep_shape[static_cast<size_t>(a)] = 1;
  }
  const int64_t nout = y.numel();
  const bool is_float = ir::dtype_is_float(x.dtype);
  // Float: double accumulators; integer: 64-bit wrapping accumulators (or compare values).
  std::vector<double> acc(static_cast<size_t>(nout)), mx(static_cast<size_t>(nout));
  std::vector<uint64_t> iacc(static_cast<size_t>(nout));
  std::vector<bool> seen(static_cast<size_t>(nout), false);
  const bool is_unsigned = !is_float && !is_signed_int(x.dtype);
  auto less = [&](uint64_t a, uint64_t b) {  // integer comparison in the element's signedness
    return is_unsigned ? a < b : static_cast<int64_t>(a) < static_cast<int64_t>(b);
  };
  for (size_t o = 0; o < static_cast<size_t>(nout); ++o) {
    acc[o] = (k == RKind::Prod) ? 1.0
             : k == RKind::Max  ? -std::numeric_limits<double>::infinity()
             : k == RKind::Min  ? std::numeric_limits<double>::infinity()
                                : 0.0;
    iacc[o] = k == RKind::Prod ? 1 : 0;
    mx[o] = -std::numeric_limits<double>::infinity();
  }
  if (k == RKind::LogSumExp) {
    ops::for_each_broadcast(x.shape, {keep_shape}, [&](int64_t e, const std::vector<int64_t>& off) {
      double v = x.get_f64(e);
      if (v > mx[static_cast<size_t>(off[0])]) mx[static_cast<size_t>(off[0])] = v;
    });
  }
  ops::for_each_broadcast(x.shape, {keep_shape}, [&](int64_t e, const std::vector<int64_t>& off) {
    const size_t o = static_cast<size_t>(off[0]);
    if (is_float) {
      double v = x.get_f64(e);
      double& a = acc[o];
      switch (k) {
        case RKind::Mean:
        case RKind::Sum:
        case RKind::LogSum: a += v; break;
        case RKind::Max:
          if (v > a || std::isnan(v)) a = v;
          break;
        case RKind::Min:
          if (v < a || std::isnan(v)) a = v;
          break;
        case RKind::Prod: a *= v; break;
        case RKind::L1: a += std::fabs(v); break;
        case RKind::L2:
        case RKind::SumSquare: a += v * v; break;
        case RKind::LogSumExp: a += std::exp(v - mx[o]); break;
      }
    } else {
      uint64_t v = load_bits(x, e);
      uint64_t& a = iacc[o];
      switch (k) {
        case RKind::Mean:
        case RKind::Sum: a += v; break;
        case RKind::Max:
          if (!seen[o] || less(a, v)) a = v;
          break;
        case RKind::Min:
          if (!seen[o] || less(v, a)) a = v;
          break;
        case RKind::Prod: a *= v; break;
        case RKind::L1: a += (!is_unsigned && static_cast<int64_t>(v) < 0) ? 0 - v : v; break;
        case RKind::SumSquare: a += v * v; break;
        default: ops::fail(n, "internal: integer {} is not supported", n.op);
      }
      seen[o] = true;
    }
  });
  for (int64_t o = 0; o < nout; ++o) {
    const size_t i = static_cast<size_t>(o);
    if (is_float) {
      double a = acc[i];
      switch (k) {
        case RKind::Mean: a /= static_cast<double>(count); break;
        case RKind::L2: a = std::sqrt(a); break;
        case RKind::LogSum: a = std::log(a); break;
        case RKind::LogSumExp: a = std::isfinite(mx[i]) ? mx[i] + std::log(a) : mx[i]; break;
        default: break;
      }
      y.set_f64(o, a);
    } else {
      uint64_t a = iacc[i];
      if (!seen[i] && (k == RKind::Max || k == RKind::Min)) {
        // Empty reduction: the lowest / highest value of the type, as numpy's identity would be.
        const size_t bits = 8 * ir::dtype_size(x.dtype);
        uint64_t umax = bits == 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
        if (is_unsigned)
          a = k == RKind::Max ? 0 : umax;
        else
          a = k == RKind::Max ? ~(umax >> 1) : (umax >> 1);
      }
      if (k == RKind::Mean && count > 0) {
        a = is_unsigned ? a / static_cast<uint64_t>(count)
                        : static_cast<uint64_t>(static_cast<int64_t>(a) / count);
      }
      store_int(y, o, a);
    }
  }
}

// Arg ops ------------------------------------------------------------------------------------

void infer_arg(Node& n) {
  ops::check_arity(n, 1, 1);
  require_type(n, 0, TypeSet::AllNumeric);
  const ir::Tensor& x = ops::input(n, 0);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  if (rank == 0) ops::fail(n, "input must have rank >= 1");
  int64_t axis = ops::normalize_axis(n, n.attrs.get_int("axis", 0), rank);
  int64_t sli = n.attrs.get_int("select_last_index", 0);
  if (sli != 0 && sli != 1) ops::fail(n, "select_last_index must be 0 or 1, got {}", sli);
  if (sli && n.opset < 12) ops::fail(n, "select_last_index exists from opset 12 (model opset {})", n.opset);
  if (x.shape[static_cast<size_t>(axis)] == 0) {
    int64_t others = 1;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis) others *= x.shape[static_cast<size_t>(d)];
    if (others > 0) ops::fail(n, "cannot take the arg of the empty axis {}", axis);
  }
  ir::Shape out = x.shape;
  if (keepdims(n))
    out[static_cast<size_t>(axis)] = 1;
  else
    out.erase(out.begin() + axis);
  ops::set_output(n, 0, DType::I64, out);
}

// Splits `shape` around `axis` into outer * axis * inner.
void split_axis(const ir::Shape& shape, int64_t axis, int64_t& outer, int64_t& len, int64_t& inner) {
  outer = 1;
  inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= shape[static_cast<size_t>(d)];
  len = shape[static_cast<size_t>(axis)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
}

void eval_arg(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out, bool is_max) {
  const Value& x = *in[0];
  const int64_t axis =
      ops::normalize_axis(n, n.attrs.get_int("axis", 0), static_cast<int64_t>(x.shape.size()));
  const bool last = n.attrs.get_int("select_last_index", 0) == 1;
  int64_t outer, len, inner;
  split_axis(x.shape, axis, outer, len, inner);
  const bool is_float = ir::dtype_is_float(x.dtype);
  const bool is_unsigned = !is_float && !is_signed_int(x.dtype);
  // Compares elements a and b in the element type: -1, 0, 1.
  auto cmp = [&](int64_t a, int64_t b) -> int {
    if (is_float) {
      double va = x.get_f64(a), vb = x.get_f64(b);
      return va < vb ? -1 : va > vb ? 1 : 0;
    }
    uint64_t ua = load_bits(x, a), ub = load_bits(x, b);
    if (is_unsigned) return ua < ub ? -1 : ua > ub ? 1 : 0;
    int64_t sa = static_cast<int64_t>(ua), sb = static_cast<int64_t>(ub);
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  };
  int64_t* y = out[0].data<int64_t>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * len * inner + i;
      int64_t best = 0;
      for (int64_t a = 1; a < len; ++a) {
        int c = cmp(base + a * inner, base + best * inner);
        if (!is_max) c = -c;
        bool take = c > 0 || (last && c == 0);
        if (is_float) {  // NaN is the extreme value: first NaN wins (last with select_last_index)
          const bool vn = std::isnan(x.get_f64(base + a * inner)),
                     bn = std::isnan(x.get_f64(base + best * inner));
          if (vn && (last || !bn)) take = true;
          if (bn && !vn) take = false;
        }
        if (take) best = a;
      }
      y[o * inner + i] = best;
    }
}

// CumSum axis: from the (usually constant) second input.
int64_t cumsum_axis(const Node& n, const Value& v) {
  if (v.numel() != 1)
    ops::fail(n, "input 'axis' must hold exactly one value, got shape {}", ir::shape_str(v.shape));
  return ops::normalize_axis(n, v.get_i64(0), static_cast<int64_t>(ops::input(n, 0).shape.size()));
}

}  // namespace

// ---- Reduce* ----
#define TINYAOT_REDUCE(OP, KIND)                                                                \
  void infer_##OP(Node& n) {                                                                    \
    infer_reduce(n, RKind::KIND);                                                               \
  }                                                                                             \
  void eval_##OP(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) { \
    eval_reduce(n, in, out, RKind::KIND);                                                       \
  }
TINYAOT_REDUCE(ReduceMean, Mean)
TINYAOT_REDUCE(ReduceSum, Sum)
TINYAOT_REDUCE(ReduceMax, Max)
TINYAOT_REDUCE(ReduceMin, Min)
TINYAOT_REDUCE(ReduceProd, Prod)
TINYAOT_REDUCE(ReduceL1, L1)
TINYAOT_REDUCE(ReduceL2, L2)
TINYAOT_REDUCE(ReduceLogSum, LogSum)
TINYAOT_REDUCE(ReduceLogSumExp, LogSumExp)
TINYAOT_REDUCE(ReduceSumSquare, SumSquare)
#undef TINYAOT_REDUCE

// ---- ArgMax / ArgMin ----
void infer_ArgMax(Node& n) {
  infer_arg(n);
}
void eval_ArgMax(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_arg(n, in, out, true);
}
void infer_ArgMin(Node& n) {
  infer_arg(n);
}
void eval_ArgMin(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_arg(n, in, out, false);
}

// ---- CumSum ----
void infer_CumSum(Node& n) {
  ops::check_arity(n, 2, 2);
  require_type(n, 0, TypeSet::Arith);
  const ir::Tensor& x = ops::input(n, 0);
  const ir::Tensor& ax = ops::input(n, 1);
  if (x.shape.empty()) ops::fail(n, "input must have rank >= 1");
  if (ax.dtype != DType::I32 && ax.dtype != DType::I64)
    ops::fail(n, "input 'axis' must be int32 or int64, got {}", ir::dtype_name(ax.dtype));
  if (ax.numel() != 1)
    ops::fail(n, "input 'axis' must hold exactly one value, got shape {}", ir::shape_str(ax.shape));
  // A run-time axis is allowed: the kernel then dispatches on its value.
  if (ax.is_constant()) cumsum_axis(n, *ax.value);
  for (const char* a : {"exclusive", "reverse"}) {
    int64_t v = n.attrs.get_int(a, 0);
    if (v != 0 && v != 1) ops::fail(n, "{} must be 0 or 1, got {}", a, v);
  }
  ops::set_output(n, 0, x.dtype, x.shape);
}

void eval_CumSum(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Value& x = *in[0];
  Value& y = out[0];
  const int64_t axis = cumsum_axis(n, *in[1]);
  const bool exclusive = n.attrs.get_int("exclusive", 0) == 1;
  const bool reverse = n.attrs.get_int("reverse", 0) == 1;
  int64_t outer, len, inner;
  split_axis(x.shape, axis, outer, len, inner);
  const bool is_float = ir::dtype_is_float(x.dtype);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double acc = 0;
      uint64_t iacc = 0;
      for (int64_t s = 0; s < len; ++s) {
        const int64_t a = reverse ? len - 1 - s : s;
        const int64_t e = (o * len + a) * inner + i;
        if (is_float) {
          const double v = x.get_f64(e);
          if (!exclusive) acc += v;
          y.set_f64(e, acc);
          if (exclusive) acc += v;
        } else {
          const uint64_t v = load_bits(x, e);
          if (!exclusive) iacc += v;
          store_int(y, e, iacc);
          if (exclusive) iacc += v;
        }
      }
    }
}

// ---- TopK ----
namespace reduce_detail {
// K of a TopK node (attribute before opset 10, constant input from then on).
int64_t topk_k(const Node& n) {
  int64_t k;
  if (n.opset < 10) {
    if (!n.attrs.has("k")) ops::fail(n, "attribute 'k' is required at opset {}", n.opset);
    k = n.attrs.get_int("k", 0);
  } else {
    const Value& v = ops::const_input(n, 1, "K");
    if (v.dtype != DType::I64) ops::fail(n, "input 'K' must be int64, got {}", ir::dtype_name(v.dtype));
    if (v.numel() != 1)
      ops::fail(n, "input 'K' must hold exactly one value, got shape {}", ir::shape_str(v.shape));
    k = v.get_i64(0);
  }
  if (k < 0) ops::fail(n, "K must be >= 0, got {}", k);
  return k;
}
}  // namespace reduce_detail

void infer_TopK(Node& n) {
  ops::check_arity(n, n.opset < 10 ? 1 : 2, n.opset < 10 ? 1 : 2, 2);
  require_type(n, 0, TypeSet::AllNumeric);
  const ir::Tensor& x = ops::input(n, 0);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  if (rank == 0) ops::fail(n, "input must have rank >= 1");
  const int64_t axis = ops::normalize_axis(n, n.attrs.get_int("axis", -1), rank);
  const int64_t k = reduce_detail::topk_k(n);
  if (k > x.shape[static_cast<size_t>(axis)])
    ops::fail(n, "K ({}) is larger than the size of axis {} ({})", k, axis,
              x.shape[static_cast<size_t>(axis)]);
  for (const char* a : {"largest", "sorted"}) {
    if (n.opset < 11 && n.attrs.has(a))
      ops::fail(n, "attribute '{}' exists from opset 11 (model opset {})", a, n.opset);
    int64_t v = n.attrs.get_int(a, 1);
    if (v != 0 && v != 1) ops::fail(n, "{} must be 0 or 1, got {}", a, v);
  }
  ir::Shape out = x.shape;
  out[static_cast<size_t>(axis)] = k;
  ops::set_output(n, 0, x.dtype, out);
  ops::set_output(n, 1, DType::I64, out);
}

void eval_TopK(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Value& x = *in[0];
  const int64_t axis =
      ops::normalize_axis(n, n.attrs.get_int("axis", -1), static_cast<int64_t>(x.shape.size()));
  const int64_t k = reduce_detail::topk_k(n);
  const bool largest = n.attrs.get_int("largest", 1) == 1;
  int64_t outer, len, inner;
  split_axis(x.shape, axis, outer, len, inner);
  const bool is_float = ir::dtype_is_float(x.dtype);
  const bool is_unsigned = !is_float && !is_signed_int(x.dtype);
  auto before = [&](int64_t a, int64_t b) {  // element a sorts strictly before element b
    int c;
    if (is_float) {
      double va = x.get_f64(a), vb = x.get_f64(b);
      c = va < vb ? -1 : va > vb ? 1 : 0;
    } else {
      uint64_t ua = load_bits(x, a), ub = load_bits(x, b);
      if (is_unsigned)
        c = ua < ub ? -1 : ua > ub ? 1 : 0;
      else
        c = static_cast<int64_t>(ua) < static_cast<int64_t>(ub)   ? -1
            : static_cast<int64_t>(ua) > static_cast<int64_t>(ub) ? 1
                                                                  : 0;
    }
    return largest ? c > 0 : c < 0;
  };
  std::vector<int64_t> idx(static_cast<size_t>(len));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * len * inner + i;
      std::iota(idx.begin(), idx.end(), 0);
      std::stable_sort(idx.begin(), idx.end(),
                       [&](int64_t a, int64_t b) { return before(base + a * inner, base + b * inner); });
      for (int64_t j = 0; j < k; ++j) {
        const int64_t src = base + idx[static_cast<size_t>(j)] * inner;
        const int64_t dst = (o * k + j) * inner + i;
        if (n.out(0)) {
          const size_t sz = ir::dtype_size(x.dtype);
          std::memcpy(out[0].bytes.data() + static_cast<size_t>(dst) * sz,
                      x.bytes.data() + static_cast<size_t>(src) * sz, sz);
        }
        if (n.out(1)) out[1].data<int64_t>()[dst] = idx[static_cast<size_t>(j)];
      }
    }
}

}  // namespace tinyaot
