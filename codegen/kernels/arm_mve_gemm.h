// Cortex-M target kernels of QLinearMatMul and com.microsoft.QGemm with a constant B: the shared
// compile-time plan, the M55 MVE/Helium body, and the hooks codegen/kernels/quant.cpp and
// quant_ms.cpp call in front of the generic loops (the DSP body is in arm_dsp_matmul.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "codegen/kernel_ctx.h"
#include "compiler/ops/quant_ms.h"

namespace tinyaot::codegen::arm {

// What every target body needs: `rows` x N outputs, each the K-long dot product of an A row
// (contiguous at x0 + i * K, int8 or uint8) with column j of B minus its zero point, plus the A
// zero-point term -za * colsum[j] (and bias(i, j), a C expression in i and j, when given), all
// modulo 2^32 like the generic kernel's accumulator; out(acc, j) is the C expression of the stored
// value (the generic kernel's own requantization call or float scale), y_type its C type.
struct QGemmPlan {
  int64_t rows = 0, K = 0, N = 0;
  bool u8a = false;
  int64_t za = 0;
  std::vector<int64_t> bt;      // [N][K]: b[k][j] - zb[j], each in [-128, 127]
  std::vector<int64_t> colsum;  // per column: sum over k of bt
  std::function<std::string(const std::string& j)> bias;
  std::function<std::string(const std::string& acc, const std::string& j)> out;
  std::string y_type;
};

// The plan of a QLinearMatMul the target kernels support (A int8/uint8 with rows contiguous, B a
// constant 2-D int8/uint8 matrix whose values minus their column zero point fit in int8, constant
// scales and zero points, 8-bit output). Returns false, creating nothing, otherwise.
bool plan_qmatmul(KernelCtx& ctx, QGemmPlan& p);

// The same for com.microsoft.QGemm (A not transposed, B constant, either layout; any C; int8/uint8
// or float output), given the generic emitter's geometry.
bool plan_qgemm(KernelCtx& ctx, const quant_ms::GemmGeo& g, QGemmPlan& p);

// Emits the self-contained MVE block `#if defined(__ARM_FEATURE_MVE) { ... return; } #endif`.
void emit_qgemm_mve_body(KernelCtx& ctx, const QGemmPlan& p);

// Hooks: for --target cortex-m* and layers the plan accepts, emit the MVE block (cortex-m55) and
// the DSP block (arm_dsp_matmul.h) at the start of the kernel body, rename the kernel
// `<name>_mve` (cortex-m55) or `<name>_dsp`, and return true; the caller's generic loops follow
// and run on the host and on cores without the DSP extension. Emit nothing and return false
// otherwise. Every body gives the generic kernel's bytes.
bool emit_qmatmul_target(KernelCtx& ctx);
bool emit_qgemm_target(KernelCtx& ctx, const quant_ms::GemmGeo& g);

}  // namespace tinyaot::codegen::arm
