// Cortex-M DSP-extension body of QLinearMatMul and com.microsoft.QGemm with a constant B
// (M4/M7/M33, and M55 builds without MVE); planned and hooked in by arm_mve_gemm.cpp.
#pragma once

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/arm_mve_gemm.h"

namespace tinyaot::codegen::arm {

// Emits the self-contained block `#if defined(__ARM_FEATURE_DSP) { ... return; } #endif`: B's
// columns in blocks of 4, its int8 values interleaved per group of 4 rows at compile time (one
// word per column and group, the same flash as B), and an inline-assembly loop that reads 4 A
// bytes per LDR, widens them with SXTB16/UXTB16 and accumulates 4 columns with 8 SMLAD (21
// instructions per 16 MACs). K % 4 tail taps are C multiply-adds; each output is stored through
// the plan's (generic) output expression, so the bytes equal the generic kernel's.
void emit_qgemm_dsp_body(KernelCtx& ctx, const QGemmPlan& p);

}  // namespace tinyaot::codegen::arm
