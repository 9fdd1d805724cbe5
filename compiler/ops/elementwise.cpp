// Semantics of unary elementwise ops: maths, activations and Cast. Kernels live in codegen/kernels/elementwise.cpp.
#include <cmath>

#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Value;

namespace {

// Unary float op: output has the input's type and shape.
void infer_unary_float(Node& n) {
  ops::check_arity(n, 1, 1);
  ops::require_float(n, 0);
  ops::set_output(n, 0, n.inputs[0]->dtype, n.inputs[0]->shape);
}

template <class F>
void eval_unary_float(const std::vector<const Value*>& in, std::vector<Value>& out, F f) {
  for (int64_t i = 0; i < out[0].numel(); ++i) out[0].set_f64(i, f(in[0]->get_f64(i)));
}

}  // namespace

void infer_Relu(Node& n) { infer_unary_float(n); }
void eval_Relu(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_unary_float(in, out, [](double x) { return x > 0 ? x : 0.0; });
}

}  // namespace tinyaot
