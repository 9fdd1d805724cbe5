// Cortex-M DSP/FPU QuantizeLinear kernel (see arm_dsp_quantize.h). The generic kernel computes
// v = x / scale, clamps v to [qmin - zp, qmax - zp] (NaN to 0), rounds half to even and adds zp.
// Clamping to integer bounds commutes with rounding, so that equals sat(round(x / scale) + zp):
// VDIV.F32 gives the same quotient as the generic division, VCVTR.S32.F32 rounds it in the FPSCR
// rounding mode (round to nearest even by default, the mode the generic code's 1.5 * 2^23 trick
// relies on as well), converting NaN to 0 and saturating infinities and huge values to
// INT32_MIN/MAX; QADD adds the zero point without wrapping and SSAT/USAT saturates to 8 bits.
// Eight elements per loop pass: one VLDM, 8 VDIV, 8 VCVTR, 4 two-register VMOV, 8 QADD, 8 SSAT,
// 8 STRB and the loop's SUBS/BNE (47 instructions, about 5.9 per element against about 20 for the
// generic loop).
#include "codegen/kernels/arm_dsp_quantize.h"

#include <fmt/format.h>

#include <climits>
#include <string>

#include "codegen/kernels/arm_mve_conv.h"
#include "codegen/kernels/arm_qconv.h"
#include "codegen/kernels/quant_emit.h"

namespace tinyaot::codegen::arm {

namespace {

std::string quantize_helper_text(bool u8) {
  const char* sat = u8 ? "usat" : "ssat";
  const char* yt = u8 ? "uint8_t" : "int8_t";
  const char* sfx = u8 ? "u8" : "s8";
  std::string body8, body1;
  for (int i = 0; i < 8; ++i) body8 += fmt::format("      \"vdiv.f32 s{0}, s{0}, %[sc]\\n\\t\"\n", i);
  for (int i = 0; i < 8; ++i) body8 += fmt::format("      \"vcvtr.s32.f32 s{0}, s{0}\\n\\t\"\n", i);
  for (int i = 0; i < 8; i += 2) {
    body8 += fmt::format("      \"vmov %[a], %[b], s{}, s{}\\n\\t\"\n", i, i + 1);
    body8 += "      \"qadd %[a], %[a], %[zp]\\n\\t\"\n";
    body8 += "      \"qadd %[b], %[b], %[zp]\\n\\t\"\n";
    body8 += fmt::format("      \"{} %[a], #8, %[a]\\n\\t\"\n", sat);
    body8 += fmt::format("      \"{} %[b], #8, %[b]\\n\\t\"\n", sat);
    // The first store steps y past the 8 outputs; the others address back from there.
    body8 += i == 0 ? std::string("      \"strb %[a], [%[y]], #8\\n\\t\"\n")
                    : fmt::format("      \"strb %[a], [%[y], #-{}]\\n\\t\"\n", 8 - i);
    body8 += fmt::format("      \"strb %[b], [%[y], #-{}]\\n\\t\"\n", 7 - i);
  }
  return fmt::format(
      "#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FP) && (__ARM_FP & 4)\n"
      "// y[i] = sat8(round_half_even(x[i] / sc) + zp), i < n: bit-identical to tinyaot_quantize_f32\n"
      "// (VCVTR rounds in the FPSCR mode, round to nearest even unless the application changed it).\n"
      "__attribute__((noinline)) static void tinyaot_dsp_quantize_{0}(const float* x, {1}* y, int32_t n, "
      "float "
      "sc,\n"
      "                                                          int32_t zp) {{\n"
      "  int32_t a, b, n8 = n >> 3, n1 = n & 7;\n"
      "  if (n8 > 0)\n"
      "    __asm__ volatile(\n"
      "      \"1:\\n\\t\"\n"
      "      \"vldm %[x]!, {{s0-s7}}\\n\\t\"\n"
      "{2}"
      "      \"subs %[n], %[n], #1\\n\\t\"\n"
      "      \"bne 1b\\n\"\n"
      "      : [x] \"+r\"(x), [y] \"+r\"(y), [n] \"+r\"(n8), [a] \"=&r\"(a), [b] \"=&r\"(b)\n"
      "      : [sc] \"t\"(sc), [zp] \"r\"(zp)\n"
      "      : \"s0\", \"s1\", \"s2\", \"s3\", \"s4\", \"s5\", \"s6\", \"s7\", \"cc\", \"memory\");\n"
      "  if (n1 > 0)\n"
      "    __asm__ volatile(\n"
      "      \"1:\\n\\t\"\n"
      "      \"vldm %[x]!, {{s0}}\\n\\t\"\n"
      "      \"vdiv.f32 s0, s0, %[sc]\\n\\t\"\n"
      "      \"vcvtr.s32.f32 s0, s0\\n\\t\"\n"
      "      \"vmov %[a], s0\\n\\t\"\n"
      "      \"qadd %[a], %[a], %[zp]\\n\\t\"\n"
      "      \"{3} %[a], #8, %[a]\\n\\t\"\n"
      "      \"strb %[a], [%[y]], #1\\n\\t\"\n"
      "      \"subs %[n], %[n], #1\\n\\t\"\n"
      "      \"bne 1b\\n\"\n"
      "      : [x] \"+r\"(x), [y] \"+r\"(y), [n] \"+r\"(n1), [a] \"=&r\"(a)\n"
      "      : [sc] \"t\"(sc), [zp] \"r\"(zp)\n"
      "      : \"s0\", \"cc\", \"memory\");\n"
      "  (void)b;\n"
      "}}\n"
      "#endif\n",
      sfx, yt, body8, sat);
}

}  // namespace

bool emit_quantize_dsp(KernelCtx& ctx) {
  const ir::Node& n = ctx.node();
  if (!has_dsp(ctx.target()) || n.inputs[0]->dtype != ir::DType::F32) return false;
  const ir::DType yt = n.outputs[0]->dtype;
  if (yt != ir::DType::I8 && yt != ir::DType::U8) return false;
  const ir::Value* sv = quant::cval(n, 1);
  if (!sv || sv->numel() != 1 || (quant::present(n, 2) && !quant::cval(n, 2))) return false;
  const float scale = sv->data<float>()[0];
  // The generic kernel divides by the same literal; any finite non-zero scale gives the same
  // quotient, but QuantizeLinear requires a positive one and the others are left to the generic code.
  if (!(scale > 0.0f && scale <= 3.0e38f)) return false;
  const int64_t N = n.inputs[0]->numel();
  if (N < 1 || N > INT32_MAX) return false;
  const int32_t zp = quant::present(n, 2) ? static_cast<int32_t>(quant::cval(n, 2)->get_i64(0)) : 0;
  const bool u8 = yt == ir::DType::U8;
  const std::string fn = std::string("tinyaot_dsp_quantize_") + (u8 ? "u8" : "s8");
  ctx.require_helper(fn, quantize_helper_text(u8));
  ctx.raw("#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FP) && (__ARM_FP & 4)\n");
  ctx.open("{{");
  ctx.line("{}(x0, y0, {}, {}, {});", fn, N, KernelCtx::literal(scale, ir::DType::F32), zp);
  ctx.line("return;");
  ctx.close();
  ctx.raw("#endif\n");
  if (!has_mve(ctx.target())) ctx.set_name(ctx.name() + "_dsp");
  return true;
}

}  // namespace tinyaot::codegen::arm
