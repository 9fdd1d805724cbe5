// Kernels of the 'lut' family: one table load per element (the table is a 256-byte weight).
#include "codegen/kernel_ctx.h"
#include "codegen/kernels/quant_emit.h"
#include "compiler/ops/quant_math.h"
#include "compiler/ops/registry.h"
#include "compiler/ops/tflite_softmax.h"

namespace tinyaot {

using codegen::KernelCtx;

void emit_LookupTable(const ir::Node& n, KernelCtx& ctx) {
  const bool s8 = n.inputs[0]->dtype == ir::DType::I8;
  ctx.set_name(
      fmt::format("lut_{}_{}", s8 ? "s8" : "u8", n.outputs[0]->dtype == ir::DType::I8 ? "s8" : "u8"));
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", n.outputs[0]->numel());
  ctx.line(s8 ? "y0[i] = x1[(int32_t)x0[i] + 128];" : "y0[i] = x1[x0[i]];");
  ctx.close();
}

namespace {

// The part the integer softmax and log-softmax rows share: opens the outer and inner loops (the
// caller closes them and the row's element loop) and computes the row maximum `m` and the sum of
// the exponential table x1 over the row, `sum`.
void open_softmax_row(KernelCtx& ctx, int64_t outer, int64_t len, int64_t inner) {
  ctx.open("for (int32_t o = 0; o < {}; ++o) {{", outer);
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", inner);
  ctx.line("const int32_t base = o * {} + i;", len * inner);
  ctx.line("int32_t m = x0[base];");
  ctx.line("for (int32_t k = 1; k < {}; ++k) if (x0[base + k * {}] > m) m = x0[base + k * {}];", len, inner,
           inner);
  ctx.line("uint64_t sum = 0;");
  ctx.line("for (int32_t k = 0; k < {}; ++k) sum += x1[m - x0[base + k * {}]];", len, inner);
}

}  // namespace

// Integer softmax (compiler/ops/lut.cpp): per row a max, a table sum, and one 64-bit division per
// element. No float: on Cortex-M0 the division is the integer helper __aeabi_uldivmod.
void emit_QSoftmax(const ir::Node& n, KernelCtx& ctx) {
  const bool s8 = n.inputs[0]->dtype == ir::DType::I8;
  const bool ys8 = n.outputs[0]->dtype == ir::DType::I8;
  const int64_t len = n.attrs.get_int("len", 1), inner = n.attrs.get_int("inner", 1);
  const int64_t outer = n.inputs[0]->numel() / (len * inner);
  const int64_t zy = n.inputs[2]->value->get_i64(0);
  ctx.set_name(fmt::format("softmax_{}_{}_n{}", s8 ? "s8" : "u8", ys8 ? "s8" : "u8", len));
  open_softmax_row(ctx, outer, len, inner);
  const int64_t shift = n.attrs.get_int("shift", 20);
  ctx.line("const uint64_t half = sum << {}, den = sum << {};", shift - 1, shift);
  ctx.open("for (int32_t k = 0; k < {}; ++k) {{", len);
  ctx.line("const uint64_t e = x1[m - x0[base + k * {}]];", inner);
  ctx.line("int32_t q = (int32_t)((e * (uint64_t){}u + half) / den) + ({});", n.attrs.get_int("out_mult", 1),
           zy);
  ctx.line("y0[base + k * {}] = ({})(q > {} ? {} : q);", inner, ys8 ? "int8_t" : "uint8_t", ys8 ? 127 : 255,
           ys8 ? 127 : 255);
  ctx.close();
  ctx.close();
  ctx.close();
}

// TFLite Micro's int8 softmax (--rounding tflite): one call per row of the file-level helper
// tinyaot_tfl_softmax_row, the C twin of quant::tfl_softmax_row (compiler/ops/tflite_softmax.h).
void emit_QSoftmaxTflite(const ir::Node& n, KernelCtx& ctx) {
  const int64_t len = n.attrs.get_int("len", 1), inner = n.attrs.get_int("inner", 1);
  const int64_t outer = n.inputs[0]->numel() / (len * inner);
  ctx.set_name(fmt::format("softmax_tflite_s8_s8_n{}", len));
  ctx.require_helper("tinyaot_tfl_softmax_row", quant::tfl_softmax_helper_c());
  ctx.open("for (int32_t o = 0; o < {}; ++o) {{", outer);
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", inner);
  ctx.line("const int32_t base = o * {} + i;", len * inner);
  ctx.line("tinyaot_tfl_softmax_row(x0 + base, y0 + base, {}, {}, {}, {}, {});", len, inner,
           n.attrs.get_int("mult", 0), n.attrs.get_int("left_shift", 0), n.attrs.get_int("diff_min", 0));
  ctx.close();
  ctx.close();
}

// Integer requantization of merge-requantize (compiler/ops/lut.cpp): one multiply and rounding
// shift per element through the rounding mode's requantization helper, no float.
void emit_Requantize(const ir::Node& n, KernelCtx& ctx) {
  const bool s8 = n.inputs[0]->dtype == ir::DType::I8;
  const bool ys8 = n.outputs[0]->dtype == ir::DType::I8;
  const int32_t lo = ys8 ? -128 : 0, hi = ys8 ? 127 : 255;
  ctx.set_name(fmt::format("requantize_{}_{}", s8 ? "s8" : "u8", ys8 ? "s8" : "u8"));
  const std::string call = quant::requant_call(
      ctx, fmt::format("(int32_t)x0[i] - ({})", n.attrs.get_int("x_zero_point", 0)),
      std::to_string(n.attrs.get_int("multiplier", 0)), std::to_string(n.attrs.get_int("shift", 0)),
      std::to_string(n.attrs.get_int("y_zero_point", 0)), lo, hi);
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", n.outputs[0]->numel());
  ctx.line("y0[i] = ({}){};", ys8 ? "int8_t" : "uint8_t", call);
  ctx.close();
}

// Integer log-softmax (compiler/ops/lut.cpp): per row a max, a table sum, one fixed-point log2
// (24 squarings of a Q30 mantissa, 64-bit integer multiplies) and one table load per element.
void emit_QLogSoftmax(const ir::Node& n, KernelCtx& ctx) {
  const bool s8 = n.inputs[0]->dtype == ir::DType::I8;
  const bool ys8 = n.outputs[0]->dtype == ir::DType::I8;
  const int64_t len = n.attrs.get_int("len", 1), inner = n.attrs.get_int("inner", 1);
  const int64_t outer = n.inputs[0]->numel() / (len * inner);
  const int64_t zy = n.inputs[3]->value->get_i64(0);
  const int qmin = ys8 ? -128 : 0;
  ctx.require_helper("tinyaot_log2_q24", quant::log2_q24_helper_c());
  ctx.set_name(fmt::format("logsoftmax_{}_{}_n{}", s8 ? "s8" : "u8", ys8 ? "s8" : "u8", len));
  open_softmax_row(ctx, outer, len, inner);
  ctx.line("const int64_t b = (tinyaot_log2_q24(sum) * (int64_t){}LL + ((int64_t)1 << 31)) >> 32;",
           n.attrs.get_int("ln2_mult", 1));
  ctx.open("for (int32_t k = 0; k < {}; ++k) {{", len);
  ctx.line("const int64_t v = (int64_t)x2[m - x0[base + k * {}]] + b;", inner);
  ctx.line("const int64_t q = ({}) - ((v + 32768) >> 16);", zy);
  ctx.line("y0[base + k * {}] = ({})(q < {} ? {} : q);", inner, ys8 ? "int8_t" : "uint8_t", qmin, qmin);
  ctx.close();
  ctx.close();
  ctx.close();
}

// Integer bilinear resize (compiler/ops/lut.cpp): four taps with compile-time index / Q15 weight
// tables per output row and column, an int64 accumulator, one exact round-half-to-even rescale.
void emit_QResizeLinear(const ir::Node& n, KernelCtx& ctx) {
  const ir::Tensor& x = *n.inputs[0];
  const bool s8 = x.dtype == ir::DType::I8, ys8 = n.outputs[0]->dtype == ir::DType::I8;
  const int64_t planes = x.shape[0] * x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t OH = n.inputs[2]->shape[0], OW = n.inputs[4]->shape[0];
  const int64_t zx = n.inputs[1]->value->get_i64(0), zy = n.inputs[6]->value->get_i64(0);
  const int64_t shift = n.attrs.get_int("shift", 30);
  const int qmin = ys8 ? -128 : 0;
  ctx.set_name(fmt::format("resize_bilinear_{}_{}_{}x{}", s8 ? "s8" : "u8", ys8 ? "s8" : "u8", OH, OW));
  ctx.line("int32_t o = 0;");
  ctx.open("for (int32_t p = 0; p < {}; ++p) {{", planes);
  ctx.line("const {}* xp = x0 + p * {};", s8 ? "int8_t" : "uint8_t", H * W);
  ctx.open("for (int32_t oh = 0; oh < {}; ++oh) {{", OH);
  ctx.line("const {0}* r0 = xp + x2[oh * 2] * {1};", s8 ? "int8_t" : "uint8_t", W);
  ctx.line("const {0}* r1 = xp + x2[oh * 2 + 1] * {1};", s8 ? "int8_t" : "uint8_t", W);
  ctx.line("const int32_t h0 = x3[oh * 2], h1 = x3[oh * 2 + 1];");
  ctx.open("for (int32_t ow = 0; ow < {}; ++ow, ++o) {{", OW);
  ctx.line("const int32_t c0 = x4[ow * 2], c1 = x4[ow * 2 + 1], w0 = x5[ow * 2], w1 = x5[ow * 2 + 1];");
  ctx.line(
      "const int64_t acc = (int64_t)(h0 * w0) * (r0[c0] - ({0})) + (int64_t)(h0 * w1) * (r0[c1] - ({0})) +",
      zx);
  ctx.line(
      "                    (int64_t)(h1 * w0) * (r1[c0] - ({0})) + (int64_t)(h1 * w1) * (r1[c1] - ({0}));",
      zx);
  ctx.line("int64_t v = acc * (int64_t){};", n.attrs.get_int("mult", 1));
  ctx.line("v = (v + ((int64_t)1 << {}) - 1 + ((v >> {}) & 1)) >> {};", shift - 1, shift, shift);
  ctx.line("v += {};", zy);
  ctx.line("y0[o] = ({})(v < {} ? {} : v > {} ? {} : v);", ys8 ? "int8_t" : "uint8_t", qmin, qmin, qmin + 255,
           qmin + 255);
  ctx.close();
  ctx.close();
  ctx.close();
}

}  // namespace tinyaot
