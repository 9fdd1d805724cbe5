// Cortex-M DSP int8 depthwise 3x3 kernel, stride 1 or 2 (see arm_dsp_depthwise_asm.h). One naked
// function per layer shape widens a channel's input into a bordered int16 plane (SXTB16, 1.5
// instructions per input) and walks it in 2x2 output blocks: the six weight pairs stay in r4-r9
// for the whole plane, each of the block's 4 input rows is one LDRD of 4 int16, and the 36 MACs
// are 12 SMLAD + 12 SMLAxy (a 3-tap row of output x is SMLAD over (x0, x1) and (w0, w1) plus
// SMLABT of x2 with w2; output x + 1 uses (x2, x3) with (w1, w2) plus SMLATB of x1 with w0).
// Requantization is SMMLA (multiplier, rounding and output zero point folded into the addend) and
// SSAT with the common shift as an immediate; STRB stores. Stride 1: 42 instructions per 4
// outputs (rows of more than 3 blocks add 3 of loop control). Stride 2 loads 5 input rows, each
// with one more LDR for the fifth column, which output x + 1 meets in one SMLABT. The function
// owns all 14 usable registers, so it is naked (its own push/pop) and keeps the bias,
// multiplier, addend and loop bounds in a 20-byte stack frame.
#include "codegen/kernels/arm_dsp_depthwise_asm.h"

#include "codegen/kernels/arm_dsp_gemm.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace tinyaot::codegen::arm {

namespace {

// Assembly text collected line by line, emitted as one string literal per instruction.
struct AsmText {
  std::string s;
  void op(const std::string& t) { s += "      \"" + t + "\\n\\t\"\n"; }
  void label(int n) { s += fmt::format("      \"{}:\\n\\t\"\n", n); }
};

// Register plan: r0 input pointer q (top-left input of the block), r1 output pointer, r2/r3 one
// input row (or the multiplier and addend), r4-r9 the weight pairs (w0, w1) and (w1, w2) of kernel
// rows 0..2, r10/r11/r12/lr the accumulators of outputs (0, 0), (0, 1), (1, 0), (1, 1).
// Stack frame: [sp] end of the row's block loop, [sp + 4] bias, [sp + 8] multiplier, [sp + 12]
// SMMLA addend, [sp + 16] end of the row-pair loop.
const char* kAcc[2][2] = {{"r10", "r11"}, {"r12", "lr"}};
const char* kW[3][2] = {{"r4", "r5"}, {"r6", "r7"}, {"r8", "r9"}};

// One block of R output rows x X output columns (R, X in {1, 2}) at q, stride S (1 or 2); advances
// y by X and, with post_inc, q by 2 columns. P is the plane's row pitch in bytes.
void emit_block(AsmText& a, int R, int X, int S, int64_t P, int64_t OW, int32_t T, const char* sat,
                bool post_inc) {
  a.op("ldr r10, [sp, #4]");
  // The input row feeding every accumulator first: each accumulator's first MAC adds the bias
  // from r10, so the (0, 0) accumulator (r10 itself) goes last there. Row 0 last, for the
  // post-increment of q.
  const std::vector<int> order = R == 1   ? std::vector<int>{1, 2, 0}
                                 : S == 1 ? std::vector<int>{1, 2, 3, 0}
                                          : std::vector<int>{2, 1, 3, 4, 0};
  const int step = 4 * S;
  bool first = true;
  for (int ir : order) {
    const int64_t off = ir * P;
    const bool inc = ir == 0 && post_inc;
    if (inc)
      a.op(fmt::format("ldrd r2, r3, [r0], #{}", step));
    else
      a.op(off ? fmt::format("ldrd r2, r3, [r0, #{}]", off) : std::string("ldrd r2, r3, [r0]"));
    std::vector<std::pair<int, int>> accs;  // (output row, column) fed by this input row
    for (int c = X - 1; c >= 0; --c)
      for (int r = R - 1; r >= 0; --r)
        if (ir - r * S >= 0 && ir - r * S <= 2) accs.emplace_back(r, c);
    // Stride 1: output x reads (x0, x1) (x2, x3) of r2/r3, output x + 1 the same words. Stride 2:
    // output x + 1 reads (x2, x3) and x4, loaded into r2 once output x is done with (x0, x1).
    auto add = [&](const char* acc) { return first ? "r10" : acc; };
    for (auto [r, c] : accs) {
      const int k = ir - r * S;
      const char* acc = kAcc[r][c];
      if (c == 0) {
        a.op(fmt::format("smlad {}, r2, {}, {}", acc, kW[k][0], add(acc)));
        a.op(fmt::format("smlabt {0}, r3, {1}, {0}", acc, kW[k][1]));
      } else if (S == 1) {
        a.op(fmt::format("smlad {}, r3, {}, {}", acc, kW[k][1], add(acc)));
        a.op(fmt::format("smlatb {0}, r2, {1}, {0}", acc, kW[k][0]));
      } else {
        a.op(fmt::format("smlad {}, r3, {}, {}", acc, kW[k][0], add(acc)));
      }
    }
    if (S == 2 && X == 2) {
      const int64_t coff = off + 8 - (inc ? step : 0);
      a.op(coff ? fmt::format("ldr r2, [r0, #{}]", coff) : std::string("ldr r2, [r0]"));
      for (auto [r, c] : accs)
        if (c == 1) a.op(fmt::format("smlabt {0}, r2, {1}, {0}", kAcc[r][c], kW[ir - r * S][1]));
    }
    first = false;
  }
  a.op("ldrd r2, r3, [sp, #8]");
  for (int i = R * X - 1; i >= 0; --i) {
    const int r = i / X, c = i % X;
    const char* acc = kAcc[r][c];
    a.op(fmt::format("smmla {0}, {0}, r2, r3", acc));
    a.op(fmt::format("{1} {0}, #8, {0}, asr #{2}", acc, sat, T));
    if (i == 0)
      a.op(fmt::format("strb {}, [r1], #{}", acc, X));
    else
      a.op(fmt::format("strb {}, [r1, #{}]", acc, r * OW + c));
  }
}

// XB two-column blocks of R rows along a row: unrolled up to 3 blocks, else a loop (label `lab`)
// whose end is kept at [sp].
void emit_block_row(AsmText& a, int R, int64_t XB, int S, int lab, int64_t P, int64_t OW, int32_t T,
                    const char* sat) {
  if (XB <= 3) {
    for (int64_t i = 0; i < XB; ++i) emit_block(a, R, 2, S, P, OW, T, sat, true);
    return;
  }
  a.op(fmt::format("addw r2, r0, #{}", 4 * S * XB));
  a.op("str r2, [sp]");
  a.label(lab);
  emit_block(a, R, 2, S, P, OW, T, sat, true);
  a.op("ldr r2, [sp]");
  a.op("cmp r0, r2");
  a.op(fmt::format("bne {}b", lab));
}

// Widens the channel's H x W input (r0) into the plane (r3) interior at row PT, column PL: groups
// of 4 inputs at 4-byte aligned plane columns are LDR, SXTB16 (even and odd bytes), two PKH and
// STRD (6 instructions); the others LDRSB + STRH. The first input of a row is accessed last, with
// post-increments stepping both pointers to the next row. Leaves r3 unchanged, clobbers r4-r9.
void emit_widen(AsmText& a, const QConvLayer& L, int64_t P) {
  const int64_t H = L.in[0], Wd = L.in[1], PT = L.pb[0], PL = L.pb[1];
  const bool xs8 = L.x_type == "int8_t";
  const char* ld1 = xs8 ? "ldrsb" : "ldrb";
  const char* ext = xs8 ? "sxtb16" : "uxtb16";
  // r4 points at the plane column g0 (PL rounded up to even), so group stores are aligned STRD.
  const int64_t g0 = (PL + 1) / 2 * 2;
  const int64_t dst0 = PT * P + 2 * g0;
  if (dst0 <= 4095)
    a.op(fmt::format("addw r4, r3, #{}", dst0));
  else
    a.op(fmt::format("movw r4, #{}", dst0)), a.op("add r4, r3, r4");
  a.op(fmt::format("movw r5, #{}", H * Wd));
  a.op("add r5, r0, r5");
  a.label(4);
  // (first input index, count) pieces: singles (count 1) and aligned groups of 4.
  std::vector<std::pair<int64_t, int>> pieces;
  int64_t j = 0;
  if (PL % 2) pieces.emplace_back(j++, 1);
  for (; j + 4 <= Wd; j += 4) pieces.emplace_back(j, 4);
  for (; j < Wd; ++j) pieces.emplace_back(j, 1);
  // The piece at source offset 0 and then the one at plane column g0 go last: they step the
  // pointers to the next row by post-increment, and the accesses after a step use offsets less
  // one row.
  auto key = [&](const std::pair<int64_t, int>& p) {
    return (p.first == 0 ? 1 : 0) + (PL + p.first == g0 ? 2 : 0);
  };
  std::stable_sort(pieces.begin(), pieces.end(),
                   [&](const auto& x, const auto& y) { return key(x) < key(y); });
  bool src_adv = false, dst_adv = false;
  for (auto [i, n] : pieces) {
    const int64_t so = i - (src_adv ? Wd : 0), d = 2 * (PL + i - g0) - (dst_adv ? P : 0);
    const bool src_step = !src_adv && i == 0, dst_step = !dst_adv && PL + i == g0;
    const std::string src = src_step ? fmt::format("[r0], #{}", Wd) : fmt::format("[r0, #{}]", so);
    const std::string dst = dst_step ? fmt::format("[r4], #{}", P) : fmt::format("[r4, #{}]", d);
    src_adv = src_adv || src_step;
    dst_adv = dst_adv || dst_step;
    if (n == 1) {
      a.op(fmt::format("{} r6, {}", ld1, src));
      a.op(fmt::format("strh r6, {}", dst));
    } else {
      a.op(fmt::format("ldr r6, {}", src));
      a.op(fmt::format("{} r7, r6", ext));
      a.op(fmt::format("{} r8, r6, ror #8", ext));
      a.op("pkhbt r6, r7, r8, lsl #16");
      a.op("pkhtb r9, r8, r7, asr #16");
      a.op(fmt::format("strd r6, r9, {}", dst));
    }
  }
  if (!src_adv) a.op(fmt::format("add r0, r0, #{}", Wd));
  if (!dst_adv) a.op(fmt::format("add r4, r4, #{}", P));
  a.op("cmp r0, r5");
  a.op("bne 4b");
}

}  // namespace

bool plan_dw3x3_asm(const KernelCtx& ctx, const QConvLayer& L, Dw3x3AsmPlan* plan) {
  // int8 in and out only: the uint8 variants (LDRB/UXTB16, USAT) have no ONNX Runtime reference
  // case (its QLinearConv wants x and y of one type) and keep the older kernel.
  if (L.k[0] != 3 || L.k[1] != 3 || (L.s[0] != 1 && L.s[0] != 2) || L.s[1] != L.s[0] ||
      L.x_type != "int8_t" || L.y_type != "int8_t")
    return false;
  const std::vector<RqRecord> rq = rq_records(ctx, L);
  if (rq.empty()) return false;
  int32_t T = 0;
  for (const RqRecord& r : rq) {
    if (r.sh <= 0) return false;
    T = std::max(T, r.sh);
  }
  if (T > 22) return false;
  const ir::Value& wv = *ctx.node().inputs[3]->value;
  const bool s8 = L.x_type == "int8_t";
  const int64_t lo = s8 ? -128 : 0, hi = s8 ? 127 : 255;
  const int64_t maxdx = std::max(std::llabs(lo - L.xzp), std::llabs(hi - L.xzp));
  const int64_t maxraw = std::max(std::llabs(lo), std::llabs(hi));
  plan->T = T;
  plan->records.clear();
  auto pair = [](int64_t a, int64_t b) {
    return static_cast<double>(
        static_cast<int32_t>((static_cast<uint32_t>(a) & 0xffffu) | (static_cast<uint32_t>(b) << 16)));
  };
  for (int64_t m = 0; m < L.C; ++m) {
    const RqRecord& r = rq[static_cast<size_t>(m)];
    int64_t w[9], sumw = 0, sumabs = 0;
    for (int64_t k = 0; k < 9; ++k) {
      w[k] = wv.get_i64(m * 9 + k);
      sumw += w[k];
      sumabs += std::llabs(w[k]);
    }
    // Reach the common shift: first the multiplier (while it fits), then weights and bias.
    const int32_t d = T - r.sh;
    int32_t c = 0;
    while (c < d && std::llabs(int64_t{r.mult}) * (int64_t{2} << c) <= INT32_MAX) ++c;
    const int32_t b = d - c;
    if (b > 8) return false;
    for (int64_t v : w)
      if (v * (int64_t{1} << b) < -32768 || v * (int64_t{1} << b) > 32767) return false;
    const int64_t biasf = static_cast<int64_t>(r.bias) - L.xzp * sumw;
    const int64_t mult = int64_t{r.mult} * (int64_t{1} << c);
    // Every partial sum of raw inputs, and the final accumulator, stay in int32; the SMMLA sum
    // acc * mult + addend * 2^32 stays in int64 (as rq_record_for requires of its records).
    const int64_t partial = (std::llabs(biasf) + maxraw * sumabs) << b;
    const int64_t bound = (std::llabs(int64_t{r.bias}) + maxdx * sumabs) << b;
    if (partial >= (int64_t{1} << 31) || bound >= (int64_t{1} << 31) ||
        bound * std::llabs(mult) >= (int64_t{1} << 62) - (int64_t{257} << (32 + T)))
      return false;
    const int64_t s = int64_t{1} << b;
    for (int64_t k = 0; k < 3; ++k) {
      plan->records.push_back(pair(w[3 * k] * s, w[3 * k + 1] * s));
      plan->records.push_back(pair(w[3 * k + 1] * s, w[3 * k + 2] * s));
    }
    plan->records.push_back(static_cast<double>(biasf * s));
    plan->records.push_back(static_cast<double>(mult));
    plan->records.push_back(static_cast<double>((int64_t{1} << (T - 1)) + L.yzp * (int64_t{1} << T)));
  }
  return true;
}

std::string require_dw3x3_asm_helper(KernelCtx& ctx, const QConvLayer& L, int64_t Wp, int32_t T) {
  const int64_t H = L.in[0], Wd = L.in[1], OH = L.out[0], OW = L.out[1], P = Wp * 2;
  const int64_t PT = L.pb[0], PL = L.pb[1];
  const int S = static_cast<int>(L.s[0]);
  const bool s8 = L.y_type == "int8_t", xs8 = L.x_type == "int8_t";
  const std::string name = fmt::format("tinyaot_dsp_dw3x3s{}_{}{}_{}x{}_{}x{}_p{}_{}_t{}", S,
                                       xs8 ? "s8" : "u8", s8 ? "s8" : "u8", H, Wd, OH, OW, PT, PL, T);
  const char* sat = s8 ? "ssat" : "usat";
  const int64_t pairs = OH / 2, XB = OW / 2;
  AsmText a;
  a.op("push {r4-r11, lr}");
  emit_widen(a, L, P);
  a.op("mov r0, r3");
  a.op("ldm r2, {r4-r12}");
  if (pairs > 0) {
    a.op(fmt::format("movw lr, #{}", pairs * 2 * S * P));
    a.op("add lr, r0, lr");
  }
  a.op("push {r3, r10, r11, r12, lr}");
  if (pairs > 0) {
    a.label(2);
    emit_block_row(a, 2, XB, S, 1, P, OW, T, sat);
    if (OW % 2) emit_block(a, 2, 1, S, P, OW, T, sat, false);
    if (2 * S * P - 4 * S * XB) a.op(fmt::format("addw r0, r0, #{}", 2 * S * P - 4 * S * XB));
    a.op(fmt::format("addw r1, r1, #{}", OW));
    a.op("ldr r2, [sp, #16]");
    a.op("cmp r0, r2");
    a.op("bne 2b");
  }
  if (OH % 2) {
    emit_block_row(a, 1, XB, S, 3, P, OW, T, sat);
    if (OW % 2) emit_block(a, 1, 1, S, P, OW, T, sat, false);
  }
  a.op("add sp, sp, #20");
  a.op("pop {r4-r11, pc}");
  ctx.require_helper(
      name,
      fmt::format("#if defined(__ARM_FEATURE_DSP)\n"
                  "// One channel: input {}x{} widened into the int16 plane (pitch {}), output {}x{},\n"
                  "// record of 9 int32.\n"
                  "static __attribute__((naked, noinline, unused)) void {}(const {}*, {}*, const int32_t*,\n"
                  "                                                        int16_t*) {{\n"
                  "  __asm__ volatile(\n{}  );\n}}\n#endif\n",
                  H, Wd, Wp, OH, OW, name, L.x_type, L.y_type, a.s));
  return name;
}

}  // namespace tinyaot::codegen::arm
