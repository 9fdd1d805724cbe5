#include "codegen/kernel_ctx.h"
#include "compiler/ops/registry.h"
namespace tinyaot {
void emit_Resize(const ir::Node&, codegen::KernelCtx&) {}
void emit_Upsample(const ir::Node&, codegen::KernelCtx&) {}
}
