// Layout helpers of the normalization family shared by its semantics (normalization.cpp) and its
// kernels (codegen/kernels/normalization.cpp).
#pragma once

#include <vector>

#include "compiler/ir.h"

namespace tinyaot {
namespace norm_detail {

// Softmax/LogSoftmax/Hardmax view the input as [outer, len, inner] and normalise over `len`.
void softmax_dims(const ir::Node& n, const ir::Shape& x, int64_t& outer, int64_t& len, int64_t& inner);
// BatchNormalization: parameter entries per sample and the elements each entry applies to.
void batchnorm_layout(const ir::Node& n, const ir::Shape& x, int64_t& params, int64_t& inner);
// LayerNormalization: rows (dims before axis) x row length (dims from axis on).
void layernorm_layout(const ir::Node& n, const ir::Shape& x, int64_t& axis, int64_t& outer, int64_t& inner);
// MeanVarianceNormalization: the reduced axes (default {0, 2, 3}), normalised and sorted.
std::vector<int64_t> mvn_axes(const ir::Node& n, const ir::Shape& x);

}  // namespace norm_detail
}  // namespace tinyaot
