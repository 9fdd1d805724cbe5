// Unit tests of the reduce family: Reduce*, ArgMax/ArgMin, CumSum, TopK. Expected values are
// worked out by hand in the comments next to them.
#include <catch2/catch.hpp>

#include <cmath>

#include "codegen/kernel_ctx.h"
#include "compiler/ir.h"
#include "compiler/ops/registry.h"
#include "op_test_util.h"

using namespace tinyaot;
using namespace tinyaot::optest;
using ir::DType;

namespace {

// One node in a graph with no outputs until add_outputs(); inputs are run-time unless constant.
struct OneNode : OpTest {
  OneNode(const std::string& op, int opset, const std::string& name = "node") : OpTest(op, opset, 0, name) {}
};

std::vector<int64_t> as_i64(const ir::Value& v) {
  return v.to_i64_vector();
}

}  // namespace

TEST_CASE("ReduceSum takes axes as a constant input from opset 13", "[reduce]") {
  OneNode t("ReduceSum", 13);
  t.input(from_f64(DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6}));
  t.constant(from_f64(DType::I64, {1}, {1}));
  t.add_outputs(1);
  t.attr_int("keepdims", 0);
  auto out = t.run();
  CHECK(out[0].shape == ir::Shape{2});
  expect_close(values(out[0]), {1 + 2 + 3, 4 + 5 + 6});
}

TEST_CASE("Opset-18 ReduceMax/ReduceProd take axes as an input", "[reduce]") {
  {
    OneNode t("ReduceMax", 18);
    t.input(from_f64(DType::F32, {2, 3}, {1, 9, 3, 4, 5, -6}));
    t.constant(from_f64(DType::I64, {1}, {0}));
    t.add_outputs(1);
    t.attr_int("keepdims", 0);
    auto out = t.run();
    CHECK(out[0].shape == ir::Shape{3});
    expect_close(values(out[0]), {4, 9, 3});
  }
  {
    OneNode t("ReduceProd", 18);
    t.input(from_f64(DType::F32, {2, 3}, {1, 9, 3, 4, 5, -6}));
    t.constant(from_f64(DType::I64, {1}, {-1}));
    t.add_outputs(1);
    auto out = t.run();
    CHECK(out[0].shape == ir::Shape{2, 1});
    expect_close(values(out[0]), {27, -120});
  }
}

TEST_CASE("ReduceMean with axes attribute and keepdims", "[reduce]") {
  OneNode t("ReduceMean", 11);
  t.input(from_f64(DType::F32, {2, 2}, {1, 2, 3, 5}));
  t.add_outputs(1);
  t.attr_ints("axes", {0});
  auto out = t.run();
  CHECK(out[0].shape == ir::Shape{1, 2});
  expect_close(values(out[0]), {(1 + 3) / 2.0, (2 + 5) / 2.0});
}

TEST_CASE("Reduce over non-adjacent axes, negative axis", "[reduce]") {
  // x[i][j][k] = 100 i + 10 j + k over 2x2x3; reduce axes {0, -1} -> per j: sum over i, k.
  std::vector<double> v;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 3; ++k) v.push_back(100 * i + 10 * j + k);
  OneNode t("ReduceSum", 11);
  t.input(from_f64(DType::F32, {2, 2, 3}, v));
  t.add_outputs(1);
  t.attr_ints("axes", {0, -1});
  auto out = t.run();
  CHECK(out[0].shape == ir::Shape{1, 2, 1});
  // j = 0: (0+1+2) + (100+101+102) = 306; j = 1: 306 + 6 * 10 = 366.
  expect_close(values(out[0]), {306, 366});
}

TEST_CASE("Empty axes reduce everything; noop_with_empty_axes is an identity", "[reduce]") {
  {
    OneNode t("ReduceSumSquare", 18);
    t.input(from_f64(DType::F32, {2, 2}, {1, -2, 3, 0.5}));
    t.add_outputs(1);
    auto out = t.run();
    CHECK(out[0].shape == ir::Shape{1, 1});
    expect_close(values(out[0]), {1 + 4 + 9 + 0.25});
  }
  {
    OneNode t("ReduceL1", 18);
    t.input(from_f64(DType::F32, {2, 2}, {1, -2, 3, 0.5}));
    t.constant(from_f64(DType::I64, {0}, {}));
    t.add_outputs(1);
    t.attr_int("noop_with_empty_axes", 1);
    auto out = t.run();
    CHECK(out[0].shape == ir::Shape{2, 2});
    expect_close(values(out[0]), {1, -2, 3, 0.5});
  }
}

TEST_CASE("ReduceL2, ReduceLogSum, ReduceLogSumExp maths", "[reduce]") {
  {
    OneNode t("ReduceL2", 13);
    t.input(from_f64(DType::F32, {2}, {3, 4}));
    t.add_outputs(1);
    expect_close(values(t.run()[0]), {5});  // sqrt(9 + 16)
  }
  {
    OneNode t("ReduceLogSum", 13);
    t.input(from_f64(DType::F64, {3}, {1, 2, 4}));
    t.add_outputs(1);
    expect_close(values(t.run()[0]), {std::log(7.0)});
  }
  {
    // log(e^0 + e^ln3) = log 4; and log(2 e^1000) = 1000 + log 2 must not overflow.
    OneNode t("ReduceLogSumExp", 13);
    t.input(from_f64(DType::F64, {2, 2}, {0, std::log(3.0), 1000, 1000}));
    t.add_outputs(1);
    t.attr_ints("axes", {1});
    t.attr_int("keepdims", 0);
    expect_close(values(t.run()[0]), {std::log(4.0), 1000 + std::log(2.0)});
  }
}

TEST_CASE("Integer reductions: max/min of int8, wrapping int32 product, truncating mean", "[reduce]") {
  {
    OneNode t("ReduceMax", 13);
    t.input(from_f64(DType::I8, {2, 3}, {-128, -5, -7, 3, 127, -1}));
    t.add_outputs(1);
    t.attr_ints("axes", {1});
    auto out = t.run();
    CHECK(out[0].dtype == DType::I8);
    CHECK(as_i64(out[0]) == std::vector<int64_t>{-5, 127});
  }
  {
    OneNode t("ReduceMin", 13);
    t.input(from_f64(DType::I8, {2, 3}, {-128, -5, -7, 3, 127, -1}));
    t.add_outputs(1);
    t.attr_ints("axes", {1});
    CHECK(as_i64(t.run()[0]) == std::vector<int64_t>{-128, -1});
  }
  {
    OneNode t("ReduceProd", 13);
    t.input(from_f64(DType::I32, {3}, {65536, 65536, 3}));  // 2^32 * 3 wraps to 0
    t.add_outputs(1);
    CHECK(as_i64(t.run()[0]) == std::vector<int64_t>{0});
  }
  {
    OneNode t("ReduceMean", 13);
    t.input(from_f64(DType::I32, {3}, {-1, -2, -4}));  // -7 / 3 truncates to -2
    t.add_outputs(1);
    CHECK(as_i64(t.run()[0]) == std::vector<int64_t>{-2});
  }
}

TEST_CASE("ArgMax / ArgMin with select_last_index and keepdims", "[reduce]") {
  {
    OneNode t("ArgMax", 13);
    t.input(from_f64(DType::F32, {2, 4}, {1, 3, 3, 2, 7, 7, 0, 7}));
    t.add_outputs(1);
    t.attr_int("axis", 1);
    auto out = t.run();
    CHECK(out[0].dtype == DType::I64);
    CHECK(out[0].shape == ir::Shape{2, 1});
    CHECK(as_i64(out[0]) == std::vector<int64_t>{1, 0});  // first maximum
  }
  {
    OneNode t("ArgMax", 13);
    t.input(from_f64(DType::F32, {2, 4}, {1, 3, 3, 2, 7, 7, 0, 7}));
    t.add_outputs(1);
    t.attr_int("axis", 1);
    t.attr_int("select_last_index", 1);
    CHECK(as_i64(t.run()[0]) == std::vector<int64_t>{2, 3});  // last maximum
  }
  {
    OneNode t("ArgMin", 13);
    t.input(from_f64(DType::I32, {2, 3}, {5, -1, 4, 2, 8, -9}));
    t.add_outputs(1);
    t.attr_int("axis", 0);
    t.attr_int("keepdims", 0);
    auto out = t.run();
    CHECK(out[0].shape == ir::Shape{3});
    CHECK(as_i64(out[0]) == std::vector<int64_t>{1, 0, 1});
  }
}

TEST_CASE("CumSum: plain, exclusive+reverse, axis 0 of a matrix", "[reduce]") {
  {
    OneNode t("CumSum", 14);
    t.input(from_f64(DType::F32, {4}, {1, 2, 3, 4}));
    t.constant(from_f64(DType::I64, {}, {0}));
    t.add_outputs(1);
    expect_close(values(t.run()[0]), {1, 3, 6, 10});
  }
  {
    OneNode t("CumSum", 14);
    t.input(from_f64(DType::I32, {4}, {1, 2, 3, 4}));
    t.constant(from_f64(DType::I32, {}, {-1}));
    t.add_outputs(1);
    t.attr_int("exclusive", 1);
    t.attr_int("reverse", 1);
    // y[i] = sum of x[j] for j > i.
    CHECK(as_i64(t.run()[0]) == std::vector<int64_t>{9, 7, 4, 0});
  }
  {
    // The axis may be a run-time input (the kernel dispatches on it).
    OneNode t("CumSum", 14);
    t.input(from_f64(DType::F32, {2, 2}, {1, 2, 3, 4}));
    t.input(from_f64(DType::I64, {1}, {0}));
    t.add_outputs(1);
    expect_close(values(t.run()[0]), {1, 2, 4, 6});
  }
}

TEST_CASE("TopK: largest and smallest, ties keep the lower index first", "[reduce]") {
  {
    OneNode t("TopK", 11);
    t.input(from_f64(DType::F32, {1, 5}, {1, 3, 3, 2, 5}));
    t.constant(from_f64(DType::I64, {1}, {3}));
    t.add_outputs(2);
    auto out = t.run();
    CHECK(out[0].shape == ir::Shape{1, 3});
    CHECK(out[1].dtype == DType::I64);
    expect_close(values(out[0]), {5, 3, 3});
    CHECK(as_i64(out[1]) == std::vector<int64_t>{4, 1, 2});
  }
  {
    OneNode t("TopK", 11);
    t.input(from_f64(DType::I32, {5, 1}, {1, 3, 3, 1, 5}));
    t.constant(from_f64(DType::I64, {1}, {2}));
    t.add_outputs(2);
    t.attr_int("axis", 0);
    t.attr_int("largest", 0);
    auto out = t.run();
    CHECK(as_i64(out[0]) == std::vector<int64_t>{1, 1});
    CHECK(as_i64(out[1]) == std::vector<int64_t>{0, 3});
  }
  {
    OneNode t("TopK", 9);  // K is an attribute before opset 10
    t.input(from_f64(DType::F32, {3}, {0.5, 2, 1}));
    t.add_outputs(2);
    t.attr_int("k", 1);
    auto out = t.run();
    expect_close(values(out[0]), {2});
    CHECK(as_i64(out[1]) == std::vector<int64_t>{1});
  }
}

TEST_CASE("Reduce family rejects bad attributes and inputs, naming the node", "[reduce]") {
  auto throws_naming = [](OneNode& t, const std::string& what) {
    CHECK_THROWS_WITH(t.infer(), Catch::Contains("'bad'") && Catch::Contains(what));
  };
  {
    OneNode t("ReduceSum", 13, "bad");
    t.input(from_f64(DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6}));
    t.add_outputs(1);
    t.attr_ints("axes", {0});
    throws_naming(t, "input from opset 13");
  }
  {
    OneNode t("ReduceMax", 11, "bad");
    t.input(from_f64(DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6}));
    t.add_outputs(1);
    t.attr_ints("axes", {1, -1});
    throws_naming(t, "twice");
  }
  {
    OneNode t("ReduceMean", 11, "bad");
    t.input(from_f64(DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6}));
    t.add_outputs(1);
    t.attr_ints("axes", {2});
    throws_naming(t, "out of range");
  }
  {
    OneNode t("ReduceSum", 13, "bad");
    t.input(from_f64(DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6}));
    t.input(from_f64(DType::I64, {1}, {1}));  // run-time axes
    t.add_outputs(1);
    throws_naming(t, "compile-time constant");
  }
  {
    OneNode t("ReduceL2", 13, "bad");
    t.input(from_f64(DType::I32, {2}, {1, 2}));
    t.add_outputs(1);
    throws_naming(t, "does not support");
  }
  {
    OneNode t("TopK", 11, "bad");
    t.input(from_f64(DType::F32, {3}, {1, 2, 3}));
    t.constant(from_f64(DType::I64, {1}, {4}));
    t.add_outputs(2);
    throws_naming(t, "larger than");
  }
  {
    OneNode t("TopK", 9, "bad");
    t.input(from_f64(DType::F32, {3}, {1, 2, 3}));
    t.add_outputs(2);
    throws_naming(t, "'k' is required");
  }
  {
    OneNode t("ArgMin", 13, "bad");
    t.input(from_f64(DType::F32, {2, 0}, {}));
    t.add_outputs(1);
    t.attr_int("axis", 1);
    throws_naming(t, "empty axis");
  }
  {
    OneNode t("ReduceMax", 18, "bad");
    t.input(from_f64(DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6}));
    t.constant(from_f64(DType::I32, {1}, {1}));
    t.add_outputs(1);
    throws_naming(t, "must be int64");
  }
  {
    OneNode t("ArgMax", 11, "bad");
    t.input(from_f64(DType::F32, {3}, {1, 2, 3}));
    t.add_outputs(1);
    t.attr_int("select_last_index", 1);
    throws_naming(t, "opset 12");
  }
}

TEST_CASE("Reduce kernels keep the accumulator in a register and bake shapes in", "[reduce]") {
  OneNode t("ReduceMean", 13);
  t.input(from_f64(DType::F32, {2, 3, 4}, std::vector<double>(24, 1.0)));
  t.add_outputs(1);
  t.attr_ints("axes", {1});
  t.infer();
  codegen::KernelCtx ctx(*t.n, codegen::Target::Generic);
  t.n->info->emit(*t.n, ctx);
  CHECK(ctx.name() == "reduce_mean_f32");
  CHECK(ctx.scratch_bytes() == 0);
  // Axis 1 of 2x3x4 leaves the innermost axis: rows of 4 outputs accumulate in place while the
  // input is read with unit stride.
  CHECK(ctx.body().find("for (int32_t j = 0; j < 4; ++j) yr[j] = 0.0f;") != std::string::npos);
  CHECK(ctx.body().find("acc / 3.0f") != std::string::npos);  // mean over the 3 reduced elements

  OneNode t2("ReduceMean", 13);
  t2.input(from_f64(DType::F32, {2, 3, 4}, std::vector<double>(24, 1.0)));
  t2.add_outputs(1);
  t2.attr_ints("axes", {-1});
  t2.infer();
  codegen::KernelCtx ctx2(*t2.n, codegen::Target::Generic);
  t2.n->info->emit(*t2.n, ctx2);
  // Innermost axis reduced: one register accumulator per output.
  CHECK(ctx2.body().find("float acc = 0.0f;") != std::string::npos);
  CHECK(ctx2.body().find("acc / 4.0f") != std::string::npos);
}

TEST_CASE("NaN propagates through ReduceMax/Min and wins ArgMax", "[reduce]") {
  const double nan = std::nan("");
  {
    OneNode t("ReduceMax", 13);
    t.input(from_f64(DType::F32, {2, 3}, {1, nan, 3, 1, 2, 3}));
    t.add_outputs(1);
    t.attr_ints("axes", {1});
    auto v = values(t.run()[0]);
    CHECK(std::isnan(v[0]));
    CHECK(v[1] == 3);
  }
  {
    OneNode t("ArgMax", 13);
    t.input(from_f64(DType::F32, {4}, {1, nan, 5, nan}));
    t.add_outputs(1);
    CHECK(as_i64(t.run()[0]) == std::vector<int64_t>{1});  // first NaN
  }
  {
    OneNode t("ArgMin", 13);
    t.input(from_f64(DType::F32, {4}, {1, nan, -5, nan}));
    t.add_outputs(1);
    t.attr_int("select_last_index", 1);
    CHECK(as_i64(t.run()[0]) == std::vector<int64_t>{3});  // last NaN
  }
}
