// Golden IR + numeric-equivalence tests of prune-zero-channels (tolerance 0 for int8 graphs), and
// the per-position bias the pass attaches, run through the generated kernels against the evaluator.
#include "../ops/op_test_util.h"
#include "pass_test_util.h"

using tinyaot::testing::check_pass;

// Channel 1 of %a has zero weights: it is the constant bias 2. The consumer's bias gets 3 * 2.
TEST_CASE("prune-zero-channels: float constant channel into a pointwise conv", "[passes][prune]") {
  check_pass("prune-zero-channels", R"(
graph g opset 13 {
  input %x: f32[1x1x3x3]
  const %w1: f32[2x1x1x1] = [1.5, 0]
  const %b1: f32[2] = [0.25, 2]
  %a: f32[1x2x3x3] = Conv(%x, %w1, %b1)
  const %w2: f32[1x2x1x1] = [2, 3]
  %y: f32[1x1x3x3] = Conv(%a, %w2)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[1x1x3x3]
  const %Conv0_w_pruned: f32[1x1x1x1] = [1.5]
  const %Conv0_b_pruned: f32[1] = [0.25]
  const %Conv1_w_pruned: f32[1x1x1x1] = [2.0]
  const %Conv1_b_pruned: f32[1] = [6.0]
  %a: f32[1x1x3x3] = Conv(%x, %Conv0_w_pruned, %Conv0_b_pruned)
  %y: f32[1x1x3x3] = Conv(%a, %Conv1_w_pruned, %Conv1_b_pruned)
  return %y
})",
             1e-6);
}

// int8: channel 1 has weights equal to the zero point (0); acc = 40, M = 0.5 * 0.5 / 1 = 0.25,
// so it always holds 10 + (-3) = 7. In the consumer (x_zp = -3) it adds (7 + 3) * w[m][1] =
// 20 and 10 to the biases 1 and -1.
TEST_CASE("prune-zero-channels: int8 constant channel into a pointwise QLinearConv", "[passes][prune]") {
  check_pass("prune-zero-channels", R"(
graph g opset 13 {
  input %x: i8[1x2x2x2]
  const %xs: f32[scalar] = [0.5]
  const %xz: i8[scalar] = [1]
  const %w: i8[3x2x1x1] = [1,2,0,0,-1,3]
  const %ws: f32[3] = [0.5,0.5,0.25]
  const %wz: i8[scalar] = [0]
  const %ys: f32[scalar] = [1.0]
  const %yz: i8[scalar] = [-3]
  const %b: i32[3] = [4,40,-4]
  %a: i8[1x3x2x2] = QLinearConv(%x, %xs, %xz, %w, %ws, %wz, %ys, %yz, %b)
  const %s1: f32[scalar] = [1.0]
  const %w2: i8[2x3x1x1] = [1,2,3,-2,1,0]
  const %ws2: f32[scalar] = [0.5]
  const %ys2: f32[scalar] = [0.5]
  const %yz2: i8[scalar] = [0]
  const %b2: i32[2] = [1,-1]
  %y: i8[1x2x2x2] = QLinearConv(%a, %s1, %yz, %w2, %ws2, %wz, %ys2, %yz2, %b2)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: i8[1x2x2x2]
  const %xs: f32[scalar] = [0.5]
  const %xz: i8[scalar] = [1]
  const %wz: i8[scalar] = [0]
  const %ys: f32[scalar] = [1.0]
  const %yz: i8[scalar] = [-3]
  const %s1: f32[scalar] = [1.0]
  const %ws2: f32[scalar] = [0.5]
  const %ys2: f32[scalar] = [0.5]
  const %yz2: i8[scalar] = [0]
  const %QLinearConv0_w_pruned: i8[2x2x1x1] = [1,2,-1,3]
  const %QLinearConv0_b_pruned: i32[2] = [4,-4]
  const %QLinearConv0_ws_pruned: f32[2] = [0.5,0.25]
  const %QLinearConv1_w_pruned: i8[2x2x1x1] = [1,3,-2,0]
  const %QLinearConv1_b_pruned: i32[2] = [21,9]
  %a: i8[1x2x2x2] = QLinearConv(%x, %xs, %xz, %QLinearConv0_w_pruned, %QLinearConv0_ws_pruned, %wz, %ys, %yz, %QLinearConv0_b_pruned)
  %y: i8[1x2x2x2] = QLinearConv(%a, %s1, %yz, %QLinearConv1_w_pruned, %ws2, %wz, %ys2, %yz2, %QLinearConv1_b_pruned)
  return %y
})",
             0.0);
}

// A dead channel (Relu of bias -1 = 0) through a padded depthwise conv: zero input adds nothing,
// even at the borders, so the depthwise channel is its bias 0.25 everywhere and is removed too;
// the last conv's bias becomes 4 * 0.25.
TEST_CASE("prune-zero-channels: dead channel through a padded depthwise conv", "[passes][prune]") {
  check_pass("prune-zero-channels", R"(
graph g opset 13 {
  input %x: f32[1x1x3x3]
  const %w1: f32[2x1x1x1] = [1.5, 0]
  const %b1: f32[2] = [0.25, -1]
  %a: f32[1x2x3x3] = Conv(%x, %w1, %b1) {tinyaot_act="Relu"}
  const %wd: f32[2x1x2x2] = [1,2,3,4,1,1,1,1]
  const %bd: f32[2] = [0.5, 0.25]
  %d: f32[1x2x4x4] = Conv(%a, %wd, %bd) {group=2, pads=[1,1,1,1]}
  const %w2: f32[1x2x1x1] = [1, 4]
  %y: f32[1x1x4x4] = Conv(%d, %w2)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[1x1x3x3]
  const %Conv0_w_pruned: f32[1x1x1x1] = [1.5]
  const %Conv0_b_pruned: f32[1] = [0.25]
  const %Conv1_w_pruned: f32[1x1x2x2] = [1.0,2.0,3.0,4.0]
  const %Conv1_b_pruned: f32[1] = [0.5]
  const %Conv2_w_pruned: f32[1x1x1x1] = [1.0]
  const %Conv2_b_pruned: f32[1] = [1.0]
  %a: f32[1x1x3x3] = Conv(%x, %Conv0_w_pruned, %Conv0_b_pruned) {tinyaot_act="Relu"}
  %d: f32[1x1x4x4] = Conv(%a, %Conv1_w_pruned, %Conv1_b_pruned) {group=1, pads=[1,1,1,1]}
  %y: f32[1x1x4x4] = Conv(%d, %Conv2_w_pruned, %Conv2_b_pruned)
  return %y
})",
             1e-6);
}

// int8: channel 1 of %a is always 5 (acc 20 * 0.25). Through the padded 2x2 depthwise conv
// (weights 1,-1,2,3, M = 0.5) it becomes a map that differs at the borders:
//   row 0: rne(7.5)=8, rne(12.5)=12, 12, rne(5)=5      (only taps of kernel row 1 are valid)
//   rows 1-2: 5, 12, 12, rne(7.5)=8                     row 3: rne(-2.5)=-2, 0, 0, rne(2.5)=2
// The last conv (weight 4 on that channel) gets 4 times this map as a per-position bias with
// 3 row classes {0}, {1,2}, {3} and 3 column classes {0}, {1,2}, {3}.
TEST_CASE("prune-zero-channels: int8 constant through a padded depthwise conv needs border corrections",
          "[passes][prune]") {
  check_pass("prune-zero-channels", R"(
graph g opset 13 {
  input %x: i8[1x1x3x3]
  const %xs: f32[scalar] = [0.5]
  const %xz: i8[scalar] = [0]
  const %w: i8[2x1x1x1] = [2,0]
  const %ws: f32[scalar] = [0.5]
  const %ys: f32[scalar] = [1.0]
  const %b: i32[2] = [0,20]
  %a: i8[1x2x3x3] = QLinearConv(%x, %xs, %xz, %w, %ws, %xz, %ys, %xz, %b)
  const %wd: i8[2x1x2x2] = [1,2,3,4,1,-1,2,3]
  %d: i8[1x2x4x4] = QLinearConv(%a, %ys, %xz, %wd, %ws, %xz, %ys, %xz) {group=2, pads=[1,1,1,1]}
  const %w2: i8[1x2x1x1] = [1,4]
  %y: i8[1x1x4x4] = QLinearConv(%d, %ys, %xz, %w2, %ws, %xz, %ys, %xz)
  return %y
})",
             R"(
graph g opset 13 {
  input %x: i8[1x1x3x3]
  const %xs: f32[scalar] = [0.5]
  const %xz: i8[scalar] = [0]
  const %ws: f32[scalar] = [0.5]
  const %ys: f32[scalar] = [1.0]
  const %QLinearConv0_w_pruned: i8[1x1x1x1] = [2]
  const %QLinearConv0_b_pruned: i32[1] = [0]
  const %QLinearConv1_w_pruned: i8[1x1x2x2] = [1,2,3,4]
  const %QLinearConv2_w_pruned: i8[1x1x1x1] = [1]
  %a: i8[1x1x3x3] = QLinearConv(%x, %xs, %xz, %QLinearConv0_w_pruned, %ws, %xz, %ys, %xz, %QLinearConv0_b_pruned)
  %d: i8[1x1x4x4] = QLinearConv(%a, %ys, %xz, %QLinearConv1_w_pruned, %ws, %xz, %ys, %xz) {group=1, pads=[1,1,1,1]}
  %y: i8[1x1x4x4] = QLinearConv(%d, %ys, %xz, %QLinearConv2_w_pruned, %ws, %xz, %ys, %xz) {tinyaot_pos_bias=[32,48,20,20,48,32,-8,0,8], tinyaot_pos_cols=[0,1,1,2], tinyaot_pos_rows=[0,1,1,2]}
  return %y
})",
             0.0);
}

// A constant 2 straight into a 2x2 stride-2 conv padded on the top/left: each output position
// sees a different set of valid taps of the weights 1,2,3,4 (2*4, 2*(3+4), 2*(2+4), 2*10).
TEST_CASE("prune-zero-channels: float constant into a padded regular conv", "[passes][prune]") {
  check_pass("prune-zero-channels", R"(
graph g opset 13 {
  input %x: f32[1x1x3x3]
  const %w1: f32[2x1x1x1] = [1.5, 0]
  const %b1: f32[2] = [0.25, 2]
  %a: f32[1x2x3x3] = Conv(%x, %w1, %b1)
  const %w2: f32[1x2x2x2] = [1, -1, 2, 0.5, 1, 2, 3, 4]
  %y: f32[1x1x2x2] = Conv(%a, %w2) {strides=[2,2], pads=[1,1,0,0]}
  return %y
})",
             R"(
graph g opset 13 {
  input %x: f32[1x1x3x3]
  const %Conv0_w_pruned: f32[1x1x1x1] = [1.5]
  const %Conv0_b_pruned: f32[1] = [0.25]
  const %Conv1_w_pruned: f32[1x1x2x2] = [1.0,-1.0,2.0,0.5]
  %a: f32[1x1x3x3] = Conv(%x, %Conv0_w_pruned, %Conv0_b_pruned)
  %y: f32[1x1x2x2] = Conv(%a, %Conv1_w_pruned) {pads=[1,1,0,0], strides=[2,2], tinyaot_pos_bias=[8.0,14.0,12.0,20.0], tinyaot_pos_cols=[0,1], tinyaot_pos_rows=[0,1]}
  return %y
})",
             1e-6);
}

// Channels that reach a graph output, or a consumer the pass does not handle, stay.
TEST_CASE("prune-zero-channels: keeps channels with unhandled consumers", "[passes][prune]") {
  const char* g = R"(
graph g opset 13 {
  input %x: f32[1x1x2x2]
  const %w1: f32[2x1x1x1] = [1.5, 0]
  const %b1: f32[2] = [0.25, 2]
  %a: f32[1x2x2x2] = Conv(%x, %w1, %b1)
  %y: f32[1x2x1x1] = GlobalAveragePool(%a)
  return %y
})";
  check_pass("prune-zero-channels", g, g, 0.0);
  const char* g2 = R"(
graph g opset 13 {
  input %x: f32[1x1x2x2]
  const %w1: f32[2x1x1x1] = [1.5, 0]
  const %b1: f32[2] = [0.25, 2]
  %a: f32[1x2x2x2] = Conv(%x, %w1, %b1)
  return %a
})";
  check_pass("prune-zero-channels", g2, g2, 0.0);
}

// The per-position bias in the generated kernels equals the reference evaluator (int8: bit for
// bit), on the pointwise and the general (padded, strided, 2 output channels) kernel paths.
TEST_CASE("per-position bias: generated QLinearConv and Conv kernels match the evaluator",
          "[passes][prune]") {
  using namespace tinyaot;
  using namespace tinyaot::optest;
  auto ramp = [](int64_t n, int64_t mod, int64_t off) {
    std::vector<double> v;
    for (int64_t i = 0; i < n; ++i) v.push_back(static_cast<double>((i * 7) % mod + off));
    return v;
  };
  for (int64_t k : {1, 3}) {
    INFO("kernel " << k);
    OpTest q("QLinearConv", 10);
    q.input(ir::DType::I8, {1, 3, 5, 6}, ramp(90, 23, -11))
        .input(ir::DType::F32, {}, {0.5}, true)
        .input(ir::DType::I8, {}, {2}, true)
        .input(ir::DType::I8, {2, 3, k, k}, ramp(6 * k * k, 9, -4), true)
        .input(ir::DType::F32, {2}, {0.25, 0.125}, true)
        .input(ir::DType::I8, {}, {0}, true)
        .input(ir::DType::F32, {}, {0.5}, true)
        .input(ir::DType::I8, {}, {-1}, true)
        .input(ir::DType::I32, {2}, {7, -9}, true);
    const int64_t OH = k == 1 ? 5 : 3, OW = k == 1 ? 6 : 3;
    if (k == 3) q.attr_ints("pads", {1, 1, 1, 1}).attr_ints("strides", {2, 2});
    std::vector<int64_t> rows(static_cast<size_t>(OH), 1), cols(static_cast<size_t>(OW), 1);
    rows[0] = 0, cols[0] = 0, cols.back() = 2;
    q.attr_ints("tinyaot_pos_rows", rows).attr_ints("tinyaot_pos_cols", cols);
    q.attr_ints("tinyaot_pos_bias", {40, -3, 100, 0, 25, -60, -7, 8, 9, 1000, -1000, 3});
    CHECK(run_generated(q).bytes == q.run()[0].bytes);

    OpTest f("Conv", 13);
    f.input(ir::DType::F32, {1, 3, 5, 6}, ramp(90, 23, -11))
        .input(ir::DType::F32, {2, 3, k, k}, ramp(6 * k * k, 9, -4), true)
        .input(ir::DType::F32, {2}, {0.5, -0.25}, true);
    if (k == 3) f.attr_ints("pads", {1, 1, 1, 1}).attr_ints("strides", {2, 2});
    f.attr_ints("tinyaot_pos_rows", rows).attr_ints("tinyaot_pos_cols", cols);
    f.attr_floats("tinyaot_pos_bias", {4, -3, 1.5, 0, 2.5, -6, -7, 8, 9, 10, -10, 3});
    const ir::Value want = f.run()[0], got = run_generated(f);
    REQUIRE(want.numel() == got.numel());
    for (int64_t i = 0; i < want.numel(); ++i) CHECK(got.get_f64(i) == Approx(want.get_f64(i)).epsilon(1e-6));
  }
}
