// Cortex-M DSP int8 GEMM body written as one naked inline-assembly function per output type: 2
// output channels x 2 pixels per block, biases, weights and requantization records read as one
// stream (see arm_dsp_gemm_asm.cpp). Used by emit_gemm2x2 for layers whose records are all fast.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codegen/kernel_ctx.h"

namespace tinyaot::codegen::arm {

// Words of one channel pair in the stream: 2 biases, G groups of 4 weight words, 6 record words
// (4 when every shift is 1: the shift is then SSAT's immediate and not stored).
inline int64_t pw2x2_pair_words(int64_t G, bool shift1) {
  return (shift1 ? 6 : 8) + 4 * G;
}

// The stream from the GEMM's int16 weight words wt ([pair][group][channel][2 words], G groups) and
// folded_rq_table's 4 words per channel (bias with the input zero point folded in, multiplier,
// sh > 0, high word of the SMLAL addend), M2 channels (even).
std::vector<double> pw2x2_stream(const std::vector<double>& wt, const std::vector<double>& rt, int64_t G,
                                 int64_t M2, bool shift1);

// Whether every record of folded_rq_table's table rt has shift 1 (the common case: rq_record_for
// picks the smallest shift).
bool pw2x2_shift1(const std::vector<double>& rt);

// Registers `void NAME(const int16_t* xs, const int32_t* stream, T* y, int32_t ystride,
// int32_t pairs, int32_t G)` for output type y_type and returns NAME. For `pairs` channel pairs
// it stores the 2 x 2 outputs at y[0], y[1], y[ystride], y[ystride + 1], then y += 2 * ystride.
// shift1: the variant for streams without shifts (pw2x2_shift1).
std::string require_pw2x2_asm(KernelCtx& ctx, const std::string& y_type, bool shift1);

// Registers `void NAME(const X* x, int32_t P, int32_t groups, int16_t* xs)` for input type x_type
// and returns NAME: channels 4g..4g+3 of pixels x[0] and x[1] (channel stride P) for g < groups,
// sign- or zero-extended into xs in the GEMM's [group][pixel][4] layout (13 instructions a group).
std::string require_widen4_asm(KernelCtx& ctx, const std::string& x_type);

}  // namespace tinyaot::codegen::arm
