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

using namespace tinyaot;

namespace {

ir::Value f32(ir::Shape s, std::vector<double> v) {
  ir::Value r(ir::DType::F32, std::move(s));
  REQUIRE(static_cast<size_t>(r.numel()) == v.size());
  for (size_t i = 0; i < v.size(); ++i) r.set_f64(static_cast<int64_t>(i), v[i]);
  return r;
}

ir::Value i32(ir::Shape s, std::vector<double> v) {
  ir::Value r(ir::DType::I32, std::move(s));
  for (size_t i = 0; i < v.size(); ++i) r.set_f64(static_cast<int64_t>(i), v[i]);
  return r;
}

double sig(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

// One recurrent node whose inputs are all constants (nullopt = omitted optional input).
struct RnnNode {
  ir::Graph g;
  ir::Node* n = nullptr;

  RnnNode(const std::string& op, const std::vector<std::optional<ir::Value>>& ins, size_t n_out,
          int opset = 14, std::vector<bool> out_present = {}) {
    n = g.add_node(op, "rnn_under_test");
    n->opset = opset;
    n->info = find_op("", op);
    REQUIRE(n->info);
    for (size_t i = 0; i < ins.size(); ++i) {
      if (!ins[i]) {
        n->inputs.push_back(nullptr);
        continue;
      }
      ir::Tensor* t = g.add_tensor("in" + std::to_string(i));
      t->dtype = ins[i]->dtype;
      t->shape = ins[i]->shape;
      t->shaped = true;
      t->value = std::make_shared<const ir::Value>(*ins[i]);
      n->inputs.push_back(t);
    }
    for (size_t i = 0; i < n_out; ++i) {
      if (!out_present.empty() && !out_present[i]) {
        n->outputs.push_back(nullptr);
        continue;
      }
      ir::Tensor* t = g.add_tensor("out" + std::to_string(i));
      t->producer = n;
      n->outputs.push_back(t);
    }
  }
  void set(const std::string& name, int64_t v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Int;
    a.i = v;
    n->attrs.set(name, a);
  }
  void set(const std::string& name, float v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Float;
    a.f = v;
    n->attrs.set(name, a);
  }
  void set(const std::string& name, const std::string& v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::String;
    a.s = v;
    n->attrs.set(name, a);
  }
  void set(const std::string& name, std::vector<std::string> v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Strings;
    a.strings = std::move(v);
    n->attrs.set(name, a);
  }
  void set(const std::string& name, std::vector<float> v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Floats;
    a.floats = std::move(v);
    n->attrs.set(name, a);
  }
  std::vector<ir::Value> run() {
    n->info->infer(*n);
    std::vector<const ir::Value*> in;
    for (ir::Tensor* t : n->inputs) in.push_back(t ? t->value.get() : nullptr);
    return evaluate_node(*n, in);
  }
  std::string infer_error() {
    try {
      n->info->infer(*n);
    } catch (const CompileError& e) {
      return e.what();
    }
    return "";
  }
};

}  // namespace

TEST_CASE("RNN forward: h_t = tanh(W x_t + R h_t-1 + Wb + Rb)", "[rnn]") {
  // S=2, N=1, I=1, H=1; W=0.5, R=-1, Wb=0.1, Rb=0.2, x = 1, 2.
  RnnNode r("RNN",
            {f32({2, 1, 1}, {1, 2}), f32({1, 1, 1}, {0.5}), f32({1, 1, 1}, {-1}), f32({1, 2}, {0.1, 0.2})},
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
            {f32({3, 2, 1}, {a0, b0, a1, b1, a2, b2}), f32({1, 1, 1}, {1}), f32({1, 1, 1}, {0.5}),
             std::nullopt, i32({2}, {3, 1})},
            2);
  r.set("direction", std::string("reverse"));
  r.set("activations", std::vector<std::string>{"Affine"});
  r.set("activation_alpha", std::vector<float>{1});
  r.set("activation_beta", std::vector<float>{0});
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
    RnnNode r("RNN", {f32({1, 1, 1}, {x}), f32({2, 1, 1}, {1, 1}), f32({2, 1, 1}, {0, 0})}, 2);
    r.set("direction", std::string("bidirectional"));
    r.set("activations", std::vector<std::string>{"LeakyRelu", "HardSigmoid"});
    r.set("activation_alpha", std::vector<float>{0.2f, 0.5f});
    r.set("activation_beta", std::vector<float>{0.25f});
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
              {f32({1, 1, 1}, {x}), f32({1, 3, 1}, {wz, wr, wh}), f32({1, 3, 1}, {rz, rr, rh}),
               f32({1, 6}, {wbz, wbr, wbh, rbz, rbr, rbh}), std::nullopt, f32({1, 1, 1}, {h0})},
              2);
    n.set("linear_before_reset", lbr);
    n.set("hidden_size", int64_t{1});
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
    RnnNode n("LSTM",
              {f32({1, 1, 1}, {x}), f32({1, 4, 1}, {wi, wo, wf, wc}), f32({1, 4, 1}, {ri, ro, rf, rc}),
               f32({1, 8}, {bi, bo, bf, bc, 0, 0, 0, 0}), std::nullopt, f32({1, 1, 1}, {h0}),
               f32({1, 1, 1}, {c0}), f32({1, 3}, {pi, po, pf})},
              3);
    const double clip = variant == 2 ? 0.25 : 1e9;
    if (variant == 1) n.set("input_forget", int64_t{1});
    if (variant == 2) n.set("clip", 0.25f);
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
            {f32({2, 5, 3}, std::vector<double>(30, 0.1)), f32({2, 16, 3}, std::vector<double>(96, 0.1)),
             f32({2, 16, 4}, std::vector<double>(128, 0.1))},
            3, 14, {true, false, true});
  n.set("layout", int64_t{1});
  n.set("direction", std::string("bidirectional"));
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
    return std::vector<std::optional<ir::Value>>{f32({2, 1, 3}, std::vector<double>(6, 0)),
                                                 f32({1, 3, 3}, std::vector<double>(9, 0)),
                                                 f32({1, 3, 3}, std::vector<double>(9, 0))};
  };
  auto expect_error = [](RnnNode& n, const std::string& part) {
    std::string e = n.infer_error();
    INFO(e);
    CHECK(e.find("rnn_under_test") != std::string::npos);
    CHECK(e.find(part) != std::string::npos);
  };
  {
    RnnNode n("RNN", base(), 2);
    n.set("direction", std::string("sideways"));
    expect_error(n, "direction");
  }
  {
    RnnNode n("GRU", base(), 2);  // GRU needs 3*H rows; H = 3 would need 9
    expect_error(n, "W has shape");
  }
  {
    RnnNode n("RNN", base(), 2);
    n.set("hidden_size", int64_t{4});
    expect_error(n, "hidden_size");
  }
  {
    RnnNode n("RNN", base(), 2);
    n.set("activations", std::vector<std::string>{"Swish"});
    expect_error(n, "activation");
  }
  {
    RnnNode n("RNN", base(), 2);
    n.set("activations", std::vector<std::string>{"Tanh", "Relu", "Relu"});
    expect_error(n, "activations");
  }
  {
    RnnNode n("RNN", base(), 2, 7);
    n.set("layout", int64_t{1});
    expect_error(n, "layout");
  }
  {
    auto in = base();
    in.push_back(std::nullopt);
    in.push_back(i32({1}, {3}));  // longer than seq_length 2
    RnnNode n("RNN", in, 2);
    expect_error(n, "sequence_lens");
  }
  {
    RnnNode n("RNN", base(), 2);
    n.set("clip", -1.0f);
    expect_error(n, "clip");
  }
}

TEST_CASE("LSTM kernel: constants baked in, scratch used, full-length sequence_lens dropped", "[rnn]") {
  RnnNode n("LSTM",
            {f32({2, 1, 3}, std::vector<double>(6, 0.1)), f32({2, 8, 3}, std::vector<double>(48, 0.1)),
             f32({2, 8, 2}, std::vector<double>(32, 0.1)), std::nullopt, i32({1}, {2})},
            3, 14, {false, true, true});
  n.set("direction", std::string("bidirectional"));
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
