// Cortex-M DSP/FPU QuantizeLinear kernel (float32 to int8/uint8, one constant scale and zero
// point): the same float division as the generic kernel, then VCVTR, QADD and SSAT/USAT.
#pragma once

#include "codegen/kernel_ctx.h"

namespace tinyaot::codegen::arm {

// For --target cortex-m4/m7/m33/m55 and a per-tensor QuantizeLinear with a constant positive
// scale and zero point, emits the self-contained block
//   #if defined(__ARM_FEATURE_DSP) && defined(__ARM_FP) && (__ARM_FP & 4)  { ... return; }  #endif
// at the start of the kernel body (after the M55's MVE block, if any), renames the kernel
// `<name>_dsp` (M55 kernels keep `_mve`) and returns true; else emits nothing. The generic body
// that follows is what builds without the DSP extension or a single-precision FPU run.
bool emit_quantize_dsp(KernelCtx& ctx);

}  // namespace tinyaot::codegen::arm
