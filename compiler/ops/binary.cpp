// Semantics of binary and variadic elementwise ops with numpy broadcasting: arithmetic,
// comparisons, logic, Where. Kernels live in codegen/kernels/binary.cpp.
#include <cmath>

#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using ir::Node;
using ir::Value;

namespace {

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
void eval_binary(const std::vector<const Value*>& in, std::vector<Value>& out, F f) {
  Value& o = out[0];
  const Value& a = *in[0];
  const Value& b = *in[1];
  ops::for_each_broadcast(o.shape, {a.shape, b.shape}, [&](int64_t e, const std::vector<int64_t>& off) {
    if (ir::dtype_is_float(o.dtype))
      o.set_f64(e, f(a.get_f64(off[0]), b.get_f64(off[1])));
    else
      o.set_f64(e, static_cast<double>(f(a.get_i64(off[0]), b.get_i64(off[1]))));
  });
}

}  // namespace

void infer_Add(Node& n) { infer_binary_same_type(n); }
void eval_Add(const Node&, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_binary(in, out, [](auto a, auto b) { return a + b; });
}

}  // namespace tinyaot
