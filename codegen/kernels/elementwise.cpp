// Kernels of elementwise ops (float and integer), specialised per layer: sizes and broadcast
// strides are compile-time constants.
#include "codegen/kernel_ctx.h"
#include "codegen/kernels/kernel_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using codegen::KernelCtx;

void emit_Relu(const ir::Node& n, KernelCtx& ctx) {
  const char* ct = ir::dtype_ctype(n.outputs[0]->dtype);
  ctx.set_name(fmt::format("relu_{}", ir::dtype_name(n.outputs[0]->dtype)));
  codegen::emit_broadcast_loop(ctx, n.outputs[0]->shape, {n.inputs[0]->shape},
                               [&](const std::string& o, const std::vector<std::string>& i) {
                                 ctx.line("{0} v = x0[{1}];", ct, i[0]);
                                 ctx.line("y0[{}] = v > 0 ? v : ({})0;", o, ct);
                               });
}

}  // namespace tinyaot
