// Unit tests of the pool family: shape inference (pads, auto_pad, ceil_mode, dilations), reference
// evaluation against hand-computed windows, and attribute errors.
#include <catch2/catch.hpp>

#include <memory>

#include "codegen/kernel_ctx.h"
#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "compiler/ops/registry.h"
#include "op_test_util.h"

using namespace tinyaot;
using namespace tinyaot::optest;

namespace {

// A pool node with one run-time input of type `t` and shape `shape`.
struct PoolCase : OpTest {
  PoolCase(const std::string& op, ir::Shape shape, size_t outputs = 1, ir::DType t = ir::DType::F32,
           int opset = 13)
      : OpTest(op, opset, outputs, "pool") {
    input(t, std::move(shape));
  }
  // Infers, then evaluates on x (row-major values) and returns the outputs.
  std::vector<ir::Value> run(const std::vector<double>& x) {
    return OpTest::run({from_f64(n->inputs[0]->dtype, n->inputs[0]->shape, x)});
  }
};

}  // namespace

TEST_CASE("MaxPool 2x2 stride 2 picks each window's maximum and its flat index", "[pool]") {
  PoolCase c("MaxPool", {1, 1, 4, 4}, 2);
  c.attr_ints("kernel_shape", {2, 2});
  c.attr_ints("strides", {2, 2});
  std::vector<double> x(16);
  for (int i = 0; i < 16; ++i) x[static_cast<size_t>(i)] = i;
  auto out = c.run(x);
  CHECK(out[0].shape == ir::Shape{1, 1, 2, 2});
  expect_close(values(out[0]), {5, 7, 13, 15});
  CHECK(out[1].dtype == ir::DType::I64);
  // Row-major flat indices of the maxima (1,1), (1,3), (3,1), (3,3) in the 4x4 input.
  expect_close(values(out[1]), {5, 7, 13, 15});
}

TEST_CASE("MaxPool storage_order=1 reports column-major indices", "[pool]") {
  PoolCase c("MaxPool", {1, 1, 4, 4}, 2);
  c.attr_ints("kernel_shape", {2, 2});
  c.attr_ints("strides", {2, 2});
  c.attr_int("storage_order", 1);
  std::vector<double> x(16);
  for (int i = 0; i < 16; ++i) x[static_cast<size_t>(i)] = i;
  auto out = c.run(x);
  // (h, w) -> h + 4 * w: (1,1)=5, (1,3)=13, (3,1)=7, (3,3)=15.
  expect_close(values(out[1]), {5, 13, 7, 15});
}

TEST_CASE("AveragePool count_include_pad decides the divisor at the borders", "[pool]") {
  for (int include : {0, 1}) {
    PoolCase c("AveragePool", {1, 1, 3});
    c.attr_ints("kernel_shape", {2});
    c.attr_ints("pads", {1, 1});
    c.attr_int("count_include_pad", include);
    auto out = c.run({1, 2, 3});
    CHECK(out[0].shape == ir::Shape{1, 1, 4});
    // Windows: [pad,1] [1,2] [2,3] [3,pad].
    if (include)
      expect_close(values(out[0]), {0.5, 1.5, 2.5, 1.5});
    else
      expect_close(values(out[0]), {1, 1.5, 2.5, 3});
  }
}

TEST_CASE("ceil_mode adds a partial last window", "[pool]") {
  for (int ceil : {0, 1}) {
    PoolCase c("MaxPool", {1, 1, 5});
    c.attr_ints("kernel_shape", {2});
    c.attr_ints("strides", {2});
    c.attr_int("ceil_mode", ceil);
    auto out = c.run({1, 5, 2, 4, 3});
    if (ceil)
      expect_close(values(out[0]), {5, 4, 3});  // last window holds only x[4]
    else
      expect_close(values(out[0]), {5, 4});
  }
}

TEST_CASE("auto_pad SAME_UPPER pads the end, SAME_LOWER the beginning", "[pool]") {
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER"}) {
    PoolCase c("MaxPool", {1, 1, 4});
    c.attr_ints("kernel_shape", {2});
    c.attr_str("auto_pad", mode);
    auto out = c.run({1, 3, 2, 4});
    CHECK(out[0].shape == ir::Shape{1, 1, 4});
    if (std::string(mode) == "SAME_UPPER")
      expect_close(values(out[0]), {3, 3, 4, 4});  // windows [0,1] [1,2] [2,3] [3,pad]
    else
      expect_close(values(out[0]), {1, 3, 3, 4});  // windows [pad,0] [0,1] [1,2] [2,3]
  }
}

TEST_CASE("auto_pad VALID and dilations shrink the output", "[pool]") {
  PoolCase c("MaxPool", {1, 1, 5});
  c.attr_ints("kernel_shape", {2});
  c.attr_ints("dilations", {2});
  c.attr_str("auto_pad", "VALID");
  auto out = c.run({1, 9, 2, 3, 4});
  // Taps (0,2) (1,3) (2,4).
  expect_close(values(out[0]), {2, 9, 4});
}

TEST_CASE("MaxPool on uint8 keeps the type", "[pool]") {
  PoolCase c("MaxPool", {1, 2, 2}, 1, ir::DType::U8);
  c.attr_ints("kernel_shape", {2});
  auto out = c.run({7, 200, 0, 3});
  CHECK(out[0].dtype == ir::DType::U8);
  expect_close(values(out[0]), {200, 3});
}

TEST_CASE("Global pools reduce every spatial dim", "[pool]") {
  {
    PoolCase c("GlobalAveragePool", {1, 2, 2, 2});
    auto out = c.run({1, 2, 3, 4, -1, -2, -3, -4});
    CHECK(out[0].shape == ir::Shape{1, 2, 1, 1});
    expect_close(values(out[0]), {2.5, -2.5});
  }
  {
    PoolCase c("GlobalMaxPool", {1, 2, 3});
    auto out = c.run({1, 7, 3, -4, -2, -3});
    CHECK(out[0].shape == ir::Shape{1, 2, 1});
    expect_close(values(out[0]), {7, -2});
  }
  {
    PoolCase c("GlobalLpPool", {1, 1, 2, 2});
    auto out = c.run({3, -4, 0, 0});
    expect_close(values(out[0]), {5});  // sqrt(9 + 16), default p = 2
  }
}

TEST_CASE("LpPool honours p", "[pool]") {
  PoolCase c("LpPool", {1, 1, 4});
  c.attr_ints("kernel_shape", {2});
  c.attr_ints("strides", {2});
  c.attr_int("p", 1);
  auto out = c.run({1, -2, -3, 4});
  expect_close(values(out[0]), {3, 7});  // |1| + |-2|, |-3| + |4|
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
    c.attr_ints("kernel_shape", {2});
    expect_error(c, "kernel_shape has 1 values");
  }
  {
    PoolCase c("AveragePool", {1, 1, 3});
    c.attr_ints("kernel_shape", {5});
    expect_error(c, "larger than the padded input");
  }
  {
    PoolCase c("AveragePool", {1, 1, 3}, 1, ir::DType::I32);
    c.attr_ints("kernel_shape", {2});
    expect_error(c, "only float32/float64");
  }
  {
    PoolCase c("MaxPool", {1, 1, 3});
    c.attr_ints("kernel_shape", {2});
    c.attr_str("auto_pad", "SAME");
    expect_error(c, "unknown auto_pad");
  }
}

TEST_CASE("MaxPool kernel skips border checks when the windows fit", "[pool]") {
  PoolCase c("MaxPool", {1, 1, 4, 4});
  c.attr_ints("kernel_shape", {2, 2});
  c.attr_ints("strides", {2, 2});
  c.infer();
  codegen::KernelCtx ctx(*c.n, codegen::Target::Generic);
  c.n->info->emit(*c.n, ctx);
  CHECK(ctx.name() == "maxpool2d_f32_k2s2");
  CHECK(ctx.body().find("if (o") == std::string::npos);

  PoolCase p("MaxPool", {1, 1, 4, 4});
  p.attr_ints("kernel_shape", {3, 3});
  p.attr_ints("pads", {1, 1, 1, 1});
  p.infer();
  codegen::KernelCtx pctx(*p.n, codegen::Target::Generic);
  p.n->info->emit(*p.n, pctx);
  // Border rows/columns are the first and last output positions only.
  CHECK(pctx.body().find("if (o0 < 1 || o0 >= 3)") != std::string::npos);
}
