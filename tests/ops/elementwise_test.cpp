// Unit tests of the elementwise family: reference evaluation against hand-derived values, type
// inference, error paths, and a few properties of the emitted kernels.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

#include "codegen/kernel_ctx.h"
#include "compiler/ir.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"
#include "op_test_util.h"

using namespace tinyaot;
using namespace tinyaot::optest;
using ir::DType;
using ir::Value;

namespace {

Value f32(std::vector<float> v) {
  auto n = static_cast<int64_t>(v.size());
  return make<float>(DType::F32, {n}, v);
}

// A graph holding one node. Inputs in `consts` become constants; a null input is omitted.
struct OneNode : OpTest {
  OneNode(const std::string& op, std::vector<Value> inputs, int opset = 13, size_t n_out = 1,
          std::vector<bool> consts = {})
      : OpTest(op, std::move(inputs), opset, std::move(consts), n_out) {}
};

std::vector<float> run_f32(const std::string& op, std::vector<float> x,
                           std::vector<std::pair<std::string, ir::Attribute>> attrs = {}, int opset = 13) {
  OneNode t(op, {f32(x)}, opset);
  for (auto& [k, a] : attrs) t.attr(k, a);
  Value y = t.run()[0];
  REQUIRE(y.dtype == DType::F32);
  return std::vector<float>(y.data<float>(), y.data<float>() + y.numel());
}

void check_close(const std::vector<float>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    if (std::isnan(want[i]))
      CHECK(std::isnan(got[i]));
    else
      CHECK(got[i] == Approx(want[i]).epsilon(1e-6).margin(1e-7));
  }
}

void check_fails_naming_node(OneNode& t, const std::string& what) {
  require_infer_error(t, {"node_under_test", what});
}

const double kE = std::exp(1.0);

}  // namespace

TEST_CASE("float maths", "[elementwise]") {
  check_close(run_f32("Sqrt", {4, 2.25f, 0}), {2, 1.5, 0});
  check_close(run_f32("Exp", {0, 1, -1}), {1, kE, 1 / kE});
  check_close(run_f32("Log", {1, float(kE), 0}), {0, 1, -INFINITY});
  check_close(run_f32("Reciprocal", {4, -0.5f}), {0.25, -2});
  check_close(run_f32("Floor", {-1.5f, 1.5f, 2}), {-2, 1, 2});
  check_close(run_f32("Ceil", {-1.5f, 1.2f, 2}), {-1, 2, 2});
  check_close(run_f32("Sin", {0, float(M_PI / 2)}), {0, 1});
  check_close(run_f32("Cos", {0}), {1});
  check_close(run_f32("Atan", {1}), {M_PI / 4});
  check_close(run_f32("Sinh", {1}), {(kE - 1 / kE) / 2});
  check_close(run_f32("Acosh", {1, 0.5f}), {0, NAN});
  check_close(run_f32("Tanh", {0, 1}), {0, (kE - 1 / kE) / (kE + 1 / kE)});
  check_close(run_f32("Erf", {0, 100, -100}), {0, 1, -1});
}

TEST_CASE("Round is half to even", "[elementwise]") {
  check_close(run_f32("Round", {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.6f, -2.4f}, {}, 11),
              {0, 2, 2, 0, -2, -2, 3, -2});
}

TEST_CASE("activations", "[elementwise]") {
  check_close(run_f32("Relu", {-1, 0, 2}), {0, 0, 2});
  check_close(run_f32("LeakyRelu", {-2, 3}), {-0.02, 3});
  check_close(run_f32("LeakyRelu", {-2, 3}, {{"alpha", float_attr(0.5f)}}), {-1, 3});
  check_close(run_f32("Elu", {-1, 2}, {{"alpha", float_attr(2)}}), {2 * (1 / kE - 1), 2});
  // Selu defaults: gamma * x for x > 0, gamma * alpha * (e^x - 1) otherwise.
  const double g = 1.05070102214813232421875, a = 1.67326319217681884765625;
  check_close(run_f32("Selu", {1, -1}), {g, g * a * (1 / kE - 1)});
  check_close(run_f32("Celu", {-2, 3}, {{"alpha", float_attr(2)}}), {2 * (1 / kE - 1), 3});
  check_close(run_f32("Sigmoid", {0, 1}), {0.5, 1 / (1 + 1 / kE)});
  check_close(run_f32("HardSigmoid", {1, -3, 3}), {0.7, 0, 1});
  check_close(run_f32("HardSigmoid", {1}, {{"alpha", float_attr(0.5f)}, {"beta", float_attr(0.25f)}}),
              {0.75});
  check_close(run_f32("HardSwish", {3, -3, 1}, {}, 14), {3, 0, 1.0 * (1.0 / 6 + 0.5)});
  check_close(run_f32("Softplus", {0, 100, -100}), {std::log(2.0), 100, 0});
  check_close(run_f32("Softsign", {1, -3}), {0.5, -0.75});
  check_close(run_f32("Shrink", {-2, 0.5f, 2}, {{"lambd", float_attr(1)}, {"bias", float_attr(0.5f)}}, 9),
              {-1.5, 0, 1.5});
  check_close(run_f32("ThresholdedRelu", {1, 1.5f, -3}, {}, 10), {0, 1.5, 0});
  // Mish(1) = tanh(ln(1 + e)).
  const double sp = std::log(1 + kE);
  check_close(run_f32("Mish", {0, 1}, {}, 18),
              {0, (std::exp(sp) - std::exp(-sp)) / (std::exp(sp) + std::exp(-sp))});
}

TEST_CASE("float64 keeps its type", "[elementwise]") {
  OneNode t("Exp", {make<double>(DType::F64, {2}, {0.0, 1.0})});
  Value y = t.run()[0];
  REQUIRE(y.dtype == DType::F64);
  CHECK(y.data<double>()[1] == Approx(kE).epsilon(1e-15));
}

TEST_CASE("integer Abs, Neg, Sign, Relu wrap like two's complement", "[elementwise]") {
  auto i8 = [](std::vector<int8_t> v) { return make<int8_t>(DType::I8, {int64_t(v.size())}, v); };
  auto out8 = [](const Value& v) {
    return std::vector<int8_t>(v.data<int8_t>(), v.data<int8_t>() + v.numel());
  };
  CHECK(out8(OneNode("Abs", {i8({-128, -5, 0, 7})}).run()[0]) == std::vector<int8_t>{-128, 5, 0, 7});
  CHECK(out8(OneNode("Neg", {i8({-128, -5, 0, 7})}).run()[0]) == std::vector<int8_t>{-128, 5, 0, -7});
  CHECK(out8(OneNode("Sign", {i8({-128, -5, 0, 7})}).run()[0]) == std::vector<int8_t>{-1, -1, 0, 1});
  CHECK(out8(OneNode("Relu", {i8({-128, -5, 0, 7})}, 14).run()[0]) == std::vector<int8_t>{0, 0, 0, 7});
  Value i32 = make<int32_t>(DType::I32, {2}, {std::numeric_limits<int32_t>::min(), 3});
  Value n32 = OneNode("Neg", {i32}).run()[0];
  CHECK(n32.data<int32_t>()[0] == std::numeric_limits<int32_t>::min());
  CHECK(n32.data<int32_t>()[1] == -3);
  Value u8 = make<uint8_t>(DType::U8, {3}, {0, 1, 200});
  Value s = OneNode("Sign", {u8}).run()[0];
  CHECK(std::vector<uint8_t>(s.data<uint8_t>(), s.data<uint8_t>() + 3) == std::vector<uint8_t>{0, 1, 1});
  // Sign of NaN stays NaN.
  check_close(run_f32("Sign", {NAN, -2, 0, 5}), {NAN, -1, 0, 1});
}

TEST_CASE("Clip: attributes, optional inputs, integers, min > max", "[elementwise]") {
  check_close(run_f32("Clip", {-3, 0.5f, 3}, {{"min", float_attr(-1)}, {"max", float_attr(2)}}, 6),
              {-1, 0.5, 2});
  check_close(run_f32("Clip", {-3, 0.5f, 3}, {{"min", float_attr(-1)}}, 6), {-1, 0.5, 3});
  {  // opset 13, max only (min omitted)
    OneNode t("Clip", {f32({-3, 0.5f, 3}), Value(), make<float>(DType::F32, {}, {1.0f})}, 13, 1,
              {false, false, true});
    Value y = t.run()[0];
    check_close(std::vector<float>(y.data<float>(), y.data<float>() + 3), {-3, 0.5, 1});
  }
  {  // min > max: everything becomes max
    OneNode t("Clip", {f32({-3, 0.5f, 3}), make<float>(DType::F32, {}, {2.0f}),
                       make<float>(DType::F32, {}, {-1.0f})});
    Value y = t.run()[0];
    check_close(std::vector<float>(y.data<float>(), y.data<float>() + 3), {-1, -1, -1});
  }
  {  // int8 with run-time bounds
    OneNode t("Clip", {make<int8_t>(DType::I8, {4}, {-128, -5, 5, 127}), make<int8_t>(DType::I8, {}, {-6}),
                       make<int8_t>(DType::I8, {}, {3})});
    Value y = t.run()[0];
    CHECK(std::vector<int8_t>(y.data<int8_t>(), y.data<int8_t>() + 4) == std::vector<int8_t>{-6, -5, 3, 3});
  }
}

TEST_CASE("Clip errors name the node", "[elementwise]") {
  OneNode t("Clip", {f32({1}), make<int8_t>(DType::I8, {}, {0})});
  check_fails_naming_node(t, "min bound");
  OneNode u("Clip", {f32({1}), f32({0, 1})});
  check_fails_naming_node(u, "must be a scalar");
  OneNode v("Clip", {make<int8_t>(DType::I8, {1}, {0})}, 11);  // integers only from opset 12
  check_fails_naming_node(v, "supported");
}

TEST_CASE("IsNaN, IsInf, Not", "[elementwise]") {
  auto bools = [](const Value& v) {
    return std::vector<uint8_t>(v.data<uint8_t>(), v.data<uint8_t>() + v.numel());
  };
  Value x = f32({INFINITY, -INFINITY, NAN, 0, 1e38f});
  {
    OneNode t("IsNaN", {x});
    Value y = t.run()[0];
    CHECK(y.dtype == DType::Bool);
    CHECK(bools(y) == std::vector<uint8_t>{0, 0, 1, 0, 0});
  }
  CHECK(bools(OneNode("IsInf", {x}, 10).run()[0]) == std::vector<uint8_t>{1, 1, 0, 0, 0});
  CHECK(bools(OneNode("IsInf", {x}, 10).attr("detect_negative", int_attr(0)).run()[0]) ==
        std::vector<uint8_t>{1, 0, 0, 0, 0});
  CHECK(bools(OneNode("IsInf", {x}, 10).attr("detect_positive", int_attr(0)).run()[0]) ==
        std::vector<uint8_t>{0, 1, 0, 0, 0});
  CHECK(bools(OneNode("Not", {make<uint8_t>(DType::Bool, {3}, {1, 0, 0})}).run()[0]) ==
        std::vector<uint8_t>{0, 1, 1});
  OneNode bad("Not", {f32({1})});
  check_fails_naming_node(bad, "has type f32");
}

TEST_CASE("Cast: truncation, saturation, wrap-around, bool", "[elementwise]") {
  auto cast = [](Value x, int64_t to) {
    return OneNode("Cast", {std::move(x)}).attr("to", int_attr(to)).run()[0];
  };
  Value a = cast(f32({2.7f, -2.7f, 1e10f, -1e10f, NAN, 127.5f}), 6);  // INT32
  REQUIRE(a.dtype == DType::I32);
  CHECK(std::vector<int32_t>(a.data<int32_t>(), a.data<int32_t>() + 6) ==
        std::vector<int32_t>{2, -2, INT32_MAX, INT32_MIN, 0, 127});
  Value b = cast(f32({-3.5f, 300, 255.9f}), 2);  // UINT8
  CHECK(std::vector<uint8_t>(b.data<uint8_t>(), b.data<uint8_t>() + 3) == std::vector<uint8_t>{0, 255, 255});
  Value c = cast(f32({0, -0.0f, 0.5f, NAN}), 9);  // BOOL
  REQUIRE(c.dtype == DType::Bool);
  CHECK(std::vector<uint8_t>(c.data<uint8_t>(), c.data<uint8_t>() + 4) == std::vector<uint8_t>{0, 0, 1, 1});
  // 300 = 256 + 44; -300 = -256 - 44; 2^40 + 5 keeps its low 32 bits.
  Value d = cast(make<int64_t>(DType::I64, {3}, {300, -300, (int64_t(1) << 40) + 5}), 3);  // INT8
  CHECK(std::vector<int8_t>(d.data<int8_t>(), d.data<int8_t>() + 3) == std::vector<int8_t>{44, -44, 5});
  Value e = cast(make<uint8_t>(DType::Bool, {2}, {1, 0}), 1);  // FLOAT
  CHECK(e.data<float>()[0] == 1.0f);
  CHECK(e.data<float>()[1] == 0.0f);
  Value f = cast(make<double>(DType::F64, {1}, {0.1}), 1);
  CHECK(f.data<float>()[0] == 0.1f);
  // int64 values beyond 2^53 survive int64 -> uint64.
  Value g = cast(make<int64_t>(DType::I64, {1}, {(int64_t(1) << 60) + 1}), 13);
  CHECK(g.data<uint64_t>()[0] == (uint64_t(1) << 60) + 1);
}

TEST_CASE("Cast and CastLike types and errors", "[elementwise]") {
  OneNode like("CastLike", {f32({1.9f}), make<int16_t>(DType::I16, {1}, {0})}, 15);
  Value y = like.run()[0];
  CHECK(y.dtype == DType::I16);
  CHECK(y.data<int16_t>()[0] == 1);
  OneNode no_to("Cast", {f32({1})});
  check_fails_naming_node(no_to, "'to' is required");
  OneNode str("Cast", {f32({1})});
  str.attr("to", int_attr(8));
  check_fails_naming_node(str, "string");
  OneNode bad_kind("Cast", {f32({1})});
  bad_kind.attr("to", str_attr("float"));
  check_fails_naming_node(bad_kind, "'to'");
}

TEST_CASE("Identity and inference Dropout", "[elementwise]") {
  Value x = make<int64_t>(DType::I64, {2}, {-5, (int64_t(1) << 62) + 3});
  Value y = OneNode("Identity", {x}).run()[0];
  CHECK(y.bytes == x.bytes);
  {  // opset 7: mask has the data type
    OneNode t("Dropout", {f32({1, 2})}, 7, 2);
    t.attr("ratio", float_attr(0.3f));
    auto out = t.run();
    check_close(std::vector<float>(out[0].data<float>(), out[0].data<float>() + 2), {1, 2});
    REQUIRE(out[1].dtype == DType::F32);
    check_close(std::vector<float>(out[1].data<float>(), out[1].data<float>() + 2), {1, 1});
  }
  {  // opset 13: bool mask, run-time training_mode is accepted (inference semantics)
    OneNode t("Dropout",
              {f32({1, 2}), make<float>(DType::F32, {}, {0.5f}), make<uint8_t>(DType::Bool, {}, {0})}, 13, 2);
    auto out = t.run();
    REQUIRE(out[1].dtype == DType::Bool);
    CHECK(out[1].data<uint8_t>()[0] == 1);
    CHECK(out[1].data<uint8_t>()[1] == 1);
  }
  {  // constant training_mode = true with a non-zero ratio cannot be compiled
    OneNode t("Dropout",
              {f32({1, 2}), make<float>(DType::F32, {}, {0.5f}), make<uint8_t>(DType::Bool, {}, {1})}, 13, 1,
              {false, true, true});
    check_fails_naming_node(t, "training-mode");
  }
  {
    OneNode t("Dropout", {f32({1})}, 10);
    t.attr("ratio", float_attr(1.5f));
    check_fails_naming_node(t, "ratio");
  }
}

TEST_CASE("infer rejects bad types and attributes, naming the node", "[elementwise]") {
  OneNode a("Sqrt", {make<int32_t>(DType::I32, {1}, {4})});
  check_fails_naming_node(a, "has type i32");
  OneNode b("Celu", {f32({1})}, 12);
  b.attr("alpha", float_attr(0));
  check_fails_naming_node(b, "alpha");
  OneNode c("LeakyRelu", {f32({1})});
  c.attr("alpha", str_attr("x"));
  check_fails_naming_node(c, "alpha");
  OneNode d("Neg", {make<uint8_t>(DType::U8, {1}, {1})});
  check_fails_naming_node(d, "has type u8");
  OneNode e("Exp", {f32({1}), f32({1})});
  check_fails_naming_node(e, "inputs");
}

TEST_CASE("emitted kernels bake in attributes and bounds", "[elementwise]") {
  std::string k = OneNode("LeakyRelu", {f32({1, 2, 3})}).attr("alpha", float_attr(0.1f)).emit();
  CHECK(k.rfind("leakyrelu_f32", 0) == 0);
  CHECK(k.find("0.100000001f") != std::string::npos);
  CHECK(k.find("i < 3;") != std::string::npos);
  // Run-time bounds are loaded once before the loop; a constant bound is a literal.
  OneNode c("Clip", {f32({1, 2}), make<float>(DType::F32, {}, {0.25f}), make<float>(DType::F32, {}, {0.5f})},
            13, 1, {false, false, true});
  std::string kc = c.emit();
  CHECK(kc.find("const float lo = x1[0];") < kc.find("for ("));
  CHECK(kc.find("0.5f") != std::string::npos);
  CHECK(kc.find("x2") == std::string::npos);
  // Exp on double uses the double libm function.
  std::string kd = OneNode("Exp", {make<double>(DType::F64, {1}, {0.0})}).emit();
  CHECK(kd.find("exp(v)") != std::string::npos);
  CHECK(kd.find("expf") == std::string::npos);
}
