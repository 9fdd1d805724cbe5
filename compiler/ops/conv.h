// Helpers of the conv family (Conv, ConvTranspose) shared by its semantics (conv.cpp), its kernels
// (codegen/kernels/conv.cpp, sparse.cpp) and the pruning pass.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/ir.h"

namespace tinyaot {

// Resolved geometry of a Conv / ConvTranspose node. Keys (all per spatial dim unless noted):
// "dims" {N, C, M, group}, "in", "out", "kernel", "strides", "dilations", "pads_begin",
// "pads_end". Validates the node; throws CompileError naming it.
std::map<std::string, std::vector<int64_t>> conv_geometry(const ir::Node& n);

}  // namespace tinyaot
