// Cortex-M DSP-extension int8 depthwise convolution kernel, used by the DSP QLinearConv dispatch
// (arm_qconv.cpp) for --target cortex-m4/m7/m33/m55.
#pragma once

#include <string>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/arm_qconv.h"

namespace tinyaot::codegen::arm {

// Depthwise 2D convolution (one input and one output channel per group), any kernel size,
// stride and padding, no dilation; not in place (the in-place variant keeps the generic kernel).
bool dsp_depthwise_supported(const KernelCtx& ctx, const QConvLayer& L);

// Emits the DSP body of a depthwise layer; `W` is the C name of its weight array. 3x3 layers of
// stride 1 or 2 that qualify get the assembly kernel of arm_dsp_depthwise_asm.h, the others the
// widened-plane SMLAD kernel.
void emit_dsp_depthwise(KernelCtx& ctx, const QConvLayer& L, const std::string& W);

}  // namespace tinyaot::codegen::arm
