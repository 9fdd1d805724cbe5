// Unit tests of the rnn family (RNN, GRU, LSTM): reference evaluation against values derived by
// hand from the ONNX equations, shape inference (layouts, directions, optional outputs), error
// paths, and a few properties of the emitted kernels.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codegen/kernel_ctx.h"
#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "compiler/ops/registry.h"
#include "op_test_util.h"

using namespace tinyaot;
using namespace tinyaot::optest;

namespace {

double sig(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

// One recurrent node whose inputs are all constants (nullopt = omitted optional input).
struct RnnNode : OpTest {
  RnnNode(const std::string& op, const std::vector<std::optional<ir::Value>>& ins, size_t n_out,
          int opset = 14, std::vector<bool> out_present = {})
      : OpTest(op, opset, 0, "rnn_under_test") {
    for (const auto& v : ins) {
      if (v)
        constant(*v);
      else
        omitted();
    }
    for (size_t i = 0; i < n_out; ++i) {
      if (!out_present.empty() && !out_present[i])
        add_missing_output();
      else
        add_outputs(1);
    }
  }
};

}  // namespace

TEST_CASE("RNN forward: h_t = tanh(W x_t + R h_t-1 + Wb + Rb)", "[rnn]") {
  // S=2, N=1, I=1, H=1; W=0.5, R=-1, Wb=0.1, Rb=0.2, x = 1, 2.
  RnnNode r("RNN",
            {from_f64(ir::DType::F32, {2, 1, 1}, {1, 2}), from_f64(ir::DType::F32, {1, 1, 1}, {0.5}),
             from_f64(ir::DType::F32, {1, 1, 1}, {-1}), from_f64(ir::DType::F32, {1, 2}, {0.1, 0.2})},
            2);
  auto out = r.run();
  const double h1 = std::tanh(0.5 * 1 + 0.3);
  const double h2 = std::tanh(0.5 * 2 - h1 + 0.3);
  REQUIRE(out[0].shape == ir::Shape{2, 1, 1, 1});
  REQUIRE(out[1].shape == ir::Shape{1, 1, 1});
  CHECK(out[0].get_f64(0) == Approx(h1));
  CHECK(out[0].get_f64(1) == Approx(h2));
  CHECK(out[1].get_f64(0) == Approx(h2));
}

TEST_CASE("RNN reverse with per-batch sequence_lens and an Affine activation", "[rnn]") {
  // Affine(alpha=1, beta=0) keeps it linear: h = x_t + 0.5 h_prev, processed from t = len-1 down.
  // Batch 0 has length 3, batch 1 length 1 (its Y at t = 1, 2 must be zero).
  const double a0 = 1, a1 = 2, a2 = 4, b0 = 10, b1 = 20, b2 = 40;  // X[t][b]
  RnnNode r("RNN",
            {from_f64(ir::DType::F32, {3, 2, 1}, {a0, b0, a1, b1, a2, b2}),
             from_f64(ir::DType::F32, {1, 1, 1}, {1}), from_f64(ir::DType::F32, {1, 1, 1}, {0.5}),
             std::nullopt, from_f64(ir::DType::I32, {2}, {3, 1})},
            2);
  r.attr_str("direction", "reverse");
  r.attr_strs("activations", {"Affine"});
  r.attr_floats("activation_alpha", {1});
  r.attr_floats("activation_beta", {0});
  auto out = r.run();
  REQUIRE(out[0].shape == ir::Shape{3, 1, 2, 1});
  // Y[t][0][b][0] at index t*2 + b.
  CHECK(out[0].get_f64(4) == Approx(a2));
  CHECK(out[0].get_f64(2) == Approx(a1 + 0.5 * a2));
  CHECK(out[0].get_f64(0) == Approx(a0 + 0.5 * a1 + 0.25 * a2));
  CHECK(out[0].get_f64(1) == Approx(b0));
  CHECK(out[0].get_f64(3) == 0.0);
  CHECK(out[0].get_f64(5) == 0.0);
  CHECK(out[1].get_f64(0) == Approx(a0 + 0.5 * a1 + 0.25 * a2));
  CHECK(out[1].get_f64(1) == Approx(b0));
}

TEST_CASE("RNN activation alpha/beta are consumed in order (LeakyRelu, HardSigmoid)", "[rnn]") {
  // Bidirectional with one function per direction: LeakyRelu(alpha=0.2), HardSigmoid(0.5, 0.25).
  // x = -2, W = 1 for both directions, one step: fwd = 0.2 * -2, rev = clamp(0.5*-2 + 0.25, 0, 1) = 0.
  // With x = 1: rev = 0.75.
  for (double x : {-2.0, 1.0}) {
    RnnNode r("RNN",
              {from_f64(ir::DType::F32, {1, 1, 1}, {x}), from_f64(ir::DType::F32, {2, 1, 1}, {1, 1}),
               from_f64(ir::DType::F32, {2, 1, 1}, {0, 0})},
              2);
    r.attr_str("direction", "bidirectional");
    r.attr_strs("activations", {"LeakyRelu", "HardSigmoid"});
    r.attr_floats("activation_alpha", {0.2f, 0.5f});
    r.attr_floats("activation_beta", {0.25f});
    auto out = r.run();
    REQUIRE(out[1].shape == ir::Shape{2, 1, 1});
    CHECK(out[1].get_f64(0) == Approx(x >= 0 ? x : 0.2 * x));
    CHECK(out[1].get_f64(1) == Approx(std::min(1.0, std::max(0.0, 0.5 * x + 0.25))));
  }
}

TEST_CASE("GRU one step, linear_before_reset 0 and 1", "[rnn]") {
  const double x = 1.5, h0 = 0.5;
  const double wz = 0.3, wr = -0.2, wh = 0.7, rz = 0.1, rr = 0.4, rh = -0.6;
  const double wbz = 0.01, wbr = 0.02, wbh = 0.03, rbz = 0.04, rbr = 0.05, rbh = 0.06;
  const double z = sig(wz * x + rz * h0 + wbz + rbz);
  const double r = sig(wr * x + rr * h0 + wbr + rbr);
  for (int64_t lbr : {0, 1}) {
    RnnNode n("GRU",
              {from_f64(ir::DType::F32, {1, 1, 1}, {x}), from_f64(ir::DType::F32, {1, 3, 1}, {wz, wr, wh}),
               from_f64(ir::DType::F32, {1, 3, 1}, {rz, rr, rh}),
               from_f64(ir::DType::F32, {1, 6}, {wbz, wbr, wbh, rbz, rbr, rbh}), std::nullopt,
               from_f64(ir::DType::F32, {1, 1, 1}, {h0})},
              2);
    n.attr_int("linear_before_reset", lbr);
    n.attr_int("hidden_size", 1);
    auto out = n.run();
    const double hh =
        lbr ? std::tanh(wh * x + wbh + r * (rh * h0 + rbh)) : std::tanh(wh * x + wbh + rh * (r * h0) + rbh);
    const double h = (1 - z) * hh + z * h0;
    CHECK(out[0].get_f64(0) == Approx(h));
    CHECK(out[1].get_f64(0) == Approx(h));
  }
}

TEST_CASE("LSTM one step with peepholes, initial state, input_forget and clip", "[rnn]") {
  // Gates in W/R/B order i, o, f, c; peepholes i, o, f.
  const double x = 0.8, h0 = -0.3, c0 = 0.6;
  const double wi = 0.5, wo = -0.4, wf = 0.9, wc = 0.2, ri = 0.1, ro = 0.3, rf = -0.2, rc = 0.7;
  const double bi = 0.05, bo = -0.1, bf = 0.2, bc = 0.0;
  const double pi = 0.3, po = -0.5, pf = 0.4;
  for (int variant = 0; variant < 3; ++variant) {  // plain, input_forget, clip 0.25
    RnnNode n(
        "LSTM",
        {from_f64(ir::DType::F32, {1, 1, 1}, {x}), from_f64(ir::DType::F32, {1, 4, 1}, {wi, wo, wf, wc}),
         from_f64(ir::DType::F32, {1, 4, 1}, {ri, ro, rf, rc}),
         from_f64(ir::DType::F32, {1, 8}, {bi, bo, bf, bc, 0, 0, 0, 0}), std::nullopt,
         from_f64(ir::DType::F32, {1, 1, 1}, {h0}), from_f64(ir::DType::F32, {1, 1, 1}, {c0}),
         from_f64(ir::DType::F32, {1, 3}, {pi, po, pf})},
        3);
    const double clip = variant == 2 ? 0.25 : 1e9;
    if (variant == 1) n.attr_int("input_forget", 1);
    if (variant == 2) n.attr_float("clip", 0.25f);
    auto cl = [&](double v) { return std::min(clip, std::max(-clip, v)); };
    auto out = n.run();
    const double i = sig(cl(wi * x + ri * h0 + bi + pi * c0));
    const double f = variant == 1 ? 1 - i : sig(cl(wf * x + rf * h0 + bf + pf * c0));
    const double g = std::tanh(cl(wc * x + rc * h0 + bc));
    const double c = f * c0 + i * g;
    const double o = sig(cl(wo * x + ro * h0 + bo + po * c));
    const double h = o * std::tanh(c);
    CHECK(out[0].get_f64(0) == Approx(h));
    CHECK(out[1].get_f64(0) == Approx(h));
    CHECK(out[2].get_f64(0) == Approx(c));
  }
}

TEST_CASE("LSTM infer: layout 1, bidirectional, omitted outputs", "[rnn]") {
  // X [N=2, S=5, I=3], H = 4.
  RnnNode n("LSTM",
            {from_f64(ir::DType::F32, {2, 5, 3}, std::vector<double>(30, 0.1)),
             from_f64(ir::DType::F32, {2, 16, 3}, std::vector<double>(96, 0.1)),
             from_f64(ir::DType::F32, {2, 16, 4}, std::vector<double>(128, 0.1))},
            3, 14, {true, false, true});
  n.attr_int("layout", 1);
  n.attr_str("direction", "bidirectional");
  n.n->info->infer(*n.n);
  CHECK(n.n->outputs[0]->shape == ir::Shape{2, 5, 2, 4});
  CHECK(n.n->outputs[1] == nullptr);
  CHECK(n.n->outputs[2]->shape == ir::Shape{2, 2, 4});
  // Layout 1 with symmetric weights: both directions see the same inputs, so fwd Y at the last
  // step equals rev Y at the first step (constant input sequence).
  auto out = n.run();
  CHECK(out[0].get_f64(((0 * 5 + 4) * 2 + 0) * 4) == Approx(out[0].get_f64(((0 * 5 + 0) * 2 + 1) * 4)));
}

TEST_CASE("recurrent ops reject bad attributes and shapes, naming the node", "[rnn]") {
  auto base = [] {
    return std::vector<std::optional<ir::Value>>{
        from_f64(ir::DType::F32, {2, 1, 3}, std::vector<double>(6, 0)),
        from_f64(ir::DType::F32, {1, 3, 3}, std::vector<double>(9, 0)),
        from_f64(ir::DType::F32, {1, 3, 3}, std::vector<double>(9, 0))};
  };
  auto expect_error = [](RnnNode& n, const std::string& part) {
    std::string e = n.infer_error();
    INFO(e);
    CHECK(e.find("rnn_under_test") != std::string::npos);
    CHECK(e.find(part) != std::string::npos);
  };
  {
    RnnNode n("RNN", base(), 2);
    n.attr_str("direction", "sideways");
    expect_error(n, "direction");
  }
  {
    RnnNode n("GRU", base(), 2);  // GRU needs 3*H rows; H = 3 would need 9
    expect_error(n, "W has shape");
  }
  {
    RnnNode n("RNN", base(), 2);
    n.attr_int("hidden_size", 4);
    expect_error(n, "hidden_size");
  }
  {
    RnnNode n("RNN", base(), 2);
    n.attr_strs("activations", {"Swish"});
    expect_error(n, "activation");
  }
  {
    RnnNode n("RNN", base(), 2);
    n.attr_strs("activations", {"Tanh", "Relu", "Relu"});
    expect_error(n, "activations");
  }
  {
    RnnNode n("RNN", base(), 2, 7);
    n.attr_int("layout", 1);
    expect_error(n, "layout");
  }
  {
    auto in = base();
    in.push_back(std::nullopt);
    in.push_back(from_f64(ir::DType::I32, {1}, {3}));  // longer than seq_length 2
    RnnNode n("RNN", in, 2);
    expect_error(n, "sequence_lens");
  }
  {
    RnnNode n("RNN", base(), 2);
    n.attr_float("clip", -1.0f);
    expect_error(n, "clip");
  }
}

TEST_CASE("LSTM kernel: constants baked in, scratch used, full-length sequence_lens dropped", "[rnn]") {
  RnnNode n("LSTM",
            {from_f64(ir::DType::F32, {2, 1, 3}, std::vector<double>(6, 0.1)),
             from_f64(ir::DType::F32, {2, 8, 3}, std::vector<double>(48, 0.1)),
             from_f64(ir::DType::F32, {2, 8, 2}, std::vector<double>(32, 0.1)), std::nullopt,
             from_f64(ir::DType::I32, {1}, {2})},
            3, 14, {false, true, true});
  n.attr_str("direction", "bidirectional");
  n.n->info->infer(*n.n);
  codegen::KernelCtx ctx(*n.n, codegen::Target::Generic);
  n.n->info->emit(*n.n, ctx);
  CHECK(ctx.name() == "lstm_f32_bidir_s2_h2");
  // h, c (2 each) and 8 gate pre-activations.
  CHECK(ctx.scratch_bytes() == (2 + 2 + 8) * sizeof(float));
  CHECK(ctx.body().find("x4") == std::string::npos);
  CHECK(ctx.body().find("y0") == std::string::npos);
  CHECK(ctx.body().find("expf") != std::string::npos);
}
