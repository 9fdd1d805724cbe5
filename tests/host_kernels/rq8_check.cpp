// Checks the AVX2 requantization of the host kernels (tinyaot_x86_rq8, codegen/kernels/
// quant_host_avx2.cpp) against the scalar tinyaot_requant of the portable loops, both taken from
// one generated file (-DGEN_CPP="path/m.cpp", built with -march=x86-64-v3): every shift the
// compiler can produce (0..56), multipliers and accumulators over the whole int32 range with their
// extremes, and the int8/uint8 output ranges. Prints the first mismatch; exit 1 on any.
#include <cstdio>
#include <cstring>

#include GEN_CPP

#if !defined(TINYAOT_X86_AVX2)
#error "build with -march=x86-64-v3: the AVX2 branch is not selected"
#endif

namespace {

uint64_t rng_state = 0x9e3779b97f4a7c15ull;
uint32_t next_u32() {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return static_cast<uint32_t>(rng_state >> 16);
}

}  // namespace

int main() {
  const int32_t edges[] = {
      0,          1,          -1,     2,          -2,          127,        -128,
      255,        65535,      -65536, 0x3fffffff, -0x40000000, 0x7fffffff, -0x7fffffff - 1,
      0x7ffffffe, -0x7fffffff};
  const int32_t ranges[][3] = {
      {3, -128, 127}, {-128, -128, 127}, {127, -128, 127}, {131, 0, 255}, {0, 0, 255}};
  long checked = 0;
  for (int32_t shift = 0; shift <= 56; ++shift)
    for (int rep = 0; rep < 400; ++rep) {
      int32_t acc[8], mult;
      // Multipliers: edges, random full-range values, and the normalised ones make_requant produces.
      if (rep < 16)
        mult = edges[rep];
      else if (rep % 2)
        mult = static_cast<int32_t>(next_u32());
      else
        mult = static_cast<int32_t>(0x40000000u | (next_u32() & 0x3fffffffu));
      for (int l = 0; l < 8; ++l) {
        const uint32_t r = next_u32();
        acc[l] = (r & 7) == 0  ? edges[r % 16]
                 : (r & 7) < 4 ? static_cast<int32_t>(next_u32())
                               : static_cast<int32_t>(next_u32() % 200001) - 100000;
      }
      // Every fourth repetition: exact halves and their neighbours, where round-half-to-even decides:
      // mult = 2^j, acc = k * 2^e + 2^(e-1) + d with e = shift - j in [1, 30], d in {-1, 0, 1}.
      if (shift > 0 && rep >= 16 && rep % 4 == 0) {
        const int32_t j = shift > 30 ? shift - 30 : 0, e = shift - j;
        mult = (int32_t)(1u << j);
        for (int l = 0; l < 8; ++l) {
          const int64_t k = (int64_t)(next_u32() % (1u << (31 - e))) - (int64_t)(1u << (30 - e));
          acc[l] = (int32_t)(k * ((int64_t)1 << e) + ((int64_t)1 << (e - 1)) + (l % 3) - 1);
        }
      }
      for (const auto& z : ranges) {
        int32_t got[8];
        _mm256_storeu_si256((__m256i*)got, tinyaot_x86_rq8(_mm256_loadu_si256((const __m256i*)acc), mult,
                                                           shift, z[0], z[1], z[2]));
        for (int l = 0; l < 8; ++l) {
          const int32_t want = tinyaot_requant(acc[l], mult, shift, z[0], z[1], z[2]);
          ++checked;
          if (got[l] != want) {
            std::printf("FAIL: acc %d mult %d shift %d zp %d [%d, %d]: rq8 %d, tinyaot_requant %d\n", acc[l],
                        mult, shift, z[0], z[1], z[2], got[l], want);
            return 1;
          }
        }
      }
    }
  std::printf("rq8_check: %ld lanes identical\n", checked);
  return 0;
}
