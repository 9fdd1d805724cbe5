// Integer softmax and log-softmax (tinyaot.QSoftmax / QLogSoftmax from lower-qdq): against the
// exact real-number definitions Q(softmax(DQ(x))) and Q(log_softmax(DQ(x))) computed in double
// here, every output within the documented 1 LSB; the rows/axis layout for opset 11 (coerced 2-D)
// and opset 13 (single inner axis); and the fixed-point log2 against a long double reference.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cmath>
#include <random>

#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "compiler/ops/quant_math.h"
#include "passes/pass.h"

using namespace tinyaot;

namespace {

// x: i8[shape] -> DQ(xs, xz) -> Softmax(axis) -> Q(ys, yz: `yt`), lowered; random inputs
// (several spreads) compared with a double-precision reference over rows [outer, len, inner].
void check_rows(const std::string& op, int opset, const std::string& shape, int64_t outer, int64_t len,
                int64_t inner, int axis, float xs, int xz, const std::string& yt, float ys, int yz) {
  const std::string text = fmt::format(R"(
graph g opset {0} {{
  input %x: i8[{1}]
  const %xs: f32[scalar] = [{2}]
  const %xz: i8[scalar] = [{3}]
  const %ys: f32[scalar] = [{4}]
  const %yz: {5}[scalar] = [{6}]
  %xf: f32[{1}] = DequantizeLinear(%x, %xs, %xz)
  %p: f32[{1}] = {8}(%xf) {{axis={7}}}
  %y: {5}[{1}] = QuantizeLinear(%p, %ys, %yz)
  return %y
}})",
                                       opset, shape, xs, xz, ys, yt, yz, axis, op);
  auto g = ir::parse(text);
  Diagnostics d;
  passes::find_pass("lower-qdq")->run(*g, passes::PassContext{&d});
  REQUIRE(g->nodes().size() == 1);
  REQUIRE(g->nodes()[0]->op == (op == "Softmax" ? "QSoftmax" : "QLogSoftmax"));
  std::mt19937 rng(5);
  const int64_t qmin = yt == "i8" ? -128 : 0, qmax = yt == "i8" ? 127 : 255;
  int64_t worst = 0;
  for (int spread : {3, 20, 80, 255}) {
    ir::Value x(ir::DType::I8, g->inputs[0]->shape);
    std::uniform_int_distribution<int> u(-128, -128 + spread);
    for (int64_t i = 0; i < x.numel(); ++i) x.set_f64(i, u(rng));
    const ir::Value y = evaluate_graph(*g, {x})[0];
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        double m = -1e300, sum = 0;
        auto at = [&](int64_t k) { return o * len * inner + k * inner + i; };
        for (int64_t k = 0; k < len; ++k) m = std::max(m, static_cast<double>(x.get_i64(at(k)) - xz) * xs);
        for (int64_t k = 0; k < len; ++k)
          sum += std::exp(static_cast<double>(x.get_i64(at(k)) - xz) * xs - m);
        for (int64_t k = 0; k < len; ++k) {
          const double xk = static_cast<double>(x.get_i64(at(k)) - xz) * xs - m;
          const double p = op == "Softmax" ? std::exp(xk) / sum : xk - std::log(sum);
          const int64_t ref =
              std::min(qmax, std::max(qmin, static_cast<int64_t>(std::nearbyint(p / ys)) + yz));
          worst = std::max(worst, std::abs(y.get_i64(at(k)) - ref));
        }
      }
  }
  CHECK(worst <= 1);
}

}  // namespace

TEST_CASE("lower-qdq: int8 Softmax -> QSoftmax within 1 LSB of the exact definition", "[passes][softmax]") {
  const std::string op = "Softmax";
  check_rows(op, 13, "2x10", 2, 10, 1, -1, 0.0625f, 0, "i8", 1.0f / 256, -128);
  check_rows(op, 13, "2x7x3", 2, 7, 3, 1, 0.1f, -5, "i8", 1.0f / 256, -128);       // inner axis
  check_rows(op, 11, "2x3x4", 2, 12, 1, 1, 0.05f, 3, "u8", 1.0f / 255, 0);         // coerced 2-D
  check_rows(op, 13, "1x1000", 1, 1000, 1, -1, 0.02f, 0, "i8", 1.0f / 256, -128);  // long row
  check_rows(op, 13, "1x4", 1, 4, 1, -1, 0.5f, 0, "i8", 0.01f, -100);              // saturating
  check_rows(op, 13, "1x64", 1, 64, 1, -1, 0.01f, 0, "i8", 8.3e-05f, -128);        // tiny y_scale: shift 18
}

TEST_CASE("lower-qdq: int8 LogSoftmax -> QLogSoftmax within 1 LSB of the exact definition",
          "[passes][softmax]") {
  const std::string op = "LogSoftmax";
  check_rows(op, 13, "2x10", 2, 10, 1, -1, 0.0625f, 0, "i8", 16.0f / 255, 127);
  check_rows(op, 13, "2x7x3", 2, 7, 3, 1, 0.1f, -5, "i8", 0.1f, 127);              // inner axis
  check_rows(op, 11, "2x3x4", 2, 12, 1, 1, 0.05f, 3, "u8", 12.0f / 255, 255);      // coerced 2-D
  check_rows(op, 13, "1x1000", 1, 1000, 1, -1, 0.02f, 0, "i8", 32.0f / 255, 127);  // long row
  check_rows(op, 13, "1x4", 1, 4, 1, -1, 0.5f, 0, "i8", 0.05f, 100);               // saturates at qmin
  check_rows(op, 13, "1x64", 1, 64, 1, -1, 0.01f, 0, "i8", 0.002f, 127);           // small y_scale
  check_rows(op, 13, "3x4096", 3, 4096, 1, -1, 0.03f, 0, "i8", 0.0625f, 127);      // longest row
}

TEST_CASE("lower-qdq: LogSoftmax outside the 1-LSB bound stays float", "[passes][softmax]") {
  // y_scale 1e-4 with 4096-element rows: the exp table error alone is 1.2 steps.
  auto g = ir::parse(R"(
graph g opset 13 {
  input %x: i8[1x4096]
  const %xs: f32[scalar] = [0.05]
  const %ys: f32[scalar] = [0.0001]
  const %z: i8[scalar] = [0]
  %xf: f32[1x4096] = DequantizeLinear(%x, %xs, %z)
  %p: f32[1x4096] = LogSoftmax(%xf)
  %y: i8[1x4096] = QuantizeLinear(%p, %ys, %z)
  return %y
})");
  Diagnostics d;
  passes::find_pass("lower-qdq")->run(*g, passes::PassContext{&d});
  bool has_float = false;
  for (auto& n : g->nodes()) has_float = has_float || n->op == "LogSoftmax";
  CHECK(has_float);
}

TEST_CASE("log2_q24: fixed-point log2 within 2^-24 of a long double reference", "[quant][softmax]") {
  // Exact powers of two, their neighbours, and random values over the whole range the kernels use
  // (a row sum lies in [2^24, 4096 * 2^24]) and beyond.
  std::vector<uint64_t> cases;
  for (int p = 24; p <= 62; ++p)
    for (int64_t off : {-1, 0, 1})
      if (p > 24 || off >= 0) cases.push_back((uint64_t(1) << p) + static_cast<uint64_t>(off));
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) cases.push_back((uint64_t(1) << 24) + rng() % (uint64_t(4096) << 24));
  for (int i = 0; i < 2000; ++i) cases.push_back((uint64_t(1) << 24) + (rng() >> 1));
  long double worst_below = 0, worst_above = 0;
  for (uint64_t s : cases) {
    const long double exact = (std::log2(static_cast<long double>(s)) - 24) * 16777216.0L;
    const long double err = exact - static_cast<long double>(quant::log2_q24(s));
    worst_below = std::max(worst_below, err);
    worst_above = std::max(worst_above, -err);
  }
  // Truncation: never above the exact value (beyond long double noise), below it by < 1 + 3e-9 * 2^24.
  CHECK(worst_above < 1e-6L);
  CHECK(worst_below < 1.06L);
  CHECK(quant::log2_q24(uint64_t(1) << 24) == 0);
  CHECK(quant::log2_q24(uint64_t(1) << 36) == int64_t(12) << 24);
}
