// Unit tests of the normalization family: reference evaluation against hand-computed values,
// opset-dependent axis handling of Softmax, BatchNormalization constant folding in the kernel,
// and attribute/input errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>

#include "codegen/kernel_ctx.h"
#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "compiler/ops/registry.h"
#include "op_test_util.h"

using namespace tinyaot;
using namespace tinyaot::optest;

namespace {

ir::Value fvalue(ir::Shape s, const std::vector<double>& v) {
  return from_f64(ir::DType::F32, std::move(s), v);
}

// Input 0 is a run-time tensor; the others are constants unless listed in `runtime`.
struct NormCase : OpTest {
  NormCase(const std::string& op, std::vector<ir::Value> inputs, size_t outputs = 1, int opset = 13,
           std::vector<size_t> runtime = {0})
      : OpTest(op, inputs, opset, constants(inputs.size(), runtime), outputs, "norm") {}
  static std::vector<bool> constants(size_t n, const std::vector<size_t>& runtime) {
    std::vector<bool> r(n, true);
    for (size_t i : runtime)
      if (i < n) r[i] = false;
    return r;
  }
};

void check_close(const std::vector<double>& got, const std::vector<double>& want) {
  expect_close(got, want, 1e-5);
}

std::vector<ir::Value> bn_inputs() {
  return {fvalue({1, 2, 1, 2}, {1, 2, 3, 4}), fvalue({2}, {1, 2}), fvalue({2}, {0, 1}), fvalue({2}, {1, 3}),
          fvalue({2}, {4, 1})};
}

}  // namespace

TEST_CASE("BatchNormalization applies per-channel statistics", "[normalization]") {
  NormCase c("BatchNormalization", bn_inputs(), 1, 15);
  c.attr_float("epsilon", 0);
  auto out = c.run();
  // Channel 0: (x - 1) / 2 * 1 + 0; channel 1: (x - 3) / 1 * 2 + 1.
  check_close(values(out[0]), {0, 0.5, 1, 3});
}

TEST_CASE("BatchNormalization opset 7 spatial=0 uses per-element parameters", "[normalization]") {
  NormCase c("BatchNormalization",
             {fvalue({1, 2, 2}, {1, 2, 3, 4}), fvalue({2, 2}, {1, 1, 2, 2}), fvalue({2, 2}, {0, 0, 0, 1}),
              fvalue({2, 2}, {0, 1, 2, 3}), fvalue({2, 2}, {1, 1, 1, 4})},
             1, 7);
  c.attr_int("spatial", 0);
  c.attr_float("epsilon", 0);
  auto out = c.run();
  // (x - mean) / sqrt(var) * scale + B element by element.
  check_close(values(out[0]), {1, 1, 2, 1 + 0.5 * 2});
}

TEST_CASE("BatchNormalization kernel folds constant parameters into tables", "[normalization]") {
  NormCase c("BatchNormalization", bn_inputs(), 1, 15);
  c.n->info->infer(*c.n);
  codegen::KernelCtx ctx(*c.n, codegen::Target::Generic);
  c.n->info->emit(*c.n, ctx);
  REQUIRE(ctx.tables().size() == 2);
  CHECK(ctx.body().find("x1") == std::string::npos);  // scale is not read at run time
  // Run-time parameters are read in the kernel instead.
  NormCase r("BatchNormalization", bn_inputs(), 1, 15, {0, 1});
  r.n->info->infer(*r.n);
  codegen::KernelCtx rctx(*r.n, codegen::Target::Generic);
  r.n->info->emit(*r.n, rctx);
  CHECK(rctx.tables().empty());
  CHECK(rctx.body().find("x1[c]") != std::string::npos);
}

TEST_CASE("BatchNormalization rejects training mode and training outputs", "[normalization]") {
  {
    NormCase c("BatchNormalization", bn_inputs(), 1, 15);
    c.attr_int("training_mode", 1);
    std::string e = c.infer_error();
    CHECK(e.find("'norm'") != std::string::npos);
    CHECK(e.find("training_mode") != std::string::npos);
  }
  {
    NormCase c("BatchNormalization", bn_inputs(), 3, 9);
    CHECK(c.infer_error().find("training-mode output") != std::string::npos);
  }
  {
    auto in = bn_inputs();
    in[3] = fvalue({3}, {0, 0, 0});
    NormCase c("BatchNormalization", in, 1, 15);
    CHECK(c.infer_error().find("expected 2 values") != std::string::npos);
  }
}

TEST_CASE("InstanceNormalization normalises each (n, c) plane", "[normalization]") {
  NormCase c("InstanceNormalization",
             {fvalue({1, 2, 2}, {1, 3, 5, 5}), fvalue({2}, {2, 1}), fvalue({2}, {1, 7})});
  c.attr_float("epsilon", 0.25f);
  auto out = c.run();
  // Plane 0: mean 2, var 1 -> (x - 2) / sqrt(1.25) * 2 + 1. Plane 1: constant -> B.
  const double s = 1 / std::sqrt(1.25);
  check_close(values(out[0]), {-s * 2 + 1, s * 2 + 1, 7, 7});
}

TEST_CASE("LayerNormalization normalises rows and returns Mean and InvStdDev", "[normalization]") {
  NormCase c("LayerNormalization", {fvalue({2, 2}, {1, 3, 2, 2}), fvalue({2}, {1, 2}), fvalue({2}, {0, 1})},
             3, 17);
  const double eps = 1e-5;
  auto out = c.run();
  const double inv0 = 1 / std::sqrt(1 + eps), inv1 = 1 / std::sqrt(eps);
  // Row 0: mean 2, var 1; row 1: mean 2, var 0.
  check_close(values(out[0]), {-1 * inv0 * 1 + 0, 1 * inv0 * 2 + 1, 0, 1});
  CHECK(out[1].shape == ir::Shape{2, 1});
  check_close(values(out[1]), {2, 2});
  CHECK(values(out[2])[0] == Approx(inv0));
  CHECK(values(out[2])[1] == Approx(inv1));
}

TEST_CASE("LayerNormalization axis 0 normalises everything with broadcast scale", "[normalization]") {
  NormCase c("LayerNormalization", {fvalue({2, 2}, {0, 2, 4, 6}), fvalue({1}, {2})}, 1, 17);
  c.attr_int("axis", 0);
  c.attr_float("epsilon", 0);
  auto out = c.run();
  // mean 3, var (9 + 1 + 1 + 9) / 4 = 5.
  const double s = 1 / std::sqrt(5.0);
  check_close(values(out[0]), {-3 * s * 2, -1 * s * 2, 1 * s * 2, 3 * s * 2});
}

TEST_CASE("Softmax axis semantics depend on the opset", "[normalization]") {
  const double l3 = std::log(3.0);
  {
    NormCase c("Softmax", {fvalue({2, 2}, {0, l3, 1000, 1000})}, 1, 13);
    check_close(values(c.run()[0]), {0.25, 0.75, 0.5, 0.5});  // stable for large inputs
  }
  {
    // Opset 11, axis 1 on 1x2x2: coerced to 1x4, one softmax over all four values.
    NormCase c("Softmax", {fvalue({1, 2, 2}, {0, 0, 0, l3})}, 1, 11);
    check_close(values(c.run()[0]), {1 / 6.0, 1 / 6.0, 1 / 6.0, 0.5});
  }
  {
    // Opset 13, axis 1 on 1x2x2: softmax over dim 1 only (pairs x[0][j], x[1][j]).
    NormCase c("Softmax", {fvalue({1, 2, 2}, {0, 0, 0, l3})}, 1, 13);
    c.attr_int("axis", 1);
    check_close(values(c.run()[0]), {0.5, 0.25, 0.5, 0.75});
  }
}

TEST_CASE("LogSoftmax and Hardmax", "[normalization]") {
  const double l3 = std::log(3.0);
  {
    NormCase c("LogSoftmax", {fvalue({1, 2}, {0, l3})}, 1, 13);
    check_close(values(c.run()[0]), {std::log(0.25), std::log(0.75)});
  }
  {
    NormCase c("Hardmax", {fvalue({2, 3}, {1, 3, 3, -1, -5, -2})}, 1, 13);
    check_close(values(c.run()[0]), {0, 1, 0, 1, 0, 0});  // first maximum wins
  }
  {
    NormCase c("Softmax", {fvalue({2, 2}, {0, 0, 0, 0})}, 1, 13);
    c.attr_int("axis", 2);
    std::string e = c.infer_error();
    CHECK(e.find("'norm'") != std::string::npos);
    CHECK(e.find("out of range") != std::string::npos);
  }
}

TEST_CASE("LRN divides by the local channel energy", "[normalization]") {
  NormCase c("LRN", {fvalue({1, 3, 1, 1}, {1, 2, 3})}, 1, 13);
  c.attr_int("size", 3);
  c.attr_float("alpha", 3);  // alpha / size = 1
  c.attr_float("beta", 1);
  c.attr_float("bias", 1);
  // Channel windows {0,1}, {0,1,2}, {1,2}: sums of squares 5, 14, 13.
  check_close(values(c.run()[0]), {1 / 6.0, 2 / 15.0, 3 / 14.0});
  NormCase m("LRN", {fvalue({1, 3, 1, 1}, {1, 2, 3})}, 1, 13);
  CHECK(m.infer_error().find("'size' is required") != std::string::npos);
}

TEST_CASE("MeanVarianceNormalization uses axes {0, 2, 3} by default", "[normalization]") {
  NormCase c("MeanVarianceNormalization", {fvalue({1, 2, 1, 2}, {1, 3, 10, 10})}, 1, 13);
  auto out = c.run();
  // Channel 0: mean 2, std 1; channel 1: constant -> 0.
  check_close(values(out[0]), {-1, 1, 0, 0});
}
