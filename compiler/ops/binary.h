// Helpers of the binary family shared by its semantics (binary.cpp) and its kernels
// (codegen/kernels/binary.cpp).
#pragma once

#include "compiler/ir.h"

namespace tinyaot {

// Slope shape used for PRelu: the slope itself when it broadcasts unidirectionally to X; a 1-D
// slope of X's channel count is applied per channel (the opset-6 form); anything else is an error.
ir::Shape binary_prelu_slope_shape(const ir::Node& n, const ir::Shape& x, const ir::Shape& s);

}  // namespace tinyaot
