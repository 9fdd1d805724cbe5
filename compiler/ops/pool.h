// Helpers of the pool family shared by its semantics (pool.cpp), the com.microsoft quantized
// pools (quant_ms.cpp) and the pooling kernels (codegen/kernels/pool.cpp).
#pragma once

#include <vector>

#include "compiler/ir.h"

namespace tinyaot {
namespace pool_detail {

// Resolves the window geometry of a pooling node over the spatial dims of `x` (NCHW-style input
// shape): kernel size, strides, dilations, begin/end pads (after auto_pad) and the output's
// spatial dims. Validates the attributes; errors name the node.
void pool_geometry(const ir::Node& n, const ir::Shape& x, std::vector<int64_t>& kernel,
                   std::vector<int64_t>& strides, std::vector<int64_t>& dilations,
                   std::vector<int64_t>& pad_begin, std::vector<int64_t>& pad_end, std::vector<int64_t>& out);

}  // namespace pool_detail
}  // namespace tinyaot
