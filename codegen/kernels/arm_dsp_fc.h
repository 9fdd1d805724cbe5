// Cortex-M DSP fully connected int8 kernel with an inline-assembly loop (4 output channels per
// pass, int8 weights read in place), for pointwise convolutions of a single pixel.
#pragma once

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/arm_qconv.h"

namespace tinyaot::codegen::arm {

// The end of a 4-accumulator SMLAD loop function in inline assembly (a0..a3 over x, w and the end
// pointer n; r8-r12 scratch): the loop test, the operand and clobber lists, the stores of the
// accumulators, `return w;` and the closing `#endif`. Shared by the fully connected and the
// QLinearMatMul/QGemm loops.
extern const char* const kDspMac4LoopEnd;

// Whether the kernel handles the layer: one output pixel, C % 4 == 0, constant weights and bias.
bool fc_supported(const KernelCtx& ctx, const QConvLayer& L);

// Emits the DSP body of such a layer (the caller has checked pointwise geometry).
void emit_fc(KernelCtx& ctx, const QConvLayer& L);

}  // namespace tinyaot::codegen::arm
