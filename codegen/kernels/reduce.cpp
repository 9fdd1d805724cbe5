// Kernels of reductions (Reduce*, ArgMax/ArgMin, CumSum, TopK), specialised per layer: shapes,
// strides and reduction axes are compile-time constants. Reductions keep their accumulator in a
// register: the loops visit each output element once (kept dimensions outside, reduced ones
// inside), so no scratch memory is needed. Float32 accumulates in float, integers wrap through
// the unsigned type of the same width.
#include <algorithm>
#include <cmath>
#include <functional>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/kernel_util.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

namespace reduce_detail {
std::vector<int64_t> reduce_axes(const ir::Node& n, bool* noop);  // compiler/ops/reduce.cpp
int64_t topk_k(const ir::Node& n);                                // compiler/ops/reduce.cpp
}  // namespace reduce_detail

using codegen::KernelCtx;
using ir::DType;

namespace {

bool is_signed_int(DType t) {
  return t == DType::I8 || t == DType::I16 || t == DType::I32 || t == DType::I64;
}

// "a * s" with the trivial cases simplified.
std::string scaled(const std::string& var, int64_t s) {
  if (s == 0) return "0";
  if (s == 1) return var;
  return fmt::format("{} * {}", var, s);
}
std::string plus(const std::string& a, const std::string& b) {
  if (a == "0") return b;
  if (b == "0") return a;
  return a + " + " + b;
}

// Float maths function names for the element type ("expf" for f32, "exp" for f64).
std::string fn(const char* base, DType t) {
  return t == DType::F32 ? std::string(base) + "f" : base;
}

// A run of dimensions of the input that are all kept or all reduced (size-1 dims dropped).
struct Group {
  int64_t size;
  int64_t stride;  // input stride of the group's index
  bool reduced;
};

std::vector<Group> make_groups(const ir::Shape& shape, const std::vector<int64_t>& axes) {
  std::vector<Group> g;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool red = std::binary_search(axes.begin(), axes.end(), static_cast<int64_t>(d));
    if (!g.empty() && g.back().reduced == red)
      g.back().size *= shape[d];
    else
      g.push_back({shape[d], 0, red});
  }
  int64_t s = 1;
  for (size_t i = g.size(); i-- > 0;) {
    g[i].stride = s;
    s *= g[i].size;
  }
  return g;
}

// Opens nested loops over `groups` (variables <prefix>0, <prefix>1, ...) and returns the input
// offset expression of the innermost iteration; the caller closes groups.size() blocks.
std::string open_loops(KernelCtx& ctx, const std::vector<Group>& groups, const std::string& prefix,
                       std::string base) {
  for (size_t i = 0; i < groups.size(); ++i) {
    std::string v = fmt::format("{}{}", prefix, i);
    ctx.open("for (int32_t {0} = 0; {0} < {1}; ++{0}) {{", v, groups[i].size);
    std::string off = plus(base, scaled(v, groups[i].stride));
    if (i + 1 < groups.size() && off != v && off != "0") {
      ctx.line("const int32_t {}b = {};", v, off);
      base = v + "b";
    } else {
      base = off;
    }
  }
  return base;
}

enum class RKind { Mean, Sum, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare };

RKind rkind(const std::string& op) {
  if (op == "ReduceMean") return RKind::Mean;
  if (op == "ReduceSum") return RKind::Sum;
  if (op == "ReduceMax") return RKind::Max;
  if (op == "ReduceMin") return RKind::Min;
  if (op == "ReduceProd") return RKind::Prod;
  if (op == "ReduceL1") return RKind::L1;
  if (op == "ReduceL2") return RKind::L2;
  if (op == "ReduceLogSum") return RKind::LogSum;
  if (op == "ReduceLogSumExp") return RKind::LogSumExp;
  return RKind::SumSquare;
}

const char* rname(RKind k) {
  switch (k) {
    case RKind::Mean: return "mean";
    case RKind::Sum: return "sum";
    case RKind::Max: return "max";
    case RKind::Min: return "min";
    case RKind::Prod: return "prod";
    case RKind::L1: return "l1";
    case RKind::L2: return "l2";
    case RKind::LogSum: return "logsum";
    case RKind::LogSumExp: return "logsumexp";
    case RKind::SumSquare: return "sumsquare";
  }
  return "?";
}

void emit_reduce(const ir::Node& n, KernelCtx& ctx) {
  const RKind k = rkind(n.op);
  const ir::Tensor& x = *n.inputs[0];
  const DType t = x.dtype;
  const std::string ct = ir::dtype_ctype(t);
  const bool flt = ir::dtype_is_float(t);
  bool noop = false;
  std::vector<int64_t> axes = reduce_detail::reduce_axes(n, &noop);
  const int64_t nout = n.outputs[0]->numel();
  if (noop) {
    ctx.set_name(fmt::format("reduce_{}_{}_identity", rname(k), ir::dtype_name(t)));
    if (nout) ctx.line("memcpy(y0, x0, {});", x.bytes());
    return;
  }
  std::vector<Group> groups = make_groups(x.shape, axes);
  std::vector<Group> kept, red;
  int64_t count = 1;
  bool empty = false;
  for (auto& g : groups) (g.reduced ? red : kept).push_back(g);
  for (int64_t a : axes) count *= x.shape[static_cast<size_t>(a)];
  for (int64_t d : x.shape) empty |= d == 0;
  ctx.set_name(fmt::format("reduce_{}_{}", rname(k), ir::dtype_name(t)));
  if (nout == 0) return;

  // Accumulator type and per-element maths.
  std::string at = ct;  // accumulator C type
  if (!flt && k != RKind::Max && k != RKind::Min)
    at = k == RKind::Mean ? "uint64_t" : (ir::dtype_size(t) == 8 ? "uint64_t" : "uint32_t");
  std::string init;
  switch (k) {
    case RKind::Prod: init = flt ? KernelCtx::literal(1, t) : "1u"; break;
    case RKind::Max:
      init = flt ? KernelCtx::literal(-INFINITY, t)
             : is_signed_int(t)
                 ? KernelCtx::literal(t == DType::I64
                                          ? static_cast<double>(INT64_MIN)
                                          : -std::ldexp(1.0, static_cast<int>(8 * ir::dtype_size(t)) - 1),
                                      t)
                 : "0";
      break;
    case RKind::Min:
      if (flt)
        init = KernelCtx::literal(INFINITY, t);
      else if (t == DType::I64)
        init = "9223372036854775807LL";
      else if (t == DType::U64)
        init = "18446744073709551615ULL";
      else if (t == DType::U32)
        init = "4294967295u";
      else
        init =
            fmt::format("{}", static_cast<int64_t>(std::ldexp(1.0, static_cast<int>(8 * ir::dtype_size(t)) -
                                                                       (is_signed_int(t) ? 1 : 0))) -
                                  1);
      break;
    default: init = flt ? KernelCtx::literal(0, t) : "0u"; break;
  }
  // Statement folding element `v` into accumulator `acc`.
  auto combine = [&](const std::string& v) -> std::string {
    const std::string cv = flt ? v : fmt::format("({}){}", at, v);
    switch (k) {
      case RKind::Mean:
      case RKind::Sum:
      case RKind::LogSum: return fmt::format("acc += {};", cv);
      // Float max/min propagate NaN (as numpy and the ONNX reference do).
      case RKind::Max:
        return fmt::format(flt ? "if ({0} > acc || {0} != {0}) acc = {0};" : "if ({0} > acc) acc = {0};", v);
      case RKind::Min:
        return fmt::format(flt ? "if ({0} < acc || {0} != {0}) acc = {0};" : "if ({0} < acc) acc = {0};", v);
      case RKind::Prod: return fmt::format("acc *= {};", cv);
      case RKind::L1:
        if (flt) return fmt::format("acc += {}({});", fn("fabs", t), v);
        if (is_signed_int(t)) return fmt::format("acc += {1} < 0 ? ({0})0 - ({0}){1} : ({0}){1};", at, v);
        return fmt::format("acc += {};", cv);
      case RKind::L2:
      case RKind::SumSquare: return fmt::format("acc += {0} * {0};", cv);
      case RKind::LogSumExp: return fmt::format("acc += {}({} - m);", fn("exp", t), v);
    }
    return "";
  };
  // Expression of the output value from `acc`.
  std::string result;
  switch (k) {
    case RKind::Mean:
      if (flt)
        result = fmt::format("acc / {}", KernelCtx::literal(static_cast<double>(count), t));
      else if (is_signed_int(t))
        result = fmt::format("({})((int64_t)acc / {}LL)", ct, count);
      else
        result = fmt::format("({})(acc / {}ULL)", ct, count);
      if (count == 0 && !flt) result = fmt::format("({})acc", ct);  // empty: the sum, 0
      break;
    case RKind::L2: result = fmt::format("{}(acc)", fn("sqrt", t)); break;
    case RKind::LogSum: result = fmt::format("{}(acc)", fn("log", t)); break;
    case RKind::LogSumExp:
      result = fmt::format("m - m == {} ? m + {}(acc) : m", KernelCtx::literal(0, t), fn("log", t));
      break;
    default: result = flt || at == ct ? "acc" : fmt::format("({})acc", ct); break;
  }

  // When the innermost dimensions are kept (e.g. reducing axis 1 of NCHW), accumulate a whole
  // output row at a time so the input is read contiguously: outer kept loops, then the reduced
  // loops, then a unit-stride loop over the row, with the output row as accumulator.
  if (!groups.empty() && !groups.back().reduced && !red.empty() && !empty && at == ct &&
      k != RKind::LogSumExp) {
    const int64_t row = groups.back().size;
    std::vector<Group> outer(kept.begin(), kept.end() - 1);
    const bool single = outer.size() <= 1;
    if (!single) ctx.line("int32_t o = 0;");
    std::string ibase = open_loops(ctx, outer, "k", "0");
    const std::string orow = single ? (outer.empty() ? "" : scaled("k0", row)) : "o";
    ctx.line("{}* yr = y0{};", ct, orow.empty() ? "" : " + " + orow);
    ctx.line("for (int32_t j = 0; j < {}; ++j) yr[j] = {};", row, init);
    std::string off = open_loops(ctx, red, "r", ibase);
    ctx.line("const {}* p = x0{};", ct, off == "0" ? "" : " + " + off);
    ctx.open("for (int32_t j = 0; j < {}; ++j) {{", row);
    ctx.line("{} acc = yr[j];", at);
    ctx.line("const {} v = p[j];", ct);
    ctx.line("{}", combine("v"));
    ctx.line("yr[j] = acc;");
    ctx.close();
    for (size_t i = 0; i < red.size(); ++i) ctx.close();
    if (result != "acc") {
      ctx.open("for (int32_t j = 0; j < {}; ++j) {{", row);
      ctx.line("const {} acc = yr[j];", at);
      ctx.line("yr[j] = {};", result);
      ctx.close();
    }
    if (!single) ctx.line("o += {};", row);
    for (size_t i = 0; i < outer.size(); ++i) ctx.close();
    return;
  }

  // Loops: kept groups outside (the output index runs sequentially), reduced groups inside.
  const bool single_out_loop = kept.size() <= 1;
  if (!single_out_loop) ctx.line("int32_t o = 0;");
  std::string base = open_loops(ctx, kept, "k", "0");
  const std::string oidx = single_out_loop ? (kept.empty() ? "0" : "k0") : "o";
  // Visits every input element of the current output, applying `stmt` to "x0[offset]".
  auto reduce_loops = [&](const std::function<std::string(const std::string&)>& stmt) {
    if (empty) return;  // an empty reduction leaves the accumulator at its identity
    std::string off = open_loops(ctx, red, "r", base);
    ctx.line("const {} v = x0[{}];", ct, off);
    ctx.line("{}", stmt("v"));
    for (size_t i = 0; i < red.size(); ++i) ctx.close();
  };
  if (k == RKind::LogSumExp) {
    // Two passes: the maximum, then the sum of exp(x - max), so large inputs do not overflow.
    ctx.line("{} m = {};", ct, KernelCtx::literal(-INFINITY, t));
    reduce_loops([&](const std::string& v) { return fmt::format("if ({0} > m) m = {0};", v); });
  }
  ctx.line("{} acc = {};", at, init);
  reduce_loops(combine);
  ctx.line("y0[{}] = {};", oidx, result);
  if (!single_out_loop) ctx.line("++o;");
  for (size_t i = 0; i < kept.size(); ++i) ctx.close();
}

// Loops over the outer*inner positions of a tensor split around `axis`, giving the C expression
// of the flat offset of element 0 along the axis (input) and of the output base.
void split(const ir::Shape& s, int64_t axis, int64_t& outer, int64_t& len, int64_t& inner) {
  outer = 1;
  inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= s[static_cast<size_t>(d)];
  len = s[static_cast<size_t>(axis)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < s.size(); ++d) inner *= s[d];
}

// Opens the outer/inner loops; returns {input base, output base} expressions for a tensor whose
// axis has `len` elements on input and `olen` on output. Closes: call close_outer_inner.
std::pair<std::string, std::string> open_outer_inner(KernelCtx& ctx, int64_t outer, int64_t len, int64_t olen,
                                                     int64_t inner) {
  std::string ib = "0", ob = "0";
  if (outer > 1) {
    ctx.open("for (int32_t o = 0; o < {}; ++o) {{", outer);
    ib = scaled("o", len * inner);
    ob = scaled("o", olen * inner);
  }
  if (inner > 1) {
    ctx.open("for (int32_t i = 0; i < {}; ++i) {{", inner);
    ib = plus(ib, "i");
    ob = plus(ob, "i");
  }
  return {ib, ob};
}
void close_outer_inner(KernelCtx& ctx, int64_t outer, int64_t inner) {
  if (inner > 1) ctx.close();
  if (outer > 1) ctx.close();
}

void emit_arg(const ir::Node& n, KernelCtx& ctx, bool is_max) {
  const ir::Tensor& x = *n.inputs[0];
  const int64_t axis =
      ops::normalize_axis(n, n.attrs.get_int("axis", 0), static_cast<int64_t>(x.shape.size()));
  const bool last = n.attrs.get_int("select_last_index", 0) == 1;
  ctx.set_name(fmt::format("{}_{}", is_max ? "argmax" : "argmin", ir::dtype_name(x.dtype)));
  int64_t outer, len, inner;
  split(x.shape, axis, outer, len, inner);
  if (n.outputs[0]->numel() == 0) return;
  const char* ct = ir::dtype_ctype(x.dtype);
  auto [ib, ob] = open_outer_inner(ctx, outer, len, 1, inner);
  ctx.line("const {}* p = x0{};", ct, ib == "0" ? "" : " + " + ib);
  ctx.line("{} best = p[0];", ct);
  ctx.line("int32_t bi = 0;");
  ctx.open("for (int32_t a = 1; a < {}; ++a) {{", len);
  ctx.line("const {} v = p[{}];", ct, scaled("a", inner));
  // NaN counts as the extreme value (numpy's argmax/argmin): the first NaN wins, or the last one
  // with select_last_index.
  const std::string nan = !ir::dtype_is_float(x.dtype) ? ""
                          : last                       ? " || v != v"
                                                       : " || (v != v && best == best)";
  ctx.line("if (v {}{} best{}) {{ best = v; bi = a; }}", is_max ? ">" : "<", last ? "=" : "", nan);
  ctx.close();
  ctx.line("y0[{}] = (int64_t)bi;", ob);
  close_outer_inner(ctx, outer, inner);
}

// Emits one CumSum pass for a known axis.
void emit_cumsum_axis(const ir::Node& n, KernelCtx& ctx, int64_t axis) {
  const ir::Tensor& x = *n.inputs[0];
  const DType t = x.dtype;
  const bool flt = ir::dtype_is_float(t);
  const std::string ct = ir::dtype_ctype(t);
  const std::string at = flt ? ct : (ir::dtype_size(t) == 8 ? "uint64_t" : "uint32_t");
  const bool exclusive = n.attrs.get_int("exclusive", 0) == 1;
  const bool reverse = n.attrs.get_int("reverse", 0) == 1;
  int64_t outer, len, inner;
  split(x.shape, axis, outer, len, inner);
  if (x.numel() == 0) return;
  auto [ib, ob] = open_outer_inner(ctx, outer, len, len, inner);
  ctx.line("const {}* p = x0{};", ct, ib == "0" ? "" : " + " + ib);
  ctx.line("{}* q = y0{};", ct, ob == "0" ? "" : " + " + ob);
  ctx.line("{} acc = {};", at, flt ? KernelCtx::literal(0, t) : "0u");
  if (reverse)
    ctx.open("for (int32_t a = {}; a >= 0; --a) {{", len - 1);
  else
    ctx.open("for (int32_t a = 0; a < {}; ++a) {{", len);
  const std::string e = scaled("a", inner);
  const std::string v = flt ? fmt::format("p[{}]", e) : fmt::format("({})p[{}]", at, e);
  const std::string store = flt ? fmt::format("q[{}] = acc;", e) : fmt::format("q[{}] = ({})acc;", e, ct);
  if (exclusive) {
    ctx.line("{}", store);
    ctx.line("acc += {};", v);
  } else {
    ctx.line("acc += {};", v);
    ctx.line("{}", store);
  }
  ctx.close();
  close_outer_inner(ctx, outer, inner);
}

}  // namespace

#define TINYAOT_REDUCE(OP)                            \
  void emit_##OP(const ir::Node& n, KernelCtx& ctx) { \
    emit_reduce(n, ctx);                              \
  }
TINYAOT_REDUCE(ReduceMean)
TINYAOT_REDUCE(ReduceSum)
TINYAOT_REDUCE(ReduceMax)
TINYAOT_REDUCE(ReduceMin)
TINYAOT_REDUCE(ReduceProd)
TINYAOT_REDUCE(ReduceL1)
TINYAOT_REDUCE(ReduceL2)
TINYAOT_REDUCE(ReduceLogSum)
TINYAOT_REDUCE(ReduceLogSumExp)
TINYAOT_REDUCE(ReduceSumSquare)
#undef TINYAOT_REDUCE

void emit_ArgMax(const ir::Node& n, KernelCtx& ctx) {
  emit_arg(n, ctx, true);
}
void emit_ArgMin(const ir::Node& n, KernelCtx& ctx) {
  emit_arg(n, ctx, false);
}

void emit_CumSum(const ir::Node& n, KernelCtx& ctx) {
  const ir::Tensor& x = *n.inputs[0];
  const ir::Tensor& ax = *n.inputs[1];
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  ctx.set_name(fmt::format("cumsum_{}", ir::dtype_name(x.dtype)));
  if (ax.is_constant()) {
    emit_cumsum_axis(n, ctx, ops::normalize_axis(n, ax.value->get_i64(0), rank));
    return;
  }
  // Run-time axis: one specialised loop nest per possible axis, chosen by the axis value.
  ctx.line("int32_t axis = (int32_t)x1[0];");
  ctx.line("if (axis < 0) axis += {};", rank);
  ctx.open("switch (axis) {{");
  for (int64_t a = 0; a < rank; ++a) {
    ctx.open("case {}: {{", a);
    emit_cumsum_axis(n, ctx, a);
    ctx.line("break;");
    ctx.close();
  }
  ctx.line("default: break;  // invalid axis: output left unwritten");
  ctx.close();
}

void emit_TopK(const ir::Node& n, KernelCtx& ctx) {
  const ir::Tensor& x = *n.inputs[0];
  const DType t = x.dtype;
  const std::string ct = ir::dtype_ctype(t);
  const int64_t axis =
      ops::normalize_axis(n, n.attrs.get_int("axis", -1), static_cast<int64_t>(x.shape.size()));
  const int64_t k = reduce_detail::topk_k(n);
  const bool largest = n.attrs.get_int("largest", 1) == 1;
  ctx.set_name(fmt::format("topk_{}_{}", largest ? "largest" : "smallest", ir::dtype_name(t)));
  int64_t outer, len, inner;
  split(x.shape, axis, outer, len, inner);
  if (k == 0 || outer * inner == 0) return;
  const bool have_vals = n.out(0) != nullptr, have_idx = n.out(1) != nullptr;
  if (!have_vals && !have_idx) return;
  // Values live in the output (stride `inner`), or in scratch when that output is omitted.
  const std::string vs = have_vals ? std::to_string(inner) : "1";
  auto [ib, ob] = open_outer_inner(ctx, outer, len, k, inner);
  ctx.line("const {}* p = x0{};", ct, ib == "0" ? "" : " + " + ib);
  if (have_vals)
    ctx.line("{}* yv = y0{};", ct, ob == "0" ? "" : " + " + ob);
  else
    ctx.line("{}* yv = {};", ct, ctx.scratch(static_cast<size_t>(k) * ir::dtype_size(t), ct));
  if (have_idx) ctx.line("int64_t* yi = y1{};", ob == "0" ? "" : " + " + ob);
  auto at = [&](const std::string& j, const std::string& stride) {
    if (stride == "1") return j;
    return fmt::format(j.find(' ') == std::string::npos ? "{} * {}" : "({}) * {}", j, stride);
  };
  const std::string is = std::to_string(inner);
  const char* better = largest ? ">" : "<";
  // Insertion into the sorted top-K list; strict comparison keeps the lower index first on ties.
  ctx.line("int32_t cnt = 0;");
  ctx.open("for (int32_t a = 0; a < {}; ++a) {{", len);
  ctx.line("const {} v = p[{}];", ct, scaled("a", inner));
  ctx.line("int32_t j = cnt;");
  ctx.line("if (cnt < {0}) {{ ++cnt; }} else if (v {1} yv[{2}]) {{ j = {3}; }} else {{ continue; }}", k,
           better, at(std::to_string(k - 1), vs), k - 1);
  ctx.open("while (j > 0 && v {} yv[{}]) {{", better, at("j - 1", vs));
  ctx.line("yv[{}] = yv[{}];", at("j", vs), at("j - 1", vs));
  if (have_idx) ctx.line("yi[{}] = yi[{}];", at("j", is), at("j - 1", is));
  ctx.line("--j;");
  ctx.close();
  ctx.line("yv[{}] = v;", at("j", vs));
  if (have_idx) ctx.line("yi[{}] = (int64_t)a;", at("j", is));
  ctx.close();
  close_outer_inner(ctx, outer, inner);
}

}  // namespace tinyaot
