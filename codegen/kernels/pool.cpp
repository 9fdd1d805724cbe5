// Kernels of pooling ops (MaxPool, AveragePool, LpPool and the Global forms), specialised per
// layer: sizes, strides, dilations and pads are literals. Padding checks are hoisted out of the
// window loops: per spatial dim, output positions whose window lies inside the input (the
// interior, known at compile time) run the full window with no clipping; only border positions
// clip their tap range (once per output row/column, never per tap).
#include <cmath>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/arm_dsp_eltwise.h"
#include "codegen/kernels/arm_dsp_pool.h"
#include "codegen/kernels/kernel_util.h"
#include "compiler/ops/pool.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using codegen::KernelCtx;
using ir::DType;

namespace {

enum class Kind { Max, Avg, Lp };

// Math function name for the element type ("sqrtf" for float, "sqrt" for double).
std::string mfn(const char* name, DType t) {
  return t == DType::F32 ? std::string(name) + "f" : name;
}

std::string dims_tag(const std::vector<int64_t>& v) {
  bool same = true;
  for (int64_t x : v) same = same && x == v[0];
  std::string s;
  for (size_t i = 0; i < (same ? 1 : v.size()); ++i) s += (i ? "x" : "") + std::to_string(v[i]);
  return s;
}

double lowest_of(DType t) {
  switch (t) {
    case DType::I8: return -128;
    case DType::U8: return 0;
    case DType::F64: return -1.7976931348623157e308;
    default: return -3.4028234663852886e38;  // -FLT_MAX
  }
}

double lp_p(const ir::Node& n) {
  const ir::Attribute* a = n.attrs.find("p");
  if (!a) return 2;
  return a->kind == ir::Attribute::Kind::Float ? a->f : static_cast<double>(a->i);
}

// "a + b" without "+ 0" / "* 1" noise.
std::string times(const std::string& v, int64_t k) {
  return k == 1 ? v : fmt::format("{} * {}", v, k);
}

void emit_pool(const ir::Node& n, KernelCtx& ctx, Kind kind) {
  const ir::Shape& xs = n.inputs[0]->shape;
  // fuse-dequantize: the window sum is taken over the integers x - zp (exact, in int32) and the
  // average is ((float)sum * scale) / (float)count, the same two float roundings as the reference
  // evaluator (compiler/ops/pool.cpp). Summing dequantized floats made ties of the following
  // QuantizeLinear depend on the summation order.
  const bool dq = n.attrs.has("tinyaot_dq_scale");
  const DType t = dq ? DType::F32 : n.inputs[0]->dtype;
  const char* ct = ir::dtype_ctype(t);
  const char* xct = ir::dtype_ctype(n.inputs[0]->dtype);
  const char* vt = dq ? "int32_t" : ct;  // type of one loaded element and of the sum
  const std::string dq_scale =
      dq ? KernelCtx::literal(n.attrs.get_float("tinyaot_dq_scale", 1.f), DType::F32) : std::string();
  auto load = [&](const std::string& e) {
    if (!dq) return e;
    const int64_t zp = n.attrs.get_int("tinyaot_dq_zp", 0);
    if (zp == 0) return fmt::format("(int32_t){}", e);
    return fmt::format("(int32_t){} - {}", e, zp);
  };
  std::vector<int64_t> kernel, strides, dil, pb, pe, osz;
  pool_detail::pool_geometry(n, xs, kernel, strides, dil, pb, pe, osz);
  const size_t r = kernel.size();
  const int64_t nc = xs[0] * xs[1];
  int64_t sin = 1, sout = 1, ktaps = 1;
  std::vector<int64_t> ist(r, 1), cst(r, 1);  // row-major and column-major spatial strides
  for (size_t d = r; d-- > 0;) {
    ist[d] = sin;
    sin *= xs[2 + d];
  }
  for (size_t d = 1; d < r; ++d) cst[d] = cst[d - 1] * xs[2 + d - 1];
  for (size_t d = 0; d < r; ++d) {
    sout *= osz[d];
    ktaps *= kernel[d];
  }
  const bool want_idx = n.outputs.size() > 1 && n.outputs[1] != nullptr;
  const bool col_major = n.attrs.get_int("storage_order", 0) != 0;
  const bool include_pad = n.attrs.get_int("count_include_pad", 0) != 0;
  const double p = kind == Kind::Lp ? lp_p(n) : 2;
  const char* base = kind == Kind::Max ? "maxpool" : kind == Kind::Avg ? "avgpool" : "lppool";

  bool any_pad = false, any_dil = false, whole = true;
  for (size_t d = 0; d < r; ++d) {
    any_pad = any_pad || pb[d] || pe[d];
    any_dil = any_dil || dil[d] != 1;
    whole = whole && kernel[d] == xs[2 + d] && osz[d] == 1 && !pb[d] && !pe[d];
  }
  if (want_idx && col_major && r > 1) whole = false;

  // Accumulator step and final value, shared by both code shapes.
  auto accumulate = [&](const std::string& v, const std::string& idx) {
    if (kind == Kind::Max) {
      if (want_idx)
        ctx.line("if ({0} > m) {{ m = {0}; mi = {1}; }}", v, idx);
      else
        ctx.line("if ({0} > m) m = {0};", v);
    } else if (kind == Kind::Avg) {
      ctx.line("s += {};", v);
    } else if (p == 1) {
      ctx.line("s += {}({});", mfn("fabs", t), v);
    } else if (p == 2) {
      ctx.line("s += {0} * {0};", v);
    } else {
      ctx.line("s += {}({}({}), {});", mfn("pow", t), mfn("fabs", t), v, KernelCtx::literal(p, t));
    }
  };
  auto init = [&]() {
    if (kind == Kind::Max) {
      ctx.line("{} m = {};", ct, KernelCtx::literal(lowest_of(t), t));
      if (want_idx) ctx.line("int32_t mi = -1;");
    } else if (dq) {
      ctx.line("int32_t s = 0;");
    } else {
      ctx.line("{} s = {};", ct, KernelCtx::literal(0, t));
    }
  };
  // Writes output element `o` given the tap count expression (Avg with clipped windows).
  auto finish = [&](const std::string& o, const std::string& count) {
    if (kind == Kind::Max) {
      ctx.line("yc[{}] = m;", o);
      if (want_idx) ctx.line("ic[{}] = mi < 0 ? -1 : cbase + mi;", o);
    } else if (kind == Kind::Avg && dq) {
      ctx.line("yc[{}] = (float)s * {} / (float)({});", o, dq_scale,
               count.empty() ? std::to_string(ktaps) : count);
    } else if (kind == Kind::Avg) {
      if (count.empty())
        ctx.line("yc[{}] = s * {};", o, KernelCtx::literal(1.0 / static_cast<double>(ktaps), t));
      else
        ctx.line("yc[{}] = s / ({})({});", o, ct, count);
    } else if (p == 1) {
      ctx.line("yc[{}] = s;", o);
    } else if (p == 2) {
      ctx.line("yc[{}] = {}(s);", o, mfn("sqrt", t));
    } else {
      ctx.line("yc[{}] = {}(s, {});", o, mfn("pow", t), KernelCtx::literal(1.0 / p, t));
    }
  };

  const bool global = n.op.rfind("Global", 0) == 0;
  if (whole) {
    ctx.set_name(fmt::format("{}{}_{}{}_n{}", global ? "global" : "", base, dq ? "dq_" : "",
                             ir::dtype_name(n.inputs[0]->dtype), sin));
    ctx.open("for (int32_t c = 0; c < {}; ++c) {{", nc);
    ctx.line("const {}* xc = x0 + c * {};", xct, sin);
    ctx.line("{}* yc = y0 + c;", ct);
    if (want_idx) {
      ctx.line("int64_t* ic = y1 + c;");
      ctx.line("const int64_t cbase = (int64_t)c * {};", sin);
    }
    init();
    auto loop = [&]() {
      ctx.open("for (int32_t i = 0; i < {}; ++i) {{", sin);
      ctx.line("const {} v = {};", vt, load("xc[i]"));
      accumulate("v", "i");
      ctx.close();
    };
    // Cortex-M: an int8 window sum through USADA8 / VADDVA (codegen/kernels/arm_dsp_eltwise.cpp).
    const DType xt = n.inputs[0]->dtype;
    if (dq && kind == Kind::Avg && (xt == DType::I8 || xt == DType::U8))
      codegen::arm::emit_byte_sum(ctx, "s", "xc", sin, xt == DType::U8, n.attrs.get_int("tinyaot_dq_zp", 0),
                                  loop);
    else
      loop();
    finish("0", "");
    ctx.close();
    return;
  }

  std::string name =
      fmt::format("{}{}d_{}_k{}s{}", base, r,
                  (dq ? std::string("dq_") : std::string()) + ir::dtype_name(n.inputs[0]->dtype),
                  dims_tag(kernel), dims_tag(strides));
  if (any_dil) name += "d" + dims_tag(dil);
  if (any_pad) name += "_pad";
  ctx.set_name(name);
  // Cortex-M: 8-bit MaxPool through byte-lane maxima (arm_dsp_pool.cpp, arm_mve_pool.cpp) first.
  codegen::arm::MaxPoolPlan mp;
  if (kind == Kind::Max && !dq && !want_idx &&
      codegen::arm::plan_maxpool(xs, n.inputs[0]->dtype, kernel, strides, dil, pb, osz, mp))
    codegen::arm::emit_maxpool_target(ctx, mp);

  ctx.open("for (int32_t c = 0; c < {}; ++c) {{", nc);
  ctx.line("const {}* xc = x0 + c * {};", xct, sin);
  ctx.line("{}* yc = y0 + c * {};", ct, sout);
  if (want_idx) {
    ctx.line("int64_t* ic = y1 + c * {};", sout);
    ctx.line("const int64_t cbase = (int64_t)c * {};", sin);
  }
  ctx.line("int32_t oi = 0;");
  std::vector<std::string> ka(r), kb(r), cnt(r);
  bool variable_count = false;
  for (size_t d = 0; d < r; ++d) {
    const int64_t in = xs[2 + d], K = kernel[d], S = strides[d], D = dil[d], P = pb[d];
    const int64_t eff = (K - 1) * D + 1;
    ctx.open("for (int32_t o{0} = 0; o{0} < {1}; ++o{0}) {{", d, osz[d]);
    std::string start = times("o" + std::to_string(d), S);
    if (P) start += fmt::format(" - {}", P);
    ctx.line("const int32_t i{} = {};", d, start);
    // Interior output range [lo, hi): window fully inside [0, in).
    const int64_t lo = (P + S - 1) / S;
    const int64_t hspan = in + P - eff;
    const int64_t hi = std::min<int64_t>(osz[d], hspan < 0 ? 0 : hspan / S + 1);
    const bool border = lo > 0 || hi < osz[d];
    // With count_include_pad the divisor counts taps inside [-pb, in + pe); only ceil_mode can
    // push a window beyond that.
    const bool past_end = (osz[d] - 1) * S - P + eff > in + pe[d];
    if (!border) {
      ka[d] = "0";
      kb[d] = std::to_string(K);
      cnt[d] = std::to_string(K);
    } else {
      ka[d] = fmt::format("k{}a", d);
      kb[d] = fmt::format("k{}b", d);
      ctx.line("int32_t k{0}a = 0, k{0}b = {1};", d, K);
      if (kind == Kind::Avg && include_pad) {
        if (past_end) {
          ctx.line("int32_t n{} = {};", d, K);
          cnt[d] = fmt::format("n{}", d);
        } else {
          cnt[d] = std::to_string(K);
        }
      } else {
        cnt[d] = fmt::format("(k{0}b - k{0}a)", d);
      }
      variable_count = variable_count || cnt[d] != std::to_string(K);
      const bool always = hi <= lo;
      std::string cond;
      if (lo > 0) cond = fmt::format("o{} < {}", d, lo);
      if (hi < osz[d]) cond += fmt::format("{}o{} >= {}", cond.empty() ? "" : " || ", d, hi);
      if (always)
        ctx.open("{{");
      else
        ctx.open("if ({}) {{", cond);
      if (D == 1) {
        if (lo > 0) ctx.line("if (i{0} < 0) k{0}a = -i{0};", d);
        if (hi < osz[d]) ctx.line("if (i{0} > {1}) k{0}b = {2} - i{0};", d, in - K, in);
      } else {
        if (lo > 0) ctx.line("while (i{0} + k{0}a * {1} < 0) ++k{0}a;", d, D);
        if (hi < osz[d])
          ctx.line("while (k{0}b > k{0}a && i{0} + (k{0}b - 1) * {1} >= {2}) --k{0}b;", d, D, in);
      }
      if (cnt[d] == fmt::format("n{}", d))
        ctx.line("while (n{0} > 0 && i{0} + (n{0} - 1) * {1} >= {2}) --n{0};", d, D, in + pe[d]);
      ctx.close();
    }
  }
  init();
  for (size_t d = 0; d < r; ++d) {
    ctx.open("for (int32_t k{0} = {1}; k{0} < {2}; ++k{0}) {{", d, ka[d], kb[d]);
    std::string pos = fmt::format("i{} + {}", d, times("k" + std::to_string(d), dil[d]));
    ctx.line("const int32_t p{} = {}{};", d, d ? fmt::format("p{} + ", d - 1) : "",
             ist[d] == 1 ? "(" + pos + ")" : fmt::format("({}) * {}", pos, ist[d]));
  }
  ctx.line("const {} v = {};", vt, load(fmt::format("xc[p{}]", r - 1)));
  std::string idx = fmt::format("p{}", r - 1);
  if (want_idx && col_major && r > 1) {
    idx.clear();
    for (size_t d = 0; d < r; ++d)
      idx += fmt::format("{}(i{} + {}){}", d ? " + " : "", d, times("k" + std::to_string(d), dil[d]),
                         cst[d] == 1 ? "" : fmt::format(" * {}", cst[d]));
  }
  accumulate("v", idx);
  for (size_t d = 0; d < r; ++d) ctx.close();
  std::string count;
  if (kind == Kind::Avg && variable_count)
    for (size_t d = 0; d < r; ++d) count += (d ? " * " : "") + cnt[d];
  finish("oi", count);
  ctx.line("++oi;");
  for (size_t d = 0; d < r; ++d) ctx.close();
  ctx.close();
}

}  // namespace

void emit_MaxPool(const ir::Node& n, KernelCtx& ctx) {
  emit_pool(n, ctx, Kind::Max);
}
void emit_AveragePool(const ir::Node& n, KernelCtx& ctx) {
  emit_pool(n, ctx, Kind::Avg);
}
void emit_LpPool(const ir::Node& n, KernelCtx& ctx) {
  emit_pool(n, ctx, Kind::Lp);
}
void emit_GlobalMaxPool(const ir::Node& n, KernelCtx& ctx) {
  emit_pool(n, ctx, Kind::Max);
}
void emit_GlobalAveragePool(const ir::Node& n, KernelCtx& ctx) {
  emit_pool(n, ctx, Kind::Avg);
}
void emit_GlobalLpPool(const ir::Node& n, KernelCtx& ctx) {
  emit_pool(n, ctx, Kind::Lp);
}

}  // namespace tinyaot
