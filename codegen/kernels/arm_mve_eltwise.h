// Cortex-M55 MVE/Helium kernels of the int8 element-wise layers: QLinearAdd runs and byte sums
// (called from the hooks in arm_dsp_eltwise.cpp) and QuantizeLinear (hooked from quant.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/arm_dsp_eltwise.h"
#include "codegen/kernels/quant_emit.h"

namespace tinyaot::codegen::arm {

// Statements computing one QLinearAdd run with the 32-bit plan, 4 elements per vector.
void emit_qadd_run_mve(KernelCtx& ctx, const QAdd32Plan& p, const quant::QAddElement& qe, const QAddRun& r);

// Statements adding the n bytes at `ptr` minus zp each to the int32 lvalue `acc` (VADDVA).
void emit_byte_sum_mve(KernelCtx& ctx, const std::string& acc, const std::string& ptr, int64_t n, bool u8,
                       int64_t zp);

// QuantizeLinear (float32 to int8/uint8, one constant positive scale and zero point): for
// --target cortex-m55 emits the self-contained block
//   #if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)  { ... return; }  #endif
// at the start of the kernel body, renames the kernel `<name>_mve` and returns true; else emits
// nothing. The generic body that follows is what builds without MVE floating point run.
bool emit_quantize_mve(KernelCtx& ctx);

}  // namespace tinyaot::codegen::arm
