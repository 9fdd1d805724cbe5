// Planning helpers of the data-movement ops (Transpose, Concat, Split, Slice, Gather/Scatter, Pad,
// DepthToSpace, SpaceToDepth), shared by their semantics (compiler/ops/layout.cpp) and their
// kernels (codegen/kernels/layout.cpp) so that evaluation and generated code index identically.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "compiler/ir.h"

namespace tinyaot::layout_detail {

// One loop level of a strided copy: {size, input stride, output stride} in elements.
using Dims = std::vector<std::array<int64_t, 3>>;

// Drops size-1 levels and merges adjacent levels that are contiguous in both input and output.
void simplify(Dims& dims);

// Axis attribute normalised against `rank`.
int64_t axis_attr(const ir::Node& n, int64_t rank, int64_t def);

// Per-dimension slice (start, step, count) for Slice, covering every dimension of the input.
void slice_params(const ir::Node& n, std::vector<int64_t>& start, std::vector<int64_t>& step,
                  std::vector<int64_t>& count);

// Pad: full begin/end amounts (2 * rank, ONNX order) after resolving attributes/inputs/axes.
std::vector<int64_t> pad_amounts(const ir::Node& n);

// Pad mode: 0 constant, 1 reflect, 2 edge.
int pad_mode(const ir::Node& n);

// Input index along one axis that output index j reads (-1: the constant value).
int64_t pad_source(int64_t j, int64_t pb, int64_t pe, int64_t len, int mode);

// Strided-copy plan (output index space -> input element) for Transpose, Slice, DepthToSpace,
// SpaceToDepth and the interior of a constant Pad. Returns false for ops it does not cover.
bool strided_plan(const ir::Node& n, int64_t& ibase, int64_t& obase, Dims& dims);

// Split: output sizes along the axis.
std::vector<int64_t> split_sizes(const ir::Node& n);

// Scatter reduction: 0 none, 1 add, 2 mul, 3 max, 4 min.
int scatter_reduction(const ir::Node& n);

}  // namespace tinyaot::layout_detail
