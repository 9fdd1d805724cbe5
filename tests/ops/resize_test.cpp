// Unit tests of the resize family: Resize (opsets 10-18) and Upsample. Expected values are
// derived by hand from the ONNX coordinate formulas in the comments next to them.
#include <catch2/catch.hpp>

#include "codegen/kernel_ctx.h"
#include "compiler/ir.h"
#include "compiler/ops/registry.h"
#include "op_test_util.h"

using namespace tinyaot;
using namespace tinyaot::optest;
using ir::DType;

namespace {

// A Resize or Upsample node whose input 0 is the run-time tensor `xv`; the others are added after.
struct ResizeNode : OpTest {
  ResizeNode(const std::string& op, int opset, ir::Value xv, const std::string& name = "rs")
      : OpTest(op, opset, 1, name) {
    input(xv);
  }
};

ir::Value scales_1x2() {
  return from_f64(DType::F32, {2}, {1, 2});
}

}  // namespace

TEST_CASE("Resize nearest, half_pixel, round_prefer_floor (opset 13 defaults)", "[resize]") {
  const ir::Value k2 = scales_1x2();
  // x_ori = (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> 0, 0, 1, 1 (ties would go down).
  ResizeNode r("Resize", 13, from_f64(DType::F32, {1, 2}, {1, 2}));
  r.omitted();
  r.constant(k2);
  ir::Value y = r.run()[0];
  CHECK(y.shape == ir::Shape{1, 4});
  expect_close(values(y), {1, 1, 2, 2});
}

TEST_CASE("Resize nearest modes, including exact halves (asymmetric 2 -> 4)", "[resize]") {
  // sizes 1x4 from 1x2 with asymmetric: x_ori = x / 2 = 0, 0.5, 1, 1.5 (indices clamped to 1).
  ir::Value sizes = from_f64(DType::I64, {2}, {1, 4});
  auto run = [&](const std::string& mode) {
    ResizeNode r("Resize", 13, from_f64(DType::F32, {1, 2}, {10, 20}));
    r.omitted();
    r.omitted();
    r.constant(sizes);
    r.attr_str("coordinate_transformation_mode", "asymmetric");
    r.attr_str("nearest_mode", mode);
    return values(r.run()[0]);
  };
  expect_close(run("floor"), {10, 10, 20, 20});
  expect_close(run("ceil"), {10, 20, 20, 20});
  expect_close(run("round_prefer_floor"), {10, 10, 20, 20});  // 0.5 -> 0, 1.5 -> 1
  expect_close(run("round_prefer_ceil"), {10, 20, 20, 20});   // 0.5 -> 1, 1.5 -> 2 (clamped)
}

TEST_CASE("Resize linear: half_pixel clamps at the edges, align_corners hits the corners", "[resize]") {
  const ir::Value k2 = scales_1x2();
  {
    // x_ori = -0.25 (clamped: 1), 0.25 (0.75*1 + 0.25*2), 0.75 (0.25*1 + 0.75*2), 1.25 (clamped: 2).
    ResizeNode r("Resize", 13, from_f64(DType::F32, {1, 2}, {1, 2}));
    r.omitted();
    r.constant(k2);
    r.attr_str("mode", "linear");
    expect_close(values(r.run()[0]), {1, 1.25, 1.75, 2});
  }
  {
    // 2 -> 3 with align_corners: x_ori = x * (2 - 1) / (3 - 1) = 0, 0.5, 1.
    ir::Value sizes = from_f64(DType::I64, {2}, {1, 3});
    ResizeNode r("Resize", 13, from_f64(DType::F32, {1, 2}, {1, 2}));
    r.omitted();
    r.omitted();
    r.constant(sizes);
    r.attr_str("mode", "linear");
    r.attr_str("coordinate_transformation_mode", "align_corners");
    expect_close(values(r.run()[0]), {1, 1.5, 2});
  }
}

TEST_CASE("Resize cubic coefficients (A = -0.75) at ratio 0.5", "[resize]") {
  // Asymmetric 2x: output 1 -> x_ori 0.5, neighbours -1..2 clamped to x[0], x[0], x[1], x[2].
  // Coefficients at ratio 0.5: -0.09375, 0.59375, 0.59375, -0.09375.
  ir::Value sc = from_f64(DType::F32, {2}, {1, 2});
  ResizeNode r("Resize", 13, from_f64(DType::F32, {1, 4}, {1, 2, 3, 4}));
  r.omitted();
  r.constant(sc);
  r.attr_str("mode", "cubic");
  r.attr_str("coordinate_transformation_mode", "asymmetric");
  ir::Value y = r.run()[0];
  REQUIRE(y.shape == ir::Shape{1, 8});
  CHECK(y.get_f64(0) == Approx(1.0));  // x_ori 0: exactly x[0]
  CHECK(y.get_f64(1) == Approx(-0.09375 * 1 + 0.59375 * 1 + 0.59375 * 2 - 0.09375 * 3));
  CHECK(y.get_f64(2) == Approx(2.0));
}

TEST_CASE("Opset-10 Resize and Upsample: asymmetric, floor up / ceil down", "[resize]") {
  {
    // 4 -> floor(4 * 0.6) = 2: x_ori = x / 0.6 = 0, 1.67 -> ceil when downsampling: 0, 2.
    ir::Value sc = from_f64(DType::F32, {2}, {1, 0.6});
    ResizeNode r("Resize", 10, from_f64(DType::F32, {1, 4}, {1, 2, 3, 4}));
    r.constant(sc);
    expect_close(values(r.run()[0]), {1, 3});
  }
  {
    // Upsample-7 scales attribute, 3x: x_ori = x / 3 floors to 0, 0, 0, 1, 1, 1.
    ResizeNode r("Upsample", 7, from_f64(DType::F32, {1, 2}, {1, 2}));
    r.attr_floats("scales", {1, 3});
    expect_close(values(r.run()[0]), {1, 1, 1, 2, 2, 2});
  }
}

TEST_CASE("tf_crop_and_resize extrapolates outside the crop", "[resize]") {
  // roi on axis 1: [0, 1.5]; 3 outputs: x_ori = x * 1.5 * 3 / 2 = 0, 2.25, 4.5 (> 3: extrapolated).
  ir::Value roi = from_f64(DType::F32, {4}, {0, 0, 1, 1.5});
  ir::Value sizes = from_f64(DType::I64, {2}, {1, 3});
  ResizeNode r("Resize", 13, from_f64(DType::F32, {1, 4}, {1, 2, 3, 4}));
  r.constant(roi);
  r.omitted();
  r.constant(sizes);
  r.attr_str("mode", "linear");
  r.attr_str("coordinate_transformation_mode", "tf_crop_and_resize");
  r.attr_float("extrapolation_value", 10);
  expect_close(values(r.run()[0]), {1, 3.25, 10});
}

TEST_CASE("Opset-18 axes and keep_aspect_ratio_policy", "[resize]") {
  // sizes 4x4 for axes (2, 3) of 1x1x2x4: per-axis scales 2 and 1.
  ir::Value sizes = from_f64(DType::I64, {2}, {4, 4});
  auto shape_for = [&](const std::string& policy) {
    ResizeNode r("Resize", 18, from_f64(DType::F32, {1, 1, 2, 4}, std::vector<double>(8, 1)));
    r.omitted();
    r.omitted();
    r.constant(sizes);
    r.attr_ints("axes", {2, 3});
    r.attr_str("keep_aspect_ratio_policy", policy);
    r.infer();
    return r.n->outputs[0]->shape;
  };
  CHECK(shape_for("stretch") == ir::Shape{1, 1, 4, 4});
  CHECK(shape_for("not_larger") == ir::Shape{1, 1, 2, 4});   // scale min(2, 1) = 1
  CHECK(shape_for("not_smaller") == ir::Shape{1, 1, 4, 8});  // scale max(2, 1) = 2
}

TEST_CASE("Resize nearest works on integer tensors", "[resize]") {
  const ir::Value k2 = scales_1x2();
  ResizeNode r("Resize", 13, from_f64(DType::U8, {1, 2}, {7, 250}));
  r.omitted();
  r.constant(k2);
  ir::Value y = r.run()[0];
  CHECK(y.dtype == DType::U8);
  CHECK(y.to_i64_vector() == std::vector<int64_t>{7, 7, 250, 250});
}

TEST_CASE("Resize rejects unsupported or inconsistent configurations, naming the node", "[resize]") {
  const ir::Value k2 = scales_1x2();
  auto throws_naming = [](ResizeNode& r, const std::string& what) {
    CHECK_THROWS_WITH(r.infer(), Catch::Contains("'bad'") && Catch::Contains(what));
  };
  {
    ResizeNode r("Resize", 13, from_f64(DType::F32, {1, 2}, {1, 2}), "bad");
    r.omitted();
    r.constant(k2);
    r.attr_int("antialias", 1);
    throws_naming(r, "antialias");
  }
  {
    ResizeNode r("Resize", 10, from_f64(DType::F32, {1, 2}, {1, 2}), "bad");
    r.constant(k2);
    r.attr_str("mode", "cubic");
    throws_naming(r, "unsupported mode 'cubic'");
  }
  {
    ir::Value sizes = from_f64(DType::I64, {2}, {1, 4});
    ResizeNode r("Resize", 13, from_f64(DType::F32, {1, 2}, {1, 2}), "bad");
    r.omitted();
    r.constant(k2);
    r.constant(sizes);
    throws_naming(r, "only one of");
  }
  {
    ResizeNode r("Resize", 13, from_f64(DType::F32, {1, 2}, {1, 2}), "bad");
    r.omitted();
    r.input(k2);
    throws_naming(r, "compile-time constant");
  }
  {
    ResizeNode r("Resize", 13, from_f64(DType::I32, {1, 2}, {1, 2}), "bad");
    r.omitted();
    r.constant(k2);
    r.attr_str("mode", "linear");
    throws_naming(r, "float32/float64 inputs only");
  }
  {
    ir::Value sc = from_f64(DType::F32, {3}, {1, 2, 2});
    ResizeNode r("Resize", 13, from_f64(DType::F32, {1, 2}, {1, 2}), "bad");
    r.omitted();
    r.constant(sc);
    throws_naming(r, "3 values for 2 axes");
  }
}

TEST_CASE("Resize kernels read precomputed tables: no coordinate maths at run time", "[resize]") {
  ir::Value sc = from_f64(DType::F32, {4}, {1, 1, 2, 2});
  ResizeNode r("Resize", 13, from_f64(DType::F32, {1, 3, 4, 4}, std::vector<double>(48, 1)));
  r.omitted();
  r.constant(sc);
  r.attr_str("mode", "linear");
  r.infer();
  codegen::KernelCtx ctx(*r.n, codegen::Target::Generic);
  r.n->info->emit(*r.n, ctx);
  CHECK(ctx.name() == "resize_linear_f32");
  CHECK(ctx.tables().size() == 4);  // source offsets + weights for H and W; N, C pass through
  const std::string& b = ctx.body();
  CHECK(b.find("floor") == std::string::npos);
  CHECK(b.find(" / ") == std::string::npos);
  CHECK(ctx.scratch_bytes() == 0);
}

TEST_CASE("Nearest upsampling copies repeated output rows", "[resize]") {
  // 2x nearest on H and W: output rows 1 and 3 repeat rows 0 and 2.
  ir::Value sc = from_f64(DType::F32, {4}, {1, 1, 2, 2});
  ResizeNode r("Resize", 13, from_f64(DType::F32, {1, 1, 2, 3}, std::vector<double>(6, 1)));
  r.omitted();
  r.constant(sc);
  r.attr_str("coordinate_transformation_mode", "asymmetric");
  r.attr_str("nearest_mode", "floor");
  r.infer();
  codegen::KernelCtx ctx(*r.n, codegen::Target::Generic);
  r.n->info->emit(*r.n, ctx);
  CHECK(ctx.name() == "resize_nearest_f32");
  CHECK(ctx.body().find("memcpy(y0 + o, y0 + o - 6, 24);") != std::string::npos);
  bool has_dup = false;
  for (auto& t : ctx.tables())
    if (t.second.find("0, 1, 0, 1,") != std::string::npos) has_dup = true;
  CHECK(has_dup);
}
