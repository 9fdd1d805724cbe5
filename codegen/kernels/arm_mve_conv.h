// Cortex-M55 MVE/Helium int8 convolution kernels, emitted by the QLinearConv emitter
// (codegen/kernels/quant.cpp) in front of the DSP and generic bodies for --target cortex-m55.
#pragma once

#include <cstddef>
#include <string>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/arm_qconv.h"

namespace tinyaot::codegen::arm {

// Whether --target `t` gets MVE kernels (the generated code still checks __ARM_FEATURE_MVE).
bool has_mve(Target t);

// The file-level MVE helpers (registered as "tinyaot_mve": <arm_mve.h>, the scheduling pragma, the
// exact vector requantization and the int8/uint8 saturations), shared with arm_mve_eltwise.
const char* mve_helpers_text();

// What emit_qconv_mve did: whether it emitted a block, and the scratch bytes that block uses.
struct MveEmit {
  bool emitted = false;
  size_t scratch_bytes = 0;
};

// For a layer the MVE kernels support, emits the self-contained block
//   #if defined(__ARM_FEATURE_MVE)  { <MVE body> return; }  #else  (void) of its names  #endif
// at the start of the kernel body. Emits nothing for other layers and targets. Whatever the emitter writes
// after the block (the DSP body under __ARM_FEATURE_DSP, the generic loops) is what builds without MVE run,
// so one generated file serves -mcpu=cortex-m55, -mcpu=cortex-m55+nomve and the host.
MveEmit emit_qconv_mve(KernelCtx& ctx, const QConvLayer& L);

// Called after the other bodies are emitted (they may request scratch too): names the kernel
// `<name>_mve` and sizes the scratch for the larger of the requests.
void finish_qconv_mve(KernelCtx& ctx, const std::string& name, const MveEmit& mve);

}  // namespace tinyaot::codegen::arm
