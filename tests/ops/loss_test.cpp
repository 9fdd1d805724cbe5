// Unit tests of the loss family: reference evaluation of NegativeLogLikelihoodLoss and
// SoftmaxCrossEntropyLoss against hand-computed values (reductions, weights, ignore_index,
// out-of-range labels, log-softmax stability), the kernels' label guard, and infer's errors.
#include <catch2/catch.hpp>

#include <algorithm>
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

// A loss node whose inputs are all run-time tensors.
struct LossCase : OpTest {
  LossCase(const std::string& op, std::vector<ir::Value> inputs, size_t outputs = 1)
      : OpTest(op, std::move(inputs), 13, {}, outputs, "loss") {}
};

void check(const ir::Value& v, const ir::Shape& shape, const std::vector<double>& expect, double eps = 1e-6) {
  REQUIRE(v.shape == shape);
  expect_close(values(v), expect, eps);
}

using ir::DType;

}  // namespace

TEST_CASE("NLL loss NC: none, sum and default mean", "[loss]") {
  // x = log-probabilities of 2 samples over 3 classes; target picks class 2 then class 0.
  auto x = from_f64(DType::F32, {2, 3}, {-1.0, -2.0, -3.0, -0.5, -1.5, -2.5});
  auto t = from_f64(DType::I64, {2}, {2, 0});
  {
    LossCase c("NegativeLogLikelihoodLoss", {x, t});
    check(c.run()[0], {}, {(3.0 + 0.5) / 2});  // mean is the default
  }
  {
    LossCase c("NegativeLogLikelihoodLoss", {x, t});
    c.attr_str("reduction", "sum");
    check(c.run()[0], {}, {3.5});
  }
  {
    LossCase c("NegativeLogLikelihoodLoss", {x, t});
    c.attr_str("reduction", "none");
    check(c.run()[0], {2}, {3.0, 0.5});
  }
}

TEST_CASE("NLL loss: weights, ignore_index and out-of-range labels are skipped", "[loss]") {
  auto x = from_f64(DType::F32, {5, 3}, {-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13, -14, -15});
  // Labels: 1, 0, 7 (>= C), -3 (< 0), 2 (== ignore_index).
  auto t = from_f64(DType::I32, {5}, {1, 0, 7, -3, 2});
  auto w = from_f64(DType::F32, {3}, {0.5, 2.0, 4.0});
  // Used: row 0 -> 2 * w[1] = 4 (weight 2); row 1 -> 4 * w[0] = 2 (weight 0.5).
  for (const char* red : {"none", "sum", "mean"}) {
    LossCase c("NegativeLogLikelihoodLoss", {x, t, w});
    c.attr_int("ignore_index", 2);
    c.attr_str("reduction", red);
    auto out = c.run();
    if (std::string(red) == "none") check(out[0], {5}, {4, 2, 0, 0, 0});
    if (std::string(red) == "sum") check(out[0], {}, {6});
    if (std::string(red) == "mean") check(out[0], {}, {6 / 2.5});
  }
  // Without ignore_index, label 2 counts: row 4 -> 15 * 4 = 60 (weight 4).
  LossCase c("NegativeLogLikelihoodLoss", {x, t, w});
  c.attr_str("reduction", "mean");
  check(c.run()[0], {}, {(4 + 2 + 60) / 6.5});
}

TEST_CASE("NLL loss NCd1 with reduction none keeps the target shape", "[loss]") {
  // x[0, c, d]: class 0 = {-1, -2, -3}, class 1 = {-4, -5, -6}.
  auto x = from_f64(DType::F32, {1, 2, 3}, {-1, -2, -3, -4, -5, -6});
  auto t = from_f64(DType::I64, {1, 3}, {1, 0, 1});
  LossCase c("NegativeLogLikelihoodLoss", {x, t});
  c.attr_str("reduction", "none");
  check(c.run()[0], {1, 3}, {4, 2, 6});
}

TEST_CASE("SCE loss: stable log-softmax and log_prob output (float64)", "[loss]") {
  const double l3 = std::log(3.0);
  // Both rows have softmax {1/4, 3/4}; the second is shifted by 1000 (naive exp overflows).
  auto x = from_f64(DType::F64, {2, 2}, {0, l3, 1000, 1000 + l3});
  auto t = from_f64(DType::I64, {2}, {1, 0});
  LossCase c("SoftmaxCrossEntropyLoss", {x, t}, 2);
  c.attr_str("reduction", "none");
  auto out = c.run();
  REQUIRE(out[0].dtype == DType::F64);
  check(out[0], {2}, {std::log(4.0 / 3.0), std::log(4.0)}, 1e-9);
  const double a = std::log(0.25), b = std::log(0.75);
  check(out[1], {2, 2}, {a, b, a, b}, 1e-9);
}

TEST_CASE("SCE loss NCd1: weighted mean divides by the applied weights", "[loss]") {
  const double l3 = std::log(3.0);
  // x[0, :, 0] = {0, 0} -> log_prob {-ln2, -ln2}; x[0, :, 1] = {ln3, 0} -> {ln(3/4), ln(1/4)}.
  auto x = from_f64(DType::F32, {1, 2, 2}, {0, l3, 0, 0});
  auto t = from_f64(DType::I64, {1, 2}, {0, 1});
  auto w = from_f64(DType::F32, {2}, {1, 3});
  LossCase c("SoftmaxCrossEntropyLoss", {x, t, w});
  // losses: ln2 * 1 and ln4 * 3, weights 1 + 3.
  check(c.run()[0], {}, {(std::log(2.0) + 3 * std::log(4.0)) / 4}, 1e-5);

  LossCase ig("SoftmaxCrossEntropyLoss", {x, t, w});
  ig.attr_int("ignore_index", 1);
  ig.attr_str("reduction", "sum");
  check(ig.run()[0], {}, {std::log(2.0)}, 1e-5);
}

TEST_CASE("Loss kernels guard labels before indexing", "[loss]") {
  auto x = from_f64(DType::F32, {2, 3}, {0, 0, 0, 0, 0, 0});
  auto t = from_f64(DType::I64, {2}, {0, 1});
  LossCase c("SoftmaxCrossEntropyLoss", {x, t});
  c.attr_int("ignore_index", 1);
  c.n->info->infer(*c.n);
  codegen::KernelCtx ctx(*c.n, codegen::Target::Generic);
  c.n->info->emit(*c.n, ctx);
  CHECK(ctx.body().find("(uint64_t)t < 3ULL && t != 1LL") != std::string::npos);
  CHECK(ctx.name() == "sce_f32_mean_ii");
}

TEST_CASE("Loss infer errors name the node", "[loss]") {
  auto x = from_f64(DType::F32, {2, 3}, {0, 0, 0, 0, 0, 0});
  auto t = from_f64(DType::I64, {2}, {0, 1});
  {
    LossCase c("NegativeLogLikelihoodLoss", {x, t});
    c.attr_str("reduction", "avg");
    auto e = c.infer_error();
    CHECK(e.find("'loss'") != std::string::npos);
    CHECK(e.find("reduction") != std::string::npos);
  }
  {
    LossCase c("SoftmaxCrossEntropyLoss", {x, from_f64(DType::I64, {3}, {0, 1, 2})});
    auto e = c.infer_error();
    CHECK(e.find("'loss'") != std::string::npos);
    CHECK(e.find("expected 2") != std::string::npos);
  }
  {
    LossCase c("NegativeLogLikelihoodLoss", {x, t, from_f64(DType::F32, {2}, {1, 1})});
    CHECK(c.infer_error().find("one weight per class") != std::string::npos);
  }
  {
    LossCase c("NegativeLogLikelihoodLoss", {x, from_f64(DType::F32, {2}, {0, 1})});
    CHECK(c.infer_error().find("int32, int64") != std::string::npos);
  }
  {
    LossCase c("SoftmaxCrossEntropyLoss", {from_f64(DType::F32, {3}, {0, 0, 0}), t});
    CHECK(c.infer_error().find("rank >= 2") != std::string::npos);
  }
}
