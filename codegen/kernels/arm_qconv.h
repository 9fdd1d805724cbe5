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

// The file-level DSP helpers every DSP kernel registers as "tinyaot_dsp": a 32-bit load that does
// not break strict aliasing and SXTB16/SMLAD through GCC/Clang builtins.
const char* dsp_helpers_text();

// How a kernel requantizes: when every channel's shift is within 7 of the largest one (and that
// is at most 56), the pairs (mult, shift) are rewritten at compile time to (mult << (S - shift), S)
// with one common literal shift S. The multiplier is the same rational number, and the shared
// requantization call rounds acc * mult / 2^shift once, so results are identical while the
// compiler folds the 64-bit shift sequence for the literal S (about 15 instead of 45 instructions
// per output on Cortex-M4). Otherwise the generic per-channel tables are used unchanged.
struct RequantPlan {
  bool common = false;
  int32_t S = 0;
  std::string mult;  // literal or table name (indexed by channel) when common
};
RequantPlan plan_requant(KernelCtx& ctx, const QConvLayer& L);

// The requantization expression of accumulator `acc` for output channel `ch` under plan `rp`.
std::string requant_expr(const RequantPlan& rp, const QConvLayer& L, const std::string& acc,
                         const std::string& ch);

// Emits `#if defined(__ARM_FEATURE_DSP)` + a DSP body + `#else` into ctx and returns true when the
// layer is supported; the caller then emits its generic body and closes with `#endif`. Returns
// false (emitting nothing) for unsupported layers, which keep the generic kernel alone.
bool emit_qconv_dsp_begin(KernelCtx& ctx, const QConvLayer& L);

}  // namespace tinyaot::codegen::arm
