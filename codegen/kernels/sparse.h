// Sparse-weight kernel variants of Conv / QLinearConv (regular 2-D, group 1) and of the fully
// connected products Gemm / MatMul / QLinearMatMul: the weights are stored as a bitmap plus the
// non-zero values (codegen/sparse_weights.h) when that is smaller than dense (docs/passes/prune.md).
// Each function returns false, having emitted nothing, when the layer does not qualify; the
// caller then emits its dense kernel.
#pragma once

#include <functional>
#include <string>

#include "codegen/kernel_ctx.h"
#include "compiler/ops/activation.h"

namespace tinyaot::codegen::sparse {

// Conv (float) and QLinearConv (int8/uint8) with constant weights.
bool emit_conv(const ir::Node& n, KernelCtx& ctx);

// QLinearMatMul with a constant 2-D B.
bool emit_qlinearmatmul(const ir::Node& n, KernelCtx& ctx);

// Float Y(i, j) = epi(sum_k A(i, k) * B(k, j)) like codegen::emit_matmul, for a constant B with
// B(k, j) = b.data[k*sbk + j*sbj]; the product skips B's zeros.
bool emit_matmul(
    KernelCtx& ctx, const std::string& ct, int64_t M, int64_t N, int64_t K, const std::string& a, int64_t sai,
    int64_t sak, const ir::Value& b, int64_t sbk, int64_t sbj, const std::string& y, int64_t syi,
    const std::function<std::string(const std::string&, const std::string&, const std::string&)>& epi,
    const act::Activation& fused);

}  // namespace tinyaot::codegen::sparse
