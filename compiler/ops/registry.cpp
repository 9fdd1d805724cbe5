// The registry table, built once from ops.def.
#include "compiler/ops/registry.h"

namespace tinyaot {

const std::vector<OpInfo>& all_ops() {
  static const std::vector<OpInfo> ops = {
#define TINYAOT_OP(OP, DOMAIN, SINCE, UNTIL, FAMILY) \
  {#OP, DOMAIN, SINCE, UNTIL, #FAMILY, &infer_##OP, &eval_##OP, &emit_##OP},
#include "compiler/ops/ops.def"
#undef TINYAOT_OP
  };
  return ops;
}

const OpInfo* find_op(const std::string& domain, const std::string& op_type) {
  const std::string d = domain == "ai.onnx" ? "" : domain;
  for (const OpInfo& o : all_ops())
    if (o.domain == d && o.name == op_type) return &o;
  return nullptr;
}

}  // namespace tinyaot
