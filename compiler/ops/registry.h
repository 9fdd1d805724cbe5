// The op registry: one entry per supported ONNX op, generated from the X-macro list in ops.def.
// The frontend's factory, `tinyaot list-ops`, the reference evaluator, codegen and tests iterate it.
#pragma once

#include <string>
#include <vector>

#include "compiler/ir.h"

namespace tinyaot::codegen {
class KernelCtx;
}

namespace tinyaot {

// Validates the node's attributes and input types/shapes and sets each output's dtype and shape
// (Tensor::dtype, ::shape, ::shaped). Inputs are shaped; constant inputs carry their value.
// Throws CompileError naming the node (use ops::fail(node, ...)).
using InferFn = void (*)(ir::Node& node);
// Reference evaluation: `in[i]` is null for an omitted optional input; `out` arrives sized to the
// node's outputs, each already allocated with the inferred dtype and shape.
using EvalFn = void (*)(const ir::Node& node, const std::vector<const ir::Value*>& in,
                        std::vector<ir::Value>& out);
// Emits the kernel for this node into the codegen context (codegen/kernels/<family>.cpp).
using EmitFn = void (*)(const ir::Node& node, codegen::KernelCtx& ctx);

struct OpInfo {
  const char* name;    // ONNX op_type
  const char* domain;  // "" for ai.onnx
  int since_opset;     // first opset version supported
  int max_opset;       // last opset version supported
  const char* family;  // file stem under compiler/ops and codegen/kernels
  InferFn infer;
  EvalFn eval;
  EmitFn emit;
};

const std::vector<OpInfo>& all_ops();
const OpInfo* find_op(const std::string& domain, const std::string& op_type);

// Declarations of every op's three functions, generated from the list.
#define TINYAOT_OP(OP, DOMAIN, SINCE, UNTIL, FAMILY)                                              \
  void infer_##OP(ir::Node&);                                                                     \
  void eval_##OP(const ir::Node&, const std::vector<const ir::Value*>&, std::vector<ir::Value>&); \
  void emit_##OP(const ir::Node&, codegen::KernelCtx&);
#include "compiler/ops/ops.def"
#undef TINYAOT_OP

}  // namespace tinyaot
