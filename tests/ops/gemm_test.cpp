// Unit tests of the gemm family: Gemm attributes and C broadcasting, numpy MatMul shapes
// (1-D operands, broadcast batch), Einsum forms, and error messages.
#include <catch2/catch.hpp>

#include "codegen/kernel_ctx.h"
#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "compiler/ops/registry.h"

using namespace tinyaot;

namespace {

struct MmCase {
  ir::Graph g;
  ir::Node* n = nullptr;
  std::vector<ir::Value> vals;

  MmCase(const std::string& op, int opset = 13) {
    n = g.add_node(op, "mm");
    n->info = find_op("", op);
    n->opset = opset;
    auto* y = g.add_tensor("out");
    y->producer = n;
    n->outputs = {y};
  }
  void add(const std::string& name, ir::Shape shape, const std::vector<double>& v,
           ir::DType dt = ir::DType::F32) {
    auto* t = g.add_tensor(name);
    t->dtype = dt;
    t->shape = shape;
    t->shaped = true;
    ir::Value val(dt, shape);
    for (size_t i = 0; i < v.size(); ++i) val.set_f64(static_cast<int64_t>(i), v[i]);
    vals.push_back(val);
    n->inputs.push_back(t);
  }
  void set_int(const std::string& name, int64_t v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Int;
    a.i = v;
    n->attrs.set(name, a);
  }
  void set_float(const std::string& name, float v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Float;
    a.f = v;
    n->attrs.set(name, a);
  }
  void equation(const std::string& e) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::String;
    a.s = e;
    n->attrs.set("equation", a);
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

TEST_CASE("Gemm applies alpha, beta and a broadcast row bias", "[gemm]") {
  MmCase c("Gemm");
  c.add("a", {2, 3}, {1, 2, 3, 4, 5, 6});
  c.add("b", {3, 2}, {1, 0, 0, 1, 1, 1});
  c.add("c", {2}, {10, 20});
  c.set_float("alpha", 2.0f);
  c.set_float("beta", 0.5f);
  // A*B = [[4, 5], [10, 11]]; 2*AB + 0.5*[10, 20]
  CHECK(c.infer() == ir::Shape{2, 2});
  CHECK(c.run() == std::vector<double>{13, 20, 25, 32});
}

TEST_CASE("Gemm transA and transB, column bias", "[gemm]") {
  MmCase c("Gemm");
  c.add("a", {3, 2}, {1, 4, 2, 5, 3, 6});  // A^T = [[1,2,3],[4,5,6]]
  c.add("b", {2, 3}, {1, 0, 1, 0, 1, 1});  // B^T = [[1,0],[0,1],[1,1]]
  c.add("c", {2, 1}, {100, 200});
  c.set_int("transA", 1);
  c.set_int("transB", 1);
  CHECK(c.run() == std::vector<double>{104, 105, 210, 211});
}

TEST_CASE("Gemm without C: allowed from opset 11, an error before", "[gemm]") {
  MmCase ok("Gemm", 13);
  ok.add("a", {1, 2}, {1, 2});
  ok.add("b", {2, 1}, {3, 4});
  CHECK(ok.run() == std::vector<double>{11});

  MmCase old("Gemm", 9);
  old.add("a", {1, 2}, {1, 2});
  old.add("b", {2, 1}, {3, 4});
  CHECK(old.error().find("'mm'") != std::string::npos);
  CHECK(old.error().find("required") != std::string::npos);
}

TEST_CASE("Gemm errors: inner dimension and C shape", "[gemm]") {
  MmCase k("Gemm");
  k.add("a", {2, 3}, {});
  k.add("b", {2, 3}, {});
  CHECK(k.error().find("inner dimensions") != std::string::npos);

  MmCase c("Gemm");
  c.add("a", {2, 3}, {});
  c.add("b", {3, 4}, {});
  c.add("c", {3}, {});
  CHECK(c.error().find("cannot be broadcast") != std::string::npos);
}

TEST_CASE("MatMul with 1-D operands drops the promoted dimension", "[gemm]") {
  MmCase v("MatMul");
  v.add("a", {2}, {1, 2});
  v.add("b", {2, 2}, {1, 2, 3, 4});
  CHECK(v.infer() == ir::Shape{2});
  CHECK(v.run() == std::vector<double>{7, 10});

  MmCase w("MatMul");
  w.add("a", {2, 2}, {1, 2, 3, 4});
  w.add("b", {2}, {1, 1});
  CHECK(w.infer() == ir::Shape{2});
  CHECK(w.run() == std::vector<double>{3, 7});

  MmCase d("MatMul");
  d.add("a", {3}, {1, 2, 3});
  d.add("b", {3}, {4, 5, 6});
  CHECK(d.infer() == ir::Shape{});
  CHECK(d.run() == std::vector<double>{32});
}

TEST_CASE("MatMul broadcasts batch dimensions", "[gemm]") {
  MmCase c("MatMul");
  c.add("a", {2, 1, 2}, {1, 2, 3, 4});  // two 1x2 rows
  c.add("b", {2, 1}, {10, 1});          // one 2x1 matrix shared by both batches
  CHECK(c.infer() == ir::Shape{2, 1, 1});
  CHECK(c.run() == std::vector<double>{12, 34});

  MmCase e("MatMul");
  e.add("a", {2, 2, 3}, {});
  e.add("b", {3, 3, 4}, {});
  CHECK(e.error().find("broadcast") != std::string::npos);

  MmCase k("MatMul");
  k.add("a", {2, 3}, {});
  k.add("b", {2, 3}, {});
  CHECK(k.error().find("'mm'") != std::string::npos);
}

TEST_CASE("MatMul kernel is named by its shape", "[gemm]") {
  MmCase c("MatMul");
  c.add("a", {1, 768}, {});
  c.add("b", {768, 10}, {});
  c.infer();
  codegen::KernelCtx ctx(*c.n, codegen::Target::Generic);
  c.n->info->emit(*c.n, ctx);
  CHECK(ctx.name() == "matmul_f32_1x768x10");
}

TEST_CASE("Einsum transpose, inner product, matmul, trace and batch diagonal", "[gemm]") {
  MmCase t("Einsum");
  t.add("x", {2, 3}, {1, 2, 3, 4, 5, 6});
  t.equation("ij->ji");
  CHECK(t.infer() == ir::Shape{3, 2});
  CHECK(t.run() == std::vector<double>{1, 4, 2, 5, 3, 6});

  MmCase s("Einsum");
  s.add("x", {2, 3}, {1, 2, 3, 4, 5, 6});
  s.equation("ij->i");
  CHECK(s.run() == std::vector<double>{6, 15});

  MmCase ip("Einsum");
  ip.add("x", {3}, {1, 2, 3});
  ip.add("y", {3}, {4, 5, 6});
  ip.equation("i,i");
  CHECK(ip.infer() == ir::Shape{});
  CHECK(ip.run() == std::vector<double>{32});

  MmCase mm("Einsum");
  mm.add("x", {1, 2}, {1, 2});
  mm.add("y", {2, 2}, {1, 2, 3, 4});
  mm.equation("ij, jk");  // implicit output: ik
  CHECK(mm.infer() == ir::Shape{1, 2});
  CHECK(mm.run() == std::vector<double>{7, 10});

  MmCase tr("Einsum");
  tr.add("x", {2, 2}, {1, 2, 3, 4});
  tr.equation("ii");
  CHECK(tr.run() == std::vector<double>{5});

  MmCase bd("Einsum");
  bd.add("x", {2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  bd.equation("...ii ->...i");
  CHECK(bd.infer() == ir::Shape{2, 2});
  CHECK(bd.run() == std::vector<double>{1, 4, 5, 8});
}

TEST_CASE("Einsum errors name the node", "[gemm]") {
  MmCase c("Einsum");
  c.add("x", {2, 3}, {});
  c.equation("ij,jk->ik");
  CHECK(c.error().find("'mm'") != std::string::npos);

  MmCase r("Einsum");
  r.add("x", {2, 3}, {});
  r.equation("ijk->i");
  CHECK(r.error().find("rank") != std::string::npos);

  MmCase e("Einsum");
  e.add("x", {2, 3}, {});
  e.add("y", {2, 3}, {});
  e.equation("ij,ij->ik");
  CHECK(e.error().find("'k'") != std::string::npos);
}

TEST_CASE("Gemm and MatMul apply a fused activation (fuse-activation attributes)", "[gemm]") {
  // A*B = [[4, 5], [10, 11]]; with C = [-6, -12]: [[-2, -7], [4, -1]]; HardSigmoid(0.25, 0.5):
  // 0.25*v + 0.5 clamped to [0, 1] -> [[0, 0], [1, 0.25]].
  MmCase c("Gemm");
  c.add("a", {2, 3}, {1, 2, 3, 4, 5, 6});
  c.add("b", {3, 2}, {1, 0, 0, 1, 1, 1});
  c.add("c", {2}, {-6, -12});
  ir::Attribute act;
  act.kind = ir::Attribute::Kind::String;
  act.s = "HardSigmoid";
  c.n->attrs.set("tinyaot_act", act);
  c.set_float("tinyaot_act_alpha", 0.25f);
  c.set_float("tinyaot_act_beta", 0.5f);
  CHECK(c.run() == std::vector<double>{0, 0, 1, 0.25});
  codegen::KernelCtx ctx(*c.n, codegen::Target::Generic);
  c.n->info->emit(*c.n, ctx);
  CHECK(ctx.name() == "gemm_f32_2x3x2_hardsigmoid");
  // The activation sits in the store epilogue: applied to the accumulator, then stored.
  CHECK(ctx.body().find("c00 = c00 + x2[j];") != std::string::npos);
  CHECK(ctx.body().find("c00 = 0.25f * c00 + 0.5f;") != std::string::npos);

  // MatMul [1,2] x [2,2]: [1, -1] * [[1, 2], [3, -4]] = [-2, 6]; HardSwish: x * clamp(x/6 + 1/2):
  // -2 * (1/6) = -1/3, 6 * 1 = 6.
  MmCase m("MatMul");
  m.add("a", {1, 2}, {1, -1});
  m.add("b", {2, 2}, {1, 2, 3, -4});
  act.s = "HardSwish";
  m.n->attrs.set("tinyaot_act", act);
  auto r = m.run();
  REQUIRE(r.size() == 2);
  CHECK(r[0] == Approx(-1.0 / 3.0).epsilon(1e-6));
  CHECK(r[1] == 6.0);

  MmCase bad("MatMul");
  bad.add("a", {1, 2}, {});
  bad.add("b", {2, 2}, {});
  act.s = "Gelu";
  bad.n->attrs.set("tinyaot_act", act);
  CHECK(bad.error().find("'mm'") != std::string::npos);
  CHECK(bad.error().find("unknown fused activation") != std::string::npos);
}
