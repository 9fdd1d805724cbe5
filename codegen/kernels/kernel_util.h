// Emission helpers shared by kernel families: loops over (broadcast) index spaces.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "codegen/kernel_ctx.h"
#include "compiler/ir.h"

namespace tinyaot::codegen {

// Emits loops over every element of `out` and calls `body(out_index, in_index...)` with C
// expressions for the flat output index and each input's broadcast flat index. Shapes equal to
// `out` index directly; size-1 inputs index 0; otherwise nested loops with constant strides.
void emit_broadcast_loop(
    KernelCtx& ctx, const ir::Shape& out, const std::vector<ir::Shape>& ins,
    const std::function<void(const std::string&, const std::vector<std::string>&)>& body);

}  // namespace tinyaot::codegen
