// Golden + numeric-equivalence tests of fuse-residual-add: a float Add(+Relu) or an int8
// QLinearAdd of a residual branch goes into the epilogue of the convolution producing one operand.
// The fused graph must give exactly the same outputs as the unfused one (tolerance 0), in both
// rounding modes, including over the full int8 input range.
#include "pass_test_util.h"

using tinyaot::testing::check_pass;

namespace {

// Runs the pass and compares the reference evaluator's outputs before and after exactly, with
// inputs spread over each type's range (int8: all of [-128, 127]; float: [-4, 4)).
void check_exact_wide(const std::string& pass, const std::string& in, int seeds) {
  auto before = tinyaot::ir::parse(in);
  auto after = tinyaot::ir::parse(in);
  tinyaot::Diagnostics diag;
  REQUIRE(tinyaot::passes::find_pass(pass)->run(*after, tinyaot::passes::PassContext{&diag, nullptr}));
  std::mt19937 rng(7);
  for (int s = 0; s < seeds; ++s) {
    std::vector<tinyaot::ir::Value> inputs;
    for (auto* t : before->inputs) {
      tinyaot::ir::Value v(t->dtype, t->shape);
      for (int64_t i = 0; i < v.numel(); ++i)
        v.set_f64(i, tinyaot::ir::dtype_is_float(t->dtype)
                         ? std::uniform_real_distribution<double>(-4, 4)(rng)
                         : static_cast<double>(std::uniform_int_distribution<int>(-128, 127)(rng)));
      inputs.push_back(v);
    }
    auto a = tinyaot::evaluate_graph(*before, inputs);
    auto b = tinyaot::evaluate_graph(*after, inputs);
    REQUIRE(a.size() == b.size());
    for (size_t o = 0; o < a.size(); ++o)
      for (int64_t i = 0; i < a[o].numel(); ++i) REQUIRE(b[o].get_f64(i) == a[o].get_f64(i));
  }
}

// Inputs and parameters shared by the int8 graph before and after the fusion.
const char* const kQInputs = R"(  input %x: i8[1x2x3x3]
  input %r: i8[1x2x3x3]
  const %xs: f32[scalar] = [0.05]
  const %xz: i8[scalar] = [-3]
  const %w: i8[2x2x3x3] = [3,-2,1,0,-1,4,2,-3,5,7,-8,1,2,2,-1,0,3,-5,-6,4,1,1,2,-3,0,9,-4,2,5,-7,3,-1,0,2,1,-2]
  const %ws: f32[2] = [0.02,0.03]
  const %wz: i8[2] = [0,0]
  const %b: i32[2] = [57,-31]
  const %ys: f32[scalar] = [0.1]
  const %yz: i8[scalar] = [3]
  const %rs: f32[scalar] = [0.07]
  const %rz: i8[scalar] = [-2]
  const %cs: f32[scalar] = [0.12]
  const %cz: i8[scalar] = [1]
)";

// int8: conv output is operand B of the QLinearAdd (the fused node lists it as A, with its own
// y_scale / y_zero_point); non-power-of-two scales so requantization and the add both round.
std::string qgraph(const std::string& rounding_attr) {
  const std::string ra = rounding_attr.empty() ? "" : ", " + rounding_attr;
  const std::string rb = rounding_attr.empty() ? "" : " {" + rounding_attr + "}";
  return R"(
graph g opset 13 {
)" + std::string(kQInputs) +
         R"(  %c: i8[1x2x3x3] = QLinearConv(%x, %xs, %xz, %w, %ws, %wz, %ys, %yz, %b) {pads=[1,1,1,1])" + ra +
         R"(}
  %y: i8[1x2x3x3] = com.microsoft.QLinearAdd(%r, %rs, %rz, %c, %ys, %yz, %cs, %cz))" +
         rb + R"(
  return %y
})";
}

std::string qfused(const std::string& rounding_attr) {
  const std::string ra = rounding_attr.empty() ? "" : ", " + rounding_attr;
  return R"(
graph g opset 13 {
)" + std::string(kQInputs) +
         R"(  %y: i8[1x2x3x3] = QLinearConv(%x, %xs, %xz, %w, %ws, %wz, %ys, %yz, %b, %r, %rs, %rz, %cs, %cz) {pads=[1,1,1,1])" +
         ra + R"(, tinyaot_residual=1}
  return %y
})";
}

}  // namespace

TEST_CASE("fuse-residual-add: Conv -> Add(residual) -> Relu becomes one Conv", "[passes]") {
  const char* in = R"(
graph g opset 13 {
  input %x: f32[1x2x3x3]
  input %r: f32[1x2x3x3]
  const %w: f32[2x2x1x1] = [1.5,-1.0,0.25,2.0]
  const %b: f32[2] = [0.125,-0.5]
  %c: f32[1x2x3x3] = Conv(%x, %w, %b)
  %s: f32[1x2x3x3] = Add(%r, %c)
  %y: f32[1x2x3x3] = Relu(%s)
  return %y
})";
  auto stats = check_pass("fuse-residual-add", in, R"(
graph g opset 13 {
  input %x: f32[1x2x3x3]
  input %r: f32[1x2x3x3]
  const %w: f32[2x2x1x1] = [1.5,-1.0,0.25,2.0]
  const %b: f32[2] = [0.125,-0.5]
  %y: f32[1x2x3x3] = Conv(%x, %w, %b, %r) {tinyaot_act="Relu", tinyaot_residual=1}
  return %y
})",
                          0.0);
  CHECK(stats.get("residual_adds_fused") == 1);
  CHECK(stats.get("relus_fused") == 1);
  check_exact_wide("fuse-residual-add", in, 20);
}

TEST_CASE("fuse-residual-add: bias-less convs, Add without Relu; the conv with fewer MACs is fused",
          "[passes]") {
  // Both Add operands are single-use conv outputs: the 1x1 %c1 (9 MACs) takes the Add rather than
  // the 3x3 %c2 (81 MACs), moves after %c2, and reads it as its residual; the bias slot stays empty.
  const char* in = R"(
graph g opset 13 {
  input %x: f32[1x1x3x3]
  const %w1: f32[1x1x1x1] = [0.75]
  const %w2: f32[1x1x3x3] = [1.0,-0.5,0.25,2.0,-1.0,0.5,0.125,1.5,-2.0]
  %c1: f32[1x1x3x3] = Conv(%x, %w1)
  %c2: f32[1x1x3x3] = Conv(%x, %w2) {pads=[1,1,1,1]}
  %y: f32[1x1x3x3] = Add(%c1, %c2)
  return %y
})";
  check_pass("fuse-residual-add", in, R"(
graph g opset 13 {
  input %x: f32[1x1x3x3]
  const %w1: f32[1x1x1x1] = [0.75]
  const %w2: f32[1x1x3x3] = [1.0,-0.5,0.25,2.0,-1.0,0.5,0.125,1.5,-2.0]
  %c2: f32[1x1x3x3] = Conv(%x, %w2) {pads=[1,1,1,1]}
  %y: f32[1x1x3x3] = Conv(%x, %w1, _, %c2) {tinyaot_residual=1}
  return %y
})",
             0.0);
  check_exact_wide("fuse-residual-add", in, 20);
}

TEST_CASE("fuse-residual-add leaves Adds alone where no buffer would go away", "[passes]") {
  // The conv output is also a graph output / read twice / has an activation already / broadcasts.
  const char* in = R"(
graph g opset 13 {
  input %x: f32[1x1x2x2]
  input %r: f32[1x1x2x2]
  input %v: f32[1x1x1x1]
  const %w: f32[1x1x1x1] = [2.0]
  %c1: f32[1x1x2x2] = Conv(%x, %w)
  %a1: f32[1x1x2x2] = Add(%c1, %r)
  %c2: f32[1x1x2x2] = Conv(%x, %w)
  %a2: f32[1x1x2x2] = Add(%c2, %r)
  %m: f32[1x1x2x2] = Mul(%c2, %a2)
  %c3: f32[1x1x2x2] = Conv(%x, %w) {tinyaot_act="Relu"}
  %a3: f32[1x1x2x2] = Add(%c3, %r)
  %c4: f32[1x1x1x1] = Conv(%v, %w)
  %a4: f32[1x1x2x2] = Add(%c4, %r)
  return %c1, %a1, %m, %a3, %a4
})";
  check_pass("fuse-residual-add", in, in, 0.0);
}

TEST_CASE("fuse-residual-add: QLinearConv -> QLinearAdd (onnx rounding) becomes one QLinearConv",
          "[passes]") {
  auto stats = check_pass("fuse-residual-add", qgraph(""), qfused(""), 0.0);
  CHECK(stats.get("residual_qlinearadds_fused") == 1);
  check_exact_wide("fuse-residual-add", qgraph(""), 50);
}

TEST_CASE("fuse-residual-add: QLinearConv -> QLinearAdd under tflite rounding", "[passes]") {
  const std::string r = "tinyaot_rounding=\"tflite\"";
  check_pass("fuse-residual-add", qgraph(r), qfused(r), 0.0);
  check_exact_wide("fuse-residual-add", qgraph(r), 50);
}

TEST_CASE("fuse-residual-add: int8 Add whose parameters for the conv operand differ is kept", "[passes]") {
  // QLinearAdd reads the conv output with a scale other than the conv's y_scale: not the same value.
  std::string in = qgraph("");
  const std::string from = "%c, %ys, %yz, %cs";
  in.replace(in.find(from), from.size(), "%c, %rs, %yz, %cs");
  check_pass("fuse-residual-add", in, in, 0.0);
}
