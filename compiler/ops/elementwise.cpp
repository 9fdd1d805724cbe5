// Semantics of elementwise ops: unary maths and activations, n-ary arithmetic with numpy
// broadcasting, comparisons and logic. Kernels live in codegen/kernels/elementwise.cpp.
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

// Binary op with broadcasting, both inputs of the same type.
void infer_binary_same_type(Node& n) {
  ops::check_arity(n, 2, 2);
  auto& a = ops::input(n, 0);
  auto& b = ops::input(n, 1);
  if (a.dtype != b.dtype)
    ops::fail(n, "inputs have different types ({} and {})", ir::dtype_name(a.dtype), ir::dtype_name(b.dtype));
  ops::set_output(n, 0, a.dtype, ops::broadcast_shapes(n, {a.shape, b.shape}));
}

template <class F>
void eval_binary(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out, F f) {
  Value& o = out[0];
  const Value& a = *in[0];
  const Value& b = *in[1];
  (void)n;
  ops::for_each_broadcast(o.shape, {a.shape, b.shape}, [&](int64_t e, const std::vector<int64_t>& off) {
    if (ir::dtype_is_float(o.dtype))
      o.set_f64(e, f(a.get_f64(off[0]), b.get_f64(off[1])));
    else
      o.set_f64(e, static_cast<double>(f(a.get_i64(off[0]), b.get_i64(off[1]))));
  });
}

}  // namespace

void infer_Relu(Node& n) { infer_unary_float(n); }
void eval_Relu(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_unary_float(in, out, [](double x) { return x > 0 ? x : 0.0; });
}

void infer_Add(Node& n) { infer_binary_same_type(n); }
void eval_Add(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_binary(n, in, out, [](auto a, auto b) { return a + b; });
}

}  // namespace tinyaot
