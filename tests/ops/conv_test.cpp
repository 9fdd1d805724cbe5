// Unit tests of the conv family: shape inference (auto_pad, output_shape), reference evaluation
// against hand-computed results, kernel path selection and error messages.
#include <catch2/catch.hpp>

#include <memory>

#include "codegen/kernel_ctx.h"
#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "compiler/ops/registry.h"

using namespace tinyaot;

namespace {

struct ConvCase {
  ir::Graph g;
  ir::Node* n = nullptr;
  std::vector<ir::Value> vals;

  explicit ConvCase(const std::string& op) {
    n = g.add_node(op, "cv");
    n->info = find_op("", op);
    n->opset = 13;
    auto* y = g.add_tensor("out");
    y->producer = n;
    n->outputs = {y};
    vals.reserve(3);
  }
  // Adds an input with the given shape and float values.
  void add(const std::string& name, ir::Shape shape, const std::vector<double>& v) {
    auto* t = g.add_tensor(name);
    t->dtype = ir::DType::F32;
    t->shape = shape;
    t->shaped = true;
    ir::Value val(ir::DType::F32, shape);
    for (size_t i = 0; i < v.size(); ++i) val.set_f64(static_cast<int64_t>(i), v[i]);
    vals.push_back(val);
    n->inputs.push_back(t);
  }
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
  void str(const std::string& name, const std::string& v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::String;
    a.s = v;
    n->attrs.set(name, a);
  }
  ir::Shape infer() {
    n->info->infer(*n);
    return n->outputs[0]->shape;
  }
  std::vector<double> run() {
    infer();
    std::vector<const ir::Value*> in;
    for (auto& v : vals) in.push_back(&v);
    auto out = evaluate_node(*n, in);
    std::vector<double> r;
    for (int64_t i = 0; i < out[0].numel(); ++i) r.push_back(out[0].get_f64(i));
    return r;
  }
  std::string kernel_name() {
    infer();
    codegen::KernelCtx ctx(*n, codegen::Target::Generic);
    n->info->emit(*n, ctx);
    return ctx.name();
  }
  std::string error() {
    try {
      infer();
    } catch (const CompileError& e) {
      return e.what();
    }
    return "";
  }
};

}  // namespace

TEST_CASE("Conv 2x2 kernel without padding sums windows", "[conv]") {
  ConvCase c("Conv");
  c.add("x", {1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  c.add("w", {1, 1, 2, 2}, {1, 1, 1, 1});
  CHECK(c.infer() == ir::Shape{1, 1, 2, 2});
  // windows: 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9
  CHECK(c.run() == std::vector<double>{12, 16, 24, 28});
}

TEST_CASE("Conv with pads and bias", "[conv]") {
  ConvCase c("Conv");
  c.add("x", {1, 1, 2, 2}, {1, 2, 3, 4});
  c.add("w", {1, 1, 3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 1});
  c.add("b", {1}, {0.5});
  c.ints("pads", {1, 1, 1, 1});
  // every 3x3 window centred on a pixel of a 2x2 image covers the whole image: 10 + 0.5
  CHECK(c.run() == std::vector<double>{10.5, 10.5, 10.5, 10.5});
}

TEST_CASE("Conv auto_pad SAME_UPPER puts the extra pad at the end, SAME_LOWER at the start", "[conv]") {
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER"}) {
    ConvCase c("Conv");
    c.add("x", {1, 1, 4}, {1, 2, 3, 4});
    c.add("w", {1, 1, 2}, {1, 10});
    c.str("auto_pad", mode);
    CHECK(c.infer() == ir::Shape{1, 1, 4});
    if (std::string(mode) == "SAME_UPPER")  // y[i] = x[i] + 10 x[i+1], x[4] = 0
      CHECK(c.run() == std::vector<double>{21, 32, 43, 4});
    else  // y[i] = x[i-1] + 10 x[i], x[-1] = 0
      CHECK(c.run() == std::vector<double>{10, 21, 32, 43});
  }
}

TEST_CASE("Conv strides, dilations and VALID padding shapes", "[conv]") {
  ConvCase c("Conv");
  c.add("x", {1, 1, 5}, {1, 2, 3, 4, 5});
  c.add("w", {1, 1, 2}, {1, 1});
  c.ints("dilations", {2});
  // y[i] = x[i] + x[i+2]
  CHECK(c.run() == std::vector<double>{4, 6, 8});

  ConvCase s("Conv");
  s.add("x", {1, 1, 7, 5}, std::vector<double>(35, 1.0));
  s.add("w", {1, 1, 3, 3}, std::vector<double>(9, 1.0));
  s.ints("strides", {2, 2});
  s.str("auto_pad", "VALID");
  CHECK(s.infer() == ir::Shape{1, 1, 3, 2});  // floor((7-3)/2)+1, floor((5-3)/2)+1
}

TEST_CASE("Conv groups: depthwise channels do not mix", "[conv]") {
  ConvCase c("Conv");
  c.add("x", {1, 2, 1, 2}, {1, 2, 3, 4});
  c.add("w", {2, 1, 1, 1}, {2, 3});
  c.integer("group", 2);
  CHECK(c.run() == std::vector<double>{2, 4, 9, 12});

  ConvCase d("Conv");
  d.add("x", {1, 2, 3, 3}, std::vector<double>(18, 1.0));
  d.add("w", {2, 1, 3, 3}, std::vector<double>(18, 1.0));
  d.integer("group", 2);
  d.ints("pads", {1, 1, 1, 1});
  CHECK(d.kernel_name() == "conv2d_f32_k3x3s1_dw");
  // corner sees 2x2 taps, edge centre 2x3, centre 3x3
  CHECK(d.run() == std::vector<double>{4, 6, 4, 6, 9, 6, 4, 6, 4, 4, 6, 4, 6, 9, 6, 4, 6, 4});
}

TEST_CASE("Conv picks the pointwise path for 1x1 stride-1 kernels", "[conv]") {
  ConvCase c("Conv");
  c.add("x", {1, 2, 1, 2}, {1, 2, 3, 4});
  c.add("w", {3, 2, 1, 1}, {1, 0, 0, 1, 1, -1});
  // y[m] = w[m,0] x[0] + w[m,1] x[1]
  CHECK(c.run() == std::vector<double>{1, 2, 3, 4, -2, -2});
  CHECK(c.kernel_name() == "conv2d_f32_pw");

  ConvCase k("Conv");
  k.add("x", {1, 1, 5, 5}, std::vector<double>(25, 1.0));
  k.add("w", {1, 1, 3, 3}, std::vector<double>(9, 1.0));
  CHECK(k.kernel_name() == "conv2d_f32_k3x3s1");
}

TEST_CASE("ConvTranspose stride 2 overlaps taps; pads and output_shape crop or extend", "[conv]") {
  ConvCase c("ConvTranspose");
  c.add("x", {1, 1, 2}, {1, 2});
  c.add("w", {1, 1, 3}, {1, 1, 1});
  c.ints("strides", {2});
  // x0 lands on 0..2, x1 on 2..4
  CHECK(c.run() == std::vector<double>{1, 1, 3, 2, 2});

  ConvCase p("ConvTranspose");
  p.add("x", {1, 1, 2}, {1, 2});
  p.add("w", {1, 1, 3}, {1, 1, 1});
  p.ints("strides", {2});
  p.ints("pads", {1, 1});
  CHECK(p.run() == std::vector<double>{1, 3, 2});

  ConvCase o("ConvTranspose");
  o.add("x", {1, 1, 2}, {1, 2});
  o.add("w", {1, 1, 3}, {1, 1, 1});
  o.add("b", {1}, {1});
  o.ints("strides", {2});
  o.ints("output_shape", {6});
  // one more position than the natural 5, appended at the end (only bias there)
  CHECK(o.run() == std::vector<double>{2, 2, 4, 3, 3, 1});
}

TEST_CASE("ConvTranspose groups map input channels to their output channels", "[conv]") {
  ConvCase c("ConvTranspose");
  c.add("x", {1, 2, 1}, {1, 2});
  c.add("w", {2, 1, 1}, {3, 5});
  c.integer("group", 2);
  CHECK(c.infer() == ir::Shape{1, 2, 1});
  CHECK(c.run() == std::vector<double>{3, 10});
}

TEST_CASE("Conv errors name the node", "[conv]") {
  ConvCase g("Conv");
  g.add("x", {1, 3, 4, 4}, {});
  g.add("w", {2, 3, 1, 1}, {});
  g.integer("group", 2);
  CHECK(g.error().find("'cv'") != std::string::npos);
  CHECK(g.error().find("group") != std::string::npos);

  ConvCase k("Conv");
  k.add("x", {1, 1, 4, 4}, {});
  k.add("w", {1, 1, 3, 3}, {});
  k.ints("kernel_shape", {2, 2});
  CHECK(k.error().find("kernel_shape") != std::string::npos);

  ConvCase b("Conv");
  b.add("x", {1, 1, 4, 4}, {});
  b.add("w", {2, 1, 3, 3}, {});
  b.add("b", {3}, {});
  CHECK(b.error().find("bias") != std::string::npos);

  ConvCase big("Conv");
  big.add("x", {1, 1, 2, 2}, {});
  big.add("w", {1, 1, 3, 3}, {});
  CHECK(big.error().find("exceeds") != std::string::npos);

  ConvCase ap("Conv");
  ap.add("x", {1, 1, 4, 4}, {});
  ap.add("w", {1, 1, 3, 3}, {});
  ap.str("auto_pad", "SAME");
  CHECK(ap.error().find("auto_pad") != std::string::npos);
}

TEST_CASE("Conv and ConvTranspose apply a fused activation (fuse-activation attributes)", "[conv]") {
  // Same 2x2 window sums as above with one negated weight: 1+2+4-5, 2+3+5-6, 4+5+7-8, 5+6+8-9.
  ConvCase c("Conv");
  c.add("x", {1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  c.add("w", {1, 1, 2, 2}, {1, 1, 1, -1});
  c.add("b", {1}, {-4});
  c.str("tinyaot_act", "Relu");
  // 2-4 = -2 -> 0, 4-4 = 0, 8-4 = 4, 10-4 = 6
  CHECK(c.run() == std::vector<double>{0, 0, 4, 6});
  CHECK(c.kernel_name() == "conv2d_f32_k2x2s1_relu");

  ConvCase l("Conv");
  l.add("x", {1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  l.add("w", {1, 1, 2, 2}, {1, 1, 1, -1});
  l.add("b", {1}, {-4});
  l.str("tinyaot_act", "LeakyRelu");
  ir::Attribute alpha;
  alpha.kind = ir::Attribute::Kind::Float;
  alpha.f = 0.5f;
  l.n->attrs.set("tinyaot_act_alpha", alpha);
  CHECK(l.run() == std::vector<double>{-1, 0, 4, 6});

  // ConvTranspose 1x1 kernel, weight 2: y = 2x + b, then Clip to [0, 3].
  ConvCase t("ConvTranspose");
  t.add("x", {1, 1, 1, 4}, {-1, 0.5, 1, 3});
  t.add("w", {1, 1, 1, 1}, {2});
  t.add("b", {1}, {0.5});
  t.str("tinyaot_act", "Clip");
  ir::Attribute lo, hi;
  lo.kind = hi.kind = ir::Attribute::Kind::Float;
  lo.f = 0, hi.f = 3;
  t.n->attrs.set("tinyaot_act_min", lo);
  t.n->attrs.set("tinyaot_act_max", hi);
  // 2x + 0.5 = -1.5, 1.5, 2.5, 6.5 -> 0, 1.5, 2.5, 3
  CHECK(t.run() == std::vector<double>{0, 1.5, 2.5, 3});
  CHECK(t.kernel_name() == "convtranspose2d_f32_k1x1s1_clip");
}

TEST_CASE("Conv rejects malformed fused activations, naming the node", "[conv]") {
  ConvCase u("Conv");
  u.add("x", {1, 1, 3, 3}, {});
  u.add("w", {1, 1, 2, 2}, {});
  u.str("tinyaot_act", "Softplus");
  CHECK(u.error().find("'cv'") != std::string::npos);
  CHECK(u.error().find("unknown fused activation 'Softplus'") != std::string::npos);

  ConvCase c("Conv");
  c.add("x", {1, 1, 3, 3}, {});
  c.add("w", {1, 1, 2, 2}, {});
  c.str("tinyaot_act", "Clip");
  ir::Attribute lo, hi;
  lo.kind = hi.kind = ir::Attribute::Kind::Float;
  lo.f = 2, hi.f = 1;
  c.n->attrs.set("tinyaot_act_min", lo);
  c.n->attrs.set("tinyaot_act_max", hi);
  CHECK(c.error().find("min must be <= max") != std::string::npos);

  ConvCase r("Conv");
  r.add("x", {1, 1, 3, 3}, {});
  r.add("w", {1, 1, 2, 2}, {});
  r.str("tinyaot_act", "Relu");
  r.n->attrs.set("tinyaot_act_alpha", lo);
  CHECK(r.error().find("does not apply") != std::string::npos);
}
