// Unit tests of the pool family: shape inference (pads, auto_pad, ceil_mode, dilations), reference
// evaluation against hand-computed windows, and attribute errors.
#include <catch2/catch.hpp>

#include <memory>

#include "codegen/kernel_ctx.h"
#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "compiler/ops/registry.h"

using namespace tinyaot;

namespace {

struct PoolCase {
  ir::Graph g;
  ir::Node* n = nullptr;

  PoolCase(const std::string& op, ir::Shape shape, size_t outputs = 1, ir::DType t = ir::DType::F32,
           int opset = 13) {
    ir::Tensor* x = g.add_tensor("x");
    x->dtype = t;
    x->shape = std::move(shape);
    x->shaped = true;
    x->is_graph_input = true;
    n = g.add_node(op, "pool");
    n->info = find_op("", op);
    REQUIRE(n->info != nullptr);
    n->opset = opset;
    n->inputs = {x};
    for (size_t i = 0; i < outputs; ++i) {
      ir::Tensor* y = g.add_tensor("y" + std::to_string(i));
      y->producer = n;
      n->outputs.push_back(y);
    }
  }
  void ints(const std::string& name, std::vector<int64_t> v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Ints;
    a.ints = std::move(v);
    n->attrs.set(name, a);
  }
  void integer(const std::string& name, int64_t v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Int;
    a.i = v;
    n->attrs.set(name, a);
  }
  void str(const std::string& name, const std::string& v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::String;
    a.s = v;
    n->attrs.set(name, a);
  }
  ir::Shape infer() {
    n->info->infer(*n);
    return n->outputs[0]->shape;
  }
  // Infers, then evaluates on x (row-major values) and returns the outputs.
  std::vector<ir::Value> run(const std::vector<double>& x) {
    infer();
    ir::Value v(n->inputs[0]->dtype, n->inputs[0]->shape);
    REQUIRE(static_cast<size_t>(v.numel()) == x.size());
    for (size_t i = 0; i < x.size(); ++i) v.set_f64(static_cast<int64_t>(i), x[i]);
    return evaluate_node(*n, {&v});
  }
};

std::vector<double> values(const ir::Value& v) {
  std::vector<double> r;
  for (int64_t i = 0; i < v.numel(); ++i) r.push_back(v.get_f64(i));
  return r;
}

void check_close(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-6));
}

}  // namespace

TEST_CASE("MaxPool 2x2 stride 2 picks each window's maximum and its flat index", "[pool]") {
  PoolCase c("MaxPool", {1, 1, 4, 4}, 2);
  c.ints("kernel_shape", {2, 2});
  c.ints("strides", {2, 2});
  std::vector<double> x(16);
  for (int i = 0; i < 16; ++i) x[static_cast<size_t>(i)] = i;
  auto out = c.run(x);
  CHECK(out[0].shape == ir::Shape{1, 1, 2, 2});
  check_close(values(out[0]), {5, 7, 13, 15});
  CHECK(out[1].dtype == ir::DType::I64);
  // Row-major flat indices of the maxima (1,1), (1,3), (3,1), (3,3) in the 4x4 input.
  check_close(values(out[1]), {5, 7, 13, 15});
}

TEST_CASE("MaxPool storage_order=1 reports column-major indices", "[pool]") {
  PoolCase c("MaxPool", {1, 1, 4, 4}, 2);
  c.ints("kernel_shape", {2, 2});
  c.ints("strides", {2, 2});
  c.integer("storage_order", 1);
  std::vector<double> x(16);
  for (int i = 0; i < 16; ++i) x[static_cast<size_t>(i)] = i;
  auto out = c.run(x);
  // (h, w) -> h + 4 * w: (1,1)=5, (1,3)=13, (3,1)=7, (3,3)=15.
  check_close(values(out[1]), {5, 13, 7, 15});
}

TEST_CASE("AveragePool count_include_pad decides the divisor at the borders", "[pool]") {
  for (int include : {0, 1}) {
    PoolCase c("AveragePool", {1, 1, 3});
    c.ints("kernel_shape", {2});
    c.ints("pads", {1, 1});
    c.integer("count_include_pad", include);
    auto out = c.run({1, 2, 3});
    CHECK(out[0].shape == ir::Shape{1, 1, 4});
    // Windows: [pad,1] [1,2] [2,3] [3,pad].
    if (include)
      check_close(values(out[0]), {0.5, 1.5, 2.5, 1.5});
    else
      check_close(values(out[0]), {1, 1.5, 2.5, 3});
  }
}

TEST_CASE("ceil_mode adds a partial last window", "[pool]") {
  for (int ceil : {0, 1}) {
    PoolCase c("MaxPool", {1, 1, 5});
    c.ints("kernel_shape", {2});
    c.ints("strides", {2});
    c.integer("ceil_mode", ceil);
    auto out = c.run({1, 5, 2, 4, 3});
    if (ceil)
      check_close(values(out[0]), {5, 4, 3});  // last window holds only x[4]
    else
      check_close(values(out[0]), {5, 4});
  }
}

TEST_CASE("auto_pad SAME_UPPER pads the end, SAME_LOWER the beginning", "[pool]") {
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER"}) {
    PoolCase c("MaxPool", {1, 1, 4});
    c.ints("kernel_shape", {2});
    c.str("auto_pad", mode);
    auto out = c.run({1, 3, 2, 4});
    CHECK(out[0].shape == ir::Shape{1, 1, 4});
    if (std::string(mode) == "SAME_UPPER")
      check_close(values(out[0]), {3, 3, 4, 4});  // windows [0,1] [1,2] [2,3] [3,pad]
    else
      check_close(values(out[0]), {1, 3, 3, 4});  // windows [pad,0] [0,1] [1,2] [2,3]
  }
}

TEST_CASE("auto_pad VALID and dilations shrink the output", "[pool]") {
  PoolCase c("MaxPool", {1, 1, 5});
  c.ints("kernel_shape", {2});
  c.ints("dilations", {2});
  c.str("auto_pad", "VALID");
  auto out = c.run({1, 9, 2, 3, 4});
  // Taps (0,2) (1,3) (2,4).
  check_close(values(out[0]), {2, 9, 4});
}

TEST_CASE("MaxPool on uint8 keeps the type", "[pool]") {
  PoolCase c("MaxPool", {1, 2, 2}, 1, ir::DType::U8);
  c.ints("kernel_shape", {2});
  auto out = c.run({7, 200, 0, 3});
  CHECK(out[0].dtype == ir::DType::U8);
  check_close(values(out[0]), {200, 3});
}

TEST_CASE("Global pools reduce every spatial dim", "[pool]") {
  {
    PoolCase c("GlobalAveragePool", {1, 2, 2, 2});
    auto out = c.run({1, 2, 3, 4, -1, -2, -3, -4});
    CHECK(out[0].shape == ir::Shape{1, 2, 1, 1});
    check_close(values(out[0]), {2.5, -2.5});
  }
  {
    PoolCase c("GlobalMaxPool", {1, 2, 3});
    auto out = c.run({1, 7, 3, -4, -2, -3});
    CHECK(out[0].shape == ir::Shape{1, 2, 1});
    check_close(values(out[0]), {7, -2});
  }
  {
    PoolCase c("GlobalLpPool", {1, 1, 2, 2});
    auto out = c.run({3, -4, 0, 0});
    check_close(values(out[0]), {5});  // sqrt(9 + 16), default p = 2
  }
}

TEST_CASE("LpPool honours p", "[pool]") {
  PoolCase c("LpPool", {1, 1, 4});
  c.ints("kernel_shape", {2});
  c.ints("strides", {2});
  c.integer("p", 1);
  auto out = c.run({1, -2, -3, 4});
  check_close(values(out[0]), {3, 7});  // |1| + |-2|, |-3| + |4|
}

TEST_CASE("pool attribute errors name the node", "[pool]") {
  auto expect_error = [](PoolCase& c, const std::string& what) {
    try {
      c.infer();
      FAIL("no error thrown");
    } catch (const CompileError& e) {
      std::string msg = e.what();
      CHECK(msg.find("'pool'") != std::string::npos);
      CHECK(msg.find(what) != std::string::npos);
    }
  };
  {
    PoolCase c("MaxPool", {1, 1, 4, 4});
    expect_error(c, "kernel_shape");
  }
  {
    PoolCase c("MaxPool", {1, 1, 4, 4});
    c.ints("kernel_shape", {2});
    expect_error(c, "kernel_shape has 1 values");
  }
  {
    PoolCase c("AveragePool", {1, 1, 3});
    c.ints("kernel_shape", {5});
    expect_error(c, "larger than the padded input");
  }
  {
    PoolCase c("AveragePool", {1, 1, 3}, 1, ir::DType::I32);
    c.ints("kernel_shape", {2});
    expect_error(c, "only float32/float64");
  }
  {
    PoolCase c("MaxPool", {1, 1, 3});
    c.ints("kernel_shape", {2});
    c.str("auto_pad", "SAME");
    expect_error(c, "unknown auto_pad");
  }
}

TEST_CASE("MaxPool kernel skips border checks when the windows fit", "[pool]") {
  PoolCase c("MaxPool", {1, 1, 4, 4});
  c.ints("kernel_shape", {2, 2});
  c.ints("strides", {2, 2});
  c.infer();
  codegen::KernelCtx ctx(*c.n, codegen::Target::Generic);
  c.n->info->emit(*c.n, ctx);
  CHECK(ctx.name() == "maxpool2d_f32_k2s2");
  CHECK(ctx.body().find("if (o") == std::string::npos);

  PoolCase p("MaxPool", {1, 1, 4, 4});
  p.ints("kernel_shape", {3, 3});
  p.ints("pads", {1, 1, 1, 1});
  p.infer();
  codegen::KernelCtx pctx(*p.n, codegen::Target::Generic);
  p.n->info->emit(*p.n, pctx);
  // Border rows/columns are the first and last output positions only.
  CHECK(pctx.body().find("if (o0 < 1 || o0 >= 3)") != std::string::npos);
}
