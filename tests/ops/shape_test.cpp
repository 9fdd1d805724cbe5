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
#include "op_test_util.h"

using namespace tinyaot;
using namespace tinyaot::optest;
using ir::DType;
using ir::Shape;
using ir::Value;

namespace {

Value i64s(std::vector<int64_t> v) {
  return make(DType::I64, {static_cast<int64_t>(v.size())}, v);
}

// One node in a graph; inputs are run-time tensors of a given type/shape or constants.
struct OneNode : OpTest {
  OneNode(const std::string& op, int opset, const std::string& name = "node") : OpTest(op, opset, 1, name) {}
};

// The error message names the node and op.
void require_error(OneNode& t, const std::string& needle) {
  require_infer_error(t, {t.n->op, "'node'", needle});
}

std::vector<float> iota_f(int n) {
  std::vector<float> v;
  for (int i = 0; i < n; ++i) v.push_back(static_cast<float>(i));
  return v;
}

}  // namespace

TEST_CASE("Reshape: 0 copies, -1 infers, allowzero keeps 0", "[shape]") {
  OneNode t("Reshape", 14);
  t.input(DType::F32, {2, 3, 4}).constant(i64s({0, -1}));
  t.infer();
  CHECK(t.out().shape == Shape{2, 12});

  OneNode z("Reshape", 14);
  z.input(DType::F32, {0, 3}).constant(i64s({3, 0})).attr_int("allowzero", 1);
  z.infer();
  CHECK(z.out().shape == Shape{3, 0});

  // Data moves unchanged, every dtype.
  OneNode b("Reshape", 13);
  b.input(DType::Bool, {2, 2}).constant(i64s({4}));
  Value v = make<uint8_t>(DType::Bool, {2, 2}, {1, 0, 0, 1});
  CHECK(elems<uint8_t>(b.run({v})[0]) == std::vector<uint8_t>{1, 0, 0, 1});
  CHECK(elems<uint8_t>(run_generated(b, {v})) == std::vector<uint8_t>{1, 0, 0, 1});
}

TEST_CASE("Reshape errors name the node", "[shape]") {
  OneNode two("Reshape", 14);
  two.input(DType::F32, {2, 3}).constant(i64s({-1, -1}));
  require_error(two, "more than one -1");
  OneNode bad("Reshape", 14);
  bad.input(DType::F32, {2, 3}).constant(i64s({4, 2}));
  require_error(bad, "cannot reshape");
  OneNode rt("Reshape", 14);
  rt.input(DType::F32, {2, 3}).input(DType::I64, {2});
  require_error(rt, "compile-time constant");
  OneNode az("Reshape", 14);
  az.input(DType::F32, {0, 3}).constant(i64s({0, -1})).attr_int("allowzero", 1);
  require_error(az, "-1 with 0");
}

TEST_CASE("Flatten with positive, zero and negative axes", "[shape]") {
  OneNode a("Flatten", 13);
  a.input(DType::F32, {2, 3, 4}).attr_int("axis", -1);
  a.infer();
  CHECK(a.out().shape == Shape{6, 4});
  OneNode b("Flatten", 13);
  b.input(DType::I32, {2, 3, 4}).attr_int("axis", 0);
  b.infer();
  CHECK(b.out().shape == Shape{1, 24});
  OneNode c("Flatten", 13);
  c.input(DType::F32, {2, 3, 4}).attr_int("axis", 4);
  require_error(c, "out of range");
}

TEST_CASE("Squeeze: attribute before opset 13, input from 13, all ones when absent", "[shape]") {
  OneNode a("Squeeze", 11);
  a.input(DType::F32, {1, 3, 1, 2}).attr_ints("axes", {-2});
  a.infer();
  CHECK(a.out().shape == Shape{1, 3, 2});
  OneNode b("Squeeze", 13);
  b.input(DType::F32, {1, 3, 1, 2}).constant(i64s({0}));
  b.infer();
  CHECK(b.out().shape == Shape{3, 1, 2});
  OneNode c("Squeeze", 13);
  c.input(DType::F32, {1, 3, 1, 2});
  c.infer();
  CHECK(c.out().shape == Shape{3, 2});
  OneNode e("Squeeze", 13);
  e.input(DType::F32, {1, 3, 1}).constant(Value(DType::I64, {0}));
  e.infer();
  CHECK(e.out().shape == Shape{3});
  OneNode d("Squeeze", 13);
  d.input(DType::F32, {1, 3}).constant(i64s({1}));
  require_error(d, "not 1");
}

TEST_CASE("Unsqueeze places new axes in the output rank", "[shape]") {
  OneNode a("Unsqueeze", 13);
  a.input(DType::F32, {3, 4}).constant(i64s({-1, 0}));
  a.infer();
  CHECK(a.out().shape == Shape{1, 3, 4, 1});
  OneNode b("Unsqueeze", 11);
  b.input(DType::F32, {3}).attr_ints("axes", {1, 0});
  b.infer();
  CHECK(b.out().shape == Shape{1, 1, 3});
  OneNode c("Unsqueeze", 13);
  c.input(DType::F32, {3}).constant(i64s({0, -3}));  // -3 + 3 == 0
  require_error(c, "repeated");
}

TEST_CASE("Constant from each value attribute; sparse values are rejected", "[shape]") {
  OneNode a("Constant", 13);
  ir::Attribute f;
  f.kind = ir::Attribute::Kind::Floats;
  f.floats = {1.5f, -2.0f};
  a.n->attrs.set("value_floats", f);
  Value v = a.run()[0];
  CHECK(v.dtype == DType::F32);
  CHECK(elems<float>(v) == std::vector<float>{1.5f, -2.0f});
  // The emitted kernel writes the same values (table path).
  CHECK(elems<float>(run_generated(a)) == std::vector<float>{1.5f, -2.0f});

  OneNode b("Constant", 13);
  b.attr_int("value_int", -7);
  Value bi = b.run()[0];
  CHECK(bi.shape.empty());
  CHECK(elems<int64_t>(bi) == std::vector<int64_t>{-7});

  // int64 values beyond 2^53 survive the emitted table exactly.
  OneNode c("Constant", 13);
  const int64_t big = (int64_t(1) << 62) + 1;
  c.attr_tensor("value", i64s({big, -big, INT64_MIN}));
  CHECK(elems<int64_t>(run_generated(c)) == std::vector<int64_t>{big, -big, INT64_MIN});

  OneNode s("Constant", 13);
  s.attr_tensor("sparse_value", i64s({1}));
  require_error(s, "sparse");
  OneNode none("Constant", 13);
  require_error(none, "exactly one");
}

TEST_CASE("ConstantOfShape fills with the value attribute (default float 0)", "[shape]") {
  OneNode a("ConstantOfShape", 9);
  a.constant(i64s({2, 3})).attr_tensor("value", make<int32_t>(DType::I32, {1}, {7}));
  Value v = a.run()[0];
  CHECK(v.shape == Shape{2, 3});
  CHECK(elems<int32_t>(v) == std::vector<int32_t>(6, 7));
  CHECK(elems<int32_t>(run_generated(a)) == std::vector<int32_t>(6, 7));
  OneNode b("ConstantOfShape", 9);
  b.constant(i64s({4}));
  Value bv = b.run()[0];
  CHECK(bv.dtype == DType::F32);
  CHECK(elems<float>(bv) == std::vector<float>(4, 0.0f));
  OneNode c("ConstantOfShape", 9);
  c.constant(i64s({2, -1}));
  require_error(c, "negative");
}

TEST_CASE("Shape and Size only look at the input's shape", "[shape]") {
  OneNode a("Shape", 15);
  a.input(DType::F32, {2, 3, 4, 5}).attr_int("start", -2);
  a.infer();
  CHECK(a.out().shape == Shape{2});
  // The frontend folds Shape with a shape-only Value (no bytes).
  Value shape_only;
  shape_only.dtype = DType::F32;
  shape_only.shape = {2, 3, 4, 5};
  CHECK(elems<int64_t>(a.run({shape_only})[0]) == std::vector<int64_t>{4, 5});
  CHECK(elems<int64_t>(run_generated(a, {Value(DType::F32, {2, 3, 4, 5})})) == std::vector<int64_t>{4, 5});
  OneNode e("Shape", 15);
  e.input(DType::F32, {2, 3, 4}).attr_int("start", 5).attr_int("end", 1);
  e.infer();
  CHECK(e.out().shape == Shape{0});
  OneNode s("Size", 13);
  s.input(DType::U8, {2, 3, 4, 5});
  Value sz = s.run({shape_only})[0];
  CHECK(sz.shape.empty());
  CHECK(elems<int64_t>(sz) == std::vector<int64_t>{120});
}

TEST_CASE("Range accumulates delta in the output type", "[shape]") {
  OneNode a("Range", 11);
  a.constant(make<float>(DType::F32, {}, {1.f}))
      .constant(make<float>(DType::F32, {}, {5.f}))
      .constant(make<float>(DType::F32, {}, {1.5f}));
  Value v = a.run()[0];
  CHECK(elems<float>(v) == std::vector<float>{1.f, 2.5f, 4.f});  // ceil((5-1)/1.5) = 3 elements
  OneNode b("Range", 11);
  b.constant(make<int32_t>(DType::I32, {}, {10}))
      .constant(make<int32_t>(DType::I32, {}, {4}))
      .constant(make<int32_t>(DType::I32, {}, {-3}));
  CHECK(elems<int32_t>(b.run()[0]) == std::vector<int32_t>{10, 7});
  CHECK(elems<int32_t>(run_generated(b)) == std::vector<int32_t>{10, 7});
  OneNode c("Range", 11);
  c.constant(make<int32_t>(DType::I32, {}, {0}))
      .constant(make<int32_t>(DType::I32, {}, {4}))
      .constant(make<int32_t>(DType::I32, {}, {0}));
  require_error(c, "delta");
}

TEST_CASE("Expand broadcasts both ways", "[shape]") {
  OneNode a("Expand", 13);
  a.input(DType::F32, {3, 1}).constant(i64s({2, 1, 2}));
  Value x = make<float>(DType::F32, {3, 1}, {1, 2, 3});
  Value v = a.run({x})[0];
  CHECK(v.shape == Shape{2, 3, 2});
  const std::vector<float> want{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3};
  CHECK(elems<float>(v) == want);
  CHECK(elems<float>(run_generated(a, {x})) == want);

  // Strided inner copies: [2,1,3] -> [2,2,3] (double), middle dim broadcast.
  OneNode b("Expand", 13);
  b.input(DType::F64, {2, 1, 3}).constant(i64s({2, 3}));
  std::vector<double> xd{0, 1, 2, 3, 4, 5};
  Value xb = make<double>(DType::F64, {2, 1, 3}, xd);
  const std::vector<double> wantb{0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5};
  CHECK(elems<double>(b.run({xb})[0]) == wantb);
  CHECK(elems<double>(run_generated(b, {xb})) == wantb);

  OneNode c("Expand", 13);
  c.input(DType::F32, {3}).constant(i64s({2}));
  require_error(c, "broadcast");
}

TEST_CASE("Tile repeats each dimension", "[shape]") {
  OneNode a("Tile", 13);
  a.input(DType::I8, {2, 2}).constant(i64s({2, 3}));
  Value x = make<int8_t>(DType::I8, {2, 2}, {1, 2, 3, -4});
  // rows: [1 2 1 2 1 2], [3 -4 3 -4 3 -4], repeated twice.
  const std::vector<int8_t> want{1, 2, 1, 2, 1, 2, 3, -4, 3, -4, 3, -4,
                                 1, 2, 1, 2, 1, 2, 3, -4, 3, -4, 3, -4};
  Value v = a.run({x})[0];
  CHECK(v.shape == Shape{4, 6});
  CHECK(elems<int8_t>(v) == want);
  CHECK(elems<int8_t>(run_generated(a, {x})) == want);
  OneNode b("Tile", 13);
  b.input(DType::F32, {2, 2}).constant(i64s({2}));
  require_error(b, "rank");
}

TEST_CASE("Trilu keeps the upper or lower triangle relative to diagonal k", "[shape]") {
  Value x = make<float>(DType::F32, {3, 3}, iota_f(9));
  OneNode u("Trilu", 14);
  u.input(DType::F32, {3, 3}).constant(make<int64_t>(DType::I64, {}, {1}));
  const std::vector<float> up{0, 1, 2, 0, 0, 5, 0, 0, 0};
  CHECK(elems<float>(u.run({x})[0]) == up);
  CHECK(elems<float>(run_generated(u, {x})) == up);
  // Lower triangle with a run-time k = -1, two batches.
  Value x2 = make<float>(DType::F32, {2, 3, 3}, iota_f(18));
  Value k = make<int64_t>(DType::I64, {}, {-1});
  OneNode l("Trilu", 14);
  l.input(DType::F32, {2, 3, 3}).input(DType::I64, {}).attr_int("upper", 0);
  const std::vector<float> lo{0, 0, 0, 3, 0, 0, 6, 7, 0, 0, 0, 0, 12, 0, 0, 15, 16, 0};
  CHECK(elems<float>(l.run({x2, k})[0]) == lo);
  CHECK(elems<float>(run_generated(l, {x2, k})) == lo);
  // Extreme k does not overflow: everything kept (upper, k very negative).
  Value kmin = make<int64_t>(DType::I64, {}, {INT64_MIN});
  OneNode e("Trilu", 14);
  e.input(DType::F32, {3, 3}).input(DType::I64, {});
  CHECK(elems<float>(run_generated(e, {x, kmin})) == iota_f(9));
  OneNode r("Trilu", 14);
  r.input(DType::F32, {3});
  require_error(r, "rank");
}

TEST_CASE("EyeLike with dtype and off-diagonal k", "[shape]") {
  OneNode a("EyeLike", 9);
  a.input(DType::F32, {3, 4}).attr_int("dtype", 6 /* int32 */).attr_int("k", 1);
  const std::vector<int32_t> want{0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  Value x(DType::F32, {3, 4});
  CHECK(elems<int32_t>(a.run({x})[0]) == want);
  CHECK(elems<int32_t>(run_generated(a, {x})) == want);
  OneNode b("EyeLike", 9);
  b.input(DType::F32, {3, 2}).attr_int("k", -1);
  const std::vector<float> wb{0, 0, 1, 0, 0, 1};
  CHECK(elems<float>(run_generated(b, {Value(DType::F32, {3, 2})})) == wb);
  OneNode c("EyeLike", 9);
  c.input(DType::F32, {3});
  require_error(c, "2-D");
}

TEST_CASE("OneHot with negative and out-of-range indices", "[shape]") {
  OneNode a("OneHot", 11);
  a.input(DType::I64, {3}).constant(make<float>(DType::F32, {}, {3.f})).input(DType::F32, {2});
  Value idx = make<int64_t>(DType::I64, {3}, {1, -1, 5});
  Value vals = make<float>(DType::F32, {2}, {-1.f, 2.f});
  // Rows: index 1 -> [-1 2 -1]; -1 -> 2 -> [-1 -1 2]; 5 -> all off.
  const std::vector<float> want{-1, 2, -1, -1, -1, 2, -1, -1, -1};
  CHECK(elems<float>(a.run({idx, vals})[0]) == want);
  CHECK(elems<float>(run_generated(a, {idx, vals})) == want);
  // axis 0 puts depth first: out[d][i].
  OneNode b("OneHot", 11);
  b.input(DType::F32, {2})
      .constant(make<int64_t>(DType::I64, {1}, {2}))
      .input(DType::I32, {2})
      .attr_int("axis", 0);
  Value fi = make<float>(DType::F32, {2}, {1.f, 0.f});
  Value iv = make<int32_t>(DType::I32, {2}, {0, 1});
  const std::vector<int32_t> wb{0, 1, 1, 0};
  CHECK(elems<int32_t>(b.run({fi, iv})[0]) == wb);
  CHECK(elems<int32_t>(run_generated(b, {fi, iv})) == wb);
  OneNode c("OneHot", 11);
  c.input(DType::I64, {3}).input(DType::I64, {}).input(DType::F32, {2});
  require_error(c, "compile-time constant");
}

TEST_CASE("NonZero works on constants only", "[shape]") {
  OneNode a("NonZero", 13);
  a.constant(make<float>(DType::F32, {2, 2}, {1, 0, 0, 2}));
  Value v = a.run()[0];
  CHECK(v.shape == Shape{2, 2});
  CHECK(elems<int64_t>(v) == std::vector<int64_t>{0, 1, 0, 1});
  CHECK(elems<int64_t>(run_generated(a)) == std::vector<int64_t>{0, 1, 0, 1});
  OneNode b("NonZero", 13);
  b.input(DType::F32, {2, 2});
  require_error(b, "data-dependent");
}
