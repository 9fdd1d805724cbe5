// Kernels of Conv and ConvTranspose, specialised per layer (every shape, stride, pad and dilation
// is a literal). Conv has three paths:
//  - pointwise (1x1, stride 1, no pads): per group a GEMM Y[M,P] = W[M,C] X[C,P] with register
//    blocking over 4 output pixels (emitted by the gemm family's emit_matmul helper);
//  - depthwise (one input channel per group): no channel reduction loop;
//  - general direct convolution: output-stationary, accumulating in a register. The innermost
//    spatial dim is split into left border / interior / right border; the interior has constant
//    kernel loop bounds (unrollable, no checks), borders and outer dims use per-position valid
//    kernel ranges computed once per output row/position, never per tap.
// ConvTranspose scatters each input tap into the output with the valid input range per kernel
// tap precomputed at compile time (no bounds checks in the loops).
#include <functional>
#include <map>
#include <string>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/conv_host.h"
#include "codegen/kernels/conv_util.h"
#include "codegen/kernels/kernel_util.h"
#include "codegen/kernels/sparse.h"
#include "compiler/ops/conv.h"
#include "compiler/ops/activation.h"
#include "compiler/ops/pos_bias.h"
#include "compiler/ops/registry.h"
#include "compiler/ops/residual.h"

namespace tinyaot {

namespace codegen {
// Defined in codegen/kernels/gemm.cpp.
void emit_matmul(
    KernelCtx& ctx, const std::string& ct, int64_t M, int64_t N, int64_t K, const std::string& a, int64_t sai,
    int64_t sak, const std::string& b, int64_t sbk, int64_t sbj, const std::string& y, int64_t syi,
    const std::function<std::string(const std::string&, const std::string&, const std::string&)>& epi,
    const act::Activation& fused);
}  // namespace codegen

using codegen::KernelCtx;

namespace {

using namespace codegen::convk;

int64_t floor_div(int64_t a, int64_t b) {  // b > 0
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

void emit_conv(const ir::Node& n, KernelCtx& ctx) {
  auto g = conv_geometry(n);
  const ir::DType dt = n.outputs[0]->dtype;
  const std::string ct = ir::dtype_ctype(dt);
  const int64_t N = g["dims"][0], C = g["dims"][1], M = g["dims"][2], G = g["dims"][3];
  const int64_t Cg = C / G, Mg = M / G;
  const auto &in = g["in"], &out = g["out"], &k = g["kernel"], &s = g["strides"], &d = g["dilations"],
             &pb = g["pads_begin"], &pe = g["pads_end"];
  const size_t r = in.size();
  int64_t IS = 1, OS = 1, KS = 1;
  for (size_t i = 0; i < r; ++i) IS *= in[i], OS *= out[i], KS *= k[i];
  const bool has_bias = n.inputs.size() > 2 && n.inputs[2];
  const std::string zero = KernelCtx::literal(0, dt);
  // A fused activation (fuse-activation pass) is applied to each accumulator before its store.
  const act::Activation fused = act::parse(n);
  // A fused residual (fuse-residual-add) is read at the output's own index and added before the
  // activation; x3 may be the output buffer itself (planned in place), which is safe because
  // element i of it is read just before element i of the output is written.
  const bool res = residual::has(n);
  const std::string act_sfx = (res ? "_res" : "") + act::name_suffix(fused);

  // Per-position bias (prune-zero-channels): [M][row class][column class], added with the bias.
  const posb::PosBias pos = posb::parse(n, M, n.outputs[0]->shape);
  std::string pos_tab, pos_rows, pos_cols;
  if (pos) {
    if (G != 1) ops::fail(n, "tinyaot_pos_bias needs group 1");
    pos_tab = ctx.const_table("pos_bias", dt, pos.table);
    pos_rows =
        ctx.const_table("pos_rows", ir::DType::I32, std::vector<double>(pos.rows.begin(), pos.rows.end()));
    pos_cols =
        ctx.const_table("pos_cols", ir::DType::I32, std::vector<double>(pos.cols.begin(), pos.cols.end()));
  }
  auto pos_term = [&](const std::string& m, const std::string& oh, const std::string& ow) {
    return fmt::format("{}[(({}) * {} + {}[{}]) * {} + {}[{}]]", pos_tab, m, pos.R, pos_rows, oh, pos.Cc,
                       pos_cols, ow);
  };
  bool pointwise = KS == 1;
  for (size_t i = 0; i < r; ++i) pointwise = pointwise && s[i] == 1 && pb[i] == 0 && pe[i] == 0;
  const std::string base = fmt::format("conv{}d_{}", r, ir::dtype_name(dt));

  if (pointwise) {
    // Per image and group: Y[Mg, P] = W[Mg, Cg] * X[Cg, P] (+ bias per output channel).
    ctx.set_name(base + "_pw" + (G > 1 ? fmt::format("_g{}", G) : "") + act_sfx);
    ctx.open("for (int32_t n = 0; n < {}; ++n) {{", N);
    if (G > 1) ctx.open("for (int32_t g = 0; g < {}; ++g) {{", G);
    const std::string gv = G > 1 ? "g" : "0";
    ctx.line("const {}* xg = x0 + {};", ct, add_off(mul("n", C * IS), mul(gv, Cg * IS)));
    ctx.line("const {}* wg = x1{};", ct, G > 1 ? " + " + mul("g", Mg * Cg) : "");
    ctx.line("{}* yg = y0 + {};", ct, add_off(mul("n", M * OS), mul(gv, Mg * OS)));
    if (has_bias) ctx.line("const {}* bg = x2{};", ct, G > 1 ? " + " + mul("g", Mg) : "");
    if (res) ctx.line("const {}* rg = x3 + {};", ct, add_off(mul("n", M * OS), mul(gv, Mg * OS)));
    auto epi = [&](const std::string& acc, const std::string& i, const std::string& j) {
      std::string e = has_bias ? fmt::format("{} + bg[{}]", acc, i) : acc;
      if (pos) e += " + " + pos_term(i, fmt::format("{} / {}", j, out[1]), fmt::format("{} % {}", j, out[1]));
      // Left-associative: (conv + bias) + residual, the rounding order of the separate Add.
      if (res) e += fmt::format(" + rg[{}]", add_off(mul(i, OS), j));
      return e;
    };
    // AVX-512 hosts: few pixels take output channels as lanes (conv_host_v16.cpp).
    const ir::Value* wv = n.inputs[1]->value.get();
    const bool chan_v16 = codegen::hostk::pointwise_channels_v16_fit(ct, G, Mg, OS, wv);
    if (chan_v16) {
      ctx.raw(codegen::hostk::kV16If);
      ctx.line("(void)wg;");
      codegen::hostk::emit_pointwise_channels_v16(ctx, Mg, OS, Cg, *wv, "xg", "yg", epi, fused);
      ctx.raw("#else\n");
    }
    codegen::emit_matmul(ctx, ct, Mg, OS, Cg, "wg", Cg, 1, "xg", OS, 1, "yg", OS, epi, fused);
    if (chan_v16) ctx.raw("#endif\n");
    if (G > 1) ctx.close();
    ctx.close();
    return;
  }

  const bool dw = Cg == 1;
  std::string name = base + "_k" + join_x(k, false) + "s" + join_x(s, true);
  bool dil = false;
  for (int64_t x : d) dil = dil || x != 1;
  if (dil) name += "d" + join_x(d, true);
  if (dw && G > 1)
    name += "_dw";
  else if (G > 1)
    name += fmt::format("_g{}", G);
  ctx.set_name(name + (ctx.in_place_output() && dw && Mg == 1 && OS <= IS ? "_inplace" : "") + act_sfx);

  // 2-D float convolutions also get output-row tiles for hosts with a vector unit (conv_host.h);
  // the direct loops below stay in the #else branch for Cortex-M, with the same summation order.
  const bool tiles = r == 2 && !pos && (dt == ir::DType::F32 || dt == ir::DType::F64);
  if (tiles) {
    codegen::hostk::Conv2dShape cs{ct,     N,      C,     M,        G,    in[0], in[1],
                                   out[0], out[1], k[0],  k[1],     s[0], s[1],  d[0],
                                   d[1],   pb[0],  pb[1], has_bias, res,  "",    n.inputs[1]->value.get()};
    if (ctx.in_place_output() && dw && Mg == 1 && OS <= IS)
      cs.in_place_scratch = ctx.scratch(static_cast<size_t>(OS) * ir::dtype_size(dt), ct);
    ctx.raw(codegen::hostk::kSimdIf);
    codegen::hostk::emit_conv2d_tiles(ctx, cs, fused);
    ctx.raw("#else\n");
  }

  std::vector<int64_t> istr(r, 1), ostr(r, 1), kstr(r, 1);
  for (size_t i = r - 1; i-- > 0;) {
    istr[i] = istr[i + 1] * in[i + 1];
    ostr[i] = ostr[i + 1] * out[i + 1];
    kstr[i] = kstr[i + 1] * k[i + 1];
  }
  // MB output channels of a group are computed together so each input load feeds MB
  // accumulators (for depthwise this applies to a channel multiplier > 1).
  const int64_t MB = Mg % 4 == 0 ? 4 : Mg % 2 == 0 ? 2 : 1;
  const int64_t WB = Cg * KS;  // weight elements per output channel

  ctx.open("for (int32_t n = 0; n < {}; ++n) {{", N);
  if (G > 1) ctx.open("for (int32_t g = 0; g < {}; ++g) {{", G);
  const std::string gv = G > 1 ? "g" : "0";
  ctx.line("const {}* xg = x0 + {};", ct, add_off(mul("n", C * IS), mul(gv, Cg * IS)));
  if (Mg > 1) {
    ctx.open("for (int32_t mm = 0; mm < {}; mm += {}) {{", Mg, MB);
    ctx.line("const int32_t m = {};", add_off(mul(gv, Mg), "mm"));
  } else {
    ctx.open("{{");
    ctx.line("const int32_t m = {};", gv);
  }
  ctx.line("const {}* wm = x1 + {};", ct, mul("m", WB));
  // In place (the output overwrites the input, TinyEngine style): each channel is computed into a
  // one-channel scratch and copied over its slot afterwards. Output channel m lands within the
  // input channels 0..m, all of which are consumed by then, because OS <= IS.
  const bool in_place = ctx.in_place_output() && dw && Mg == 1 && OS <= IS;
  if (in_place) {
    const std::string sc = ctx.scratch(static_cast<size_t>(OS) * ir::dtype_size(dt), ct);
    ctx.line("{}* ym = {};", ct, sc);
  } else {
    ctx.line("{}* ym = y0 + {};", ct, add_off(mul("n", M * OS), mul("m", OS)));
  }
  if (res) ctx.line("const {}* rm = x3 + {};", ct, add_off(mul("n", M * OS), mul("m", OS)));
  for (int64_t t = 0; t < MB; ++t)
    ctx.line("const {} bias{} = {};", ct, t, has_bias ? fmt::format("x2[{}]", add_const("m", t)) : zero);

  TapBounds tb(r);
  const auto &klo = tb.klo, &khi = tb.khi;
  const auto& bord = tb.border;
  const int64_t& PB = tb.positions;  // innermost output positions computed together (interior only)
  const size_t L = r - 1;
  // The innermost body: accumulators, channel loop, kernel loops, stores.
  auto body = [&]() {
    std::string yoff = "0";
    for (size_t i = 0; i < r; ++i) yoff = add_off(yoff, mul("o" + std::to_string(i), ostr[i]));
    auto acc = [&](int64_t t, int64_t p) { return fmt::format("acc{}_{}", t, p); };
    std::string accs;
    for (int64_t t = 0; t < MB; ++t)
      for (int64_t p = 0; p < PB; ++p)
        accs += fmt::format("{}{} = bias{}", accs.empty() ? "" : ", ", acc(t, p), t);
    ctx.line("{} {};", ct, accs);
    std::string xc = "xg", wc = "wm";
    if (!dw) {
      ctx.open("for (int32_t c = 0; c < {}; ++c) {{", Cg);
      ctx.line("const {}* xc = xg + {};", ct, mul("c", IS));
      ctx.line("const {}* wc = wm + {};", ct, mul("c", KS));
      xc = "xc";
      wc = "wc";
    }
    const std::string kL = "k" + std::to_string(L);
    const std::string xi = emit_tap_rows(ctx, L, klo, khi, d, istr, kstr, bord[L], ct, ct, xc, wc);
    if (MB == 1 && PB == 1) {
      ctx.line("for (int32_t {0} = {1}; {0} < {2}; ++{0}) acc0_0 += xr[{3}] * wr[{0}];", kL, klo[L], khi[L],
               xi);
    } else {
      // Per tap: MB weights and PB inputs feed MB*PB accumulators.
      ctx.open("for (int32_t {0} = {1}; {0} < {2}; ++{0}) {{", kL, klo[L], khi[L]);
      for (int64_t t = 0; t < MB; ++t)
        ctx.line("const {} wv{} = wr[{}];", ct, t, add_off(kL, std::to_string(t * WB)));
      for (int64_t p = 0; p < PB; ++p)
        ctx.line("const {} xv{} = xr[{}];", ct, p, p ? add_const(xi, p * s[L]) : xi);
      for (int64_t t = 0; t < MB; ++t)
        for (int64_t p = 0; p < PB; ++p) ctx.line("{} += xv{} * wv{};", acc(t, p), p, t);
      ctx.close();
    }
    for (size_t i = 0; i < L; ++i) ctx.close();
    if (!dw) ctx.close();
    for (int64_t t = 0; t < MB; ++t)
      for (int64_t p = 0; p < PB; ++p) {
        if (pos) ctx.line("{} += {};", acc(t, p), pos_term(add_const("m", t), "o0", add_const("o1", p)));
        if (res) ctx.line("{} += rm[{}];", acc(t, p), add_off(std::to_string(t * OS + p), yoff));
        if (fused) ctx.line("{}", act::c_stmt(fused, acc(t, p), dt));
        ctx.line("ym[{}] = {};", add_off(std::to_string(t * OS + p), yoff), acc(t, p));
      }
  };
  // Interior of the innermost dim: blocks of PBI positions.
  const int64_t PBI = MB == 4 ? 2 : 4;
  emit_output_regions(ctx, out, in, k, s, d, pb, PBI, /*one_loop_depth=*/true, tb, body);
  if (in_place)
    ctx.line("memcpy(y0 + {}, ym, {});", add_off(mul("n", M * OS), mul("m", OS)),
             static_cast<size_t>(OS) * ir::dtype_size(dt));
  ctx.close();  // mm
  if (G > 1) ctx.close();
  ctx.close();  // n
  if (tiles) ctx.raw("#endif\n");
}

}  // namespace

void emit_Conv(const ir::Node& n, KernelCtx& ctx) {
  // Sparse kernels have no residual epilogue: fused residual convs stay dense.
  if (!residual::has(n) && codegen::sparse::emit_conv(n, ctx)) return;  // sparse weights where smaller
  emit_conv(n, ctx);
}

void emit_ConvTranspose(const ir::Node& n, KernelCtx& ctx) {
  auto g = conv_geometry(n);
  const ir::DType dt = n.outputs[0]->dtype;
  const std::string ct = ir::dtype_ctype(dt);
  const int64_t N = g["dims"][0], C = g["dims"][1], M = g["dims"][2], G = g["dims"][3];
  const int64_t Cg = C / G, Mg = M / G;
  const auto &in = g["in"], &out = g["out"], &k = g["kernel"], &s = g["strides"], &d = g["dilations"],
             &pb = g["pads_begin"];
  const size_t r = in.size();
  int64_t IS = 1, OS = 1, KS = 1;
  for (size_t i = 0; i < r; ++i) IS *= in[i], OS *= out[i], KS *= k[i];
  const bool has_bias = n.inputs.size() > 2 && n.inputs[2];
  std::string name =
      fmt::format("convtranspose{}d_{}_k{}s{}", r, ir::dtype_name(dt), join_x(k, false), join_x(s, true));
  if (G > 1) name += fmt::format("_g{}", G);
  const act::Activation fused = act::parse(n);
  ctx.set_name(name + act::name_suffix(fused));
  std::vector<int64_t> istr(r, 1), ostr(r, 1), kstr(r, 1);
  for (size_t i = r - 1; i-- > 0;) {
    istr[i] = istr[i + 1] * in[i + 1];
    ostr[i] = ostr[i + 1] * out[i + 1];
    kstr[i] = kstr[i + 1] * k[i + 1];
  }
  // Per dim and tap: the input positions [lo, hi) whose output o = i*s + k*d - p is in range.
  std::vector<std::string> lo_t(r), hi_t(r);
  for (size_t i = 0; i < r; ++i) {
    std::vector<double> lo, hi;
    for (int64_t kk = 0; kk < k[i]; ++kk) {
      // o = ii * s + c must lie in [0, out): ii in [ceil(-c / s), floor((out - 1 - c) / s)], clipped
      // to the input. Closed form, because in x k can reach billions on hostile shapes.
      const int64_t c = kk * d[i] - pb[i];
      int64_t a = std::max<int64_t>(0, -floor_div(c, s[i]));
      int64_t b = std::min<int64_t>(in[i], floor_div(out[i] - 1 - c, s[i]) + 1);
      if (a >= b) a = b = 0;
      lo.push_back(static_cast<double>(a));
      hi.push_back(static_cast<double>(b));
    }
    lo_t[i] = ctx.const_table(fmt::format("lo{}", i), ir::DType::I32, lo);
    hi_t[i] = ctx.const_table(fmt::format("hi{}", i), ir::DType::I32, hi);
  }
  ctx.open("for (int32_t n = 0; n < {}; ++n) {{", N);
  ctx.open("for (int32_t m = 0; m < {}; ++m) {{", M);
  ctx.line("{}* ym = y0 + {};", ct, add_off(mul("n", M * OS), mul("m", OS)));
  ctx.line("const {} bias = {};", ct, has_bias ? "x2[m]" : KernelCtx::literal(0, dt));
  ctx.line("for (int32_t e = 0; e < {}; ++e) ym[e] = bias;", OS);
  if (G > 1) {
    ctx.line("const int32_t g = m / {};", Mg);
    ctx.line("const int32_t mm = m - g * {};", Mg);
  }
  const std::string gv = G > 1 ? "g" : "0", mv = G > 1 ? "mm" : "m";
  ctx.open("for (int32_t c = 0; c < {}; ++c) {{", Cg);
  ctx.line("const int32_t ci = {};", add_off(mul(gv, Cg), "c"));
  ctx.line("const {}* xc = x0 + {};", ct, add_off(mul("n", C * IS), mul("ci", IS)));
  ctx.line("const {}* wc = x1 + {};", ct, add_off(mul("ci", Mg * KS), mul(mv, KS)));
  std::string woff = "0";
  for (size_t i = 0; i < r; ++i) {
    ctx.open("for (int32_t k{0} = 0; k{0} < {1}; ++k{0}) {{", i, k[i]);
    woff = add_off(woff, mul("k" + std::to_string(i), kstr[i]));
  }
  ctx.line("const {} wv = wc[{}];", ct, woff);
  std::string xoff = "0", yoff = "0";
  for (size_t i = 0; i < r; ++i) {
    const std::string iv = "i" + std::to_string(i), kv = "k" + std::to_string(i);
    // output index along dim i
    std::string o = add_const(add_off(mul(iv, s[i]), mul(kv, d[i])), -pb[i]);
    if (i + 1 < r) {
      ctx.open("for (int32_t {0} = {1}[{2}]; {0} < {3}[{2}]; ++{0}) {{", iv, lo_t[i], kv, hi_t[i]);
      xoff = add_off(xoff, mul(iv, istr[i]));
      yoff = add_off(yoff, mul("(" + o + ")", ostr[i]));
    } else {
      ctx.line("const {}* xr = xc{};", ct, xoff == "0" ? "" : " + " + xoff);
      ctx.line("{}* yr = ym{};", ct, yoff == "0" ? "" : " + " + yoff);
      ctx.line("const int32_t ob = {};", add_const(mul(kv, d[i]), -pb[i]));
      ctx.line("for (int32_t {0} = {1}[{2}]; {0} < {3}[{2}]; ++{0}) yr[{4}] += wv * xr[{0}];", iv, lo_t[i],
               kv, hi_t[i], add_off(mul(iv, s[i]), "ob"));
    }
  }
  for (size_t i = 0; i + 1 < r; ++i) ctx.close();
  for (size_t i = 0; i < r; ++i) ctx.close();
  ctx.close();  // c
  if (fused) {
    // Fused activation: the scatter completes channel m's output only after all input channels,
    // so it is applied to that channel's (still hot) block here, inside the same kernel.
    ctx.open("for (int32_t e = 0; e < {}; ++e) {{", OS);
    ctx.line("{} v = ym[e];", ct);
    ctx.line("{}", act::c_stmt(fused, "v", dt));
    ctx.line("ym[e] = v;");
    ctx.close();
  }
  ctx.close();  // m
  ctx.close();  // n
}

}  // namespace tinyaot
