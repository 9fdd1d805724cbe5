// Golden + numeric-equivalence tests of fuse-activation: the activation node disappears, the
// producer carries tinyaot_act* attributes and the reference evaluator gives the same outputs.
#include "pass_test_util.h"

#include "compiler/ops/activation.h"

using tinyaot::testing::check_pass;

TEST_CASE("fuse-activation folds Relu into a Conv", "[passes]") {
  check_pass("fuse-activation", R"(
graph g opset 13 {
  input %x: f32[1x1x3x3]
  const %w: f32[2x1x2x2] = [1.0,-1.0,0.5,2.0,-1.0,-1.0,-1.0,-1.0]
  const %b: f32[2] = [0.25,-0.5]
  %c: f32[1x2x2x2] = Conv(%x, %w, %b)
  %y: f32[1x2x2x2] = Relu(%c)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[1x1x3x3]
  const %w: f32[2x1x2x2] = [1.0,-1.0,0.5,2.0,-1.0,-1.0,-1.0,-1.0]
  const %b: f32[2] = [0.25,-0.5]
  %y: f32[1x2x2x2] = Conv(%x, %w, %b) {tinyaot_act="Relu"}
  return %y
})");
}

TEST_CASE("fuse-activation folds Clip with constant bounds (Relu6) into a Gemm", "[passes]") {
  // Weights large enough that both bounds bind for inputs in [-2, 2).
  check_pass("fuse-activation", R"(
graph g opset 13 {
  input %x: f32[2x3]
  const %w: f32[3x2] = [4.0,-4.0,3.0,-3.0,2.0,-2.0]
  const %c: f32[2] = [1.0,0.5]
  const %lo: f32[scalar] = [0.0]
  const %hi: f32[scalar] = [6.0]
  %m: f32[2x2] = Gemm(%x, %w, %c)
  %y: f32[2x2] = Clip(%m, %lo, %hi)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[2x3]
  const %w: f32[3x2] = [4.0,-4.0,3.0,-3.0,2.0,-2.0]
  const %c: f32[2] = [1.0,0.5]
  %y: f32[2x2] = Gemm(%x, %w, %c) {tinyaot_act="Clip", tinyaot_act_max=6.0, tinyaot_act_min=0.0}
  return %y
})");
}

TEST_CASE("fuse-activation folds Sigmoid into a MatMul", "[passes]") {
  check_pass("fuse-activation", R"(
graph g opset 13 {
  input %x: f32[2x2]
  const %w: f32[2x3] = [1.0,-2.0,0.5,3.0,1.0,-1.0]
  %m: f32[2x3] = MatMul(%x, %w)
  %y: f32[2x3] = Sigmoid(%m)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[2x2]
  const %w: f32[2x3] = [1.0,-2.0,0.5,3.0,1.0,-1.0]
  %y: f32[2x3] = MatMul(%x, %w) {tinyaot_act="Sigmoid"}
  return %y
})");
}

TEST_CASE("fuse-activation records LeakyRelu/HardSigmoid parameters and old-style Clip attributes",
          "[passes]") {
  check_pass("fuse-activation", R"(
graph g opset 13 {
  input %x: f32[1x2x2x2]
  const %w: f32[2x2x1x1] = [1.0,-1.0,2.0,0.5]
  const %w2: f32[2x2x2x2] = [1.0,0.5,-1.0,2.0,1.0,1.0,-0.5,0.25,1.0,1.0,-1.0,1.0,-1.0,1.0,-1.0,1.0]
  %c: f32[1x2x2x2] = Conv(%x, %w)
  %l: f32[1x2x2x2] = LeakyRelu(%c) {alpha=0.125}
  %t: f32[1x2x3x3] = ConvTranspose(%l, %w2) {strides=[2,2], pads=[0,0,1,1]}
  %y: f32[1x2x3x3] = HardSigmoid(%t) {alpha=0.25}
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[1x2x2x2]
  const %w: f32[2x2x1x1] = [1.0,-1.0,2.0,0.5]
  const %w2: f32[2x2x2x2] = [1.0,0.5,-1.0,2.0,1.0,1.0,-0.5,0.25,1.0,1.0,-1.0,1.0,-1.0,1.0,-1.0,1.0]
  %l: f32[1x2x2x2] = Conv(%x, %w) {tinyaot_act="LeakyRelu", tinyaot_act_alpha=0.125}
  %y: f32[1x2x3x3] = ConvTranspose(%l, %w2) {pads=[0,0,1,1], strides=[2,2], tinyaot_act="HardSigmoid", tinyaot_act_alpha=0.25, tinyaot_act_beta=0.5}
  return %y
})");
}

TEST_CASE("fuse-activation leaves a producer with two consumers or a graph output alone", "[passes]") {
  // %m feeds both Tanh and Add: fusing would change what Add sees.
  const char* two = R"(
graph g opset 13 {
  input %x: f32[2x2]
  const %w: f32[2x2] = [1.0,2.0,3.0,4.0]
  %m: f32[2x2] = MatMul(%x, %w)
  %t: f32[2x2] = Tanh(%m)
  %y: f32[2x2] = Add(%t, %m)
  return %y
})";
  check_pass("fuse-activation", two, two);
  // %m is itself a graph output.
  const char* out = R"(
graph g opset 13 {
  input %x: f32[2x2]
  const %w: f32[2x2] = [1.0,2.0,3.0,4.0]
  %m: f32[2x2] = MatMul(%x, %w)
  %y: f32[2x2] = Relu(%m)
  return %m, %y
})";
  check_pass("fuse-activation", out, out);
  // A second activation after a fused one stays a separate node; a run-time Clip bound too.
  check_pass("fuse-activation", R"(
graph g opset 13 {
  input %x: f32[2x2]
  input %hi: f32[scalar]
  const %w: f32[2x2] = [1.0,2.0,3.0,4.0]
  const %w2: f32[2x2] = [1.0,-2.0,3.0,-4.0]
  %m: f32[2x2] = MatMul(%x, %w)
  %r: f32[2x2] = Relu(%m)
  %s: f32[2x2] = Sigmoid(%r)
  %n: f32[2x2] = MatMul(%s, %w2)
  %y: f32[2x2] = Clip(%n, %hi, %hi)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[2x2]
  input %hi: f32[scalar]
  const %w: f32[2x2] = [1.0,2.0,3.0,4.0]
  const %w2: f32[2x2] = [1.0,-2.0,3.0,-4.0]
  %r: f32[2x2] = MatMul(%x, %w) {tinyaot_act="Relu"}
  %s: f32[2x2] = Sigmoid(%r)
  %n: f32[2x2] = MatMul(%s, %w2)
  %y: f32[2x2] = Clip(%n, %hi, %hi)
  return %y
})");
}

TEST_CASE("fused activation maths matches the ONNX definitions", "[passes]") {
  using namespace tinyaot::act;
  Activation a;
  a.kind = Kind::Relu;
  CHECK(apply(a, -1.5) == 0.0);
  CHECK(apply(a, 2.5) == 2.5);
  a.kind = Kind::Clip, a.lo = 0, a.hi = 6;
  CHECK(apply(a, -1) == 0.0);
  CHECK(apply(a, 7) == 6.0);
  CHECK(apply(a, 3) == 3.0);
  a = Activation{};
  a.kind = Kind::LeakyRelu, a.alpha = 0.1;
  CHECK(apply(a, -2) == Approx(-0.2));
  CHECK(apply(a, 2) == 2.0);
  a.kind = Kind::HardSigmoid, a.alpha = 0.2, a.beta = 0.5;  // 0.2 * 1 + 0.5 = 0.7; saturates at 0 and 1
  CHECK(apply(a, 1) == Approx(0.7));
  CHECK(apply(a, 10) == 1.0);
  CHECK(apply(a, -10) == 0.0);
  a.kind = Kind::HardSwish, a.alpha = 1.0 / 6, a.beta = 0.5;  // x * (x/6 + 1/2): 1 * (2/3)
  CHECK(apply(a, 1) == Approx(2.0 / 3.0));
  CHECK(apply(a, 4) == 4.0);
  CHECK(apply(a, -4) == 0.0);
  a.kind = Kind::Sigmoid;
  CHECK(apply(a, 0) == 0.5);
  CHECK(apply(a, std::log(3.0)) == Approx(0.75));  // 1 / (1 + 1/3)
  a.kind = Kind::Tanh;
  CHECK(apply(a, std::log(2.0)) == Approx(0.6));  // (2 - 1/2) / (2 + 1/2)
  // The emitted statements are clamps for Relu / Clip.
  a = Activation{};
  a.kind = Kind::Relu;
  CHECK(c_stmt(a, "acc", tinyaot::ir::DType::F32) == "acc = acc > 0.0f ? acc : 0.0f;");
  a.kind = Kind::Clip, a.lo = 0, a.hi = 6;
  CHECK(c_stmt(a, "v", tinyaot::ir::DType::F32) == "v = v < 0.0f ? 0.0f : v; v = v > 6.0f ? 6.0f : v;");
  a.hi = std::numeric_limits<double>::infinity();  // only the lower bound is emitted
  CHECK(c_stmt(a, "v", tinyaot::ir::DType::F32) == "v = v < 0.0f ? 0.0f : v;");
}

// ---------------------------------------------------------------------------------------------
// End to end: per activation, a model where every producer kind (3x3 Conv, depthwise strided
// Conv, pointwise Conv, ConvTranspose, Gemm, MatMul) is followed by that activation. The
// generated code (g++, -O2 pipeline) must contain six fused kernels and no activation kernel,
// and match outputs computed here with naive double loops and the ONNX activation formulas.

#include <filesystem>
#include <fstream>

#include "../unit/test_util.h"

namespace {

using Vec = std::vector<double>;

double onnx_act(const std::string& a, double v) {
  if (a == "Relu") return v > 0 ? v : 0;
  if (a == "Clip") return std::min(std::max(v, 0.0), 6.0);
  if (a == "LeakyRelu") return v < 0 ? 0.1 * v : v;
  if (a == "HardSigmoid") return std::min(std::max(0.2 * v + 0.5, 0.0), 1.0);
  if (a == "HardSwish") return v * std::min(std::max(v / 6 + 0.5, 0.0), 1.0);
  if (a == "Sigmoid") return 1 / (1 + std::exp(-v));
  return std::tanh(v);
}

// y[m][oy][ox] = b[m] + sum over the group's channels and taps (N = 1, square kernel).
Vec conv(const Vec& x, int C, int H, const Vec& w, const Vec& b, int M, int k, int s, int p, int G) {
  const int Ho = (H + 2 * p - k) / s + 1, Cg = C / G, Mg = M / G;
  Vec y(static_cast<size_t>(M * Ho * Ho));
  for (int m = 0; m < M; ++m)
    for (int oy = 0; oy < Ho; ++oy)
      for (int ox = 0; ox < Ho; ++ox) {
        double acc = b[m];
        for (int c = 0; c < Cg; ++c)
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx) {
              const int iy = oy * s - p + ky, ix = ox * s - p + kx;
              if (iy < 0 || ix < 0 || iy >= H || ix >= H) continue;
              acc += x[((m / Mg * Cg + c) * H + iy) * H + ix] * w[((m * Cg + c) * k + ky) * k + kx];
            }
        y[(m * Ho + oy) * Ho + ox] = acc;
      }
  return y;
}

// ConvTranspose, no pads: y[m][iy*s+ky][ix*s+kx] += x[c][iy][ix] * w[c][m][ky][kx].
Vec conv_t(const Vec& x, int C, int H, const Vec& w, const Vec& b, int M, int k, int s) {
  const int Ho = (H - 1) * s + k;
  Vec y(static_cast<size_t>(M * Ho * Ho));
  for (int m = 0; m < M; ++m)
    for (int e = 0; e < Ho * Ho; ++e) y[m * Ho * Ho + e] = b[m];
  for (int c = 0; c < C; ++c)
    for (int m = 0; m < M; ++m)
      for (int iy = 0; iy < H; ++iy)
        for (int ix = 0; ix < H; ++ix)
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx)
              y[(m * Ho + iy * s + ky) * Ho + ix * s + kx] +=
                  x[(c * H + iy) * H + ix] * w[((c * M + m) * k + ky) * k + kx];
  return y;
}

Vec matmul(const Vec& a, int M, int K, const Vec& b, int N, const Vec* bias) {
  Vec y(static_cast<size_t>(M * N));
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double acc = bias ? (*bias)[j] : 0.0;
      for (int k = 0; k < K; ++k) acc += a[i * K + k] * b[k * N + j];
      y[i * N + j] = acc;
    }
  return y;
}

void write_tensor(const std::string& path, const std::string& name, const std::vector<int64_t>& shape,
                  const Vec& v) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : shape) t.add_dims(d);
  for (double x : v) t.add_float_data(static_cast<float>(x));
  std::ofstream f(path, std::ios::binary);
  t.SerializeToOstream(&f);
}

}  // namespace

TEST_CASE("fuse-activation: generated kernels apply every activation in every producer's epilogue",
          "[passes][e2e]") {
  using namespace tinyaot::testing;
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  auto rnd = [&](size_t n, double scale) {
    Vec v(n);
    for (auto& x : v) x = static_cast<float>(u(rng) * scale);  // values the model stores exactly
    return v;
  };
  const Vec x = rnd(4 * 6 * 6, 3.0);
  const Vec w1 = rnd(8 * 4 * 9, 1.0), b1 = rnd(8, 1.0), w2 = rnd(8 * 9, 1.0), b2 = rnd(8, 1.0);
  const Vec w3 = rnd(4 * 8, 1.0), b3 = rnd(4, 1.0), w4 = rnd(4 * 2 * 4, 1.0), b4 = rnd(2, 1.0);
  const Vec w5 = rnd(72 * 10, 0.5), c5 = rnd(10, 1.0), w6 = rnd(10 * 6, 1.0);
  TempDir dir;
  for (const std::string a : {"Relu", "Clip", "LeakyRelu", "HardSigmoid", "HardSwish", "Sigmoid", "Tanh"}) {
    auto m = make_model(14);
    add_input(m, "x", {1, 4, 6, 6});
    add_output(m, "y", {1, 6});
    add_float_initializer(m, "w1", {8, 4, 3, 3}, std::vector<float>(w1.begin(), w1.end()));
    add_float_initializer(m, "b1", {8}, std::vector<float>(b1.begin(), b1.end()));
    add_float_initializer(m, "w2", {8, 1, 3, 3}, std::vector<float>(w2.begin(), w2.end()));
    add_float_initializer(m, "b2", {8}, std::vector<float>(b2.begin(), b2.end()));
    add_float_initializer(m, "w3", {4, 8, 1, 1}, std::vector<float>(w3.begin(), w3.end()));
    add_float_initializer(m, "b3", {4}, std::vector<float>(b3.begin(), b3.end()));
    add_float_initializer(m, "w4", {4, 2, 2, 2}, std::vector<float>(w4.begin(), w4.end()));
    add_float_initializer(m, "b4", {2}, std::vector<float>(b4.begin(), b4.end()));
    add_float_initializer(m, "w5", {72, 10}, std::vector<float>(w5.begin(), w5.end()));
    add_float_initializer(m, "c5", {10}, std::vector<float>(c5.begin(), c5.end()));
    add_float_initializer(m, "w6", {10, 6}, std::vector<float>(w6.begin(), w6.end()));
    add_float_initializer(m, "lo", {}, {0.0f});
    add_float_initializer(m, "hi", {}, {6.0f});
    auto act = [&](const std::string& in, const std::string& out) {
      auto* n = add_node(
          m, a, a == "Clip" ? std::vector<std::string>{in, "lo", "hi"} : std::vector<std::string>{in}, {out});
      auto fattr = [&](const char* k, float v) {
        auto* at = n->add_attribute();
        at->set_name(k);
        at->set_type(onnx::AttributeProto::FLOAT);
        at->set_f(v);
      };
      if (a == "LeakyRelu") fattr("alpha", 0.1f);
      if (a == "HardSigmoid") fattr("alpha", 0.2f), fattr("beta", 0.5f);
    };
    auto ints = [](onnx::NodeProto* n, const char* k, std::vector<int64_t> v) {
      auto* at = n->add_attribute();
      at->set_name(k);
      at->set_type(onnx::AttributeProto::INTS);
      for (int64_t i : v) at->add_ints(i);
    };
    auto* c1 = add_node(m, "Conv", {"x", "w1", "b1"}, {"c1"});
    ints(c1, "pads", {1, 1, 1, 1});
    act("c1", "a1");
    auto* c2 = add_node(m, "Conv", {"a1", "w2", "b2"}, {"c2"});
    ints(c2, "pads", {1, 1, 1, 1});
    ints(c2, "strides", {2, 2});
    {
      auto* g = c2->add_attribute();
      g->set_name("group");
      g->set_type(onnx::AttributeProto::INT);
      g->set_i(8);
    }
    act("c2", "a2");
    add_node(m, "Conv", {"a2", "w3", "b3"}, {"c3"});
    act("c3", "a3");
    auto* c4 = add_node(m, "ConvTranspose", {"a3", "w4", "b4"}, {"c4"});
    ints(c4, "strides", {2, 2});
    act("c4", "a4");
    add_node(m, "Flatten", {"a4"}, {"f"});
    add_node(m, "Gemm", {"f", "w5", "c5"}, {"g5"});
    act("g5", "a5");
    add_node(m, "MatMul", {"a5", "w6"}, {"g6"});
    act("g6", "y");

    auto A = [&](Vec v) {
      for (auto& e : v) e = onnx_act(a, e);
      return v;
    };
    Vec h = A(conv(x, 4, 6, w1, b1, 8, 3, 1, 1, 1));  // 8x6x6
    h = A(conv(h, 8, 6, w2, b2, 8, 3, 2, 1, 8));      // 8x3x3
    h = A(conv(h, 8, 3, w3, b3, 4, 1, 1, 0, 1));      // 4x3x3
    h = A(conv_t(h, 4, 3, w4, b4, 2, 2, 2));          // 2x6x6 = 72
    h = A(matmul(h, 1, 72, w5, 10, &c5));
    h = A(matmul(h, 1, 10, w6, 6, nullptr));

    const std::string cdir = dir.str() + "/fuse_" + a;
    std::filesystem::create_directories(cdir + "/test_data_set_0");
    write_model(m, cdir + "/model.onnx");
    write_tensor(cdir + "/test_data_set_0/input_0.pb", "x", {1, 4, 6, 6}, x);
    write_tensor(cdir + "/test_data_set_0/output_0.pb", "y", {1, 6}, h);

    INFO(a);
    auto c = run_tinyaot("compile " + cdir + "/model.onnx -o " + cdir + "/gen");
    REQUIRE(c.exit_code == 0);
    std::ifstream f(cdir + "/gen/model.cpp");
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string code = ss.str();
    std::string sfx = a;
    for (auto& ch : sfx) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    size_t fused = 0;
    for (size_t p = code.find("_" + sfx + "("); p != std::string::npos; p = code.find("_" + sfx + "(", p + 1))
      ++fused;
    CHECK(fused == 12);                                          // six kernel definitions + six calls
    CHECK(code.find("_" + sfx + "_f32(") == std::string::npos);  // no standalone activation kernel
    auto v = run_tinyaot("verify --atol 1e-5 " + cdir);
    CHECK(v.exit_code == 0);
    CHECK(v.out.find("1 passed") != std::string::npos);
  }
}
