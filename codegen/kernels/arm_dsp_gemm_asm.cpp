// Cortex-M DSP int8 GEMM body in assembly (see arm_dsp_gemm_asm.h). The C body it replaces
// (tinyaot_dsp_gemm2x2f_*) spent about 35 instructions per 2 x 2 block outside the multiply loop:
// the compiler reloaded pointers and records around the inline-assembly core, which holds 13
// registers. Here one naked function owns all registers for a whole call, so per block of 2 output
// channels x 2 pixels it runs: 3 loads (input pointer, biases into the accumulators' registers by
// one LDM), the first group of 4 taps with the biases as SMLAD addends (11), one indirect branch
// into the 4-group loop for the remaining G - 1 groups (11 per group, 2 per pass), one LDM of both
// channels' records, SMMLA + ASR + SSAT/USAT per output (12), the stride load and 4 STRB with 2 ADD,
// and the loop test (3): 38 + 11 (G - 1) + loop instructions for 16 G MACs, against about
// 46 + 11 (G - 1) before, which matters for VWW's pointwise layers with G = 2..8. Layers whose
// records all have shift 1 (most: rq_record_for picks the smallest) take a variant without the
// shifts in the stream, whose SSAT applies the shift as an immediate: 34 + 11 (G - 1) + loop.
// Registers: r0 input pointer, r1 stream, r2 output, r3 end of the input groups, r4-r7 the
// accumulators (channel 0 pixel 0, channel 0 pixel 1, channel 1 pixel 0, channel 1 pixel 1),
// r8-r11 four input words, r12/lr two weight words. Frame: [sp] input start, [sp + 4] output
// stride, [sp + 8] end of the stream, [sp + 12] loop entry (Thumb address).
#include "codegen/kernels/arm_dsp_gemm_asm.h"

#include <fmt/format.h>

namespace tinyaot::codegen::arm {

bool pw2x2_shift1(const std::vector<double>& rt) {
  for (size_t i = 2; i < rt.size(); i += 4)
    if (rt[i] != 1) return false;
  return true;
}

std::vector<double> pw2x2_stream(const std::vector<double>& wt, const std::vector<double>& rt, int64_t G,
                                 int64_t M2, bool shift1) {
  std::vector<double> s;
  s.reserve(static_cast<size_t>(M2 / 2 * pw2x2_pair_words(G, shift1)));
  for (int64_t k = 0; k < M2 / 2; ++k) {
    const double* c0 = &rt[static_cast<size_t>(k * 8)];
    const double* c1 = c0 + 4;
    s.push_back(c0[0]);
    s.push_back(c1[0]);
    for (int64_t i = 0; i < G * 4; ++i) s.push_back(wt[static_cast<size_t>(k * G * 4 + i)]);
    if (shift1)
      for (const double v : {c0[1], c0[3], c1[1], c1[3]}) s.push_back(v);
    else
      for (const double v : {c0[1], c0[2], c0[3], c1[1], c1[2], c1[3]}) s.push_back(v);
  }
  return s;
}

std::string require_pw2x2_asm(KernelCtx& ctx, const std::string& y_type, bool shift1) {
  const bool s8 = y_type == "int8_t";
  const std::string name = std::string("tinyaot_dsp_pw2x2") + (shift1 ? "s1_" : "_") + (s8 ? "s8" : "u8");
  const char* sat = s8 ? "ssat" : "usat";
  std::string a;
  auto op = [&](const std::string& t) { a += "      \"" + t + "\\n\\t\"\n"; };
  auto label = [&](const std::string& l) { a += "      \"" + l + ":\\n\\t\"\n"; };
  // One group of 4 taps: 4 input words (2 pixels x 2 pairs), then per channel 2 weight words.
  auto group = [&]() {
    op("ldm r0!, {r8, r9, r10, r11}");
    op("ldm r1!, {r12, lr}");
    op("smlad r4, r8, r12, r4");
    op("smlad r4, r9, lr, r4");
    op("smlad r5, r10, r12, r5");
    op("smlad r5, r11, lr, r5");
    op("ldm r1!, {r12, lr}");
    op("smlad r6, r8, r12, r6");
    op("smlad r6, r9, lr, r6");
    op("smlad r7, r10, r12, r7");
    op("smlad r7, r11, lr, r7");
  };
  op("push {r4-r11, lr}");
  op("sub sp, sp, #16");
  op("ldr r4, [sp, #52]");  // pairs
  op("ldr r5, [sp, #56]");  // G
  op("str r0, [sp]");
  op("str r3, [sp, #4]");
  op("add r3, r0, r5, lsl #4");  // end of the input groups
  op("lsl r6, r5, #4");
  op(shift1 ? "add r6, r6, #24" : "add r6, r6, #32");
  op("mul r6, r6, r4");
  op("add r6, r1, r6");
  op("str r6, [sp, #8]");  // end of the stream
  // The loop entry for the G - 1 groups after the first: none left, or (G - 1) mod 4 of them first.
  op("subs r5, r5, #1");
  op("adr.w r6, 9f");
  op("beq 8f");
  op("and r5, r5, #3");
  op("adr.w r6, 1f");
  op("cmp r5, #0");
  op("beq 8f");
  op("adr.w r6, 4f");
  op("cmp r5, #1");
  op("beq 8f");
  op("adr.w r6, 3f");
  op("cmp r5, #2");
  op("beq 8f");
  op("adr.w r6, 2f");
  label("8");
  op("orr r6, r6, #1");
  op("str r6, [sp, #12]");
  label("10");
  op("ldr r0, [sp]");
  // Biases: channel 0's into r5, channel 1's into r7; the first group's SMLADs add them.
  op("ldm r1!, {r5, r7}");
  op("ldm r0!, {r8, r9, r10, r11}");
  op("ldm r1!, {r12, lr}");
  op("smlad r4, r8, r12, r5");
  op("smlad r4, r9, lr, r4");
  op("smlad r5, r10, r12, r5");
  op("smlad r5, r11, lr, r5");
  op("ldm r1!, {r12, lr}");
  op("smlad r6, r8, r12, r7");
  op("smlad r6, r9, lr, r6");
  op("smlad r7, r10, r12, r7");
  op("smlad r7, r11, lr, r7");
  op("ldr pc, [sp, #12]");
  for (const char* l : {"1", "2", "3", "4"}) {
    label(l);
    group();
  }
  op("cmp r0, r3");
  op("bne 1b");
  label("9");
  if (shift1) {
    // Records: multiplier and addend high word of channel 0, then of channel 1; SSAT shifts.
    op("ldm r1!, {r8, r9, r10, r11}");
    op("smmla r4, r4, r8, r9");
    op("smmla r5, r5, r8, r9");
    op(fmt::format("{} r4, #8, r4, asr #1", sat));
    op(fmt::format("{} r5, #8, r5, asr #1", sat));
    op("smmla r6, r6, r10, r11");
    op("smmla r7, r7, r10, r11");
    op(fmt::format("{} r6, #8, r6, asr #1", sat));
    op(fmt::format("{} r7, #8, r7, asr #1", sat));
  } else {
    // Records: multiplier, shift and addend high word of channel 0, then of channel 1.
    op("ldm r1!, {r8, r9, r10, r11, r12, lr}");
    op("smmla r4, r4, r8, r10");
    op("smmla r5, r5, r8, r10");
    op("asr r4, r4, r9");
    op("asr r5, r5, r9");
    op(fmt::format("{} r4, #8, r4", sat));
    op(fmt::format("{} r5, #8, r5", sat));
    op("smmla r6, r6, r11, lr");
    op("smmla r7, r7, r11, lr");
    op("asr r6, r6, r12");
    op("asr r7, r7, r12");
    op(fmt::format("{} r6, #8, r6", sat));
    op(fmt::format("{} r7, #8, r7", sat));
  }
  op("ldrd r8, r9, [sp, #4]");  // output stride, end of the stream
  op("strb r4, [r2]");
  op("strb r5, [r2, #1]");
  op("strb r6, [r2, r8]");
  op("add r2, r2, r8");
  op("strb r7, [r2, #1]");
  op("add r2, r2, r8");
  op("cmp r1, r9");
  op("bne 10b");
  op("add sp, sp, #16");
  op("pop {r4-r11, pc}");
  ctx.require_helper(
      name,
      fmt::format(
          "#if defined(__ARM_FEATURE_DSP)\n"
          "// Channel pairs x 2 pixels of a GEMM: xs holds G groups of [pixel][4] int16 taps, the\n"
          "// stream per pair 2 biases, G x 4 weight words and 2 x (multiplier, shift, addend).\n"
          "static __attribute__((naked, noinline, unused)) void {}(const int16_t*, const int32_t*, {}*,\n"
          "                                                        int32_t, int32_t, int32_t) {{\n"
          "  __asm__ volatile(\n{}  );\n}}\n#endif\n",
          name, y_type, a));
  return name;
}

std::string require_widen4_asm(KernelCtx& ctx, const std::string& x_type) {
  const bool s8 = x_type == "int8_t";
  const std::string name = std::string("tinyaot_dsp_widen4_") + (s8 ? "s8" : "u8");
  const char* ext = s8 ? "sxtb16" : "uxtb16";
  std::string a;
  auto op = [&](const std::string& t) { a += "      \"" + t + "\\n\\t\"\n"; };
  // One halfword per channel holds both pixels' bytes; PKHBT pairs channels (c, c + 1) as
  // [c p0, c p1, c+1 p0, c+1 p1], whose even bytes are pixel 0's pair and odd bytes pixel 1's.
  op("push {r4-r7}");
  a += "      \"1:\\n\\t\"\n";
  op("ldrh r4, [r0]");
  op("ldrh r6, [r0, r1]");
  op("add r0, r0, r1, lsl #1");
  op("ldrh r5, [r0]");
  op("ldrh r7, [r0, r1]");
  op("add r0, r0, r1, lsl #1");
  op("pkhbt r4, r4, r6, lsl #16");
  op("pkhbt r5, r5, r7, lsl #16");
  op(fmt::format("{} r6, r4, ror #8", ext));
  op(fmt::format("{} r4, r4", ext));
  op(fmt::format("{} r7, r5, ror #8", ext));
  op(fmt::format("{} r5, r5", ext));
  op("stm r3!, {r4, r5, r6, r7}");
  op("subs r2, r2, #1");
  op("bne 1b");
  op("pop {r4-r7}");
  op("bx lr");
  ctx.require_helper(
      name, fmt::format("#if defined(__ARM_FEATURE_DSP)\n"
                        "static __attribute__((naked, noinline, unused)) void {}(const {}*, int32_t, "
                        "int32_t, int16_t*) {{\n"
                        "  __asm__ volatile(\n{}  );\n}}\n#endif\n",
                        name, x_type, a));
  return name;
}

}  // namespace tinyaot::codegen::arm
