// Cortex-M DSP-extension (SMLAD/SXTB16) int8 convolution kernels, used by the QLinearConv
// emitter (codegen/kernels/quant.cpp) for --target cortex-m4/m7/m33/m55 on the layers they support.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "codegen/kernel_ctx.h"

namespace tinyaot::codegen::arm {

// Whether --target `t` has the DSP extension (the generated code still checks __ARM_FEATURE_DSP).
bool has_dsp(Target t);

// What the generic QLinearConv emitter resolved at compile time for one layer.
struct QConvLayer {
  int64_t N = 1, C = 1, M = 1, G = 1;
  std::vector<int64_t> in, out, k, s, d, pb, pe;  // spatial dims
  int64_t xzp = 0;                                // input zero point (compile-time constant)
  bool wzp_zero = true;                           // every weight zero point is 0
  std::string bias;                               // C expression of the int32 bias table ("" = none)
  std::string x_type, y_type;                     // C element types (int8_t / uint8_t)
  std::string yzp_expr = "0";                     // C expression of the output zero point
  int64_t yzp = 0;                                // its value
  // Per output channel requantization (quant::Requant fields: value = mult * 2^-shift).
  std::vector<int32_t> mult, shift;
  // The generic kernels' requantization call for accumulator `acc` with the given multiplier and
  // shift expressions.
  std::function<std::string(const std::string& acc, const std::string& mult, const std::string& shift)>
      requant_call;
  // Returns the C expression storing-ready for accumulator `acc` of output channel `ch` (a C
  // expression): the generic kernels' requantization call, shared so rounding modes carry over.
  std::function<std::string(const std::string& acc, const std::string& ch)> requant;
};

// Emits `#if defined(__ARM_FEATURE_DSP)` + a DSP body + `#else` into ctx and returns true when the
// layer is supported; the caller then emits its generic body and closes with `#endif`. Returns
// false (emitting nothing) for unsupported layers, which keep the generic kernel alone.
bool emit_qconv_dsp_begin(KernelCtx& ctx, const QConvLayer& L);

}  // namespace tinyaot::codegen::arm
