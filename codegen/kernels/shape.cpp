// Kernels of the shape family. Views (Reshape, Flatten, Squeeze, Unsqueeze) are a byte copy the
// memory planner may later elide; ops whose output is known at compile time (Constant,
// ConstantOfShape, Range, Shape, Size, NonZero) write it from a table or a fill loop; Expand and
// Tile are nested loops with constant strides whose innermost level is a memcpy or a fill.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/kernel_util.h"
#include "compiler/evaluator.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using codegen::KernelCtx;
using ir::DType;

namespace {

const char* ct(DType t) {
  return ir::dtype_ctype(t);
}

// y0 = x0, byte for byte (skipped when the planner made them the same buffer).
void emit_view_copy(const ir::Node& n, KernelCtx& ctx, const char* what) {
  const ir::Tensor& o = *n.outputs[0];
  ctx.set_name(fmt::format("{}_copy_{}", what, ir::dtype_name(o.dtype)));
  if (o.bytes() == 0) {
    ctx.line("/* empty tensor */");
    return;
  }
  ctx.line("if ((const void*)y0 != (const void*)x0) memcpy(y0, x0, {}u);", o.bytes());
}

// The C literal of element i of v (exact for every dtype).
std::string element_literal(const ir::Value& v, int64_t i) {
  switch (v.dtype) {
    case DType::F32:
    case DType::F64: return KernelCtx::literal(v.get_f64(i), v.dtype);
    case DType::I64: {
      int64_t x = v.data<int64_t>()[i];
      return x == INT64_MIN ? "(-9223372036854775807LL - 1)" : fmt::format("{}LL", x);
    }
    case DType::U64: return fmt::format("{}ULL", v.data<uint64_t>()[i]);
    default: return KernelCtx::literal(static_cast<double>(v.get_i64(i)), v.dtype);
  }
}

// Writes a compile-time-known value into y0: a fill loop when all elements are equal, otherwise a
// constant table copied with memcpy.
void emit_known_output(KernelCtx& ctx, const ir::Value& v) {
  const int64_t n = v.numel();
  const size_t es = ir::dtype_size(v.dtype);
  if (n == 0) {
    ctx.line("/* empty tensor */");
    return;
  }
  bool uniform = true;
  for (int64_t i = 1; i < n && uniform; ++i)
    uniform = std::memcmp(v.bytes.data(), v.bytes.data() + static_cast<size_t>(i) * es, es) == 0;
  if (uniform) {
    if (n == 1) {
      ctx.line("y0[0] = {};", element_literal(v, 0));
    } else {
      ctx.open("for (int32_t i = 0; i < {}; ++i) {{", n);
      ctx.line("y0[i] = {};", element_literal(v, 0));
      ctx.close();
    }
    return;
  }
  // const_table prints doubles; 64-bit integers beyond 2^53 go through a little-endian byte table.
  std::vector<double> vals;
  bool exact = true;
  for (int64_t i = 0; i < n && exact; ++i) {
    if (v.dtype == DType::I64) {
      int64_t x = v.data<int64_t>()[i];
      exact = std::fabs(static_cast<double>(x)) < 9007199254740992.0;
      vals.push_back(static_cast<double>(x));
    } else if (v.dtype == DType::U64) {
      uint64_t x = v.data<uint64_t>()[i];
      exact = x < (uint64_t(1) << 53);
      vals.push_back(static_cast<double>(x));
    } else if (ir::dtype_is_float(v.dtype)) {
      vals.push_back(v.get_f64(i));
    } else {
      vals.push_back(static_cast<double>(v.get_i64(i)));
    }
  }
  std::string t;
  if (exact) {
    t = ctx.const_table("values", v.dtype, vals);
  } else {
    std::vector<double> b(v.bytes.begin(), v.bytes.end());
    t = ctx.const_table("bytes", DType::U8, b);
  }
  ctx.line("memcpy(y0, {}, {}u);", t, v.bytes.size());
}

// Evaluates the node at compile time (its inputs are constants, or only their shapes matter).
ir::Value known_output(const ir::Node& n) {
  std::vector<ir::Value> holders;
  holders.reserve(n.inputs.size());
  std::vector<const ir::Value*> in;
  for (ir::Tensor* t : n.inputs) {
    if (!t) {
      in.push_back(nullptr);
    } else if (t->is_constant()) {
      in.push_back(t->value.get());
    } else {
      holders.emplace_back();
      holders.back().dtype = t->dtype;
      holders.back().shape = t->shape;
      in.push_back(&holders.back());
    }
  }
  return std::move(evaluate_node(n, in)[0]);
}

void emit_known(const ir::Node& n, KernelCtx& ctx, const char* what) {
  ctx.set_name(fmt::format("{}_{}", what, ir::dtype_name(n.outputs[0]->dtype)));
  emit_known_output(ctx, known_output(n));
}

// y0 (contiguous, shape `shape`) gathers x0 with per-dimension element strides `st` (0 on
// broadcast dimensions). Shared by Expand and Tile.
void emit_strided_gather(KernelCtx& ctx, DType dt, const ir::Shape& shape, const std::vector<int64_t>& st) {
  // Drop size-1 dimensions, then merge neighbours that are contiguous in the source.
  std::vector<int64_t> S, T;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) {
      ctx.line("/* empty tensor */");
      return;
    }
    if (shape[d] == 1) continue;
    if (!S.empty() && T.back() == st[d] * shape[d]) {
      S.back() *= shape[d];
      T.back() = st[d];
    } else {
      S.push_back(shape[d]);
      T.push_back(st[d]);
    }
  }
  const char* c = ct(dt);
  const size_t es = ir::dtype_size(dt);
  if (S.empty()) {
    ctx.line("y0[0] = x0[0];");
    return;
  }
  const size_t k = S.size() - 1;
  std::vector<int64_t> block(S.size() + 1, 1);  // elements written by one iteration of level d
  for (size_t d = S.size(); d-- > 0;) block[d] = block[d + 1] * S[d];
  ctx.line("int32_t o = 0;");
  // Level d reads from pointer `p`; broadcast levels write their first block then replicate it.
  std::function<void(size_t, const std::string&)> level = [&](size_t d, const std::string& p) {
    if (d == k) {
      if (T[d] == 1) {
        ctx.line("memcpy(y0 + o, {}, {}u);", p, S[d] * static_cast<int64_t>(es));
      } else if (T[d] == 0) {
        ctx.line("const {} v = {}[0];", c, p);
        ctx.line("for (int32_t j = 0; j < {}; ++j) y0[o + j] = v;", S[d]);
      } else {
        ctx.line("for (int32_t j = 0; j < {}; ++j) y0[o + j] = {}[j * {}];", S[d], p, T[d]);
      }
      ctx.line("o += {};", S[d]);
      return;
    }
    if (T[d] == 0) {
      ctx.open("{{");
      ctx.line("const int32_t first{} = o;", d);
      level(d + 1, p);
      ctx.open("for (int32_t r{0} = 1; r{0} < {1}; ++r{0}) {{", d, S[d]);
      ctx.line("memcpy(y0 + o, y0 + first{}, {}u);", d, block[d + 1] * static_cast<int64_t>(es));
      ctx.line("o += {};", block[d + 1]);
      ctx.close();
      ctx.close();
      return;
    }
    ctx.open("for (int32_t i{0} = 0; i{0} < {1}; ++i{0}) {{", d, S[d]);
    std::string q = fmt::format("p{}", d);
    if (T[d] == 1)
      ctx.line("const {}* {} = {} + i{};", c, q, p, d);
    else
      ctx.line("const {}* {} = {} + i{} * {};", c, q, p, d, T[d]);
    level(d + 1, q);
    ctx.close();
  };
  level(0, "x0");
}

}  // namespace

void emit_Reshape(const ir::Node& n, KernelCtx& ctx) {
  emit_view_copy(n, ctx, "reshape");
}
void emit_Flatten(const ir::Node& n, KernelCtx& ctx) {
  emit_view_copy(n, ctx, "flatten");
}
void emit_Squeeze(const ir::Node& n, KernelCtx& ctx) {
  emit_view_copy(n, ctx, "squeeze");
}
void emit_Unsqueeze(const ir::Node& n, KernelCtx& ctx) {
  emit_view_copy(n, ctx, "unsqueeze");
}

void emit_Constant(const ir::Node& n, KernelCtx& ctx) {
  emit_known(n, ctx, "constant");
}
void emit_ConstantOfShape(const ir::Node& n, KernelCtx& ctx) {
  emit_known(n, ctx, "constant_of_shape");
}
void emit_Shape(const ir::Node& n, KernelCtx& ctx) {
  emit_known(n, ctx, "shape");
}
void emit_Size(const ir::Node& n, KernelCtx& ctx) {
  emit_known(n, ctx, "size");
}
void emit_Range(const ir::Node& n, KernelCtx& ctx) {
  emit_known(n, ctx, "range");
}
void emit_NonZero(const ir::Node& n, KernelCtx& ctx) {
  emit_known(n, ctx, "nonzero_const");
}

void emit_Expand(const ir::Node& n, KernelCtx& ctx) {
  const ir::Tensor& o = *n.outputs[0];
  ctx.set_name(fmt::format("expand_{}", ir::dtype_name(o.dtype)));
  emit_strided_gather(ctx, o.dtype, o.shape, ops::broadcast_strides(n.inputs[0]->shape, o.shape));
}

void emit_Tile(const ir::Node& n, KernelCtx& ctx) {
  const ir::Tensor& o = *n.outputs[0];
  ctx.set_name(fmt::format("tile_{}", ir::dtype_name(o.dtype)));
  // Output dim d = repeats[d] x in[d]: split it into a broadcast (stride 0) and a copied level.
  const ir::Shape& in = n.inputs[0]->shape;
  const auto ist = ops::strides_of(in);
  ir::Shape shape;
  std::vector<int64_t> st;
  for (size_t d = 0; d < in.size(); ++d) {
    shape.push_back(in[d] == 0 ? 0 : o.shape[d] / in[d]);
    st.push_back(0);
    shape.push_back(in[d]);
    st.push_back(ist[d]);
  }
  emit_strided_gather(ctx, o.dtype, shape, st);
}

void emit_Trilu(const ir::Node& n, KernelCtx& ctx) {
  const ir::Tensor& o = *n.outputs[0];
  const bool upper = n.attrs.get_int("upper", 1) != 0;
  ctx.set_name(fmt::format("{}_{}", upper ? "triu" : "tril", ir::dtype_name(o.dtype)));
  const ir::Shape& s = o.shape;
  const int64_t N = s[s.size() - 2], M = s[s.size() - 1];
  const int64_t B = N * M == 0 ? 0 : o.numel() / (N * M);
  if (o.numel() == 0) {
    ctx.line("/* empty tensor */");
    return;
  }
  const char* c = ct(o.dtype);
  // Row i keeps columns j with j - i >= k (upper) or j - i <= k (lower); the split column is
  // clamped to [0, M]. k is clamped first so that i + k cannot overflow.
  const ir::Tensor* kt = ops::has_input(n, 1) ? n.inputs[1] : nullptr;
  if (kt && !kt->is_constant()) {
    ctx.line("int64_t k = x1[0];");
    ctx.line("if (k < {}) k = {};", -N - 1, -N - 1);
    ctx.line("if (k > {}) k = {};", M + 1, M + 1);
  } else {
    int64_t k = kt ? kt->value->get_i64(0) : 0;
    k = std::clamp<int64_t>(k, -N - 1, M + 1);
    ctx.line("const int64_t k = {};", k);
  }
  ctx.line("const {0}* xr = x0;", c);
  ctx.line("{0}* yr = y0;", c);
  ctx.open("for (int32_t b = 0; b < {}; ++b) {{", B);
  ctx.open("for (int32_t i = 0; i < {}; ++i, xr += {}, yr += {}) {{", N, M, M);
  ctx.line("const int64_t s = (int64_t)i + k{};", upper ? "" : " + 1");
  ctx.line("const int32_t c = s < 0 ? 0 : s > {0} ? {0} : (int32_t)s;", M);
  if (upper) {
    ctx.line("for (int32_t j = 0; j < c; ++j) yr[j] = ({})0;", c);
    ctx.line("for (int32_t j = c; j < {}; ++j) yr[j] = xr[j];", M);
  } else {
    ctx.line("for (int32_t j = 0; j < c; ++j) yr[j] = xr[j];");
    ctx.line("for (int32_t j = c; j < {}; ++j) yr[j] = ({})0;", M, c);
  }
  ctx.close();
  ctx.close();
}

void emit_EyeLike(const ir::Node& n, KernelCtx& ctx) {
  const ir::Tensor& o = *n.outputs[0];
  ctx.set_name(fmt::format("eyelike_{}", ir::dtype_name(o.dtype)));
  const int64_t N = o.shape[0], M = o.shape[1];
  const int64_t k = n.attrs.get_int("k", 0);
  if (o.numel() == 0) {
    ctx.line("/* empty tensor */");
    return;
  }
  const char* c = ct(o.dtype);
  ctx.line("for (int32_t i = 0; i < {}; ++i) y0[i] = ({})0;", o.numel(), c);
  // Ones at (i, i + k) for rows i in [max(0, -k), min(N, M - k)).
  if (k >= M || k <= -N) return;
  const int64_t i0 = std::max<int64_t>(0, -k), i1 = std::min<int64_t>(N, M - k);
  if (i1 <= i0) return;
  ctx.line("for (int32_t i = 0; i < {}; ++i) y0[{} + i * {}] = ({})1;", i1 - i0, i0 * M + i0 + k, M + 1, c);
}

void emit_OneHot(const ir::Node& n, KernelCtx& ctx) {
  const ir::Tensor& o = *n.outputs[0];
  const ir::Tensor& idx = *n.inputs[0];
  ctx.set_name(fmt::format("onehot_{}_{}", ir::dtype_name(idx.dtype), ir::dtype_name(o.dtype)));
  if (o.numel() == 0) {
    ctx.line("/* empty tensor */");
    return;
  }
  const int64_t r = static_cast<int64_t>(idx.shape.size());
  const int64_t depth = static_cast<int64_t>(n.inputs[1]->value->get_f64(0));
  const int64_t axis = ops::normalize_axis(n, n.attrs.get_int("axis", -1), r + 1);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < r; ++d) (d < axis ? outer : inner) *= idx.shape[static_cast<size_t>(d)];
  const char* c = ct(o.dtype);
  ctx.line("const {0} off = x2[0], on = x2[1];", c);
  ctx.line("for (int32_t e = 0; e < {}; ++e) y0[e] = off;", o.numel());
  ctx.line("const {}* ix = x0;", ct(idx.dtype));
  ctx.open("for (int32_t o = 0; o < {}; ++o) {{", outer);
  ctx.line("{}* yo = y0 + o * {};", c, depth * inner);
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", inner);
  if (ir::dtype_is_float(idx.dtype)) {
    // Non-integral indices are truncated (cast to int64), NaN and out-of-range ones ignored.
    ctx.line("const {} f = *ix++;", ct(idx.dtype));
    ctx.line("if (!(f > {} && f < {})) continue;",
             KernelCtx::literal(static_cast<double>(-depth - 1), idx.dtype),
             KernelCtx::literal(static_cast<double>(depth), idx.dtype));
    ctx.line("int64_t v = (int64_t)f;");
  } else {
    ctx.line("int64_t v = (int64_t)*ix++;");
  }
  ctx.line("if (v < 0) v += {};", depth);
  ctx.line("if (v >= 0 && v < {}) yo[(int32_t)v * {} + i] = on;", depth, inner);
  ctx.close();
  ctx.close();
}

}  // namespace tinyaot
