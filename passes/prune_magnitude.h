// Unstructured magnitude pruning (opt-in, `--prune magnitude:<sparsity>`): lossy, so it is not a
// pipeline pass; the driver applies it after the pipeline when asked (docs/passes/prune.md).
#pragma once

#include <string>

#include "compiler/ir.h"

namespace tinyaot::passes {

// Parses "magnitude:<sparsity>" with sparsity in [0, 1); throws UsageError otherwise.
double parse_prune_spec(const std::string& spec);

// In every Conv, QLinearConv, Gemm, MatMul and QLinearMatMul with constant weights, sets the
// floor(sparsity * count) weights of smallest magnitude (int8: |w - zero point|) to zero (int8: to
// the zero point), per layer; ties go to the lower index. Returns the number of weights zeroed.
int64_t prune_magnitude(ir::Graph& g, double sparsity);

}  // namespace tinyaot::passes
