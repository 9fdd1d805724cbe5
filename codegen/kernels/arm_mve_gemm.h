// Cortex-M55 MVE/Helium kernel of QLinearMatMul with a constant B (codegen/kernels/quant.cpp hooks
// it in front of the generic loops for --target cortex-m55).
#pragma once

#include "codegen/kernel_ctx.h"

namespace tinyaot::codegen::arm {

// For a QLinearMatMul the kernel supports (A int8/uint8 with rows contiguous, B a constant 2-D
// int8/uint8 matrix whose values minus their column zero point fit in int8, constant scales and
// zero points, 8-bit output), emits the self-contained block
//   #if defined(__ARM_FEATURE_MVE)  { ... return; }  #endif
// at the start of the kernel body, renames the kernel `<name>_mve` and returns true. Emits nothing
// otherwise. Accumulators equal the generic kernel's modulo 2^32 and are requantized by the same
// helper call, so the outputs are the same bytes.
bool emit_qmatmul_mve(KernelCtx& ctx);

}  // namespace tinyaot::codegen::arm
