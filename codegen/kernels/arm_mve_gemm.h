// Cortex-M55 MVE/Helium kernels of QLinearMatMul and com.microsoft.QGemm with a constant B
// (codegen/kernels/quant.cpp and quant_ms.cpp hook them in front of the generic loops for
// --target cortex-m55).
#pragma once

#include "codegen/kernel_ctx.h"
#include "compiler/ops/quant_ms.h"

namespace tinyaot::codegen::arm {

// For a QLinearMatMul the kernel supports (A int8/uint8 with rows contiguous, B a constant 2-D
// int8/uint8 matrix whose values minus their column zero point fit in int8, constant scales and
// zero points, 8-bit output), emits the self-contained block
//   #if defined(__ARM_FEATURE_MVE)  { ... return; }  #endif
// at the start of the kernel body, renames the kernel `<name>_mve` and returns true. Emits nothing
// otherwise. Accumulators equal the generic kernel's modulo 2^32 and are requantized by the same
// helper call, so the outputs are the same bytes.
bool emit_qmatmul_mve(KernelCtx& ctx);

// The same for com.microsoft.QGemm (A not transposed, B constant, either layout; any C; int8/uint8
// or float output), given the generic emitter's geometry.
bool emit_qgemm_mve(KernelCtx& ctx, const quant_ms::GemmGeo& g);

}  // namespace tinyaot::codegen::arm
