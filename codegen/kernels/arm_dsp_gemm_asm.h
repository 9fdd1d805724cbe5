// Cortex-M DSP int8 GEMM body written as one naked inline-assembly function per output type: 2
// output channels x 2 pixels per block, biases, weights and requantization records read as one
// stream (see arm_dsp_gemm_asm.cpp). Used by emit_gemm2x2 for layers whose records are all fast.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codegen/kernel_ctx.h"

namespace tinyaot::codegen::arm {

// Words of one channel pair in the stream: 2 biases, G groups of 4 weight words, 6 record words.
inline int64_t pw2x2_pair_words(int64_t G) {
  return 8 + 4 * G;
}

// The stream from the GEMM's int16 weight words wt ([pair][group][channel][2 words], G groups) and
// folded_rq_table's 4 words per channel (bias with the input zero point folded in, multiplier,
// sh > 0, high word of the SMLAL addend), M2 channels (even).
std::vector<double> pw2x2_stream(const std::vector<double>& wt, const std::vector<double>& rt, int64_t G,
                                 int64_t M2);

// Registers `void NAME(const int16_t* xs, const int32_t* stream, T* y, int32_t ystride,
// int32_t pairs, int32_t G)` for output type y_type and returns NAME. For `pairs` channel pairs
// it stores the 2 x 2 outputs at y[0], y[1], y[ystride], y[ystride + 1], then y += 2 * ystride.
std::string require_pw2x2_asm(KernelCtx& ctx, const std::string& y_type);

}  // namespace tinyaot::codegen::arm
