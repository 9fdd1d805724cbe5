// The single place where int8 kernel emitters (quant, quant_ms and target-specific kernels) write
// a requantization: it picks the node's rounding mode (quant::rounding_of, set by `--rounding`),
// registers the matching file-level C helper and returns the call expression.
#pragma once

#include <string>

#include "codegen/kernel_ctx.h"
#include "compiler/ops/quant_math.h"

namespace tinyaot::quant {

// Name of the C helper `int32_t f(acc, mult, shift, zp, qmin, qmax)` of the node's mode, after
// registering it with the kernel.
inline std::string requant_fn(codegen::KernelCtx& ctx) {
  if (rounding_of(ctx.node()) == Rounding::Tflite) {
    ctx.require_helper("tinyaot_requant_tflite", requant_tflite_helper_c());
    return "tinyaot_requant_tflite";
  }
  ctx.require_helper("tinyaot_requant", requant_helper_c());
  return "tinyaot_requant";
}

// `requant_fn(ctx)(acc, mult, shift, zp, qmin, qmax)` as a C expression.
inline std::string requant_call(codegen::KernelCtx& ctx, const std::string& acc, const std::string& mult,
                                const std::string& shift, const std::string& zp, int32_t qmin, int32_t qmax) {
  return requant_fn(ctx) + "(" + acc + ", " + mult + ", " + shift + ", " + zp + ", " + std::to_string(qmin) +
         ", " + std::to_string(qmax) + ")";
}

}  // namespace tinyaot::quant
