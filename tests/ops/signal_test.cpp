// Unit tests of the signal family: DFT/STFT against hand-computed transforms, the window
// functions against their closed forms, MelWeightMatrix against the matrix documented with the
// ONNX operator test, and infer's error paths.
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

struct SigCase : OpTest {
  explicit SigCase(const std::string& op, int opset = 17) : OpTest(op, opset, 1, "sig") {}
};

void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol = 1e-5) {
  expect_close(got, want, tol);
}

const double kPi = 3.14159265358979323846;

}  // namespace

TEST_CASE("DFT of a real signal", "[signal]") {
  // x = [1, 2, 3, 4]: X[k] = sum x[t] e^{-2 pi i k t / 4}.
  // X0 = 10, X1 = 1 - 2i - 3 + 4i = -2 + 2i, X2 = 1 - 2 + 3 - 4 = -2, X3 = -2 - 2i.
  SigCase c("DFT");
  c.input(ir::DType::F32, {1, 4, 1}, {1, 2, 3, 4});
  REQUIRE(c.infer() == ir::Shape{1, 4, 2});
  check_close(values(c.run()[0]), {10, 0, -2, 2, -2, 0, -2, -2});
}

TEST_CASE("DFT onesided, dft_length and axis", "[signal]") {
  SECTION("onesided keeps n/2+1 bins") {
    SigCase c("DFT");
    c.input(ir::DType::F32, {1, 4, 1}, {1, 2, 3, 4});
    c.attr_int("onesided", 1);
    REQUIRE(c.infer() == ir::Shape{1, 3, 2});
    check_close(values(c.run()[0]), {10, 0, -2, 2, -2, 0});
  }
  SECTION("dft_length truncates") {
    // N = 2 over [1, 2]: X0 = 3, X1 = -1.
    SigCase c("DFT");
    c.input(ir::DType::F32, {1, 4, 1}, {1, 2, 3, 4});
    c.input(ir::DType::I64, {}, {2}, true);
    REQUIRE(c.infer() == ir::Shape{1, 2, 2});
    check_close(values(c.run()[0]), {3, 0, -1, 0});
  }
  SECTION("dft_length zero-pads") {
    // N = 4 over [1, 1, 0, 0]: X0 = 2, X1 = 1 - i, X2 = 0, X3 = 1 + i.
    SigCase c("DFT");
    c.input(ir::DType::F32, {1, 2, 1}, {1, 1});
    c.input(ir::DType::I32, {}, {4}, true);
    check_close(values(c.run()[0]), {2, 0, 1, -1, 0, 0, 1, 1});
  }
  SECTION("axis 2 transforms the inner dimension") {
    // [1, 2, 2, 1]: rows [1, 2] -> [3, -1]; [5, 7] -> [12, -2].
    SigCase c("DFT");
    c.input(ir::DType::F32, {1, 2, 2, 1}, {1, 2, 5, 7});
    c.attr_int("axis", 2);
    check_close(values(c.run()[0]), {3, 0, -1, 0, 12, 0, -2, 0});
  }
  SECTION("axis 1 with an inner dimension") {
    // Columns of [[1, 2], [5, 7]]: [1, 5] -> [6, -4]; [2, 7] -> [9, -5].
    SigCase c("DFT");
    c.input(ir::DType::F32, {1, 2, 2, 1}, {1, 2, 5, 7});
    check_close(values(c.run()[0]), {6, 0, 9, 0, -4, 0, -5, 0});
  }
}

TEST_CASE("inverse DFT of a complex signal", "[signal]") {
  // The inverse of the transform of [1, 2, 3, 4] divides by N.
  SigCase c("DFT");
  c.input(ir::DType::F64, {1, 4, 2}, {10, 0, -2, 2, -2, 0, -2, -2});
  c.attr_int("inverse", 1);
  check_close(values(c.run()[0]), {1, 0, 2, 0, 3, 0, 4, 0}, 1e-12);
}

TEST_CASE("DFT errors name the node", "[signal]") {
  SECTION("axis on the complex dimension") {
    SigCase c("DFT");
    c.input(ir::DType::F32, {1, 4, 1}, {1, 2, 3, 4});
    c.attr_int("axis", 2);
    CHECK_THROWS_WITH(c.infer(), Catch::Contains("sig") && Catch::Contains("complex dimension"));
  }
  SECTION("last dimension not 1 or 2") {
    SigCase c("DFT");
    c.input(ir::DType::F32, {1, 1, 3}, {1, 2, 3});
    CHECK_THROWS_WITH(c.infer(), Catch::Contains("sig") && Catch::Contains("1 (real) or 2 (complex)"));
  }
  SECTION("run-time dft_length") {
    SigCase c("DFT");
    c.input(ir::DType::F32, {1, 4, 1}, {1, 2, 3, 4});
    c.input(ir::DType::I64, {}, {4});
    CHECK_THROWS_WITH(c.infer(), Catch::Contains("sig") && Catch::Contains("compile-time constant"));
  }
}

TEST_CASE("STFT frames, window and onesided", "[signal]") {
  SECTION("frame_length without window") {
    // Frames [1,2,3,4] and [3,4,5,6] (step 2): bins 0..2 = [10, -2+2i, -2] and [18, -2+2i, -2].
    SigCase c("STFT");
    c.input(ir::DType::F32, {1, 6, 1}, {1, 2, 3, 4, 5, 6});
    c.input(ir::DType::I64, {}, {2}, true);
    c.omitted();
    c.input(ir::DType::I64, {}, {4}, true);
    REQUIRE(c.infer() == ir::Shape{1, 2, 3, 2});
    check_close(values(c.run()[0]), {10, 0, -2, 2, -2, 0, 18, 0, -2, 2, -2, 0});
  }
  SECTION("run-time window, two-sided") {
    // Window [1, 0, 1, 0] on [1,2,3,4]: [1, 0, 3, 0] -> X0 = 4, X1 = 1 - 3 = -2, X2 = 4, X3 = -2.
    SigCase c("STFT");
    c.input(ir::DType::F32, {1, 4, 1}, {1, 2, 3, 4});
    c.input(ir::DType::I64, {}, {4}, true);
    c.input(ir::DType::F32, {4}, {1, 0, 1, 0});
    c.attr_int("onesided", 0);
    REQUIRE(c.infer() == ir::Shape{1, 1, 4, 2});
    check_close(values(c.run()[0]), {4, 0, -2, 0, 4, 0, -2, 0});
  }
  SECTION("window and frame_length disagree") {
    SigCase c("STFT");
    c.input(ir::DType::F32, {1, 8, 1}, {0, 0, 0, 0, 0, 0, 0, 0});
    c.input(ir::DType::I64, {}, {2}, true);
    c.input(ir::DType::F32, {4}, {1, 1, 1, 1});
    c.input(ir::DType::I64, {}, {3}, true);
    CHECK_THROWS_WITH(c.infer(), Catch::Contains("sig") && Catch::Contains("differs from the window length"));
  }
}

TEST_CASE("window functions", "[signal]") {
  SECTION("Hann periodic: 0.5 - 0.5 cos(2 pi n / 4)") {
    SigCase c("HannWindow");
    c.input(ir::DType::I32, {}, {4}, true);
    REQUIRE(c.infer() == ir::Shape{4});
    check_close(values(c.run()[0]), {0, 0.5, 1, 0.5});
  }
  SECTION("Hann symmetric divides by size - 1") {
    SigCase c("HannWindow");
    c.input(ir::DType::I64, {}, {3}, true);
    c.attr_int("periodic", 0);
    check_close(values(c.run()[0]), {0, 1, 0});
  }
  SECTION("Hamming: 25/46 - 21/46 cos(2 pi n / N)") {
    SigCase c("HammingWindow");
    c.input(ir::DType::I32, {}, {4}, true);
    check_close(values(c.run()[0]), {4.0 / 46, 25.0 / 46, 1.0, 25.0 / 46});
  }
  SECTION("Blackman: 0.42 - 0.5 cos(a) + 0.08 cos(2a)") {
    SigCase c("BlackmanWindow");
    c.input(ir::DType::I32, {}, {4}, true);
    check_close(values(c.run()[0]), {0, 0.34, 1.0, 0.34});
  }
  SECTION("Blackman symmetric of size 5 against the closed form") {
    SigCase c("BlackmanWindow");
    c.input(ir::DType::I32, {}, {5}, true);
    c.attr_int("periodic", 0);
    std::vector<double> want;
    for (int i = 0; i < 5; ++i)
      want.push_back(0.42 - 0.5 * std::cos(2 * kPi * i / 4) + 0.08 * std::cos(4 * kPi * i / 4));
    check_close(values(c.run()[0]), want);
  }
  SECTION("output_datatype double") {
    SigCase c("HannWindow");
    c.input(ir::DType::I32, {}, {4}, true);
    c.attr_int("output_datatype", 11);
    c.infer();
    CHECK(c.n->outputs[0]->dtype == ir::DType::F64);
  }
  SECTION("size must be constant") {
    SigCase c("HannWindow");
    c.input(ir::DType::I32, {}, {4});
    CHECK_THROWS_WITH(c.infer(), Catch::Contains("sig") && Catch::Contains("compile-time constant"));
  }
  SECTION("bad output_datatype") {
    SigCase c("HammingWindow");
    c.input(ir::DType::I32, {}, {4}, true);
    c.attr_int("output_datatype", 8);
    CHECK_THROWS_WITH(c.infer(), Catch::Contains("sig") && Catch::Contains("output_datatype"));
  }
}

TEST_CASE("MelWeightMatrix", "[signal]") {
  // Inputs and expected matrix of the ONNX operator documentation example (8 bins, dft 16,
  // 8192 Hz, 0..4096 Hz): a 9x8 matrix of ones at (0,0) (0,1) (1,2) (1,3) (2,4) (3,5) (4,6) (5,7).
  SigCase c("MelWeightMatrix");
  c.input(ir::DType::I32, {}, {8}, true);
  c.input(ir::DType::I32, {}, {16}, true);
  c.input(ir::DType::I32, {}, {8192}, true);
  c.input(ir::DType::F32, {}, {0}, true);
  c.input(ir::DType::F32, {}, {4096}, true);
  REQUIRE(c.infer() == ir::Shape{9, 8});
  std::vector<double> want(72, 0.0);
  const int ones[][2] = {{0, 0}, {0, 1}, {1, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 6}, {5, 7}};
  for (auto& o : ones) want[static_cast<size_t>(o[0] * 8 + o[1])] = 1.0;
  check_close(values(c.run()[0]), want);

  SigCase bad("MelWeightMatrix");
  bad.input(ir::DType::I32, {}, {0}, true);
  bad.input(ir::DType::I32, {}, {16}, true);
  bad.input(ir::DType::I32, {}, {8192}, true);
  bad.input(ir::DType::F32, {}, {0}, true);
  bad.input(ir::DType::F32, {}, {4096}, true);
  CHECK_THROWS_WITH(bad.infer(), Catch::Contains("sig") && Catch::Contains("num_mel_bins"));
}

TEST_CASE("window kernels copy a baked table", "[signal]") {
  // Windows whose output is too large to fold at import still compile to a table copy.
  SigCase c("HannWindow");
  c.input(ir::DType::I32, {}, {4}, true);
  c.infer();
  codegen::KernelCtx ctx(*c.n, codegen::Target::Generic);
  c.n->info->emit(*c.n, ctx);
  REQUIRE(ctx.tables().size() == 1);
  CHECK(ctx.tables()[0].second.find("0.0f, 0.5f, 1.0f, 0.5f") != std::string::npos);
  CHECK(ctx.body().find("memcpy(y0, " + ctx.tables()[0].first) != std::string::npos);
  CHECK(ctx.name() == "hann_window_f32_n4");
}
