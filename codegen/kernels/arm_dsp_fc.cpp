// Cortex-M DSP fully connected int8 kernel (see arm_dsp_fc.h): pointwise convolutions of one
// pixel, which is how the QDQ models express fully connected layers. Each weight is used once
// per inference, so the weights stay int8 in their original order (no second copy in flash):
// the input vector is widened once to int16 in the order 0, 2, 1, 3 per group of 4, and an
// inline-assembly loop computes 4 output channels per pass: one LDRD of the 4 inputs, then per
// channel one LDR of 4 weights, SXTB16 and SXTB16 ROR #8 for the (w0, w2) and (w1, w3) pairs
// and 2 SMLAD (21 instructions per 16 MACs). Requantization uses the records of arm_dsp_gemm.h.
#include "codegen/kernels/arm_dsp_fc.h"

#include <fmt/format.h>

#include "codegen/kernels/arm_dsp_gemm.h"

namespace tinyaot::codegen::arm {

namespace {

// acc[0..3] += the dot products of channels w0, w0 + C, w2, w2 + C (w2 = w0 + 2C) with the
// widened input, C / 4 groups of 4 (four per loop pass; the entry skips 4 - (C / 4) % 4 of them).
const char* kFcCore =
    "#if defined(__ARM_FEATURE_DSP)\n"
    "#define TINYAOT_DSP_FC_GROUP                  \\\n"
    "  \"ldrd r8, r9, [%[x]], #8\\n\\t\"            \\\n"
    "  \"ldr r10, [%[w0], %[c]]\\n\\t\"             \\\n"
    "  \"sxtb16 r11, r10\\n\\t\"                    \\\n"
    "  \"sxtb16 r10, r10, ror #8\\n\\t\"            \\\n"
    "  \"smlad %[a1], r11, r8, %[a1]\\n\\t\"        \\\n"
    "  \"smlad %[a1], r10, r9, %[a1]\\n\\t\"        \\\n"
    "  \"ldr r10, [%[w2], %[c]]\\n\\t\"             \\\n"
    "  \"sxtb16 r11, r10\\n\\t\"                    \\\n"
    "  \"sxtb16 r10, r10, ror #8\\n\\t\"            \\\n"
    "  \"smlad %[a3], r11, r8, %[a3]\\n\\t\"        \\\n"
    "  \"smlad %[a3], r10, r9, %[a3]\\n\\t\"        \\\n"
    "  \"ldr r10, [%[w2]], #4\\n\\t\"               \\\n"
    "  \"sxtb16 r11, r10\\n\\t\"                    \\\n"
    "  \"sxtb16 r10, r10, ror #8\\n\\t\"            \\\n"
    "  \"smlad %[a2], r11, r8, %[a2]\\n\\t\"        \\\n"
    "  \"smlad %[a2], r10, r9, %[a2]\\n\\t\"        \\\n"
    "  \"ldr r10, [%[w0]], #4\\n\\t\"               \\\n"
    "  \"sxtb16 r11, r10\\n\\t\"                    \\\n"
    "  \"sxtb16 r10, r10, ror #8\\n\\t\"            \\\n"
    "  \"smlad %[a0], r11, r8, %[a0]\\n\\t\"        \\\n"
    "  \"smlad %[a0], r10, r9, %[a0]\\n\\t\"\n"
    "static inline void tinyaot_dsp_mac4x1(const int16_t* x, const int8_t* w0, int32_t C, int32_t* acc) {\n"
    "  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];\n"
    "  const int8_t* w2 = w0 + 2 * C;\n"
    "  int32_t n = C >> 2;\n"
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
    "      TINYAOT_DSP_FC_GROUP\n"
    "      \"cmp %[x], %[n]\\n\\t\"\n"
    "      \"bne 1b\\n\"\n"
    "      : [x] \"+r\"(x), [w0] \"+r\"(w0), [w2] \"+r\"(w2), [n] \"+r\"(n), [a0] \"+r\"(a0), [a1] "
    "\"+r\"(a1),\n"
    "        [a2] \"+r\"(a2), [a3] \"+r\"(a3)\n"
    "      : [c] \"r\"(C)\n"
    "      : \"r8\", \"r9\", \"r10\", \"r11\", \"cc\", \"memory\");\n"
    "  acc[0] = a0;\n"
    "  acc[1] = a1;\n"
    "  acc[2] = a2;\n"
    "  acc[3] = a3;\n"
    "}\n"
    "#endif\n";

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
      "static void tinyaot_dsp_fc4{0}_{1}{2}(const {3}* x, int16_t* xs, const int8_t* w, int32_t C, const "
      "int32_t* r,\n"
      "                                 {4}* y, int32_t M, int32_t zp) {{\n"
      "  (void)zp;\n"
      "  for (int32_t c = 0; c < C; c += 4) {{\n"
      "    uint32_t v;\n"
      "    memcpy(&v, x + c, 4);\n"
      "    const int32_t a = __builtin_arm_{10}((int32_t)v), b = __builtin_arm_{10}((int32_t)((v >> 8) | (v "
      "<< 24)));\n"
      "    memcpy(xs + c, &a, 4);\n"
      "    memcpy(xs + c + 2, &b, 4);\n"
      "  }}\n"
      "  int32_t m = 0;\n"
      "  for (; m + 4 <= M; m += 4, r += 16, w += 4 * C) {{\n"
      "    int32_t acc[4] = {{r[0], r[4], r[8], r[12]}};\n"
      "    tinyaot_dsp_mac4x1(xs, w, C, acc);\n"
      "    y[m] = ({4}){5};\n"
      "    y[m + 1] = ({4}){6};\n"
      "    y[m + 2] = ({4}){7};\n"
      "    y[m + 3] = ({4}){8};\n"
      "  }}\n"
      "  for (; m < M; ++m, r += 4, w += C) {{\n"
      "    int32_t acc = r[0];\n"
      "    for (int32_t c = 0; c < C; c += 4) {{\n"
      "      uint32_t wv, xa, xb;\n"
      "      memcpy(&wv, w + c, 4);\n"
      "      memcpy(&xa, xs + c, 4);\n"
      "      memcpy(&xb, xs + c + 2, 4);\n"
      "      acc = __builtin_arm_smlad(__builtin_arm_sxtb16((int32_t)wv), (int32_t)xa, acc);\n"
      "      acc = __builtin_arm_smlad(__builtin_arm_sxtb16((int32_t)((wv >> 8) | (wv << 24))), (int32_t)xb, "
      "acc);\n"
      "    }}\n"
      "    y[m] = ({4}){9};\n"
      "  }}\n"
      "}}\n"
      "#endif\n",
      all_fast ? "f" : "", tsuf(xt), y, xt, yt, rq("acc[0]", "r"), rq("acc[1]", "(r + 4)"),
      rq("acc[2]", "(r + 8)"), rq("acc[3]", "(r + 12)"), rq("acc", "r"),
      xt == "int8_t" ? "sxtb16" : "uxtb16");
}

}  // namespace

bool fc_supported(const KernelCtx& ctx, const QConvLayer& L) {
  const ir::Node& n = ctx.node();
  if (n.inputs.size() < 4 || !n.inputs[3] || !n.inputs[3]->is_constant()) return false;
  if (!L.bias.empty() && (n.inputs.size() < 9 || !n.inputs[8] || !n.inputs[8]->is_constant())) return false;
  if (L.mult.size() != static_cast<size_t>(L.M) || L.C % 4 != 0) return false;
  for (int64_t o : L.out)
    if (o != 1) return false;
  return true;
}

void emit_fc(KernelCtx& ctx, const QConvLayer& L) {
  bool all_fast = true;
  const std::vector<double> rt = folded_rq_table(ctx, L, L.M, &all_fast);
  const std::string rtab = ctx.const_table("rq", ir::DType::I32, rt);
  ctx.require_helper("tinyaot_dsp_core_fc", kFcCore);
  require_rq_helper(ctx, L.y_type);
  const std::string fc =
      fmt::format("tinyaot_dsp_fc4{}_{}{}", all_fast ? "f" : "", tsuf(L.x_type), tsuf(L.y_type));
  ctx.require_helper(fc, fc_helper_text(L.x_type, L.y_type, all_fast));
  const std::string xs = ctx.scratch(static_cast<size_t>(L.C) * 2, "int16_t");
  if (!L.bias.empty()) ctx.line("(void){};", L.bias);
  ctx.line("{}(x0, {}, (const int8_t*)x3, {}, {}, y0, {}, {});", fc, xs, L.C, rtab, L.M, L.yzp);
}

}  // namespace tinyaot::codegen::arm
