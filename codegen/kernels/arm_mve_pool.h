// Cortex-M55 MVE/Helium body of 8-bit MaxPool (plan and hook in arm_dsp_pool.h).
#pragma once

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/arm_dsp_pool.h"

namespace tinyaot::codegen::arm {

// Whether the MVE body takes the layer (horizontal strides up to 17: 16 lanes' byte offsets).
bool maxpool_mve_supported(const MaxPoolPlan& p);

// Emits `#if defined(__ARM_FEATURE_MVE) { ... return; } #endif`: per output row, 16 columns per
// VMAX.S8/U8 over the window rows (VCTP-predicated tail), then 16 outputs per VMAX over the KW
// taps, each a contiguous load (stride 1) or a byte-offset gather (VLDRB gather, offsets ow * SW).
void emit_maxpool_mve_body(KernelCtx& ctx, const MaxPoolPlan& p);

}  // namespace tinyaot::codegen::arm
