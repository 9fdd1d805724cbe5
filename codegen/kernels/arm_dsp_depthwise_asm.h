// Cortex-M DSP int8 depthwise 3x3 stride-1/2 kernel written as one naked inline-assembly function
// per layer shape: 2x2 output blocks with all weights in registers (see arm_dsp_depthwise_asm.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/arm_qconv.h"

namespace tinyaot::codegen::arm {

// What the 3x3 assembly kernel needs from a layer: one record of 9 int32 per channel
// (int16 weight pairs (w0, w1) and (w1, w2) of the 3 kernel rows, the bias with the input zero
// point folded in, the SMMLA multiplier and addend) and the common requantization shift T, which
// SSAT applies as an immediate. Channels whose own shift is smaller reach T by scaling their
// multiplier and, where that does not fit, their weights and bias by a power of two (the same
// rational number, so results are unchanged).
struct Dw3x3AsmPlan {
  int32_t T = 0;
  std::vector<double> records;  // 9 per channel
};

// Fills *plan and returns true when the layer is a 3x3 depthwise convolution of stride 1 or 2 with
// int8 input and output whose requantization records are all tie-free SMLAL records (rq_records) and can
// share one shift.
bool plan_dw3x3_asm(const KernelCtx& ctx, const QConvLayer& L, Dw3x3AsmPlan* plan);

// The naked assembly function for one channel plane: `void NAME(const int16_t* plane, T* y,
// const int32_t* record)`, where plane is the zero-point-bordered int16 input of row pitch Wp
// elements (Wp even, 4-byte aligned) and y the OH x OW output plane. Registers it and returns NAME.
std::string require_dw3x3_asm_helper(KernelCtx& ctx, const QConvLayer& L, int64_t Wp, int32_t T);

}  // namespace tinyaot::codegen::arm
