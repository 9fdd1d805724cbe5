// The single place where int8 kernel emitters (quant, quant_ms and target-specific kernels) write
// a requantization: it picks the node's rounding mode (quant::rounding_of, set by `--rounding`),
// registers the matching file-level C helper and returns the call expression.
#pragma once

#include <string>

#include "codegen/kernel_ctx.h"
#include "compiler/ops/op_util.h"
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

// One QLinearAdd element (codegen/kernels/quant_add.cpp), shared by com.microsoft.QLinearAdd and
// the fused residual epilogue of QLinearConv so both compute exactly the same integers.
// prepare_qadd_element registers helpers and exception tables (known: constant scales and zero
// points; otherwise the float32 definition with run-time scales); emit_qadd_element writes the
// statements for int32 values `a`, `b` and assigns the 8-bit result to `dst`. The statements
// declare q_* locals, so callers put them in a block of their own when emitted more than once.
struct QAddElement {
  bool tflite = false;
  QAddPlan plan;
  TfliteAdd tp;
  std::string fn, ctype, exa, exb, exy;
  int32_t lo = 0, hi = 0;
};
QAddElement prepare_qadd_element(codegen::KernelCtx& ctx, ir::DType t, bool known, float sa, int32_t za,
                                 float sb, int32_t zb, float sy, int32_t zy);
void emit_qadd_element(codegen::KernelCtx& ctx, const QAddElement& e, const std::string& a,
                       const std::string& b, const std::string& za, const std::string& zb,
                       const std::string& zy, const std::string& sa, const std::string& sb,
                       const std::string& sy, const std::string& dst);

// Optional inputs of quantized nodes (scales, zero points, bias): whether input i is given,
// whether it is a compile-time constant, and its value (null when it is not constant).
inline bool present(const ir::Node& n, size_t i) {
  return ops::has_input(n, i);
}
inline bool is_const(const ir::Node& n, size_t i) {
  return present(n, i) && n.inputs[i]->is_constant();
}
inline const ir::Value* cval(const ir::Node& n, size_t i) {
  return is_const(n, i) ? n.inputs[i]->value.get() : nullptr;
}

}  // namespace tinyaot::quant
