// The Cortex-M DSP requantization records (codegen/kernels/arm_dsp_gemm.h): a record with sh > 0
// is evaluated on the MCU as floor((acc * mult + 2^(31+sh) + zp * 2^(32+sh)) / 2^(32+sh)), then
// saturated; that must equal the generic ONNX requantization (round half to even) for every
// accumulator within the bound the compiler proved, and records where a tie is possible must fall
// back to the generic rounding (sh < 0).
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>

#include "codegen/kernels/arm_dsp_gemm.h"
#include "compiler/ops/quant_math.h"

using namespace tinyaot;

namespace {

// The fast evaluation, with 128-bit integers (independent of the emitted C).
int32_t fast_requant(int32_t acc, const codegen::arm::RqRecord& r, int32_t zp, int32_t lo, int32_t hi) {
  const __int128 s = static_cast<__int128>(32 + r.sh);
  const __int128 v = static_cast<__int128>(acc) * r.mult + (static_cast<__int128>(1) << (s - 1)) +
                     static_cast<__int128>(zp) * (static_cast<__int128>(1) << s);
  __int128 q = v >> s;  // arithmetic shift: floor
  if (q < lo) q = lo;
  if (q > hi) q = hi;
  return static_cast<int32_t>(q);
}

}  // namespace

TEST_CASE("DSP requantization records match the generic rounding within the bound", "[arm][requant]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> scale(1e-5f, 0.6f);
  int fast = 0;
  for (int t = 0; t < 400; ++t) {
    const quant::Requant q = quant::make_requant(scale(rng));
    const int64_t bound = int64_t{1} << (8 + t % 16);
    const codegen::arm::RqRecord r = codegen::arm::rq_record_for(q.mult, q.shift, bound);
    if (r.sh < 0) {
      CHECK(r.mult == q.mult);
      CHECK(r.sh == -q.shift - 1);
      continue;
    }
    ++fast;
    std::uniform_int_distribution<int64_t> acc(-bound, bound);
    for (int zp : {-128, 0, 5, 127}) {
      for (int i = 0; i < 2000; ++i) {
        const int32_t a = static_cast<int32_t>(i < 3 ? (i - 1) * bound : acc(rng));
        REQUIRE(fast_requant(a, r, zp, -128, 127) == quant::requantize(a, q, zp, -128, 127));
      }
    }
  }
  CHECK(fast > 100);  // most realistic layers take the fast path
}

TEST_CASE("DSP requantization records fall back where ties are possible", "[arm][requant]") {
  // mult * 2^-shift = (3 << 22) * 2^-26 = 3/16: acc = 8 gives 1.5 exactly, a tie the fast form
  // would round up.
  const int32_t m = 3 << 22;
  const codegen::arm::RqRecord tie = codegen::arm::rq_record_for(m, 26, 100);
  CHECK(tie.sh == -27);
  CHECK(tie.mult == m);
  const quant::Requant q{m, 26};
  CHECK(quant::requantize(8, q, 0, -128, 127) == 2);
  CHECK(quant::requantize(24, q, 0, -128, 127) == 4);
  // The same multiplier with |acc| < 8 cannot produce a tie: the fast form is allowed.
  const codegen::arm::RqRecord no_tie = codegen::arm::rq_record_for(m, 26, 7);
  REQUIRE(no_tie.sh > 0);
  for (int32_t a = -7; a <= 7; ++a)
    CHECK(fast_requant(a, no_tie, 3, -128, 127) == quant::requantize(a, q, 3, -128, 127));
}
