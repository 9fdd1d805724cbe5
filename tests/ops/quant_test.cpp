// Unit tests of the quant family: the integer requantization primitive against exact rational
// rounding, reference evaluation of every op against hand-computed values, and error paths.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>

#include "codegen/kernel_ctx.h"
#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "compiler/ops/quant_math.h"
#include "compiler/ops/registry.h"

using namespace tinyaot;
using ir::DType;

namespace {

struct QCase {
  ir::Graph g;
  ir::Node* n = nullptr;
  std::vector<ir::Value> vals;

  QCase(const std::string& op, int opset = 13, size_t outs = 1) {
    n = g.add_node(op, "q");
    n->info = find_op("", op);
    n->opset = opset;
    for (size_t i = 0; i < outs; ++i) {
      auto* y = g.add_tensor("out" + std::to_string(i));
      y->producer = n;
      n->outputs.push_back(y);
    }
    vals.reserve(16);
  }
  void add(DType t, ir::Shape shape, const std::vector<double>& v, bool constant = false) {
    auto* x = g.add_tensor("in" + std::to_string(n->inputs.size()));
    x->dtype = t;
    x->shape = shape;
    x->shaped = true;
    ir::Value val(t, shape);
    for (size_t i = 0; i < v.size(); ++i) val.set_f64(static_cast<int64_t>(i), v[i]);
    if (constant) x->value = std::make_shared<ir::Value>(val);
    vals.push_back(val);
    n->inputs.push_back(x);
  }
  void skip() { n->inputs.push_back(nullptr), vals.emplace_back(); }
  void ints(const std::string& name, std::vector<int64_t> v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Ints;
    a.ints = std::move(v);
    n->attrs.set(name, a);
  }
  void integer(const std::string& name, int64_t v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Int;
    a.i = v;
    n->attrs.set(name, a);
  }
  std::vector<ir::Value> eval() {
    n->info->infer(*n);
    std::vector<const ir::Value*> in;
    for (size_t i = 0; i < vals.size(); ++i) in.push_back(n->inputs[i] ? &vals[i] : nullptr);
    return evaluate_node(*n, in);
  }
  std::vector<double> run(size_t out = 0) {
    auto o = eval();
    std::vector<double> r;
    for (int64_t i = 0; i < o[out].numel(); ++i) r.push_back(o[out].get_f64(i));
    return r;
  }
  std::string error() {
    try {
      n->info->infer(*n);
    } catch (const CompileError& e) {
      return e.what();
    }
    return "";
  }
  std::string kernel_name() {
    n->info->infer(*n);
    codegen::KernelCtx ctx(*n, codegen::Target::Generic);
    n->info->emit(*n, ctx);
    return ctx.name();
  }
};

using V = std::vector<double>;

// Exact round-half-to-even of acc * mant * 2^-shift with 128-bit integers (independent of the
// int64 formula under test).
int64_t exact_rne(int64_t acc, int64_t mant, int shift) {
  __int128 p = static_cast<__int128>(acc) * mant;
  if (shift == 0) return static_cast<int64_t>(p);
  const __int128 den = static_cast<__int128>(1) << shift;
  __int128 q = p / den, rem = p % den;  // truncating
  if (rem < 0) rem += den, q -= 1;      // floor
  if (2 * rem > den || (2 * rem == den && (q & 1))) q += 1;
  return static_cast<int64_t>(q);
}

}  // namespace

TEST_CASE("make_requant represents the float multiplier exactly", "[quant]") {
  quant::Requant q = quant::make_requant(0.75f);
  CHECK(std::ldexp(static_cast<double>(q.mult), -q.shift) == 0.75);
  q = quant::make_requant(0.0123f);
  CHECK(std::ldexp(static_cast<double>(q.mult), -q.shift) == static_cast<double>(0.0123f));
  q = quant::make_requant(-3.0f);
  CHECK(std::ldexp(static_cast<double>(q.mult), -q.shift) == -3.0);
  q = quant::make_requant(1e-30f);  // so small that every int32 accumulator rounds to 0
  CHECK(q.mult == 0);
  CHECK(quant::requantize(2147483647, q, 3, -128, 127) == 3);
}

TEST_CASE("requantize rounds half to even and saturates", "[quant]") {
  const quant::Requant half = quant::make_requant(0.5f);
  // 3*0.5 = 1.5 -> 2, 5*0.5 = 2.5 -> 2, -3*0.5 -> -2, -5*0.5 -> -2, 7*0.5 = 3.5 -> 4.
  CHECK(quant::requantize(3, half, 0, -128, 127) == 2);
  CHECK(quant::requantize(5, half, 0, -128, 127) == 2);
  CHECK(quant::requantize(-3, half, 0, -128, 127) == -2);
  CHECK(quant::requantize(-5, half, 0, -128, 127) == -2);
  CHECK(quant::requantize(7, half, 10, -128, 127) == 14);
  CHECK(quant::requantize(1000, half, 0, -128, 127) == 127);
  CHECK(quant::requantize(-1000, half, 0, 0, 255) == 0);
  const quant::Requant one = quant::make_requant(1.0f);
  CHECK(quant::requantize(-7, one, 3, -128, 127) == -4);
}

TEST_CASE("requantize equals exact rounding for random multipliers and accumulators", "[quant]") {
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> lm(-20.0f, 2.0f);
  std::uniform_int_distribution<int32_t> acc_d(-(1 << 30), 1 << 30);
  for (int t = 0; t < 2000; ++t) {
    const float m = std::exp2(lm(rng));
    const quant::Requant q = quant::make_requant(m);
    // Independent decomposition of m: frexp gives m = f * 2^e, f in [0.5, 1).
    int e;
    const double f = std::frexp(static_cast<double>(m), &e);
    const int64_t mant = static_cast<int64_t>(std::ldexp(f, 24));
    for (int j = 0; j < 20; ++j) {
      int32_t acc = acc_d(rng) >> (j % 20);
      const int64_t want = std::min<int64_t>(127, std::max<int64_t>(-128, exact_rne(acc, mant, 24 - e) - 5));
      REQUIRE(quant::requantize(acc, q, -5, -128, 127) == want);
    }
  }
}

TEST_CASE("QuantizeLinear divides, rounds half to even, adds the zero point and saturates", "[quant]") {
  QCase c("QuantizeLinear");
  c.add(DType::F32, {6}, {0, 1, 2.5, -3, 300, -300});
  c.add(DType::F32, {}, {2});
  c.add(DType::U8, {}, {10});
  // x/2 = 0, 0.5, 1.25, -1.5, 150, -150 -> 0, 0, 1, -2, 150, -150 -> +10, clamp to [0, 255].
  CHECK(c.run() == V{10, 10, 11, 8, 160, 0});
  CHECK(c.n->outputs[0]->dtype == DType::U8);

  QCase d("QuantizeLinear");  // no zero point: uint8, zp 0
  d.add(DType::F32, {3}, {-1, 0.5, 1.5});
  d.add(DType::F32, {}, {1});
  CHECK(d.run() == V{0, 0, 2});
}

TEST_CASE("QuantizeLinear per axis", "[quant]") {
  QCase c("QuantizeLinear");
  c.add(DType::F32, {2, 3}, {1, 2, 3, 1, 2, 3});
  c.add(DType::F32, {2}, {1, 0.5});
  c.add(DType::I8, {2}, {0, -100});
  c.integer("axis", 0);
  // Row 0: x/1 + 0; row 1: x/0.5 - 100.
  CHECK(c.run() == V{1, 2, 3, -98, -96, -94});
}

TEST_CASE("DequantizeLinear per tensor, per axis and int32", "[quant]") {
  QCase c("DequantizeLinear");
  c.add(DType::U8, {3}, {0, 3, 255});
  c.add(DType::F32, {}, {0.5});
  c.add(DType::U8, {}, {3});
  CHECK(c.run() == V{-1.5, 0, 126});

  QCase a("DequantizeLinear");
  a.add(DType::I8, {1, 2, 2}, {1, -1, 4, 5});
  a.add(DType::F32, {2}, {2, 0.25});
  a.add(DType::I8, {2}, {1, 0});
  CHECK(a.run() == V{0, -4, 1, 1.25});

  QCase i("DequantizeLinear", 10);
  i.add(DType::I32, {2}, {-1000, 7});
  i.add(DType::F32, {}, {0.5});
  CHECK(i.run() == V{-500, 3.5});
}

TEST_CASE("DynamicQuantizeLinear computes scale and zero point from the data", "[quant]") {
  QCase c("DynamicQuantizeLinear", 11, 3);
  c.add(DType::F32, {4}, {0, 2, -1, 0.6});
  auto out = c.eval();
  const float scale = 3.0f / 255.0f;  // (max(0, 2) - min(0, -1)) / 255
  CHECK(out[1].data<float>()[0] == scale);
  // zp = round(0 - (-1) / scale) = 85; y = round(x / scale) + 85: 85, 170 + 85 -> 255, 0, 51 + 85.
  CHECK(out[2].data<uint8_t>()[0] == 85);
  std::vector<int> y(out[0].data<uint8_t>(), out[0].data<uint8_t>() + 4);
  CHECK(y == std::vector<int>{85, 255, 0, 136});
}

TEST_CASE("QLinearConv: padding with x_zp, per-channel scale, bias, half-even rounding", "[quant]") {
  QCase c("QLinearConv", 10);
  c.add(DType::U8, {1, 1, 3}, {10, 20, 30});
  c.add(DType::F32, {}, {0.5});
  c.add(DType::U8, {}, {10});
  c.add(DType::I8, {2, 1, 2}, {1, 2, -1, 3}, true);
  c.add(DType::F32, {2}, {1, 0.5});
  c.add(DType::I8, {2}, {0, 0});
  c.add(DType::F32, {}, {1});
  c.add(DType::U8, {}, {5});
  c.add(DType::I32, {2}, {1, -2});
  c.ints("pads", {1, 1});
  // x - xzp = [0 10 20], zero padded both sides; 4 outputs.
  // ch0 w=[1 2]:  acc = 0, 20, 50, 20 (+1)  -> *0.5  = 0.5, 10.5, 25.5, 10.5 -> 0, 10, 26, 10 -> +5
  // ch1 w=[-1 3]: acc = 0, 30, 50, -20 (-2) -> *0.25 = -0.5, 7, 12, -5.5 -> 0, 7, 12, -6 -> +5, clamp
  CHECK(c.run() == V{5, 15, 31, 15, 5, 12, 17, 0});
  CHECK(c.n->outputs[0]->shape == ir::Shape{1, 2, 4});
  CHECK(c.kernel_name() == "qlinearconv1d_u8i8_k2s1");
}

TEST_CASE("ConvInteger subtracts the zero points and returns int32", "[quant]") {
  QCase c("ConvInteger", 10);
  c.add(DType::U8, {1, 1, 2, 2}, {1, 2, 3, 4});
  c.add(DType::U8, {2, 1, 1, 1}, {2, 7});
  c.add(DType::U8, {}, {1});
  c.add(DType::U8, {2}, {0, 5});
  // ch0: (x - 1) * 2; ch1: (x - 1) * (7 - 5).
  CHECK(c.run() == V{0, 2, 4, 6, 0, 2, 4, 6});
  CHECK(c.n->outputs[0]->dtype == DType::I32);
}

TEST_CASE("MatMulInteger with per-row and per-column zero points", "[quant]") {
  QCase c("MatMulInteger", 10);
  c.add(DType::U8, {2, 2}, {1, 2, 3, 4});
  c.add(DType::U8, {2, 2}, {5, 6, 7, 8});
  c.add(DType::U8, {2}, {1, 2});
  c.add(DType::U8, {2}, {5, 0});
  // A - azp = [[0 1] [1 2]], B - bzp = [[0 6] [2 8]].
  CHECK(c.run() == V{2, 8, 4, 22});
}

TEST_CASE("QLinearMatMul requantizes the int32 product", "[quant]") {
  QCase c("QLinearMatMul", 10);
  c.add(DType::I8, {2, 2}, {4, -2, 1, 1});
  c.add(DType::F32, {}, {0.5});
  c.add(DType::I8, {}, {0});
  c.add(DType::I8, {2, 1}, {3, 2});
  c.add(DType::F32, {}, {1});
  c.add(DType::I8, {}, {1});
  c.add(DType::F32, {}, {2});
  c.add(DType::I8, {}, {-1});
  // B - 1 = [2 1]; acc = [8 - 2, 2 + 1] = [6, 3]; * 0.25 = 1.5 -> 2, 0.75 -> 1; -1.
  CHECK(c.run() == V{1, 0});
  CHECK(c.n->outputs[0]->shape == ir::Shape{2, 1});
}

TEST_CASE("QLinearAdd is the float32 QDQ add, with broadcasting", "[quant]") {
  QCase c("QLinearAdd");
  c.n->domain = "com.microsoft";
  c.n->info = find_op("com.microsoft", "QLinearAdd");
  c.n->opset = 1;
  c.add(DType::I8, {2, 2}, {10, -3, 0, 127});
  c.add(DType::F32, {}, {0.5});
  c.add(DType::I8, {}, {0});
  c.add(DType::I8, {2}, {4, 7});
  c.add(DType::F32, {}, {0.25});
  c.add(DType::I8, {}, {1});
  c.add(DType::F32, {}, {0.5});
  c.add(DType::I8, {}, {0});
  // DQ(a) = [5, -1.5, 0, 63.5], DQ(b) = [0.75, 1.5] (broadcast over rows).
  // sums 5.75, 0, 0.75, 65 -> / 0.5 = 11.5, 0, 1.5, 130 -> half-even 12, 0, 2, saturated 127.
  CHECK(c.run() == V{12, 0, 2, 127});
  CHECK(c.n->outputs[0]->shape == ir::Shape{2, 2});
}

// The integer form (fixed point + patch list) must equal the float32 definition for every input
// pair; scales from a real ResNet-8 layer (one pair rounds differently in pure fixed point) and
// scales that make every sum an exact tie.
TEST_CASE("QLinearAdd integer plan equals the float32 definition for all 8-bit pairs", "[quant]") {
  struct P {
    float sa;
    int32_t za;
    float sb;
    int32_t zb;
    float sy;
    int32_t zy;
    bool u8;
  };
  const P ps[] = {{0.03939355f, -128, 0.10419496f, 4, 0.050945673f, -128, false},
                  {0.5f, 3, 0.25f, -7, 0.5f, 1, false},
                  {0.1f, 128, 0.1f, 0, 0.2f, 128, true},
                  {0.0123f, 100, 0.77f, 20, 0.3f, 7, true}};
  for (const P& p : ps) {
    const quant::QAddPlan plan = quant::make_qadd_plan(p.sa, p.za, p.sb, p.zb, p.sy, p.zy, p.u8);
    REQUIRE(plan.ok);
    const int32_t lo = p.u8 ? 0 : -128, hi = p.u8 ? 255 : 127;
    const int64_t half = int64_t{1} << (plan.shift - 1), mask = (int64_t{1} << plan.shift) - 1;
    int bad = 0;
    for (int32_t a = lo; a <= hi; ++a)
      for (int32_t b = lo; b <= hi; ++b) {
        // The generated kernel's arithmetic, written out.
        const int64_t acc =
            static_cast<int64_t>(a - p.za) * plan.ma + static_cast<int64_t>(b - p.zb) * plan.mb;
        int64_t y = quant::qadd_round(acc, plan.shift) + p.zy;
        y = y < lo ? lo : y > hi ? hi : y;
        const int64_t rem = (acc & mask) - half;
        if (rem >= -plan.win && rem <= plan.win)
          for (size_t x = 0; x < plan.ex_a.size(); ++x)
            if (a == plan.ex_a[x] && b == plan.ex_b[x]) y = plan.ex_y[x];
        // The definition, written out independently: float32 DQ, add, divide, round half even.
        const float s = static_cast<float>(a - p.za) * p.sa + static_cast<float>(b - p.zb) * p.sb;
        float v = s / p.sy;
        int64_t want = static_cast<int64_t>(std::nearbyint(v)) + p.zy;
        want = want < lo ? lo : want > hi ? hi : want;
        bad += y != want;
      }
    CHECK(bad == 0);
  }
  // The ResNet-8 layer needs exactly one patched pair (found by the exhaustive search).
  CHECK(quant::make_qadd_plan(0.03939355f, -128, 0.10419496f, 4, 0.050945673f, -128, false).ex_a.size() == 1);
}

TEST_CASE("quant ops reject bad inputs naming the node", "[quant]") {
  QCase a("QuantizeLinear");
  a.add(DType::F32, {2}, {1, 2});
  a.add(DType::F32, {}, {1});
  a.add(DType::F32, {}, {0});
  CHECK_THAT(a.error(), Catch::Contains("QuantizeLinear 'q'") && Catch::Contains("y_zero_point"));

  QCase b("QuantizeLinear", 10);  // per-axis needs opset 13
  b.add(DType::F32, {2, 2}, {1, 2, 3, 4});
  b.add(DType::F32, {2}, {1, 1});
  CHECK_THAT(b.error(), Catch::Contains("'q'") && Catch::Contains("opset 13"));

  QCase c("QLinearConv", 10);
  c.add(DType::U8, {1, 1, 3}, {1, 2, 3});
  c.add(DType::F32, {}, {1});
  c.add(DType::U8, {}, {0});
  c.add(DType::U8, {1, 1, 1}, {1});
  c.add(DType::F32, {}, {1});
  c.add(DType::U8, {}, {0});
  c.add(DType::F32, {}, {1});
  c.add(DType::U8, {}, {0});
  c.add(DType::F32, {1}, {0});
  CHECK_THAT(c.error(), Catch::Contains("QLinearConv 'q'") && Catch::Contains("bias must be int32"));

  QCase d("MatMulInteger", 10);
  d.add(DType::U8, {2, 3}, {1, 2, 3, 4, 5, 6});
  d.add(DType::U8, {2, 2}, {1, 2, 3, 4});
  CHECK_THAT(d.error(), Catch::Contains("MatMulInteger 'q'") && Catch::Contains("inner dimensions"));
}

TEST_CASE("large multipliers are scaled into the 32-bit multiplier", "[quant]") {
  const quant::Requant q = quant::make_requant(33554432.0f);  // 2^25
  CHECK(q.shift == 0);
  CHECK(q.mult == (1 << 25));
  CHECK(quant::requantize(3, q, 0, -128, 127) == 127);
  CHECK(quant::requantize(-3, q, 0, -128, 127) == -128);
  CHECK(quant::requantize(0, q, 7, -128, 127) == 7);
}

TEST_CASE("QLinearConv kernel with constant scales uses integer maths only", "[quant]") {
  QCase c("QLinearConv", 13);
  c.add(DType::U8, {1, 2, 5, 5}, std::vector<double>(50, 3));
  c.add(DType::F32, {}, {0.02}, true);
  c.add(DType::U8, {}, {128}, true);
  c.add(DType::I8, {4, 2, 3, 3}, std::vector<double>(72, 1), true);
  c.add(DType::F32, {4}, {0.01, 0.02, 0.03, 0.04}, true);
  c.add(DType::I8, {4}, {0, 0, 0, 0}, true);
  c.add(DType::F32, {}, {0.1}, true);
  c.add(DType::U8, {}, {10}, true);
  c.ints("pads", {1, 1, 1, 1});
  c.n->info->infer(*c.n);
  codegen::KernelCtx ctx(*c.n, codegen::Target::Generic);
  c.n->info->emit(*c.n, ctx);
  CHECK(ctx.name() == "qlinearconv2d_u8i8_k3x3s1");
  CHECK(ctx.body().find("float") == std::string::npos);
  CHECK(ctx.helpers().count("tinyaot_requant") == 1);
  CHECK(ctx.helpers().count("tinyaot_make_requant") == 0);
  // The x zero point is folded into the interior bias: -128 * sum(w) = -128 * 18 (same for every
  // channel, so a literal); border positions subtract it per tap instead.
  CHECK(ctx.body().find("= -2304") != std::string::npos);
  CHECK(ctx.body().find("(int32_t)xr[k1] - 128") != std::string::npos);
}

// Average pooling at a rounding tie: the raw int8 sum -10 over 4 values is -2.5. ONNX mode rounds
// the rescaled zero-point-relative sum (502 / 4 = 125.5 -> 126, minus 128: -2, half to even);
// TFLite rounds the raw sum divided by the count away from zero (-3), as its int8 pool does.
TEST_CASE("QLinearGlobalAveragePool ties: onnx half-even vs tflite half-away", "[quant][rounding]") {
  for (const char* mode : {"onnx", "tflite"}) {
    QCase c("QLinearGlobalAveragePool");
    c.n->domain = "com.microsoft";
    c.n->info = find_op("com.microsoft", "QLinearGlobalAveragePool");
    c.n->opset = 1;
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::String;
    a.s = mode;
    c.n->attrs.set("tinyaot_rounding", a);
    c.add(DType::I8, {1, 1, 2, 2}, {-1, -2, -3, -4});
    c.add(DType::F32, {}, {0.5}, true);
    c.add(DType::I8, {}, {-128}, true);
    c.add(DType::F32, {}, {0.5}, true);
    c.add(DType::I8, {}, {-128}, true);
    CHECK(c.run() == V{std::string(mode) == "onnx" ? -2.0 : -3.0});
  }
}
