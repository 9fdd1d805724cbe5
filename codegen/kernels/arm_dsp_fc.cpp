// Cortex-M DSP fully connected int8 kernel (see arm_dsp_fc.h): pointwise convolutions of one
// pixel, which is how the QDQ models express fully connected layers. Each weight is used once
// per inference, so the weights stay int8 (rearranged at compile time: the original array is then
// unreferenced and dropped, so flash does not grow): the input vector is widened once to int16 in
// the order 0, 2, 1, 3 per group of 4, and an inline-assembly loop computes 4 output channels per
// pass: one LDRD of the 4 inputs, two LDM of the 4 channels' weight words, SXTB16 and SXTB16
// ROR #8 for the (w0, w2) and (w1, w3) pairs, and 8 SMLAD (19 instructions per 16 MACs).
// Requantization uses the records of arm_dsp_gemm.h.
#include "codegen/kernels/arm_dsp_fc.h"

#include <fmt/format.h>

#include "codegen/kernels/arm_dsp_gemm.h"

namespace tinyaot::codegen::arm {

const char* const kDspMac4LoopEnd =
    "      \"cmp %[x], %[n]\\n\\t\"\n"
    "      \"bne 1b\\n\"\n"
    "      : [x] \"+r\"(x), [w] \"+r\"(w), [n] \"+r\"(n), [a0] \"+r\"(a0), [a1] \"+r\"(a1), [a2] "
    "\"+r\"(a2),\n"
    "        [a3] \"+r\"(a3)\n"
    "      :\n"
    "      : \"r8\", \"r9\", \"r10\", \"r11\", \"r12\", \"cc\", \"memory\");\n"
    "  acc[0] = a0;\n"
    "  acc[1] = a1;\n"
    "  acc[2] = a2;\n"
    "  acc[3] = a3;\n"
    "  return w;\n"
    "}\n"
    "#endif\n";

namespace {

// acc[0..3] += the dot products of 4 channels (weights interleaved per group) with the widened
// input, n groups of 4 (four per loop pass; the entry skips (4 - n % 4) % 4 of them).
const char* kFcCore =
    "#if defined(__ARM_FEATURE_DSP)\n"
    "#define TINYAOT_DSP_FC_GROUP           \\\n"
    "  \"ldrd r8, r9, [%[x]], #8\\n\\t\"     \\\n"
    "  \"ldm %[w]!, {r10, r11}\\n\\t\"       \\\n"
    "  \"sxtb16 r12, r10\\n\\t\"             \\\n"
    "  \"sxtb16 r10, r10, ror #8\\n\\t\"     \\\n"
    "  \"smlad %[a0], r12, r8, %[a0]\\n\\t\" \\\n"
    "  \"smlad %[a0], r10, r9, %[a0]\\n\\t\" \\\n"
    "  \"sxtb16 r12, r11\\n\\t\"             \\\n"
    "  \"sxtb16 r11, r11, ror #8\\n\\t\"     \\\n"
    "  \"smlad %[a1], r12, r8, %[a1]\\n\\t\" \\\n"
    "  \"smlad %[a1], r11, r9, %[a1]\\n\\t\" \\\n"
    "  \"ldm %[w]!, {r10, r11}\\n\\t\"       \\\n"
    "  \"sxtb16 r12, r10\\n\\t\"             \\\n"
    "  \"sxtb16 r10, r10, ror #8\\n\\t\"     \\\n"
    "  \"smlad %[a2], r12, r8, %[a2]\\n\\t\" \\\n"
    "  \"smlad %[a2], r10, r9, %[a2]\\n\\t\" \\\n"
    "  \"sxtb16 r12, r11\\n\\t\"             \\\n"
    "  \"sxtb16 r11, r11, ror #8\\n\\t\"     \\\n"
    "  \"smlad %[a3], r12, r8, %[a3]\\n\\t\" \\\n"
    "  \"smlad %[a3], r11, r9, %[a3]\\n\\t\"\n"
    "static inline const int32_t* tinyaot_dsp_mac4x1(const int16_t* x, const int32_t* w, int32_t n, int32_t* "
    "acc) {\n"
    "  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];\n"
    "  __asm__ volatile(\n"
    "      \"tst %[n], #1\\n\\t\"\n"
    "      \"bne 5f\\n\\t\"\n"
    "      \"tst %[n], #2\\n\\t\"\n"
    "      \"add %[n], %[x], %[n], lsl #3\\n\\t\"\n"
    "      \"bne 3f\\n\\t\"\n"
    "      \"b 1f\\n\"\n"
    "      \"5:\\n\\t\"\n"
    "      \"tst %[n], #2\\n\\t\"\n"
    "      \"add %[n], %[x], %[n], lsl #3\\n\\t\"\n"
    "      \"bne 2f\\n\\t\"\n"
    "      \"b 4f\\n\"\n"
    "      \"1:\\n\\t\"\n"
    "      TINYAOT_DSP_FC_GROUP\n"
    "      \"2:\\n\\t\"\n"
    "      TINYAOT_DSP_FC_GROUP\n"
    "      \"3:\\n\\t\"\n"
    "      TINYAOT_DSP_FC_GROUP\n"
    "      \"4:\\n\\t\"\n"
    "      TINYAOT_DSP_FC_GROUP\n";

const char* tsuf(const std::string& t) {
  return t == "int8_t" ? "s8" : "u8";
}

// The shared body: output channels in blocks of 4 (the rest one at a time in C), requantized
// with the 4-word records.
std::string fc_helper_text(const std::string& xt, const std::string& yt, bool all_fast) {
  const std::string y = tsuf(yt);
  auto rq = [&](const std::string& acc, const std::string& r) {
    const std::string f = fmt::format("tinyaot_dsp_rqh_{}({}, {}[1], {}[2], {}[3])", y, acc, r, r, r);
    if (all_fast) return f;
    return fmt::format("({}[2] > 0 ? {} : tinyaot_dsp_rq_{}({}, {}[1], {}[2], zp))", r, f, y, acc, r, r);
  };
  return fmt::format(
      "#if defined(__ARM_FEATURE_DSP)\n"
      "static void tinyaot_dsp_fc4{0}_{1}{2}(const {3}* x, int16_t* xs, const int32_t* w, int32_t C, const "
      "int32_t* r,\n"
      "                                 {4}* y, int32_t M, int32_t zp) {{\n"
      "  (void)zp;\n"
      "  for (int32_t c = 0; c < C; c += 4) {{\n"
      "    uint32_t v;\n"
      "    memcpy(&v, x + c, 4);\n"
      "    const int32_t a = __builtin_arm_{9}((int32_t)v), b = __builtin_arm_{9}((int32_t)((v >> 8) | (v << "
      "24)));\n"
      "    memcpy(xs + c, &a, 4);\n"
      "    memcpy(xs + c + 2, &b, 4);\n"
      "  }}\n"
      "  for (int32_t m = 0; m < M; m += 4, r += 16, y += 4) {{\n"
      "    int32_t acc[4] = {{r[0], r[4], r[8], r[12]}};\n"
      "    w = tinyaot_dsp_mac4x1(xs, w, C >> 2, acc);\n"
      "    y[0] = ({4}){5};\n"
      "    y[1] = ({4}){6};\n"
      "    y[2] = ({4}){7};\n"
      "    y[3] = ({4}){8};\n"
      "  }}\n"
      "}}\n"
      "#endif\n",
      all_fast ? "f" : "", tsuf(xt), y, xt, yt, rq("acc[0]", "r"), rq("acc[1]", "(r + 4)"),
      rq("acc[2]", "(r + 8)"), rq("acc[3]", "(r + 12)"), xt == "int8_t" ? "sxtb16" : "uxtb16");
}

}  // namespace

bool fc_supported(const KernelCtx& ctx, const QConvLayer& L) {
  const ir::Node& n = ctx.node();
  if (n.inputs.size() < 4 || !n.inputs[3] || !n.inputs[3]->is_constant()) return false;
  if (!L.bias.empty() && (n.inputs.size() < 9 || !n.inputs[8] || !n.inputs[8]->is_constant())) return false;
  if (L.mult.size() != static_cast<size_t>(L.M) || L.C % 4 != 0 || L.M % 4 != 0) return false;
  for (int64_t o : L.out)
    if (o != 1) return false;
  return true;
}

void emit_fc(KernelCtx& ctx, const QConvLayer& L) {
  bool all_fast = true;
  const std::vector<double> rt = folded_rq_table(ctx, L, L.M, &all_fast);
  const std::string rtab = ctx.const_table("rq", ir::DType::I32, rt);
  // Weights as words of 4 int8 in the order the loop reads them: [block of 4 channels][group][channel].
  const ir::Value& wv = *ctx.node().inputs[3]->value;
  const int64_t C = L.C, G = C / 4;
  std::vector<double> wt(static_cast<size_t>(L.M * G), 0.0);
  for (int64_t m = 0; m < L.M; ++m)
    for (int64_t g = 0; g < G; ++g) {
      uint32_t word = 0;
      for (int64_t e = 0; e < 4; ++e)
        word |= (static_cast<uint32_t>(wv.get_i64(m * C + g * 4 + e)) & 0xffu) << (8 * e);
      wt[static_cast<size_t>((m / 4 * G + g) * 4 + m % 4)] = static_cast<int32_t>(word);
    }
  const std::string wtab = ctx.const_table("w4", ir::DType::I32, wt);
  ctx.require_helper("tinyaot_dsp_core_fc", std::string(kFcCore) + kDspMac4LoopEnd);
  require_rq_helper(ctx, L.y_type);
  const std::string fc =
      fmt::format("tinyaot_dsp_fc4{}_{}{}", all_fast ? "f" : "", tsuf(L.x_type), tsuf(L.y_type));
  ctx.require_helper(fc, fc_helper_text(L.x_type, L.y_type, all_fast));
  const std::string xs = ctx.scratch(static_cast<size_t>(L.C) * 2, "int16_t");
  ctx.line("(void)x3;");
  if (!L.bias.empty()) ctx.line("(void){};", L.bias);
  ctx.line("{}(x0, {}, {}, {}, {}, y0, {}, {});", fc, xs, wtab, L.C, rtab, L.M, L.yzp);
}

}  // namespace tinyaot::codegen::arm
