// Unit tests of the sampling family: GridSample modes/padding against hand-derived
// interpolation, RoiAlign (avg and the onnxruntime-style max) on a ramp image, MaxUnpool with
// and without output_shape, Det by cofactor expansion, and infer's error paths.
#include <catch2/catch.hpp>

#include <memory>

#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "compiler/ops/registry.h"
#include "op_test_util.h"

using namespace tinyaot;
using namespace tinyaot::optest;

namespace {

struct SampCase : OpTest {
  explicit SampCase(const std::string& op, int opset = 16) : OpTest(op, opset, 1, "samp") {}
};

void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol = 1e-5) {
  expect_close(got, want, tol);
}

// GridSample of the 2x2 image [[0, 1], [2, 3]] at the given normalised (x, y) points.
std::vector<double> grid_2x2(const std::string& mode, const std::string& pad, int align,
                             const std::vector<double>& pts) {
  SampCase c("GridSample");
  c.input(ir::DType::F32, {1, 1, 2, 2}, {0, 1, 2, 3});
  c.input(ir::DType::F32, {1, 1, static_cast<int64_t>(pts.size() / 2), 2}, pts);
  c.attr_str("mode", mode);
  c.attr_str("padding_mode", pad);
  c.attr_int("align_corners", align);
  return values(c.run()[0]);
}

}  // namespace

TEST_CASE("GridSample bilinear", "[sampling]") {
  // align_corners=1: -1 and 1 are pixel centres 0 and 1; the centre averages all four pixels.
  check_close(grid_2x2("bilinear", "zeros", 1, {-1, -1, 1, 1, 0, 0, 1, -1}), {0, 3, 1.5, 1});
  // align_corners=0: -1 is the outer edge, x = -0.5: half of each border pixel and half zero.
  // (-1, -1) -> 0.25 * X[0][0] = 0; (1, -1) -> x = 1.5, y = -0.5 -> 0.25 * X[0][1] = 0.25.
  check_close(grid_2x2("bilinear", "zeros", 0, {-1, -1, 1, -1}), {0, 0.25});
  // border padding clamps the coordinate: (-3, 0) with align_corners=1 -> x = 0, y = 0.5.
  check_close(grid_2x2("bilinear", "border", 1, {-3, 0}), {1});
}

TEST_CASE("GridSample nearest and reflection", "[sampling]") {
  // x = 0.55 -> 1, y = 0.05 -> 0: X[0][1].
  check_close(grid_2x2("nearest", "zeros", 1, {0.1, -0.9}), {1});
  // Out of range with zero padding.
  check_close(grid_2x2("nearest", "zeros", 1, {3, 0.9}), {0});
  // Reflection (align_corners=1, 1x3 row [0, 10, 20]): g = 1.5 -> x = 2.5 -> 2 - 0.5 = 1.5 -> 15.
  SampCase c("GridSample");
  c.input(ir::DType::F32, {1, 1, 1, 3}, {0, 10, 20});
  c.input(ir::DType::F32, {1, 1, 1, 2}, {1.5, 0});
  c.attr_str("padding_mode", "reflection");
  c.attr_int("align_corners", 1);
  check_close(values(c.run()[0]), {15});
}

TEST_CASE("GridSample bicubic on a ramp", "[sampling]") {
  // X[h][w] = w, x = 1.25 (align_corners=1: g = 1.25 * 2 / 3 - 1), taps at columns 0..3 with
  // t = 0.25 and Keys' kernel (a = -0.75): weights -0.10546875, 0.87890625, 0.26171875,
  // -0.03515625 (they sum to 1, so the rows' value does not depend on y) ->
  // 1 * 0.87890625 + 2 * 0.26171875 + 3 * -0.03515625 = 1.296875.
  SampCase c("GridSample");
  std::vector<double> x;
  for (int h = 0; h < 4; ++h)
    for (int w = 0; w < 4; ++w) x.push_back(w);
  c.input(ir::DType::F32, {1, 1, 4, 4}, x);
  c.input(ir::DType::F32, {1, 1, 1, 2}, {1.25 * 2 / 3 - 1, 0.1});
  c.attr_str("mode", "bicubic");
  c.attr_int("align_corners", 1);
  check_close(values(c.run()[0]), {1.296875});
}

TEST_CASE("GridSample errors", "[sampling]") {
  SampCase c("GridSample");
  c.input(ir::DType::F32, {1, 1, 2, 2}, {0, 1, 2, 3});
  c.input(ir::DType::F32, {1, 1, 1, 2}, {0, 0});
  c.attr_str("mode", "area");
  CHECK_THROWS_WITH(c.infer(), Catch::Contains("samp") && Catch::Contains("unsupported mode"));
  SampCase d("GridSample");
  d.input(ir::DType::F32, {1, 1, 2, 2}, {0, 1, 2, 3});
  d.input(ir::DType::F32, {1, 1, 1, 3}, {0, 0, 0});
  CHECK_THROWS_WITH(d.infer(), Catch::Contains("samp") && Catch::Contains("grid must have shape"));
}

namespace {
// 1x1x4x4 image whose value is the column index.
std::vector<double> ramp() {
  std::vector<double> x;
  for (int h = 0; h < 4; ++h)
    for (int w = 0; w < 4; ++w) x.push_back(w);
  return x;
}
}  // namespace

TEST_CASE("RoiAlign avg", "[sampling]") {
  SECTION("output_half_pixel: one sample at the roi centre") {
    // roi [0, 0, 2, 2], 1x1 bin, one sample at (1, 1) -> 1.
    SampCase c("RoiAlign");
    c.input(ir::DType::F32, {1, 1, 4, 4}, ramp());
    c.input(ir::DType::F32, {1, 4}, {0, 0, 2, 2});
    c.input(ir::DType::I64, {1}, {0});
    c.attr_str("coordinate_transformation_mode", "output_half_pixel");
    c.attr_int("sampling_ratio", 1);
    REQUIRE(c.infer() == ir::Shape{1, 1, 1, 1});
    check_close(values(c.run()[0]), {1});
  }
  SECTION("half_pixel (the opset-16 default) shifts by -0.5") {
    SampCase c("RoiAlign");
    c.input(ir::DType::F32, {1, 1, 4, 4}, ramp());
    c.input(ir::DType::F32, {1, 4}, {0, 0, 2, 2});
    c.input(ir::DType::I64, {1}, {0});
    c.attr_int("sampling_ratio", 1);
    check_close(values(c.run()[0]), {0.5});
  }
  SECTION("opset 10 has no shift; 2x2 samples per bin") {
    // roi [0, 0, 2, 2] scaled by 0.5 -> [0, 0, 1, 1]; samples at x = 0.25, 0.75 -> mean 0.5.
    SampCase c("RoiAlign", 10);
    c.input(ir::DType::F32, {1, 1, 4, 4}, ramp());
    c.input(ir::DType::F32, {1, 4}, {0, 0, 2, 2});
    c.input(ir::DType::I64, {1}, {0});
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Float;
    a.f = 0.5f;
    c.n->attrs.set("spatial_scale", a);
    c.attr_int("sampling_ratio", 2);
    check_close(values(c.run()[0]), {0.5});
  }
}

TEST_CASE("RoiAlign max takes the largest weighted corner", "[sampling]") {
  // roi [0, 0, 2, 2], 2x2 bins of 1 pixel, one sample each at (0.5 or 1.5, 0.5 or 1.5).
  // Sample x = 0.5: corners 0 and 1, each weighted 0.25 -> max 0.25; x = 1.5: 0.25 * 2 = 0.5.
  SampCase c("RoiAlign");
  c.input(ir::DType::F32, {1, 1, 4, 4}, ramp());
  c.input(ir::DType::F32, {1, 4}, {0, 0, 2, 2});
  c.input(ir::DType::I64, {1}, {0});
  c.attr_str("mode", "max");
  c.attr_str("coordinate_transformation_mode", "output_half_pixel");
  c.attr_int("output_height", 2);
  c.attr_int("output_width", 2);
  c.attr_int("sampling_ratio", 1);
  check_close(values(c.run()[0]), {0.25, 0.5, 0.25, 0.5});
}

TEST_CASE("RoiAlign errors", "[sampling]") {
  SampCase c("RoiAlign");
  c.input(ir::DType::F32, {1, 1, 4, 4}, ramp());
  c.input(ir::DType::F32, {1, 3}, {0, 0, 2});
  c.input(ir::DType::I64, {1}, {0});
  CHECK_THROWS_WITH(c.infer(), Catch::Contains("samp") && Catch::Contains("rois must have shape"));
  SampCase d("RoiAlign");
  d.input(ir::DType::F32, {1, 1, 4, 4}, ramp());
  d.input(ir::DType::F32, {1, 4}, {0, 0, 2, 2});
  d.input(ir::DType::I64, {1}, {0});
  d.attr_str("coordinate_transformation_mode", "asymmetric");
  CHECK_THROWS_WITH(d.infer(), Catch::Contains("samp") && Catch::Contains("coordinate_transformation_mode"));
}

TEST_CASE("MaxUnpool scatters to the pooled positions", "[sampling]") {
  SECTION("default output shape (in - 1) * stride + kernel") {
    SampCase c("MaxUnpool", 11);
    c.input(ir::DType::F32, {1, 1, 2, 2}, {1, 2, 3, 4});
    c.input(ir::DType::I64, {1, 1, 2, 2}, {5, 7, 13, 15});
    c.attr_ints("kernel_shape", {2, 2});
    c.attr_ints("strides", {2, 2});
    REQUIRE(c.infer() == ir::Shape{1, 1, 4, 4});
    check_close(values(c.run()[0]), {0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4});
  }
  SECTION("output_shape pads the unpooled result at the end") {
    // Indices address the 4x4 result; (1,1), (1,3), (3,1), (3,3) in a 5x5 grid.
    SampCase c("MaxUnpool", 11);
    c.input(ir::DType::F32, {1, 1, 2, 2}, {5, 6, 7, 8});
    c.input(ir::DType::I64, {1, 1, 2, 2}, {5, 7, 13, 15});
    c.input(ir::DType::I64, {4}, {1, 1, 5, 5}, true);
    c.attr_ints("kernel_shape", {2, 2});
    c.attr_ints("strides", {2, 2});
    REQUIRE(c.infer() == ir::Shape{1, 1, 5, 5});
    std::vector<double> want(25, 0.0);
    want[6] = 5;
    want[8] = 6;
    want[16] = 7;
    want[18] = 8;
    check_close(values(c.run()[0]), want);
  }
  SECTION("missing kernel_shape") {
    SampCase c("MaxUnpool", 11);
    c.input(ir::DType::F32, {1, 1, 2, 2}, {1, 2, 3, 4});
    c.input(ir::DType::I64, {1, 1, 2, 2}, {5, 7, 13, 15});
    CHECK_THROWS_WITH(c.infer(), Catch::Contains("samp") && Catch::Contains("kernel_shape"));
  }
}

TEST_CASE("Det by LU with pivoting", "[sampling]") {
  SECTION("2x2 batch") {
    // det [[1,2],[3,4]] = -2; det [[2,0],[0,3]] = 6.
    SampCase c("Det", 11);
    c.input(ir::DType::F32, {2, 2, 2}, {1, 2, 3, 4, 2, 0, 0, 3});
    REQUIRE(c.infer() == ir::Shape{2});
    check_close(values(c.run()[0]), {-2, 6});
  }
  SECTION("3x3 needing a pivot") {
    // Cofactor expansion along row 0 of [[0,2,1],[1,3,2],[1,1,4]]:
    // 0 * (12 - 2) - 2 * (4 - 2) + 1 * (1 - 3) = -6.
    SampCase c("Det", 11);
    c.input(ir::DType::F64, {3, 3}, {0, 2, 1, 1, 3, 2, 1, 1, 4});
    REQUIRE(c.infer() == ir::Shape{});
    check_close(values(c.run()[0]), {-6}, 1e-12);
  }
  SECTION("singular") {
    SampCase c("Det", 11);
    c.input(ir::DType::F32, {2, 2}, {1, 2, 2, 4});
    check_close(values(c.run()[0]), {0});
  }
  SECTION("non-square input") {
    SampCase c("Det", 11);
    c.input(ir::DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6});
    CHECK_THROWS_WITH(c.infer(), Catch::Contains("samp") && Catch::Contains("square"));
  }
}
