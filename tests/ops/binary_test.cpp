// Unit tests of the binary family: reference evaluation against hand-derived values, inference
// errors, and generated kernels compiled with the host compiler and compared with evaluation on
// the integer corner cases the conformance data does not reach.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "codegen/kernel_ctx.h"
#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "compiler/ops/registry.h"
#include "op_test_util.h"

using namespace tinyaot;
using namespace tinyaot::optest;
using ir::DType;
using ir::Value;

namespace {

// One node in a fresh graph; inputs are run-time tensors unless `konst` marks them constant.
struct OneNode : OpTest {
  OneNode(const std::string& op, std::vector<Value> values, int opset = 18, std::vector<bool> konst = {})
      : OpTest(op, std::move(values), opset, std::move(konst)) {}
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Arithmetic

TEST_CASE("Add broadcasts numpy-style in float32", "[binary]") {
  OneNode t("Add", {f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({3}, {10, 20, 30})});
  Value r = t.run()[0];
  CHECK(t.out().shape == ir::Shape{2, 3});
  CHECK(elems<float>(r) == std::vector<float>{11, 22, 33, 14, 25, 36});
}

TEST_CASE("integer Add/Sub/Mul wrap around", "[binary]") {
  OneNode a("Add", {make<int8_t>(DType::I8, {2}, {100, -128}), make<int8_t>(DType::I8, {2}, {100, -1})});
  CHECK(elems<int8_t>(a.run()[0]) == std::vector<int8_t>{-56, 127});  // 200-256, -129+256
  OneNode s("Sub", {make<uint8_t>(DType::U8, {1}, {3}), make<uint8_t>(DType::U8, {1}, {5})});
  CHECK(elems<uint8_t>(s.run()[0]) == std::vector<uint8_t>{254});
  OneNode m("Mul", {i32({2}, {65536, 46341}), i32({2}, {65536, 46341})});
  // 2^32 -> 0; 46341^2 = 2147488281 - 2^32 = -2147479015
  CHECK(elems<int32_t>(m.run()[0]) == std::vector<int32_t>{0, -2147479015});
  OneNode m16("Mul", {make<uint16_t>(DType::U16, {1}, {65535}), make<uint16_t>(DType::U16, {1}, {65535})});
  CHECK(elems<uint16_t>(m16.run()[0]) == std::vector<uint16_t>{1});  // (2^16-1)^2 mod 2^16
}

TEST_CASE("integer Div truncates toward zero and defines the UB corners", "[binary]") {
  const int32_t mn = std::numeric_limits<int32_t>::min();
  OneNode t("Div", {i32({5}, {7, -7, 7, 5, mn}), i32({5}, {2, 2, -2, 0, -1})});
  CHECK(elems<int32_t>(t.run()[0]) == std::vector<int32_t>{3, -3, -3, 0, mn});
  OneNode f("Div", {f32({2}, {1, -3}), f32({2}, {4, 2})});
  CHECK(elems<float>(f.run()[0]) == std::vector<float>{0.25f, -1.5f});
}

TEST_CASE("Mod follows the divisor's sign unless fmod=1", "[binary]") {
  OneNode t("Mod", {i32({6}, {-4, 7, 5, 4, -7, 8}), i32({6}, {2, -3, 8, -2, 3, 5})});
  CHECK(elems<int32_t>(t.run()[0]) == std::vector<int32_t>{0, -2, 5, 0, 2, 3});
  OneNode f("Mod", {i32({6}, {-4, 7, 5, 4, -7, 8}), i32({6}, {2, -3, 8, -2, 3, 5})});
  f.attr_int("fmod", 1);
  CHECK(elems<int32_t>(f.run()[0]) == std::vector<int32_t>{0, 1, 5, 0, -1, 3});
  OneNode z("Mod", {i32({2}, {5, -5}), i32({2}, {0, -1})});
  CHECK(elems<int32_t>(z.run()[0]) == std::vector<int32_t>{0, 0});
  OneNode ff("Mod", {f32({2}, {-5.5f, 5.5f}), f32({2}, {2, -2})});
  ff.attr_int("fmod", 1);
  CHECK(elems<float>(ff.run()[0]) == std::vector<float>{-1.5f, 1.5f});
}

TEST_CASE("Mod on floats requires fmod=1; fmod must be 0 or 1", "[binary]") {
  OneNode t("Mod", {f32({1}, {1}), f32({1}, {2})});
  CHECK_THROWS_WITH(t.infer(), Catch::Contains("node_under_test") && Catch::Contains("fmod=1"));
  OneNode b("Mod", {i32({1}, {1}), i32({1}, {2})});
  b.attr_int("fmod", 2);
  CHECK_THROWS_AS(b.infer(), CompileError);
}

TEST_CASE("Pow mixes base and exponent types from opset 12", "[binary]") {
  OneNode ff("Pow", {f32({3}, {2, 3, 4}), f32({3}, {3, 2, 0.5f})});
  CHECK(elems<float>(ff.run()[0]) == std::vector<float>{8, 9, 2});
  OneNode fi("Pow", {f32({2}, {2, 0.5f}), make<int64_t>(DType::I64, {2}, {-2, 3})});
  Value r = fi.run()[0];
  CHECK(r.dtype == DType::F32);
  CHECK(elems<float>(r) == std::vector<float>{0.25f, 0.125f});
  OneNode ii("Pow", {i32({5}, {2, 2, -1, 1, 3}), i32({5}, {10, -1, -3, -5, 0})});
  CHECK(elems<int32_t>(ii.run()[0]) == std::vector<int32_t>{1024, 0, -1, 1, 1});
  OneNode wrap("Pow", {i32({1}, {2}), i32({1}, {33})});
  CHECK(elems<int32_t>(wrap.run()[0]) == std::vector<int32_t>{0});  // 2^33 mod 2^32
  OneNode ifl("Pow", {i32({3}, {3, 2, -2}), f32({3}, {2, 40, 41})});
  // 9; 2^40 saturates; -2^41 saturates low
  CHECK(elems<int32_t>(ifl.run()[0]) ==
        std::vector<int32_t>{9, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()});
}

TEST_CASE("Pow type rules per opset", "[binary]") {
  OneNode old("Pow", {f32({1}, {2}), i32({1}, {2})}, 7);
  CHECK_THROWS_WITH(old.infer(), Catch::Contains("node_under_test") && Catch::Contains("opset 12"));
  OneNode u8("Pow", {make<uint8_t>(DType::U8, {1}, {2}), make<uint8_t>(DType::U8, {1}, {2})});
  CHECK_THROWS_WITH(u8.infer(), Catch::Contains("base"));
}

TEST_CASE("PRelu broadcasts the slope to X, or per channel for a 1-D channel slope", "[binary]") {
  OneNode t("PRelu", {f32({2, 2}, {-1, 2, -3, 4}), f32({2}, {0.5f, 0.25f})});
  CHECK(elems<float>(t.run()[0]) == std::vector<float>{-0.5f, 2, -1.5f, 4});
  // X 1x3x2 with slope [3]: not broadcastable to the last dimension, so slope[c] scales channel c.
  OneNode c("PRelu", {f32({1, 3, 2}, {-1, -2, -1, 1, -4, -8}), f32({3}, {1, 0.5f, 0.25f})});
  CHECK(elems<float>(c.run()[0]) == std::vector<float>{-1, -2, -0.5f, 1, -1, -2});
  CHECK(c.out().shape == ir::Shape{1, 3, 2});
  OneNode bad("PRelu", {f32({1, 3, 2}, {0, 0, 0, 0, 0, 0}), f32({4}, {1, 1, 1, 1})});
  CHECK_THROWS_WITH(bad.infer(), Catch::Contains("node_under_test") && Catch::Contains("slope"));
  OneNode i("PRelu", {i32({2}, {-3, 3}), i32({1}, {2})});
  CHECK(elems<int32_t>(i.run()[0]) == std::vector<int32_t>{-6, 3});
}

// ---------------------------------------------------------------------------------------------
// Variadic

TEST_CASE("Max/Min fold any number of broadcast inputs and propagate NaN", "[binary]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  OneNode t("Max", {f32({2, 1}, {1, 4}), f32({3}, {3, nan, 2})});
  Value r = t.run()[0];
  CHECK(t.out().shape == ir::Shape{2, 3});
  auto v = elems<float>(r);
  CHECK(v[0] == 3);
  CHECK(std::isnan(v[1]));
  CHECK(v[2] == 2);
  CHECK(v[3] == 4);
  CHECK(std::isnan(v[4]));
  CHECK(v[5] == 4);
  OneNode m("Min", {i32({2}, {5, -3}), i32({2}, {1, 7}), i32({2}, {2, 2})});
  CHECK(elems<int32_t>(m.run()[0]) == std::vector<int32_t>{1, -3});
  OneNode one("Max", {i32({2}, {5, -3})});
  CHECK(elems<int32_t>(one.run()[0]) == std::vector<int32_t>{5, -3});
}

TEST_CASE("Sum and Mean", "[binary]") {
  OneNode s("Sum", {f32({2}, {1, 2}), f32({2}, {3, 4}), f32({1}, {10})});
  CHECK(elems<float>(s.run()[0]) == std::vector<float>{14, 16});
  OneNode m("Mean", {f32({2}, {1, 2}), f32({2}, {3, 4}), f32({2}, {5, 9})});
  auto v = elems<float>(m.run()[0]);
  CHECK(v[0] == Approx(3.0f));
  CHECK(v[1] == Approx(5.0f));
  OneNode bad("Mean", {i32({1}, {1})});
  CHECK_THROWS_WITH(bad.infer(), Catch::Contains("node_under_test") && Catch::Contains("float32"));
}

// ---------------------------------------------------------------------------------------------
// Comparisons, logic, bit operations, Where

TEST_CASE("comparisons produce bool", "[binary]") {
  OneNode l("Less", {f32({3}, {1, 2, 3}), f32({}, {2})});
  Value r = l.run()[0];
  CHECK(r.dtype == DType::Bool);
  CHECK(elems<uint8_t>(r) == std::vector<uint8_t>{1, 0, 0});
  OneNode ge("GreaterOrEqual", {i32({3}, {1, 2, 3}), i32({1}, {2})});
  CHECK(elems<uint8_t>(ge.run()[0]) == std::vector<uint8_t>{0, 1, 1});
  OneNode le("LessOrEqual", {i32({3}, {1, 2, 3}), i32({1}, {2})});
  CHECK(elems<uint8_t>(le.run()[0]) == std::vector<uint8_t>{1, 1, 0});
  OneNode g("Greater", {i32({3}, {1, 2, 3}), i32({1}, {2})});
  CHECK(elems<uint8_t>(g.run()[0]) == std::vector<uint8_t>{0, 0, 1});
  OneNode e("Equal", {boolv({4}, {0, 0, 1, 1}), boolv({4}, {0, 1, 0, 1})});
  CHECK(elems<uint8_t>(e.run()[0]) == std::vector<uint8_t>{1, 0, 0, 1});
  OneNode bad("Less", {boolv({1}, {0}), boolv({1}, {1})});
  CHECK_THROWS_AS(bad.infer(), CompileError);
}

TEST_CASE("And/Or/Xor truth tables with broadcasting", "[binary]") {
  Value a = boolv({2, 2}, {0, 0, 1, 1});
  Value b = boolv({2}, {0, 1});
  OneNode an("And", {a, b});
  CHECK(elems<uint8_t>(an.run()[0]) == std::vector<uint8_t>{0, 0, 0, 1});
  OneNode o("Or", {a, b});
  CHECK(elems<uint8_t>(o.run()[0]) == std::vector<uint8_t>{0, 1, 1, 1});
  OneNode x("Xor", {a, b});
  CHECK(elems<uint8_t>(x.run()[0]) == std::vector<uint8_t>{0, 1, 1, 0});
  OneNode bad("And", {f32({1}, {1}), f32({1}, {1})});
  CHECK_THROWS_WITH(bad.infer(), Catch::Contains("node_under_test") && Catch::Contains("bool"));
}

TEST_CASE("BitShift and bitwise ops", "[binary]") {
  OneNode l("BitShift",
            {make<uint8_t>(DType::U8, {3}, {1, 255, 3}), make<uint8_t>(DType::U8, {3}, {3, 1, 8})}, 11);
  l.attr_str("direction", "LEFT");
  CHECK(elems<uint8_t>(l.run()[0]) == std::vector<uint8_t>{8, 254, 0});
  OneNode r("BitShift", {make<uint32_t>(DType::U32, {2}, {16, 1}), make<uint32_t>(DType::U32, {2}, {2, 32})},
            11);
  r.attr_str("direction", "RIGHT");
  CHECK(elems<uint32_t>(r.run()[0]) == std::vector<uint32_t>{4, 0});
  OneNode none("BitShift", {make<uint8_t>(DType::U8, {1}, {1}), make<uint8_t>(DType::U8, {1}, {1})}, 11);
  CHECK_THROWS_WITH(none.infer(), Catch::Contains("node_under_test") && Catch::Contains("direction"));
  OneNode bad("BitShift", {make<uint8_t>(DType::U8, {1}, {1}), make<uint8_t>(DType::U8, {1}, {1})}, 11);
  bad.attr_str("direction", "UP");
  CHECK_THROWS_AS(bad.infer(), CompileError);
  OneNode sgn("BitShift", {i32({1}, {1}), i32({1}, {1})}, 11);
  sgn.attr_str("direction", "LEFT");
  CHECK_THROWS_AS(sgn.infer(), CompileError);
  OneNode ba("BitwiseAnd", {i32({2}, {12, -1}), i32({2}, {10, 5})});
  CHECK(elems<int32_t>(ba.run()[0]) == std::vector<int32_t>{8, 5});
  OneNode bo("BitwiseOr", {i32({2}, {12, -8}), i32({2}, {10, 5})});
  CHECK(elems<int32_t>(bo.run()[0]) == std::vector<int32_t>{14, -3});
  OneNode bx("BitwiseXor", {i32({2}, {12, -1}), i32({2}, {10, 5})});
  CHECK(elems<int32_t>(bx.run()[0]) == std::vector<int32_t>{6, -6});
}

TEST_CASE("Where selects with three-way broadcasting", "[binary]") {
  OneNode t("Where", {boolv({2, 1}, {1, 0}), f32({3}, {1, 2, 3}), f32({}, {9})});
  Value r = t.run()[0];
  CHECK(t.out().shape == ir::Shape{2, 3});
  CHECK(elems<float>(r) == std::vector<float>{1, 2, 3, 9, 9, 9});
  OneNode bad("Where", {f32({1}, {1}), f32({1}, {1}), f32({1}, {2})});
  CHECK_THROWS_WITH(bad.infer(), Catch::Contains("node_under_test") && Catch::Contains("condition"));
  OneNode mix("Where", {boolv({1}, {1}), f32({1}, {1}), i32({1}, {2})});
  CHECK_THROWS_WITH(mix.infer(), Catch::Contains("different types"));
}

TEST_CASE("inference errors name the node", "[binary]") {
  OneNode types("Add", {f32({1}, {1}), i32({1}, {1})});
  CHECK_THROWS_WITH(types.infer(), Catch::Contains("node_under_test") && Catch::Contains("different types"));
  OneNode shapes("Mul", {f32({2, 3}, {0, 0, 0, 0, 0, 0}), f32({4}, {0, 0, 0, 0})});
  CHECK_THROWS_WITH(shapes.infer(), Catch::Contains("node_under_test") && Catch::Contains("broadcast"));
  Value h(DType::F16, {1});
  OneNode half("Sub", {h, h});
  CHECK_THROWS_WITH(half.infer(), Catch::Contains("float16"));
  OneNode arity("Div", {f32({1}, {1})});
  CHECK_THROWS_AS(arity.infer(), CompileError);
}

// ---------------------------------------------------------------------------------------------
// Generated kernels vs evaluation (compiled with the host compiler).

TEST_CASE("generated kernels match evaluation on integer corner cases", "[binary][codegen]") {
  const int32_t mn = std::numeric_limits<int32_t>::min();
  std::vector<std::unique_ptr<OneNode>> cases;
  cases.emplace_back(new OneNode("Div", {i32({5}, {7, -7, 7, 5, mn}), i32({5}, {2, 2, -2, 0, -1})}));
  cases.emplace_back(
      new OneNode("Div", {make<uint8_t>(DType::U8, {3}, {7, 200, 9}), make<uint8_t>(DType::U8, {1}, {4})}, 18,
                  {false, true}));
  cases.emplace_back(new OneNode("Mod", {make<int8_t>(DType::I8, {6}, {-4, 7, 5, 4, -7, -128}),
                                         make<int8_t>(DType::I8, {6}, {2, -3, 0, -2, 3, -1})}));
  cases.emplace_back(new OneNode("Mod", {i32({3}, {mn, 5, -9}), i32({3}, {-1, -1, 4})}));
  cases.emplace_back(new OneNode(
      "Mul", {make<int16_t>(DType::I16, {2}, {300, -32768}), make<int16_t>(DType::I16, {2}, {300, -1})}));
  cases.emplace_back(
      new OneNode("Add", {make<int64_t>(DType::I64, {1}, {std::numeric_limits<int64_t>::max()}),
                          make<int64_t>(DType::I64, {1}, {1})}));
  cases.emplace_back(new OneNode("Pow", {i32({5}, {2, 2, -1, 1, 3}), i32({5}, {10, -1, -3, -5, 21})}));
  cases.emplace_back(new OneNode("Pow", {i32({3}, {3, 2, -2}), f32({3}, {2, 40, 41})}));
  cases.emplace_back(
      new OneNode("Sub", {make<uint64_t>(DType::U64, {1}, {0}), make<uint64_t>(DType::U64, {1}, {1})}));
  cases.emplace_back(new OneNode("PRelu", {i32({2, 3}, {-3, 3, mn, -1, 0, 7}), i32({3}, {2, -1, 2})}));
  for (auto& c : cases) {
    INFO(c->n->op);
    Value want = c->run()[0];
    Value got = run_generated(*c);
    CHECK(got.bytes == want.bytes);
  }
  OneNode shl(
      "BitShift",
      {make<uint16_t>(DType::U16, {4}, {1, 65535, 3, 7}), make<uint16_t>(DType::U16, {4}, {15, 1, 16, 0})},
      11);
  shl.attr_str("direction", "LEFT");
  CHECK(run_generated(shl).bytes == shl.run()[0].bytes);
  // float16 Where moves raw bits; a constant scalar becomes a bit-pattern literal.
  OneNode wh("Where",
             {boolv({3}, {1, 0, 1}), make<uint16_t>(DType::F16, {}, {0x3E00}),
              make<uint16_t>(DType::F16, {3}, {0xBC00, 0x4000, 0x7C00})},
             18, {false, true, false});
  CHECK(elems<uint16_t>(wh.run()[0]) == std::vector<uint16_t>{0x3E00, 0x4000, 0x3E00});
  CHECK(run_generated(wh).bytes == wh.run()[0].bytes);
  OneNode md("Mod", {i32({3}, {-7, 7, 9}), i32({1}, {-4})}, 18, {false, true});
  md.attr_int("fmod", 1);
  CHECK(run_generated(md).bytes == md.run()[0].bytes);
}

TEST_CASE("generated kernels match evaluation on broadcast layouts", "[binary][codegen]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> a24(24), b4(4);
  for (int i = 0; i < 24; ++i) a24[static_cast<size_t>(i)] = static_cast<float>(i) * 0.5f - 3;
  for (int i = 0; i < 4; ++i) b4[static_cast<size_t>(i)] = static_cast<float>(i) + 0.25f;
  std::vector<std::unique_ptr<OneNode>> cases;
  // [2,3,4] + [4]: inner dimension contiguous, outer dims merged.
  cases.emplace_back(new OneNode("Add", {f32({2, 3, 4}, a24), f32({4}, b4)}));
  // [2,1,3] - [4,1]: both broadcast, output 2x4x3.
  cases.emplace_back(new OneNode("Sub", {f32({2, 1, 3}, {1, 2, 3, 4, 5, 6}), f32({4, 1}, b4)}));
  // [4,1] * [2,3,1]... broadcast along the innermost dimension (loads hoisted).
  cases.emplace_back(new OneNode("Mul", {f32({2, 3, 1}, {1, 2, 3, 4, 5, 6}), f32({1, 4}, b4)}));
  // constant scalar operand becomes a literal.
  cases.emplace_back(new OneNode("Div", {f32({2, 3, 4}, a24), f32({}, {4})}, 18, {false, true}));
  // per-channel PRelu.
  cases.emplace_back(new OneNode("PRelu", {f32({2, 3, 4}, a24), f32({3}, {0.5f, -2, 0.125f})}));
  cases.emplace_back(new OneNode("Max", {f32({2, 1}, {1, 4}), f32({3}, {3, nan, 2}), f32({}, {3.5f})}));
  cases.emplace_back(new OneNode("Where", {boolv({2, 1, 1}, {1, 0}), f32({3, 1}, {1, 2, 3}), f32({4}, b4)}));
  cases.emplace_back(new OneNode("Pow", {f32({2, 3, 4}, a24), f32({}, {2})}, 18, {false, true}));
  cases.emplace_back(new OneNode("Mean", {f32({2, 3, 4}, a24), f32({4}, b4), f32({3, 1}, {1, 2, 3})}));
  cases.emplace_back(new OneNode("Equal", {i32({2, 2}, {1, 2, 3, 4}), i32({2, 1}, {2, 3})}));
  cases.emplace_back(new OneNode("Xor", {boolv({1, 2}, {0, 1}), boolv({3, 1}, {1, 0, 1})}));
  for (auto& c : cases) {
    INFO(c->n->op);
    Value want = c->run()[0];
    Value got = run_generated(*c);
    CHECK(got.bytes == want.bytes);
  }
}
