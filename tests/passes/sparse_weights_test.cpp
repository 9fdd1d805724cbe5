// Tests of the sparse weight encoding (codegen/sparse_weights.h): round trips on hand-made
// matrices, and the sparse kernels (codegen/kernels/sparse.cpp) against the reference evaluator.
#include <cmath>

#include "../ops/op_test_util.h"
#include "codegen/sparse_weights.h"

using namespace tinyaot;
using namespace tinyaot::codegen::sparse;

namespace {

// Encodes a [rows][segments][len] matrix and checks that decoding gives it back.
Encoded round_trip(int64_t rows, int64_t segs, int64_t len, const std::vector<double>& m,
                   const std::vector<double>& zero) {
  REQUIRE(static_cast<int64_t>(m.size()) == rows * segs * len);
  auto at = [&](int64_t r, int64_t s, int64_t c) { return m[static_cast<size_t>((r * segs + s) * len + c)]; };
  auto z = [&](int64_t r) { return zero[static_cast<size_t>(r)]; };
  const Encoded e = encode(rows, segs, len, at, z);
  CHECK(decode(e, z) == m);
  int64_t nz = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < segs * len; ++i) nz += m[static_cast<size_t>(r * segs * len + i)] != z(r);
  CHECK(static_cast<int64_t>(e.values.size()) == nz);
  CHECK(static_cast<int64_t>(e.bitmap.size()) == rows * segs * ((len + 7) / 8));
  return e;
}

}  // namespace

TEST_CASE("sparse encoding: hand-made matrices round-trip", "[sparse]") {
  SECTION("mixed, one row with a non-zero zero point (int8 zero point 3)") {
    // Row 0: columns 1 and 9 of a 10-column segment; row 1 (zero point 3): columns 0 and 8.
    const std::vector<double> m = {0, 5, 0, 0, 0, 0, 0, 0, 0, -2, 7, 3, 3, 3, 3, 3, 3, 3, 4, 3};
    const Encoded e = round_trip(2, 1, 10, m, {0, 3});
    CHECK(e.bitmap == std::vector<uint8_t>{0x02, 0x02, 0x01, 0x01});  // hand-derived
    CHECK(e.values == std::vector<double>{5, -2, 7, 4});
  }
  SECTION("all zero") {
    const Encoded e = round_trip(3, 2, 5, std::vector<double>(30, 0.0), {0, 0, 0});
    CHECK(e.values.empty());
    CHECK(e.bytes(4) == 6);  // one bitmap byte per row and segment
  }
  SECTION("no zero") {
    std::vector<double> m;
    for (int i = 0; i < 24; ++i) m.push_back(i + 1);
    const Encoded e = round_trip(2, 3, 4, m, {0, 0});
    CHECK(e.values == m);    // every value, in row, segment, column order
    CHECK(e.bytes(1) > 24);  // never smaller than dense: the compiler keeps dense
  }
  SECTION("long gaps (600 columns, non-zeros at 0, 299 and 599)") {
    std::vector<double> m(600, 0.0);
    m[0] = 1.5, m[299] = -0.25, m[599] = 1e-30;
    const Encoded e = round_trip(1, 1, 600, m, {0});
    CHECK(e.values == std::vector<double>{1.5, -0.25, 1e-30});
    CHECK(e.bitmap[0] == 0x01);
    CHECK(e.bitmap[37] == 0x08);  // 299 = 8 * 37 + 3
    CHECK(e.bitmap[74] == 0x80);  // 599 = 8 * 74 + 7
  }
  SECTION("segments shorter than a byte") {
    const std::vector<double> m = {0, 1, 0, 2, 0, 3, 0, 0, 0};  // 3 taps of 3 channels
    const Encoded e = round_trip(1, 3, 3, m, {0});
    CHECK(e.bitmap == std::vector<uint8_t>{0x02, 0x05, 0x00});
  }
}

TEST_CASE("sparse encoding: inconsistent encodings are rejected", "[sparse]") {
  auto z = [](int64_t) { return 0.0; };
  Encoded e = encode(
      1, 1, 3, [](int64_t, int64_t, int64_t c) { return c == 1 ? 2.0 : 0.0; }, z);
  Encoded more = e;
  more.values.push_back(1);
  CHECK_THROWS(decode(more, z));
  Encoded past = e;
  past.bitmap[0] |= 0x80;  // column 7 of a 3-column segment
  CHECK_THROWS(decode(past, z));
  Encoded fewer = e;
  fewer.values.clear();
  CHECK_THROWS(decode(fewer, z));
}

namespace {

using optest::OpTest;
using optest::run_generated;

// Deterministic test data: values in [lo, lo + span), and weights of which about `zero_pct`%
// equal `zero`.
std::vector<double> ramp(int64_t n, int64_t span, int64_t lo) {
  std::vector<double> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(static_cast<double>((i * 37 + 11) % span + lo));
  return v;
}
std::vector<double> sparse_weights(int64_t n, int zero_pct, double zero, int64_t span, int64_t lo) {
  std::vector<double> v = ramp(n, span, lo);
  for (int64_t i = 0; i < n; ++i)
    if ((i * 53 + 7) % 100 < zero_pct) v[static_cast<size_t>(i)] = zero;
  return v;
}

// Runs the node's kernel dense and sparse and checks both against the reference evaluator:
// integer outputs bit for bit, float ones within `rtol`. Returns the sparse kernel's name.
std::string check_dense_and_sparse(OpTest& t, double rtol) {
  const ir::Value want = t.run()[0];
  std::string dense_name, sparse_name;
  const ir::Value dense = run_generated(t, {}, codegen::SparseWeights::Off, &dense_name);
  const ir::Value sp = run_generated(t, {}, codegen::SparseWeights::All, &sparse_name);
  CHECK(dense_name.find("_sparse") == std::string::npos);
  if (!ir::dtype_is_float(want.dtype)) {
    CHECK(dense.bytes == want.bytes);
    CHECK(sp.bytes == want.bytes);
  } else {
    REQUIRE(sp.numel() == want.numel());
    for (int64_t i = 0; i < want.numel(); ++i) {
      CHECK(dense.get_f64(i) == Approx(want.get_f64(i)).epsilon(rtol).margin(1e-6));
      CHECK(sp.get_f64(i) == Approx(want.get_f64(i)).epsilon(rtol).margin(1e-6));
    }
  }
  return sparse_name;
}

// QLinearConv with x zero point 3, per-channel weight zero points (one non-zero), bias.
OpTest qconv(int64_t C, int64_t k, int zero_pct) {
  const int64_t M = 4;
  OpTest q("QLinearConv", 10);
  std::vector<double> wz = {0, 2, 0, 0};
  std::vector<double> w;
  for (int64_t m = 0; m < M; ++m) {
    auto part = sparse_weights(C * k * k, zero_pct, wz[static_cast<size_t>(m)], 21, -10 + m);
    w.insert(w.end(), part.begin(), part.end());
  }
  q.input(ir::DType::I8, {1, C, 7, 6}, ramp(C * 42, 200, -100))
      .input(ir::DType::F32, {}, {0.05}, true)
      .input(ir::DType::I8, {}, {3}, true)
      .input(ir::DType::I8, {M, C, k, k}, w, true)
      .input(ir::DType::F32, {M}, {0.01, 0.02, 0.015, 0.03}, true)
      .input(ir::DType::I8, {M}, wz, true)
      .input(ir::DType::F32, {}, {0.2}, true)
      .input(ir::DType::I8, {}, {-5}, true)
      .input(ir::DType::I32, {M}, {100, -2000, 37, 0}, true);
  return q;
}

}  // namespace

TEST_CASE("sparse QLinearConv kernels match the evaluator bit for bit", "[sparse]") {
  SECTION("3x3, pads 1, 20 channels (3 bitmap bytes per tap)") {
    OpTest q = qconv(20, 3, 70);
    q.attr_ints("pads", {1, 1, 1, 1});
    CHECK(check_dense_and_sparse(q, 0) == "qlinearconv2d_i8i8_k3x3s1_sparse");
  }
  SECTION("3x3, stride 2, asymmetric pads, dilation 2 in width, 8 channels") {
    OpTest q = qconv(8, 3, 80);
    q.attr_ints("pads", {0, 1, 1, 2}).attr_ints("strides", {2, 2}).attr_ints("dilations", {1, 2});
    CHECK(check_dense_and_sparse(q, 0).find("_sparse") != std::string::npos);
  }
  SECTION("pointwise, no bounds checks") {
    OpTest q = qconv(16, 1, 75);
    const std::string name = check_dense_and_sparse(q, 0);
    CHECK(name == "qlinearconv2d_i8i8_k1x1s1_sparse");
  }
  SECTION("all weights zero") {
    OpTest q = qconv(8, 3, 100);
    q.attr_ints("pads", {1, 1, 1, 1});
    CHECK(check_dense_and_sparse(q, 0).find("_sparse") != std::string::npos);
  }
  // Four channels: the dense kernel's blocks of two used to index the table as m + 1 * R instead
  // of (m + 1) * R, so channel 3 read channel 2's row classes (regression).
  SECTION("with a per-position bias (prune-zero-channels)") {
    OpTest q = qconv(8, 3, 70);
    q.attr_ints("pads", {1, 1, 1, 1});
    q.attr_ints("tinyaot_pos_rows", {0, 1, 1, 1, 1, 1, 0}).attr_ints("tinyaot_pos_cols", {0, 1, 1, 1, 1, 2});
    std::vector<int64_t> tab;
    for (int64_t i = 0; i < 24; ++i) tab.push_back((i * 977) % 4001 - 2000);
    q.attr_ints("tinyaot_pos_bias", tab);
    CHECK(check_dense_and_sparse(q, 0).find("_sparse") != std::string::npos);
  }
  SECTION("dense weights stay dense") {
    OpTest q = qconv(8, 3, 0);
    CHECK(check_dense_and_sparse(q, 0).find("_sparse") == std::string::npos);
  }
}

TEST_CASE("sparse QLinearMatMul kernel matches the evaluator bit for bit", "[sparse]") {
  const int64_t M = 3, K = 20, N = 6;
  std::vector<double> bz = {0, 1, 0, -2, 0, 0}, b = sparse_weights(K * N, 75, 0, 15, -7);
  for (int64_t k = 0; k < K; ++k)  // column j's zero is its zero point
    for (int64_t j = 0; j < N; ++j)
      if (b[static_cast<size_t>(k * N + j)] == 0)
        b[static_cast<size_t>(k * N + j)] = bz[static_cast<size_t>(j)];
  OpTest q("QLinearMatMul", 10);
  q.input(ir::DType::I8, {M, K}, ramp(M * K, 150, -70))
      .input(ir::DType::F32, {}, {0.1}, true)
      .input(ir::DType::I8, {}, {-4}, true)
      .input(ir::DType::I8, {K, N}, b, true)
      .input(ir::DType::F32, {N}, {0.01, 0.02, 0.03, 0.01, 0.05, 0.02}, true)
      .input(ir::DType::I8, {N}, bz, true)
      .input(ir::DType::F32, {}, {0.3}, true)
      .input(ir::DType::I8, {}, {7}, true);
  CHECK(check_dense_and_sparse(q, 0) == "qlinearmatmul_i8i8_m3k20n6_sparse");
}

TEST_CASE("sparse float Conv, Gemm and MatMul kernels match the evaluator", "[sparse]") {
  // Only the summation order differs from the dense kernels (taps outside, channels inside).
  const double rtol = 1e-5;
  SECTION("Conv 3x3, pads 1, stride 2, with bias") {
    OpTest f("Conv", 13);
    f.input(ir::DType::F32, {1, 10, 7, 8}, ramp(560, 19, -9))
        .input(ir::DType::F32, {3, 10, 3, 3}, sparse_weights(270, 70, 0, 13, -6), true)
        .input(ir::DType::F32, {3}, {0.5, -0.25, 2}, true);
    f.attr_ints("pads", {1, 1, 1, 1}).attr_ints("strides", {2, 2});
    CHECK(check_dense_and_sparse(f, rtol) == "conv2d_f32_k3x3s2_sparse");
  }
  SECTION("Conv 3x3 with a per-position bias") {
    OpTest f("Conv", 13);
    f.input(ir::DType::F32, {1, 9, 5, 6}, ramp(270, 19, -9))
        .input(ir::DType::F32, {4, 9, 3, 3}, sparse_weights(324, 70, 0, 13, -6), true);
    f.attr_ints("pads", {1, 1, 1, 1});
    f.attr_ints("tinyaot_pos_rows", {0, 1, 1, 1, 2}).attr_ints("tinyaot_pos_cols", {0, 1, 1, 1, 1, 0});
    // Four channels: the dense kernel computes channels in blocks (m + 1, ...), which used to index
    // the table as m + 1 * R instead of (m + 1) * R (regression).
    std::vector<float> tab;
    for (int i = 0; i < 24; ++i) tab.push_back(static_cast<float>((i * 7) % 11) - 5.0f);
    f.attr_floats("tinyaot_pos_bias", tab);
    CHECK(check_dense_and_sparse(f, rtol) == "conv2d_f32_k3x3s1_sparse");
  }
  SECTION("Conv pointwise, two images, no bias") {
    OpTest f("Conv", 13);
    f.input(ir::DType::F32, {2, 12, 3, 5}, ramp(360, 23, -11))
        .input(ir::DType::F32, {5, 12, 1, 1}, sparse_weights(60, 60, 0, 9, -4), true);
    CHECK(check_dense_and_sparse(f, rtol) == "conv2d_f32_k1x1s1_sparse");
  }
  SECTION("Gemm transB with C") {
    OpTest f("Gemm", 13);
    f.input(ir::DType::F32, {2, 17}, ramp(34, 13, -6))
        .input(ir::DType::F32, {5, 17}, sparse_weights(85, 80, 0, 11, -5), true)
        .input(ir::DType::F32, {5}, {1, 2, 3, 4, 5}, true);
    f.attr_int("transB", 1).attr_float("alpha", 0.5f);
    CHECK(check_dense_and_sparse(f, rtol) == "gemm_f32_2x17x5_tb_sparse");
  }
  SECTION("MatMul") {
    OpTest f("MatMul", 13);
    f.input(ir::DType::F32, {3, 9}, ramp(27, 7, -3))
        .input(ir::DType::F32, {9, 4}, sparse_weights(36, 70, 0, 9, -4), true);
    CHECK(check_dense_and_sparse(f, rtol) == "matmul_f32_3x9x4_sparse");
  }
}
