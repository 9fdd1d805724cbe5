// Kernels of the loss ops (NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss). Scores are viewed
// as [N, C, D] and labels as [N, D] with the sizes baked in. Labels are run-time data: a label is
// used only if it lies in [0, C) (one unsigned compare) and differs from ignore_index; any other
// label contributes loss 0 and weight 0, so out-of-range labels never cause an out-of-bounds read.
// Semantics: compiler/ops/loss.cpp, decisions: docs/ops/loss.md.
#include <string>

#include "codegen/kernel_ctx.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using codegen::KernelCtx;
using ir::DType;
using ir::Node;

namespace {

enum class Reduction { None, Sum, Mean };

// The parameters of a node that infer_ has already validated (mirrors compiler/ops/loss.cpp).
struct Params {
  Reduction red = Reduction::Mean;
  bool ignore = false;  // ignore_index present and inside [0, C) (others never match a used label)
  int64_t ii = 0;
  bool weight = false;
  int64_t N = 0, C = 0, D = 1;
  DType dt = DType::F32, lt = DType::I64;
  std::string ct, lct, ulct;  // score, label and unsigned label C types
  std::string lit(double v) const { return KernelCtx::literal(v, dt); }
  std::string f(const char* fn) const { return std::string(fn) + (dt == DType::F32 ? "f" : ""); }
};

Params params(const Node& n) {
  Params p;
  const std::string red = n.attrs.get_string("reduction", "mean");
  p.red = red == "none" ? Reduction::None : red == "sum" ? Reduction::Sum : Reduction::Mean;
  const ir::Shape& xs = n.inputs[0]->shape;
  p.N = xs[0];
  p.C = xs[1];
  for (size_t i = 2; i < xs.size(); ++i) p.D *= xs[i];
  p.ii = n.attrs.get_int("ignore_index", -1);
  p.ignore = n.attrs.has("ignore_index") && p.ii >= 0 && p.ii < p.C;
  p.weight = ops::has_input(n, 2);
  p.dt = n.inputs[0]->dtype;
  p.lt = n.inputs[1]->dtype;
  p.ct = ir::dtype_ctype(p.dt);
  p.lct = ir::dtype_ctype(p.lt);
  p.ulct = p.lt == DType::I64 ? "uint64_t" : "uint32_t";
  return p;
}

std::string kernel_name(const char* op, const Params& p, bool log_prob) {
  const char* red = p.red == Reduction::None ? "none" : p.red == Reduction::Sum ? "sum" : "mean";
  std::string s = fmt::format("{}_{}_{}", op, ir::dtype_name(p.dt), red);
  if (p.weight) s += "_w";
  if (p.ignore) s += "_ii";
  if (log_prob) s += "_lp";
  return s;
}

void emit_accumulators(const Params& p, KernelCtx& ctx) {
  if (p.red == Reduction::None) return;
  ctx.line("{} acc = {};", p.ct, p.lit(0));
  if (p.red == Reduction::Mean) {
    if (p.weight)
      ctx.line("{} wacc = {};", p.ct, p.lit(0));
    else
      ctx.line("int32_t cnt = 0;");
  }
}

// Emits the per-element label step inside the loops: `label` is the label expression,
// `loss_of_t` the C expression of the unweighted loss of class t (may use `t`), `out` the output
// element written for reduction none.
void emit_label_step(const Params& p, KernelCtx& ctx, const std::string& label, const std::string& loss_of_t,
                     const std::string& out) {
  if (p.red == Reduction::None) ctx.line("{} l = {};", p.ct, p.lit(0));
  ctx.line("const {} t = {};", p.lct, label);
  const DType ut = p.lt == DType::I64 ? DType::U64 : DType::U32;
  std::string cond = fmt::format("({})t < {}", p.ulct, KernelCtx::literal(double(p.C), ut));
  if (p.ignore) cond += fmt::format(" && t != {}", KernelCtx::literal(double(p.ii), p.lt));
  ctx.open("if ({}) {{", cond);
  std::string l = loss_of_t;
  if (p.weight) {
    ctx.line("const {} w = x2[t];", p.ct);
    l = fmt::format("({}) * w", l);
  }
  if (p.red == Reduction::None) {
    ctx.line("l = {};", l);
    ctx.close();
    ctx.line("{} = l;", out);  // +0 for skipped labels
  } else {
    ctx.line("acc += {};", l);
    if (p.red == Reduction::Mean) ctx.line(p.weight ? "wacc += w;" : "++cnt;");
    ctx.close();
  }
}

void emit_result(const Params& p, KernelCtx& ctx) {
  if (p.red == Reduction::Sum) ctx.line("y0[0] = acc;");
  // Mean over the applied weights (0 / 0 = NaN when every label is skipped, like ONNX's reference).
  if (p.red == Reduction::Mean) ctx.line(p.weight ? "y0[0] = acc / wacc;" : "y0[0] = acc / ({})cnt;", p.ct);
}

}  // namespace

// NLL: loss = -x[n, t, d] * w[t].
void emit_NegativeLogLikelihoodLoss(const Node& n, KernelCtx& ctx) {
  const Params p = params(n);
  ctx.set_name(kernel_name("nllloss", p, false));
  emit_accumulators(p, ctx);
  const bool none = p.red == Reduction::None;
  if (p.D == 1) {
    ctx.open("for (int32_t i = 0; i < {}; ++i) {{", p.N);
    emit_label_step(p, ctx, "x1[i]", fmt::format("-x0[i * {} + (int32_t)t]", p.C), "y0[i]");
    ctx.close();
  } else {
    ctx.open("for (int32_t i = 0; i < {}; ++i) {{", p.N);
    ctx.line("const {} *xi = x0 + i * {};", p.ct, p.C * p.D);
    ctx.line("const {} *ti = x1 + i * {};", p.lct, p.D);
    if (none) ctx.line("{} *yi = y0 + i * {};", p.ct, p.D);
    ctx.open("for (int32_t d = 0; d < {}; ++d) {{", p.D);
    emit_label_step(p, ctx, "ti[d]", fmt::format("-xi[(int32_t)t * {} + d]", p.D), "yi[d]");
    ctx.close();
    ctx.close();
  }
  emit_result(p, ctx);
}

// SCE: log_prob = x - logsumexp_c(x) (max-shifted), then NLL on log_prob; loss = lse - x[t].
void emit_SoftmaxCrossEntropyLoss(const Node& n, KernelCtx& ctx) {
  const Params p = params(n);
  const bool lp = n.out(1) != nullptr;
  ctx.set_name(kernel_name("sce", p, lp));
  emit_accumulators(p, ctx);
  const bool none = p.red == Reduction::None;
  const std::string ct = p.ct;
  if (p.D == 1) {
    ctx.open("for (int32_t i = 0; i < {}; ++i) {{", p.N);
    ctx.line("const {} *xi = x0 + i * {};", ct, p.C);
    ctx.line("{} m = xi[0];", ct);
    if (p.C > 1) ctx.line("for (int32_t c = 1; c < {}; ++c) m = xi[c] > m ? xi[c] : m;", p.C);
    ctx.line("{} s = {};", ct, p.lit(0));
    ctx.line("for (int32_t c = 0; c < {}; ++c) s += {}(xi[c] - m);", p.C, p.f("exp"));
    ctx.line("const {} lse = m + {}(s);", ct, p.f("log"));
    if (lp) {
      ctx.line("{} *li = y1 + i * {};", ct, p.C);
      ctx.line("for (int32_t c = 0; c < {}; ++c) li[c] = xi[c] - lse;", p.C);
    }
    emit_label_step(p, ctx, "x1[i]", "lse - xi[(int32_t)t]", "y0[i]");
    ctx.close();
  } else {
    const std::string scr = ctx.scratch(2 * static_cast<size_t>(p.D) * ir::dtype_size(p.dt), ct);
    ctx.line("{} *m = {};", ct, scr);
    ctx.line("{} *s = m + {};", ct, p.D);
    ctx.open("for (int32_t i = 0; i < {}; ++i) {{", p.N);
    ctx.line("const {} *xi = x0 + i * {};", ct, p.C * p.D);
    ctx.line("const {} *ti = x1 + i * {};", p.lct, p.D);
    if (none) ctx.line("{} *yi = y0 + i * {};", ct, p.D);
    ctx.line("for (int32_t d = 0; d < {}; ++d) {{ m[d] = xi[d]; s[d] = {}; }}", p.D, p.lit(0));
    if (p.C > 1) {
      ctx.open("for (int32_t c = 1; c < {}; ++c) {{", p.C);
      ctx.line("const {} *xc = xi + c * {};", ct, p.D);
      ctx.line("for (int32_t d = 0; d < {}; ++d) m[d] = xc[d] > m[d] ? xc[d] : m[d];", p.D);
      ctx.close();
    }
    ctx.open("for (int32_t c = 0; c < {}; ++c) {{", p.C);
    ctx.line("const {} *xc = xi + c * {};", ct, p.D);
    ctx.line("for (int32_t d = 0; d < {}; ++d) s[d] += {}(xc[d] - m[d]);", p.D, p.f("exp"));
    ctx.close();
    ctx.line("for (int32_t d = 0; d < {}; ++d) m[d] += {}(s[d]);", p.D, p.f("log"));
    if (lp) {
      ctx.open("for (int32_t c = 0; c < {}; ++c) {{", p.C);
      ctx.line("const {} *xc = xi + c * {};", ct, p.D);
      ctx.line("{} *lc = y1 + i * {} + c * {};", ct, p.C * p.D, p.D);
      ctx.line("for (int32_t d = 0; d < {}; ++d) lc[d] = xc[d] - m[d];", p.D);
      ctx.close();
    }
    ctx.open("for (int32_t d = 0; d < {}; ++d) {{", p.D);
    emit_label_step(p, ctx, "ti[d]", fmt::format("m[d] - xi[(int32_t)t * {} + d]", p.D), "yi[d]");
    ctx.close();
    ctx.close();
  }
  emit_result(p, ctx);
}

}  // namespace tinyaot
