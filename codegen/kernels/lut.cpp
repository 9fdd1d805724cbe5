// Kernels of the 'lut' family: one table load per element (the table is a 256-byte weight).
#include "codegen/kernel_ctx.h"
#include "codegen/kernels/quant_emit.h"
#include "compiler/ops/registry.h"

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

// Integer softmax (compiler/ops/lut.cpp): per row a max, a table sum, and one 64-bit division per
// element. No float: on Cortex-M0 the division is the integer helper __aeabi_uldivmod.
void emit_QSoftmax(const ir::Node& n, KernelCtx& ctx) {
  const bool s8 = n.inputs[0]->dtype == ir::DType::I8;
  const bool ys8 = n.outputs[0]->dtype == ir::DType::I8;
  const int64_t len = n.attrs.get_int("len", 1), inner = n.attrs.get_int("inner", 1);
  const int64_t outer = n.inputs[0]->numel() / (len * inner);
  const int64_t zy = n.inputs[2]->value->get_i64(0);
  ctx.set_name(fmt::format("softmax_{}_{}_n{}", s8 ? "s8" : "u8", ys8 ? "s8" : "u8", len));
  ctx.open("for (int32_t o = 0; o < {}; ++o) {{", outer);
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", inner);
  ctx.line("const int32_t base = o * {} + i;", len * inner);
  ctx.line("int32_t m = x0[base];");
  ctx.line("for (int32_t k = 1; k < {}; ++k) if (x0[base + k * {}] > m) m = x0[base + k * {}];", len, inner,
           inner);
  ctx.line("uint64_t sum = 0;");
  ctx.line("for (int32_t k = 0; k < {}; ++k) sum += x1[m - x0[base + k * {}]];", len, inner);
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

}  // namespace tinyaot
