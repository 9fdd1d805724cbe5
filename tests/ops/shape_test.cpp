// Unit tests of the shape family: shape inference (and its errors), reference evaluation against
// hand-derived values, and emitted kernels compiled with the host C++ compiler and run.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "codegen/kernel_ctx.h"
#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "compiler/ops/registry.h"

using namespace tinyaot;
using ir::DType;
using ir::Shape;
using ir::Value;

namespace {

template <class T>
Value make(DType t, Shape s, std::vector<T> v) {
  Value r(t, std::move(s));
  REQUIRE(static_cast<int64_t>(v.size()) == r.numel());
  std::memcpy(r.bytes.data(), v.data(), r.bytes.size());
  return r;
}
Value i64s(std::vector<int64_t> v) {
  return make(DType::I64, {static_cast<int64_t>(v.size())}, v);
}

template <class T>
std::vector<T> as(const Value& v) {
  std::vector<T> r(static_cast<size_t>(v.numel()));
  std::memcpy(r.data(), v.bytes.data(), v.bytes.size());
  return r;
}

// One node in a graph; inputs are run-time tensors of a given type/shape or constants.
struct OneNode {
  ir::Graph g;
  ir::Node* n;
  OneNode(const std::string& op, int opset, const std::string& name = "node") {
    n = g.add_node(op, name);
    n->info = find_op("", op);
    REQUIRE(n->info != nullptr);
    n->opset = opset;
    ir::Tensor* y = g.add_tensor("y");
    y->producer = n;
    n->outputs = {y};
  }
  OneNode& in(DType t, Shape s) {
    ir::Tensor* x = g.add_tensor("x" + std::to_string(n->inputs.size()));
    x->dtype = t;
    x->shape = std::move(s);
    x->shaped = true;
    x->is_graph_input = true;
    n->inputs.push_back(x);
    return *this;
  }
  OneNode& constant(Value v) {
    ir::Tensor* x = g.add_tensor("c" + std::to_string(n->inputs.size()));
    x->dtype = v.dtype;
    x->shape = v.shape;
    x->shaped = true;
    x->value = std::make_shared<Value>(std::move(v));
    n->inputs.push_back(x);
    return *this;
  }
  OneNode& none() {
    n->inputs.push_back(nullptr);
    return *this;
  }
  OneNode& attr_i(const std::string& k, int64_t v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Int;
    a.i = v;
    n->attrs.set(k, a);
    return *this;
  }
  OneNode& attr_ints(const std::string& k, std::vector<int64_t> v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Ints;
    a.ints = std::move(v);
    n->attrs.set(k, a);
    return *this;
  }
  OneNode& attr_t(const std::string& k, Value v) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Tensor;
    a.t = std::make_shared<Value>(std::move(v));
    n->attrs.set(k, a);
    return *this;
  }
  ir::Tensor& out() { return *n->outputs[0]; }
  void infer() { n->info->infer(*n); }
  // Infers, then evaluates with the given values for run-time inputs (constants fill themselves).
  Value eval(const std::vector<Value>& runtime = {}) {
    infer();
    std::vector<const Value*> in;
    size_t k = 0;
    for (ir::Tensor* t : n->inputs) {
      if (!t)
        in.push_back(nullptr);
      else if (t->is_constant())
        in.push_back(t->value.get());
      else
        in.push_back(&runtime.at(k++));
    }
    return std::move(evaluate_node(*n, in)[0]);
  }
  // Infers, emits the kernel, compiles it with a tiny driver and runs it on `runtime` inputs.
  Value run_kernel(const std::vector<Value>& runtime = {}) {
    infer();
    codegen::KernelCtx ctx(*n, codegen::Target::Generic);
    n->info->emit(*n, ctx);
    std::string src = "#include <math.h>\n#include <stdint.h>\n#include <stdio.h>\n#include <string.h>\n";
    for (auto& h : ctx.helpers()) src += h.second;
    for (auto& t : ctx.tables()) src += t.second;
    std::string params, call, data;
    size_t k = 0;
    for (size_t i = 0; i < n->inputs.size(); ++i) {
      ir::Tensor* t = n->inputs[i];
      params += std::string(t ? ir::dtype_ctype(t->dtype) : "void") + std::string(" const* x") +
                std::to_string(i) + ", ";
      if (!t) {
        call += "0, ";
        continue;
      }
      const Value& v = t->is_constant() ? *t->value : runtime.at(k++);
      data += "static const unsigned char d" + std::to_string(i) + "[] = {";
      for (uint8_t b : v.bytes) data += std::to_string(b) + ",";
      data += "0};\n";
      call +=
          "(const " + std::string(ir::dtype_ctype(t->dtype)) + "*)(const void*)d" + std::to_string(i) + ", ";
    }
    const ir::Tensor& o = out();
    src += "static void kernel(" + params + ir::dtype_ctype(o.dtype) +
           "* y0, uint8_t* scratch) {\n  (void)scratch;\n" + ctx.body() + "}\n" + data;
    src += "static unsigned char scratch_buf[" + std::to_string(ctx.scratch_bytes() + 16) + "];\n";
    src +=
        "static " + std::string(ir::dtype_ctype(o.dtype)) + " out[" + std::to_string(o.numel() + 1) + "];\n";
    src += "int main(void) {\n  kernel(" + call + "out, scratch_buf);\n  fwrite(out, 1, " +
           std::to_string(o.bytes()) + ", stdout);\n  return 0;\n}\n";
    const std::string dir = "/tmp/tinyaot_shape_test_" + std::to_string(::getpid());
    REQUIRE(std::system(("mkdir -p " + dir).c_str()) == 0);
    std::ofstream(dir + "/k.cpp") << src;
    const std::string cmd = "c++ -std=c++11 -O1 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter " + dir +
                            "/k.cpp -o " + dir + "/k 2> " + dir + "/log";
    INFO(src);
    REQUIRE(std::system(cmd.c_str()) == 0);
    Value r(o.dtype, o.shape);
    FILE* f = popen((dir + "/k").c_str(), "r");
    REQUIRE(f != nullptr);
    size_t got = std::fread(r.bytes.data(), 1, r.bytes.size(), f);
    pclose(f);
    CHECK(std::system(("rm -rf " + dir).c_str()) == 0);
    REQUIRE(got == r.bytes.size());
    return r;
  }
};

// The error message names the node and op.
void require_error(OneNode& t, const std::string& needle) {
  try {
    t.infer();
    FAIL("no error raised");
  } catch (const CompileError& e) {
    std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find(t.n->op) != std::string::npos);
    CHECK(msg.find("'node'") != std::string::npos);
    CHECK(msg.find(needle) != std::string::npos);
  }
}

std::vector<float> iota_f(int n) {
  std::vector<float> v;
  for (int i = 0; i < n; ++i) v.push_back(static_cast<float>(i));
  return v;
}

}  // namespace

TEST_CASE("Reshape: 0 copies, -1 infers, allowzero keeps 0", "[shape]") {
  OneNode t("Reshape", 14);
  t.in(DType::F32, {2, 3, 4}).constant(i64s({0, -1}));
  t.infer();
  CHECK(t.out().shape == Shape{2, 12});

  OneNode z("Reshape", 14);
  z.in(DType::F32, {0, 3}).constant(i64s({3, 0})).attr_i("allowzero", 1);
  z.infer();
  CHECK(z.out().shape == Shape{3, 0});

  // Data moves unchanged, every dtype.
  OneNode b("Reshape", 13);
  b.in(DType::Bool, {2, 2}).constant(i64s({4}));
  Value v = make<uint8_t>(DType::Bool, {2, 2}, {1, 0, 0, 1});
  CHECK(as<uint8_t>(b.eval({v})) == std::vector<uint8_t>{1, 0, 0, 1});
  CHECK(as<uint8_t>(b.run_kernel({v})) == std::vector<uint8_t>{1, 0, 0, 1});
}

TEST_CASE("Reshape errors name the node", "[shape]") {
  OneNode two("Reshape", 14);
  two.in(DType::F32, {2, 3}).constant(i64s({-1, -1}));
  require_error(two, "more than one -1");
  OneNode bad("Reshape", 14);
  bad.in(DType::F32, {2, 3}).constant(i64s({4, 2}));
  require_error(bad, "cannot reshape");
  OneNode rt("Reshape", 14);
  rt.in(DType::F32, {2, 3}).in(DType::I64, {2});
  require_error(rt, "compile-time constant");
  OneNode az("Reshape", 14);
  az.in(DType::F32, {0, 3}).constant(i64s({0, -1})).attr_i("allowzero", 1);
  require_error(az, "-1 with 0");
}

TEST_CASE("Flatten with positive, zero and negative axes", "[shape]") {
  OneNode a("Flatten", 13);
  a.in(DType::F32, {2, 3, 4}).attr_i("axis", -1);
  a.infer();
  CHECK(a.out().shape == Shape{6, 4});
  OneNode b("Flatten", 13);
  b.in(DType::I32, {2, 3, 4}).attr_i("axis", 0);
  b.infer();
  CHECK(b.out().shape == Shape{1, 24});
  OneNode c("Flatten", 13);
  c.in(DType::F32, {2, 3, 4}).attr_i("axis", 4);
  require_error(c, "out of range");
}

TEST_CASE("Squeeze: attribute before opset 13, input from 13, all ones when absent", "[shape]") {
  OneNode a("Squeeze", 11);
  a.in(DType::F32, {1, 3, 1, 2}).attr_ints("axes", {-2});
  a.infer();
  CHECK(a.out().shape == Shape{1, 3, 2});
  OneNode b("Squeeze", 13);
  b.in(DType::F32, {1, 3, 1, 2}).constant(i64s({0}));
  b.infer();
  CHECK(b.out().shape == Shape{3, 1, 2});
  OneNode c("Squeeze", 13);
  c.in(DType::F32, {1, 3, 1, 2});
  c.infer();
  CHECK(c.out().shape == Shape{3, 2});
  OneNode e("Squeeze", 13);
  e.in(DType::F32, {1, 3, 1}).constant(Value(DType::I64, {0}));
  e.infer();
  CHECK(e.out().shape == Shape{3});
  OneNode d("Squeeze", 13);
  d.in(DType::F32, {1, 3}).constant(i64s({1}));
  require_error(d, "not 1");
}

TEST_CASE("Unsqueeze places new axes in the output rank", "[shape]") {
  OneNode a("Unsqueeze", 13);
  a.in(DType::F32, {3, 4}).constant(i64s({-1, 0}));
  a.infer();
  CHECK(a.out().shape == Shape{1, 3, 4, 1});
  OneNode b("Unsqueeze", 11);
  b.in(DType::F32, {3}).attr_ints("axes", {1, 0});
  b.infer();
  CHECK(b.out().shape == Shape{1, 1, 3});
  OneNode c("Unsqueeze", 13);
  c.in(DType::F32, {3}).constant(i64s({0, -3}));  // -3 + 3 == 0
  require_error(c, "repeated");
}

TEST_CASE("Constant from each value attribute; sparse values are rejected", "[shape]") {
  OneNode a("Constant", 13);
  ir::Attribute f;
  f.kind = ir::Attribute::Kind::Floats;
  f.floats = {1.5f, -2.0f};
  a.n->attrs.set("value_floats", f);
  Value v = a.eval();
  CHECK(v.dtype == DType::F32);
  CHECK(as<float>(v) == std::vector<float>{1.5f, -2.0f});
  // The emitted kernel writes the same values (table path).
  CHECK(as<float>(a.run_kernel()) == std::vector<float>{1.5f, -2.0f});

  OneNode b("Constant", 13);
  b.attr_i("value_int", -7);
  Value bi = b.eval();
  CHECK(bi.shape.empty());
  CHECK(as<int64_t>(bi) == std::vector<int64_t>{-7});

  // int64 values beyond 2^53 survive the emitted table exactly.
  OneNode c("Constant", 13);
  const int64_t big = (int64_t(1) << 62) + 1;
  c.attr_t("value", i64s({big, -big, INT64_MIN}));
  CHECK(as<int64_t>(c.run_kernel()) == std::vector<int64_t>{big, -big, INT64_MIN});

  OneNode s("Constant", 13);
  s.attr_t("sparse_value", i64s({1}));
  require_error(s, "sparse");
  OneNode none("Constant", 13);
  require_error(none, "exactly one");
}

TEST_CASE("ConstantOfShape fills with the value attribute (default float 0)", "[shape]") {
  OneNode a("ConstantOfShape", 9);
  a.constant(i64s({2, 3})).attr_t("value", make<int32_t>(DType::I32, {1}, {7}));
  Value v = a.eval();
  CHECK(v.shape == Shape{2, 3});
  CHECK(as<int32_t>(v) == std::vector<int32_t>(6, 7));
  CHECK(as<int32_t>(a.run_kernel()) == std::vector<int32_t>(6, 7));
  OneNode b("ConstantOfShape", 9);
  b.constant(i64s({4}));
  Value bv = b.eval();
  CHECK(bv.dtype == DType::F32);
  CHECK(as<float>(bv) == std::vector<float>(4, 0.0f));
  OneNode c("ConstantOfShape", 9);
  c.constant(i64s({2, -1}));
  require_error(c, "negative");
}

TEST_CASE("Shape and Size only look at the input's shape", "[shape]") {
  OneNode a("Shape", 15);
  a.in(DType::F32, {2, 3, 4, 5}).attr_i("start", -2);
  a.infer();
  CHECK(a.out().shape == Shape{2});
  // The frontend folds Shape with a shape-only Value (no bytes).
  Value shape_only;
  shape_only.dtype = DType::F32;
  shape_only.shape = {2, 3, 4, 5};
  CHECK(as<int64_t>(a.eval({shape_only})) == std::vector<int64_t>{4, 5});
  CHECK(as<int64_t>(a.run_kernel({Value(DType::F32, {2, 3, 4, 5})})) == std::vector<int64_t>{4, 5});
  OneNode e("Shape", 15);
  e.in(DType::F32, {2, 3, 4}).attr_i("start", 5).attr_i("end", 1);
  e.infer();
  CHECK(e.out().shape == Shape{0});
  OneNode s("Size", 13);
  s.in(DType::U8, {2, 3, 4, 5});
  Value sz = s.eval({shape_only});
  CHECK(sz.shape.empty());
  CHECK(as<int64_t>(sz) == std::vector<int64_t>{120});
}

TEST_CASE("Range accumulates delta in the output type", "[shape]") {
  OneNode a("Range", 11);
  a.constant(make<float>(DType::F32, {}, {1.f}))
      .constant(make<float>(DType::F32, {}, {5.f}))
      .constant(make<float>(DType::F32, {}, {1.5f}));
  Value v = a.eval();
  CHECK(as<float>(v) == std::vector<float>{1.f, 2.5f, 4.f});  // ceil((5-1)/1.5) = 3 elements
  OneNode b("Range", 11);
  b.constant(make<int32_t>(DType::I32, {}, {10}))
      .constant(make<int32_t>(DType::I32, {}, {4}))
      .constant(make<int32_t>(DType::I32, {}, {-3}));
  CHECK(as<int32_t>(b.eval()) == std::vector<int32_t>{10, 7});
  CHECK(as<int32_t>(b.run_kernel()) == std::vector<int32_t>{10, 7});
  OneNode c("Range", 11);
  c.constant(make<int32_t>(DType::I32, {}, {0}))
      .constant(make<int32_t>(DType::I32, {}, {4}))
      .constant(make<int32_t>(DType::I32, {}, {0}));
  require_error(c, "delta");
}

TEST_CASE("Expand broadcasts both ways", "[shape]") {
  OneNode a("Expand", 13);
  a.in(DType::F32, {3, 1}).constant(i64s({2, 1, 2}));
  Value x = make<float>(DType::F32, {3, 1}, {1, 2, 3});
  Value v = a.eval({x});
  CHECK(v.shape == Shape{2, 3, 2});
  const std::vector<float> want{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3};
  CHECK(as<float>(v) == want);
  CHECK(as<float>(a.run_kernel({x})) == want);

  // Strided inner copies: [2,1,3] -> [2,2,3] (double), middle dim broadcast.
  OneNode b("Expand", 13);
  b.in(DType::F64, {2, 1, 3}).constant(i64s({2, 3}));
  std::vector<double> xd{0, 1, 2, 3, 4, 5};
  Value xb = make<double>(DType::F64, {2, 1, 3}, xd);
  const std::vector<double> wantb{0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5};
  CHECK(as<double>(b.eval({xb})) == wantb);
  CHECK(as<double>(b.run_kernel({xb})) == wantb);

  OneNode c("Expand", 13);
  c.in(DType::F32, {3}).constant(i64s({2}));
  require_error(c, "broadcast");
}

TEST_CASE("Tile repeats each dimension", "[shape]") {
  OneNode a("Tile", 13);
  a.in(DType::I8, {2, 2}).constant(i64s({2, 3}));
  Value x = make<int8_t>(DType::I8, {2, 2}, {1, 2, 3, -4});
  // rows: [1 2 1 2 1 2], [3 -4 3 -4 3 -4], repeated twice.
  const std::vector<int8_t> want{1, 2, 1, 2, 1, 2, 3, -4, 3, -4, 3, -4,
                                 1, 2, 1, 2, 1, 2, 3, -4, 3, -4, 3, -4};
  Value v = a.eval({x});
  CHECK(v.shape == Shape{4, 6});
  CHECK(as<int8_t>(v) == want);
  CHECK(as<int8_t>(a.run_kernel({x})) == want);
  OneNode b("Tile", 13);
  b.in(DType::F32, {2, 2}).constant(i64s({2}));
  require_error(b, "rank");
}

TEST_CASE("Trilu keeps the upper or lower triangle relative to diagonal k", "[shape]") {
  Value x = make<float>(DType::F32, {3, 3}, iota_f(9));
  OneNode u("Trilu", 14);
  u.in(DType::F32, {3, 3}).constant(make<int64_t>(DType::I64, {}, {1}));
  const std::vector<float> up{0, 1, 2, 0, 0, 5, 0, 0, 0};
  CHECK(as<float>(u.eval({x})) == up);
  CHECK(as<float>(u.run_kernel({x})) == up);
  // Lower triangle with a run-time k = -1, two batches.
  Value x2 = make<float>(DType::F32, {2, 3, 3}, iota_f(18));
  Value k = make<int64_t>(DType::I64, {}, {-1});
  OneNode l("Trilu", 14);
  l.in(DType::F32, {2, 3, 3}).in(DType::I64, {}).attr_i("upper", 0);
  const std::vector<float> lo{0, 0, 0, 3, 0, 0, 6, 7, 0, 0, 0, 0, 12, 0, 0, 15, 16, 0};
  CHECK(as<float>(l.eval({x2, k})) == lo);
  CHECK(as<float>(l.run_kernel({x2, k})) == lo);
  // Extreme k does not overflow: everything kept (upper, k very negative).
  Value kmin = make<int64_t>(DType::I64, {}, {INT64_MIN});
  OneNode e("Trilu", 14);
  e.in(DType::F32, {3, 3}).in(DType::I64, {});
  CHECK(as<float>(e.run_kernel({x, kmin})) == iota_f(9));
  OneNode r("Trilu", 14);
  r.in(DType::F32, {3});
  require_error(r, "rank");
}

TEST_CASE("EyeLike with dtype and off-diagonal k", "[shape]") {
  OneNode a("EyeLike", 9);
  a.in(DType::F32, {3, 4}).attr_i("dtype", 6 /* int32 */).attr_i("k", 1);
  const std::vector<int32_t> want{0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  Value x(DType::F32, {3, 4});
  CHECK(as<int32_t>(a.eval({x})) == want);
  CHECK(as<int32_t>(a.run_kernel({x})) == want);
  OneNode b("EyeLike", 9);
  b.in(DType::F32, {3, 2}).attr_i("k", -1);
  const std::vector<float> wb{0, 0, 1, 0, 0, 1};
  CHECK(as<float>(b.run_kernel({Value(DType::F32, {3, 2})})) == wb);
  OneNode c("EyeLike", 9);
  c.in(DType::F32, {3});
  require_error(c, "2-D");
}

TEST_CASE("OneHot with negative and out-of-range indices", "[shape]") {
  OneNode a("OneHot", 11);
  a.in(DType::I64, {3}).constant(make<float>(DType::F32, {}, {3.f})).in(DType::F32, {2});
  Value idx = make<int64_t>(DType::I64, {3}, {1, -1, 5});
  Value vals = make<float>(DType::F32, {2}, {-1.f, 2.f});
  // Rows: index 1 -> [-1 2 -1]; -1 -> 2 -> [-1 -1 2]; 5 -> all off.
  const std::vector<float> want{-1, 2, -1, -1, -1, 2, -1, -1, -1};
  CHECK(as<float>(a.eval({idx, vals})) == want);
  CHECK(as<float>(a.run_kernel({idx, vals})) == want);
  // axis 0 puts depth first: out[d][i].
  OneNode b("OneHot", 11);
  b.in(DType::F32, {2}).constant(make<int64_t>(DType::I64, {1}, {2})).in(DType::I32, {2}).attr_i("axis", 0);
  Value fi = make<float>(DType::F32, {2}, {1.f, 0.f});
  Value iv = make<int32_t>(DType::I32, {2}, {0, 1});
  const std::vector<int32_t> wb{0, 1, 1, 0};
  CHECK(as<int32_t>(b.eval({fi, iv})) == wb);
  CHECK(as<int32_t>(b.run_kernel({fi, iv})) == wb);
  OneNode c("OneHot", 11);
  c.in(DType::I64, {3}).in(DType::I64, {}).in(DType::F32, {2});
  require_error(c, "compile-time constant");
}

TEST_CASE("NonZero works on constants only", "[shape]") {
  OneNode a("NonZero", 13);
  a.constant(make<float>(DType::F32, {2, 2}, {1, 0, 0, 2}));
  Value v = a.eval();
  CHECK(v.shape == Shape{2, 2});
  CHECK(as<int64_t>(v) == std::vector<int64_t>{0, 1, 0, 1});
  CHECK(as<int64_t>(a.run_kernel()) == std::vector<int64_t>{0, 1, 0, 1});
  OneNode b("NonZero", 13);
  b.in(DType::F32, {2, 2});
  require_error(b, "data-dependent");
}
