// Kernels of the com.microsoft quantized ops (family quant_ms), integer-only: products and window
// sums are requantized with the fixed-point helper of quant_math.h, unary ops and Concat inputs
// with other scales go through 256-entry tables computed at compile time, softmax uses an
// exponential table and integer division. The plans (compiler/ops/quant_ms.h) are shared with the
// reference evaluation, so kernel and evaluator compute the same integers.
#include <string>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/arm_dsp_eltwise.h"
#include "codegen/kernels/arm_mve_gemm.h"
#include "codegen/kernels/quant_emit.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/quant_ms.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using codegen::KernelCtx;
using ir::DType;
using ir::Node;

namespace {

std::vector<double> as_doubles(const std::vector<int32_t>& v) {
  return std::vector<double>(v.begin(), v.end());
}

// Emits the requantization of int32 `acc` with a compile-time multiplier (C expression).
std::string requant(KernelCtx& ctx, const std::string& acc, const quant::Requant& q, const std::string& zp,
                    int32_t lo, int32_t hi) {
  return quant::requant_call(ctx, acc, std::to_string(q.mult), std::to_string(q.shift), zp, lo, hi);
}

// Requantization tables (mult, shift) indexed by i, as static const arrays.
void requant_tables(KernelCtx& ctx, const std::vector<quant::Requant>& q, std::string& mt, std::string& st) {
  std::vector<double> m, s;
  for (const quant::Requant& r : q) {
    m.push_back(r.mult);
    s.push_back(r.shift);
  }
  mt = ctx.const_table("mult", DType::I32, m);
  st = ctx.const_table("shift", DType::I32, s);
}

std::string lut_index(const std::string& x, int32_t lo) {
  return lo ? fmt::format("(int32_t){} + {}", x, -lo) : x;
}

}  // namespace

void emit_QLinearMul(const Node& n, KernelCtx& ctx) {
  const DType t = n.outputs[0]->dtype;
  int32_t lo, hi;
  quant_ms::qrange(t, lo, hi);
  const quant::Requant q = quant_ms::mul_requant(n);
  const int32_t za = quant_ms::qparam(n, 1, 2).zp, zb = quant_ms::qparam(n, 4, 5).zp,
                zy = quant_ms::qparam(n, 6, 7).zp;
  const ir::Shape& ys = n.outputs[0]->shape;
  const bool flat = n.inputs[0]->shape == ys && n.inputs[3]->shape == ys;
  ctx.set_name(fmt::format("qlinearmul_{}{}", ir::dtype_name(t), flat ? "" : "_bcast"));
  std::string ia = "e", ib = "e";
  if (flat) {
    ctx.open("for (int32_t e = 0; e < {}; ++e) {{", n.outputs[0]->numel());
  } else {
    const std::vector<int64_t> sa = ops::broadcast_strides(n.inputs[0]->shape, ys);
    const std::vector<int64_t> sb = ops::broadcast_strides(n.inputs[3]->shape, ys);
    ctx.line("int32_t e = 0;");
    for (size_t d = 0; d < ys.size(); ++d)
      ctx.open("for (int32_t i{0} = 0; i{0} < {1}; ++i{0}) {{", d, ys[d]);
    ia = ib = "";
    for (size_t d = 0; d < ys.size(); ++d) {
      if (sa[d]) ia += fmt::format("{}i{} * {}", ia.empty() ? "" : " + ", d, sa[d]);
      if (sb[d]) ib += fmt::format("{}i{} * {}", ib.empty() ? "" : " + ", d, sb[d]);
    }
    if (ia.empty()) ia = "0";
    if (ib.empty()) ib = "0";
  }
  ctx.line("const int32_t p = ((int32_t)x0[{}] - {}) * ((int32_t)x3[{}] - {});", ia, za, ib, zb);
  ctx.line("y0[{}] = ({}){};", flat ? "e" : "e++", ir::dtype_ctype(t),
           requant(ctx, "p", q, std::to_string(zy), lo, hi));
  ctx.close();
  if (!flat)
    for (size_t d = 1; d < ys.size(); ++d) ctx.close();
}

namespace {
void emit_lut_unary(const Node& n, KernelCtx& ctx, const char* what) {
  const DType t = n.outputs[0]->dtype;
  int32_t lo, hi;
  quant_ms::qrange(t, lo, hi);
  const std::string lut = ctx.const_table("lut", t, as_doubles(quant_ms::unary_lut(n)));
  ctx.set_name(fmt::format("{}_{}_lut", what, ir::dtype_name(t)));
  ctx.line("for (int32_t e = 0; e < {}; ++e) y0[e] = {}[{}];", n.outputs[0]->numel(), lut,
           lut_index("x0[e]", lo));
}
}  // namespace

void emit_QLinearSigmoid(const Node& n, KernelCtx& ctx) {
  emit_lut_unary(n, ctx, "qlinearsigmoid");
}
void emit_QLinearLeakyRelu(const Node& n, KernelCtx& ctx) {
  emit_lut_unary(n, ctx, "qlinearleakyrelu");
}

// Each input is copied into its slice of the output, through a requantization table when its
// scale or zero point differs from the output's.
void emit_QLinearConcat(const Node& n, KernelCtx& ctx) {
  const DType t = n.outputs[0]->dtype;
  int32_t lo, hi;
  quant_ms::qrange(t, lo, hi);
  const ir::Shape& ys = n.outputs[0]->shape;
  const int64_t axis = ops::normalize_axis(n, n.attrs.get_int("axis", 0), static_cast<int64_t>(ys.size()));
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= ys[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < ys.size(); ++d) inner *= ys[d];
  const int64_t ylen = ys[static_cast<size_t>(axis)] * inner;
  const quant_ms::QParam yq = quant_ms::qparam(n, 0, 1);
  ctx.set_name(fmt::format("qlinearconcat_{}", ir::dtype_name(t)));
  int64_t base = 0;
  for (size_t i = 2; i < n.inputs.size(); i += 3) {
    const quant_ms::QParam xq = quant_ms::qparam(n, i + 1, i + 2);
    const int64_t len = n.inputs[i]->shape[static_cast<size_t>(axis)] * inner;
    const std::string x = KernelCtx::in(i);
    ctx.open("for (int32_t o = 0; o < {}; ++o) {{", outer);
    if (xq.scale == yq.scale && xq.zp == yq.zp) {
      ctx.line("for (int32_t e = 0; e < {}; ++e) y0[o * {} + {} + e] = {}[o * {} + e];", len, ylen, base, x,
               len);
    } else {
      const std::string lut =
          ctx.const_table(fmt::format("lut{}", i), t, as_doubles(quant_ms::requant_lut(xq, yq, t)));
      ctx.line("for (int32_t e = 0; e < {}; ++e) y0[o * {} + {} + e] = {}[{}];", len, ylen, base, lut,
               lut_index(fmt::format("{}[o * {} + e]", x, len), lo));
    }
    ctx.close();
    base += len;
  }
}

namespace {
// Average pools: per output position the window is clipped to the input at run time; the sum of
// (x - zx) is requantized with the multiplier for its count (x_scale / (y_scale * count)).
void emit_qpool(const Node& n, KernelCtx& ctx) {
  const DType t = n.outputs[0]->dtype;
  const std::string tc = ir::dtype_ctype(t);
  int32_t lo, hi;
  quant_ms::qrange(t, lo, hi);
  const quant_ms::PoolGeo g = quant_ms::pool_geometry(n);
  const int32_t zx = quant_ms::qparam(n, 1, 2).zp, zy = quant_ms::qparam(n, 3, 4).zp;
  const bool two = g.in.size() == 2;
  const int64_t H = g.in[0], W = two ? g.in[1] : 1, OH = g.out[0], OW = two ? g.out[1] : 1;
  const int64_t KH = g.k[0], KW = two ? g.k[1] : 1, SH = g.s[0], SW = two ? g.s[1] : 1;
  const int64_t PH = g.pb[0], PW = two ? g.pb[1] : 0, EH = g.pe[0], EW = two ? g.pe[1] : 0;
  if (n.op == "QLinearGlobalAveragePool") {
    ctx.set_name(fmt::format("qlinearglobalavgpool_{}{}", ir::dtype_name(t), g.channels_last ? "_nhwc" : ""));
    const quant::Requant& q = g.by_count[static_cast<size_t>(g.max_count)];
    const int64_t hw = H * W;
    ctx.open("for (int32_t b = 0; b < {}; ++b) {{", g.N);
    ctx.open("for (int32_t c = 0; c < {}; ++c) {{", g.C);
    ctx.line("int32_t acc = {};", g.tflite_avg ? 0 : -zx * hw);
    const std::string idx = g.channels_last ? fmt::format("(b * {} + i) * {} + c", hw, g.C)
                                            : fmt::format("(b * {} + c) * {} + i", g.C, hw);
    auto loop = [&]() { ctx.line("for (int32_t i = 0; i < {}; ++i) acc += x0[{}];", hw, idx); };
    if (g.channels_last)  // Cortex-M: USADA8 / VADDVA sums of contiguous planes (arm_dsp_eltwise.cpp)
      loop();
    else
      codegen::arm::emit_byte_sum(ctx, "acc", fmt::format("(x0 + (b * {} + c) * {})", g.C, hw), hw,
                                  n.inputs[0]->dtype == DType::U8, 0, loop);
    if (g.tflite_avg) {
      ctx.line("const int32_t v = acc > 0 ? (acc + {0}) / {1} : (acc - {0}) / {1};", hw / 2, hw);
      ctx.line("y0[b * {} + c] = ({})(v < {} ? {} : v > {} ? {} : v);", g.C, tc, lo, lo, hi, hi);
    } else {
      ctx.line("y0[b * {} + c] = ({}){};", g.C, tc, requant(ctx, "acc", q, std::to_string(zy), lo, hi));
    }
    ctx.close();
    ctx.close();
    return;
  }
  ctx.set_name(fmt::format("qlinearavgpool_{}_k{}x{}s{}x{}", ir::dtype_name(t), KH, KW, SH, SW));
  std::string mt, st;
  // TFLite's average divides at run time; only the ONNX form reads the per-count tables.
  if (!g.tflite_avg) requant_tables(ctx, g.by_count, mt, st);
  ctx.open("for (int32_t c = 0; c < {}; ++c) {{", g.N * g.C);
  ctx.line("const {}* xc = x0 + c * {};", tc, H * W);
  ctx.open("for (int32_t oh = 0; oh < {}; ++oh) {{", OH);
  ctx.line("const int32_t h0 = oh * {} - {};", SH, PH);
  ctx.line("const int32_t hb = h0 < 0 ? 0 : h0, he = h0 + {} > {} ? {} : h0 + {};", KH, H, H, KH);
  if (g.include_pad)
    ctx.line("const int32_t ch = (h0 + {} > {} ? {} : h0 + {}) - h0;", KH, H + EH, H + EH, KH);
  ctx.open("for (int32_t ow = 0; ow < {}; ++ow) {{", OW);
  ctx.line("const int32_t w0 = ow * {} - {};", SW, PW);
  ctx.line("const int32_t wb = w0 < 0 ? 0 : w0, we = w0 + {} > {} ? {} : w0 + {};", KW, W, W, KW);
  if (g.include_pad)
    ctx.line("const int32_t cnt = ch * ((w0 + {} > {} ? {} : w0 + {}) - w0);", KW, W + EW, W + EW, KW);
  else
    ctx.line("const int32_t cnt = (he - hb) * (we - wb);");
  ctx.line("int32_t acc = {} * (he - hb) * (we - wb);", g.tflite_avg ? 0 : -zx);
  ctx.line("for (int32_t h = hb; h < he; ++h)");
  ctx.line("  for (int32_t w = wb; w < we; ++w) acc += xc[h * {} + w];", W);
  if (g.tflite_avg) {  // TFLite: raw sum / count, half away from zero (docs/rounding.md)
    ctx.line("const int32_t v = !cnt ? {} : acc > 0 ? (acc + cnt / 2) / cnt : (acc - cnt / 2) / cnt;", zy);
    ctx.line("y0[(c * {} + oh) * {} + ow] = ({})(v < {} ? {} : v > {} ? {} : v);", OH, OW, tc, lo, lo, hi,
             hi);
  } else {
    ctx.line("y0[(c * {} + oh) * {} + ow] = ({})(cnt ? {} : {});", OH, OW, tc,
             quant::requant_call(ctx, "acc", mt + "[cnt]", st + "[cnt]", std::to_string(zy), lo, hi), zy);
  }
  ctx.close();
  ctx.close();
  ctx.close();
}
}  // namespace

void emit_QLinearAveragePool(const Node& n, KernelCtx& ctx) {
  emit_qpool(n, ctx);
}
void emit_QLinearGlobalAveragePool(const Node& n, KernelCtx& ctx) {
  emit_qpool(n, ctx);
}

// QGemm: one int32 dot product per output, per-column zero points and multipliers as tables when
// they differ between columns.
void emit_QGemm(const Node& n, KernelCtx& ctx) {
  const quant_ms::GemmGeo g = quant_ms::gemm_geometry(n);
  const DType t = n.outputs[0]->dtype;
  ctx.set_name(fmt::format("qgemm_{}_{}{}{}", ir::dtype_name(n.inputs[0]->dtype),
                           g.float_out ? "f32" : ir::dtype_name(t), g.trans_a ? "_ta" : "",
                           g.trans_b ? "_tb" : ""));
  codegen::arm::emit_qgemm_target(ctx, g);  // Cortex-M: MVE and DSP blocks first (arm_mve_gemm.cpp)
  bool zb_uniform = true;
  for (int32_t z : g.zb) zb_uniform = zb_uniform && z == g.zb[0];
  const std::string zb =
      zb_uniform ? std::to_string(g.zb[0]) : ctx.const_table("zb", DType::I32, as_doubles(g.zb)) + "[j]";
  ctx.open("for (int32_t m = 0; m < {}; ++m) {{", g.M);
  ctx.open("for (int32_t j = 0; j < {}; ++j) {{", g.N);
  if (!g.c_strides.empty())
    ctx.line("int32_t acc = x6[m * {} + j * {}];", g.c_strides[0], g.c_strides[1]);
  else
    ctx.line("int32_t acc = 0;");
  ctx.line("const int32_t zbj = {};", zb);
  const std::string ai = g.trans_a ? fmt::format("k * {} + m", g.M) : fmt::format("m * {} + k", g.K);
  const std::string bi = g.trans_b ? fmt::format("j * {} + k", g.K) : fmt::format("k * {} + j", g.N);
  ctx.line("for (int32_t k = 0; k < {}; ++k) acc += ((int32_t)x0[{}] - {}) * ((int32_t)x3[{}] - zbj);", g.K,
           ai, g.za, bi);
  if (g.float_out) {
    bool uni = true;
    for (float s : g.fscale) uni = uni && s == g.fscale[0];
    std::vector<double> fs(g.fscale.begin(), g.fscale.end());
    const std::string sc =
        uni ? KernelCtx::literal(g.fscale[0], DType::F32) : ctx.const_table("scale", DType::F32, fs) + "[j]";
    ctx.line("y0[m * {} + j] = (float)acc * {};", g.N, sc);
  } else {
    int32_t lo, hi;
    quant_ms::qrange(t, lo, hi);
    bool uni = true;
    for (const quant::Requant& q : g.rq) uni = uni && q.mult == g.rq[0].mult && q.shift == g.rq[0].shift;
    if (uni) {
      ctx.line("y0[m * {} + j] = ({}){};", g.N, ir::dtype_ctype(t),
               requant(ctx, "acc", g.rq[0], std::to_string(g.zy), lo, hi));
    } else {
      std::string mt, st;
      requant_tables(ctx, g.rq, mt, st);
      ctx.line("y0[m * {} + j] = ({}){};", g.N, ir::dtype_ctype(t),
               quant::requant_call(ctx, "acc", mt + "[j]", st + "[j]", std::to_string(g.zy), lo, hi));
    }
  }
  ctx.close();
  ctx.close();
}

// QLinearSoftmax: per row the maximum, the sum of table exponentials (uint32: at most 2^16 per
// element) and one 64-bit division per element (quant_ms::softmax_out).
void emit_QLinearSoftmax(const Node& n, KernelCtx& ctx) {
  const DType t = n.outputs[0]->dtype;
  int32_t lo, hi;
  quant_ms::qrange(t, lo, hi);
  const quant_ms::SoftmaxPlan p = quant_ms::softmax_plan(n);
  std::vector<double> et(p.exp_table.begin(), p.exp_table.end());
  const std::string tab = ctx.const_table("exp", DType::I32, et);
  ctx.set_name(fmt::format("qlinearsoftmax_{}", ir::dtype_name(t)));
  ctx.open("for (int32_t o = 0; o < {}; ++o) {{", p.outer);
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", p.inner);
  ctx.line("const int32_t base = o * {} + i;", p.len * p.inner);
  ctx.line("int32_t mx = {};", lo);
  ctx.line("for (int32_t j = 0; j < {}; ++j) if ((int32_t)x0[base + j * {}] > mx) mx = x0[base + j * {}];",
           p.len, p.inner, p.inner);
  ctx.line("int64_t sum = 0;");
  ctx.line("for (int32_t j = 0; j < {}; ++j) sum += {}[mx - (int32_t)x0[base + j * {}]];", p.len, tab,
           p.inner);
  ctx.line("const int64_t den = sum << {};", p.k);
  ctx.open("for (int32_t j = 0; j < {}; ++j) {{", p.len);
  ctx.line("const int64_t e = {}[mx - (int32_t)x0[base + j * {}]];", tab, p.inner);
  ctx.line("int64_t v = (2 * e * {}LL + den) / (2 * den) + {};", p.R, p.zy);
  ctx.line("y0[base + j * {}] = ({})(v < {} ? {} : v > {} ? {} : v);", p.inner, ir::dtype_ctype(t), lo, lo,
           hi, hi);
  ctx.close();
  ctx.close();
  ctx.close();
}

}  // namespace tinyaot
