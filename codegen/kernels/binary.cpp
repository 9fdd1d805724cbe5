// Kernels of binary and variadic elementwise ops (float and integer), specialised per layer:
// sizes and broadcast strides are compile-time constants.
#include "codegen/kernel_ctx.h"
#include "codegen/kernels/kernel_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using codegen::KernelCtx;

void emit_Add(const ir::Node& n, KernelCtx& ctx) {
  ctx.set_name(fmt::format("add_{}", ir::dtype_name(n.outputs[0]->dtype)));
  const char* ct = ir::dtype_ctype(n.outputs[0]->dtype);
  codegen::emit_broadcast_loop(ctx, n.outputs[0]->shape, {n.inputs[0]->shape, n.inputs[1]->shape},
                               [&](const std::string& o, const std::vector<std::string>& i) {
                                 ctx.line("y0[{}] = ({})(x0[{}] + x1[{}]);", o, ct, i[0], i[1]);
                               });
}

}  // namespace tinyaot
