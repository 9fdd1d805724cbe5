// Cortex-M DSP QLinearMatMul / QGemm body (see arm_dsp_matmul.h). The approach of the fully
// connected kernel (arm_dsp_fc.cpp), without its int16 copy of the input: a MatMul has few output
// columns per A row (the copy would be amortized over N / 4 blocks only), so A stays int8 in place
// and each group of 4 bytes is widened in registers. SXTB16 of the word (a0 a1 a2 a3) gives the
// pairs (a0, a2) and, rotated by 8, (a1, a3); the same two instructions on a weight word give
// (w0, w2) and (w1, w3), so SMLAD pairs them with no reordering of B beyond the interleaving of
// 4 columns. uint8 A takes UXTB16 (0..255 fits a signed halfword), so no offset is needed; the
// A zero point is the per-column constant -za * colsum_j. SMLAD wraps modulo 2^32 like the generic
// accumulator, so the sums are the same integers.
#include "codegen/kernels/arm_dsp_matmul.h"

#include <fmt/format.h>

#include <cstdint>
#include <vector>

#include "codegen/kernels/arm_dsp_fc.h"

namespace tinyaot::codegen::arm {

namespace {

// acc[0..3] += the dot products of 4 B columns (words interleaved [group][column]) with n >= 1
// groups of 4 A bytes, two groups per loop pass (an odd n enters at the second).
std::string mm4_helper_text(bool u8a) {
  const char* ext = u8a ? "uxtb16" : "sxtb16";
  std::string group = fmt::format(
      "  \"ldr r9, [%[x]], #4\\n\\t\"         \\\n"
      "  \"{0} r8, r9\\n\\t\"                \\\n"
      "  \"{0} r9, r9, ror #8\\n\\t\"        \\\n",
      ext);
  for (int h = 0; h < 2; ++h)
    group += fmt::format(
        "  \"ldm %[w]!, {{r10, r11}}\\n\\t\"       \\\n"
        "  \"sxtb16 r12, r10\\n\\t\"             \\\n"
        "  \"sxtb16 r10, r10, ror #8\\n\\t\"     \\\n"
        "  \"smlad %[a{0}], r12, r8, %[a{0}]\\n\\t\" \\\n"
        "  \"smlad %[a{0}], r10, r9, %[a{0}]\\n\\t\" \\\n"
        "  \"sxtb16 r12, r11\\n\\t\"             \\\n"
        "  \"sxtb16 r11, r11, ror #8\\n\\t\"     \\\n"
        "  \"smlad %[a{1}], r12, r8, %[a{1}]\\n\\t\" \\\n"
        "  \"smlad %[a{1}], r11, r9, %[a{1}]\\n\\t\"{2}\n",
        2 * h, 2 * h + 1, h == 0 ? " \\" : "");
  const std::string t = u8a ? "u8" : "s8";
  return fmt::format(
             "#if defined(__ARM_FEATURE_DSP)\n"
             "#define TINYAOT_DSP_MM_GROUP_{0} \\\n"
             "{1}"
             "static inline const int32_t* tinyaot_dsp_mm4_{0}(const {2}* x, const int32_t* w, int32_t n, "
             "int32_t* "
             "acc) "
             "{{\n"
             "  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];\n"
             "  __asm__ volatile(\n"
             "      \"tst %[n], #1\\n\\t\"\n"
             "      \"add %[n], %[x], %[n], lsl #2\\n\\t\"\n"
             "      \"bne 2f\\n\"\n"
             "      \"1:\\n\\t\"\n"
             "      TINYAOT_DSP_MM_GROUP_{0}\n"
             "      \"2:\\n\\t\"\n"
             "      TINYAOT_DSP_MM_GROUP_{0}\n",
             t, group, u8a ? "uint8_t" : "int8_t") +
         kDspMac4LoopEnd;
}

}  // namespace

void emit_qgemm_dsp_body(KernelCtx& ctx, const QGemmPlan& P) {
  const int64_t K = P.K, N = P.N, G = K / 4, K4 = G * 4, Kt = K - K4, N4 = (N + 3) / 4 * 4;
  // B as words of 4 int8 in the order the loop reads them: [block of 4 columns][group][column];
  // the columns past N (to a multiple of 4) are zero. The K % 4 tail taps: [column][tap].
  auto b = [&](int64_t j, int64_t k) { return j < N ? P.bt[static_cast<size_t>(j * K + k)] : int64_t{0}; };
  std::vector<double> words, tail;
  for (int64_t jb = 0; jb < N4; jb += 4)
    for (int64_t g = 0; g < G; ++g)
      for (int64_t c = 0; c < 4; ++c) {
        uint32_t word = 0;
        for (int64_t e = 0; e < 4; ++e)
          word |= (static_cast<uint32_t>(b(jb + c, g * 4 + e)) & 0xffu) << (8 * e);
        words.push_back(static_cast<double>(static_cast<int32_t>(word)));
      }
  for (int64_t j = 0; j < N4; ++j)
    for (int64_t t = 0; t < Kt; ++t) tail.push_back(static_cast<double>(b(j, K4 + t)));
  std::vector<double> fold;
  for (int64_t j = 0; j < N4; ++j) {
    const uint64_t v = static_cast<uint64_t>(-P.za * (j < N ? P.colsum[static_cast<size_t>(j)] : 0));
    fold.push_back(static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(v))));
  }
  const std::string tw = G > 0 ? ctx.const_table("dsp_bw", ir::DType::I32, words) : std::string();
  const std::string tt = Kt > 0 ? ctx.const_table("dsp_bt", ir::DType::I8, tail) : std::string();
  const std::string tf = ctx.const_table("dsp_fold", ir::DType::I32, fold);
  const std::string at = P.u8a ? "uint8_t" : "int8_t", sfx = P.u8a ? "u8" : "s8";
  if (G > 0) ctx.require_helper("tinyaot_dsp_mm4_" + sfx, mm4_helper_text(P.u8a));
  ctx.raw("#if defined(__ARM_FEATURE_DSP)\n");
  ctx.open("{{");
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", P.rows);
  ctx.line("const {0}* ar = (const {0}*)x0 + i * {1};", at, K);
  ctx.line("{}* yr = y0 + i * {};", P.y_type, N);
  if (G > 0) ctx.line("const int32_t* w = {};", tw);
  // One block of 4 columns from j, storing the first nc.
  auto block = [&](int64_t nc) {
    ctx.line("int32_t acc[4];");
    for (int64_t c = 0; c < 4; ++c) {
      if (P.bias && c < nc)
        ctx.line("acc[{0}] = (int32_t)((uint32_t){1}[j + {0}] + (uint32_t){2});", c, tf,
                 P.bias(fmt::format("j + {}", c)));
      else
        ctx.line("acc[{0}] = {1}[j + {0}];", c, tf);
    }
    if (G > 0) ctx.line("w = tinyaot_dsp_mm4_{}(ar, w, {}, acc);", sfx, G);
    for (int64_t t = 0; t < Kt; ++t) {
      ctx.line("const int32_t a{} = ar[{}];", t, K4 + t);
      for (int64_t c = 0; c < nc; ++c)
        ctx.line("acc[{0}] = (int32_t)((uint32_t)acc[{0}] + (uint32_t)(a{1} * {2}[(j + {0}) * {3} + {1}]));",
                 c, t, tt, Kt);
    }
    for (int64_t c = 0; c < nc; ++c)
      ctx.line("yr[j + {}] = {};", c, P.out(fmt::format("acc[{}]", c), fmt::format("j + {}", c)));
  };
  if (N / 4 > 0) {
    ctx.open("for (int32_t j = 0; j < {}; j += 4) {{", N / 4 * 4);
    block(4);
    ctx.close();
  }
  if (N % 4) {
    ctx.open("{{");
    ctx.line("const int32_t j = {};", N / 4 * 4);
    block(N % 4);
    ctx.close();
  }
  ctx.close();
  ctx.line("return;");
  ctx.close();
  ctx.raw("#endif\n");
}

}  // namespace tinyaot::codegen::arm
