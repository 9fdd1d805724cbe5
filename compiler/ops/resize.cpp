#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"
namespace tinyaot {
void infer_Resize(ir::Node& n) { ops::fail(n, "todo"); }
void eval_Resize(const ir::Node&, const std::vector<const ir::Value*>&, std::vector<ir::Value>&) {}
void infer_Upsample(ir::Node& n) { ops::fail(n, "todo"); }
void eval_Upsample(const ir::Node&, const std::vector<const ir::Value*>&, std::vector<ir::Value>&) {}
}
