// Helpers of the gemm family (MatMul, Einsum) shared by its semantics (gemm.cpp) and its kernels
// (codegen/kernels/gemm.cpp).
#pragma once

#include <vector>

#include "compiler/ir.h"

namespace tinyaot {

// MatMul as {M, K, N} then batch, a_batch, b_batch (equal rank).
std::vector<std::vector<int64_t>> matmul_plan(const ir::Node& n);
// Einsum as {extents...}, {num_out}, then one stride row per operand.
std::vector<std::vector<int64_t>> einsum_plan(const ir::Node& n);

}  // namespace tinyaot
