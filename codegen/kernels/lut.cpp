// Kernels of the 'lut' family: one table load per element (the table is a 256-byte weight).
#include "codegen/kernel_ctx.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using codegen::KernelCtx;

void emit_LookupTable(const ir::Node& n, KernelCtx& ctx) {
  const bool s8 = n.inputs[0]->dtype == ir::DType::I8;
  ctx.set_name(
      fmt::format("lut_{}_{}", s8 ? "s8" : "u8", n.outputs[0]->dtype == ir::DType::I8 ? "s8" : "u8"));
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", n.outputs[0]->numel());
  ctx.line(s8 ? "y0[i] = x1[(int32_t)x0[i] + 128];" : "y0[i] = x1[x0[i]];");
  ctx.close();
}

}  // namespace tinyaot
