// Unit tests of the layout family: reference evaluation against hand-derived values, inference
// errors naming the node, and the shape of the emitted kernels (memcpy runs, merged loops).
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <memory>

#include "codegen/kernel_ctx.h"
#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "compiler/ops/registry.h"
#include "op_test_util.h"

using namespace tinyaot;
using namespace tinyaot::optest;
using Catch::Matchers::Contains;
using ir::DType;
using ir::Value;

namespace {

Value iota_f32(ir::Shape s) {
  Value r(DType::F32, std::move(s));
  for (int64_t i = 0; i < r.numel(); ++i) r.data<float>()[i] = static_cast<float>(i);
  return r;
}

const int64_t kMax = std::numeric_limits<int64_t>::max();
const int64_t kMin = std::numeric_limits<int64_t>::min();

}  // namespace

TEST_CASE("Transpose reverses dimensions by default and follows perm", "[layout]") {
  // x = [[0 1 2] [3 4 5]] -> x^T = [[0 3] [1 4] [2 5]]
  auto y = OpTest("Transpose", 13).input(iota_f32({2, 3})).run();
  CHECK(y[0].shape == ir::Shape{3, 2});
  CHECK(elems<float>(y[0]) == std::vector<float>{0, 3, 1, 4, 2, 5});
  // x (2x2x3): x[i][j][k] = 6i + 3j + k; perm (2,0,1) gives y[k][i][j] = x[i][j][k].
  auto z = OpTest("Transpose", 13).input(iota_f32({2, 2, 3})).attr_ints("perm", {2, 0, 1}).run();
  CHECK(z[0].shape == ir::Shape{3, 2, 2});
  CHECK(elems<float>(z[0]) == std::vector<float>{0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11});
}

TEST_CASE("Transpose rejects a bad perm naming the node", "[layout]") {
  OpTest t("Transpose", 13);
  t.input(iota_f32({2, 3})).attr_ints("perm", {0, 0});
  CHECK_THROWS_WITH(t.infer(), Contains("node_under_test") && Contains("perm"));
  OpTest u("Transpose", 13);
  u.input(iota_f32({2, 3})).attr_ints("perm", {1, 0, 2});
  CHECK_THROWS_AS(u.infer(), CompileError);
}

TEST_CASE("Transpose kernels merge adjacent dims and memcpy preserved inner runs", "[layout]") {
  // (1,0,2) keeps the innermost dim: one memcpy per (i, j) of 4 floats.
  std::string a = OpTest("Transpose", 13).input(iota_f32({2, 3, 4})).attr_ints("perm", {1, 0, 2}).emit();
  CHECK_THAT(a, Contains("memcpy") && Contains("4 * sizeof(float)"));
  // (0,2,1) moves it: element copies, no memcpy.
  std::string b = OpTest("Transpose", 13).input(iota_f32({2, 3, 4})).attr_ints("perm", {0, 2, 1}).emit();
  CHECK_THAT(b, !Contains("memcpy"));
  // (0,1,2) is the identity after merging: a single memcpy, no loop.
  std::string c = OpTest("Transpose", 13).input(iota_f32({2, 3, 4})).attr_ints("perm", {0, 1, 2}).emit();
  CHECK_THAT(c, Contains("memcpy(y0, x0, 24 * sizeof(float))") && !Contains("for ("));
  // (2,0,1) on (2,3,4): dims 0 and 1 stay adjacent, so only two loop levels are needed.
  std::string d = OpTest("Transpose", 13).input(iota_f32({2, 3, 4})).attr_ints("perm", {2, 0, 1}).emit();
  CHECK_THAT(d, Contains("< 6;") && !Contains("i1"));
}

TEST_CASE("Concat handles negative axis, zero-size inputs and several inputs", "[layout]") {
  // a = [[0 1] [2 3]], b = 2x0, c = [[10] [11]] along axis -1 -> [[0 1 10] [2 3 11]].
  auto y = OpTest("Concat", 13)
               .input(i32({2, 2}, {0, 1, 2, 3}))
               .input(i32({2, 0}, {}))
               .constant(i32({2, 1}, {10, 11}))
               .attr_int("axis", -1)
               .run();
  CHECK(y[0].shape == ir::Shape{2, 3});
  CHECK(elems<int32_t>(y[0]) == std::vector<int32_t>{0, 1, 10, 2, 3, 11});
  OpTest bad("Concat", 13);
  bad.input(i32({2, 2}, {0, 1, 2, 3})).input(i32({3, 1}, {0, 0, 0})).attr_int("axis", 1);
  CHECK_THROWS_WITH(bad.infer(), Contains("node_under_test"));
  OpTest noaxis("Concat", 13);
  noaxis.input(i32({1}, {1}));
  CHECK_THROWS_WITH(noaxis.infer(), Contains("axis"));
}

TEST_CASE("Split: attribute, input, equal parts and opset-18 num_outputs", "[layout]") {
  // opset 11 attribute: [0..5] -> [0 1] [2 3 4 5]
  auto a = OpTest("Split", 11, 2).input(iota_f32({6})).attr_ints("split", {2, 4}).run();
  CHECK(elems<float>(a[0]) == std::vector<float>{0, 1});
  CHECK(elems<float>(a[1]) == std::vector<float>{2, 3, 4, 5});
  // opset 13 constant input on axis 1 of a 2x3: [[0 1 2] [3 4 5]] -> [[0] [3]] and [[1 2] [4 5]]
  auto b =
      OpTest("Split", 13, 2).input(iota_f32({2, 3})).constant(i64({2}, {1, 2})).attr_int("axis", -1).run();
  CHECK(b[0].shape == ir::Shape{2, 1});
  CHECK(elems<float>(b[0]) == std::vector<float>{0, 3});
  CHECK(elems<float>(b[1]) == std::vector<float>{1, 2, 4, 5});
  // opset 18 num_outputs=3 on 7 elements: ceil(7/3)=3 -> 3, 3, 1
  auto c = OpTest("Split", 18, 3).input(iota_f32({7})).attr_int("num_outputs", 3).run();
  CHECK(c[0].shape == ir::Shape{3});
  CHECK(c[1].shape == ir::Shape{3});
  CHECK(elems<float>(c[2]) == std::vector<float>{6});
  // no split: equal parts
  auto d = OpTest("Split", 13, 3).input(iota_f32({3, 2})).run();
  CHECK(elems<float>(d[1]) == std::vector<float>{2, 3});
  OpTest sum("Split", 13, 2);
  sum.input(iota_f32({6})).constant(i64({2}, {2, 3}));
  CHECK_THROWS_WITH(sum.infer(), Contains("node_under_test") && Contains("add up"));
  OpTest uneven("Split", 13, 4);
  uneven.input(iota_f32({6}));
  CHECK_THROWS_AS(uneven.infer(), CompileError);
  OpTest rt("Split", 13, 2);
  rt.input(iota_f32({6})).input(i64({2}, {3, 3}));
  CHECK_THROWS_WITH(rt.infer(), Contains("constant"));
}

TEST_CASE("Slice: negative steps, clamping and INT64 sentinels", "[layout]") {
  // x = 0..9; starts=-1, ends=INT64_MIN, step=-3 -> indices 9, 6, 3, 0
  auto a = OpTest("Slice", 13)
               .input(iota_f32({10}))
               .constant(i64({1}, {-1}))
               .constant(i64({1}, {kMin}))
               .omitted()
               .constant(i64({1}, {-3}))
               .run();
  CHECK(elems<float>(a[0]) == std::vector<float>{9, 6, 3, 0});
  // 3x4 = [[0..3] [4..7] [8..11]]; axis 1: start -100 (-> 0), end INT64_MAX (-> 4), step 2 -> cols 0, 2;
  // axis 0: start 1, end 1000 -> rows 1, 2.
  auto b = OpTest("Slice", 13)
               .input(iota_f32({3, 4}))
               .constant(i64({2}, {-100, 1}))
               .constant(i64({2}, {kMax, 1000}))
               .constant(i64({2}, {1, 0}))
               .constant(i64({2}, {2, 1}))
               .run();
  CHECK(b[0].shape == ir::Shape{2, 2});
  CHECK(elems<float>(b[0]) == std::vector<float>{4, 6, 8, 10});
  // start past the end yields an empty dimension.
  auto c = OpTest("Slice", 13).input(iota_f32({3, 4})).constant(i64({1}, {5})).constant(i64({1}, {7})).run();
  CHECK(c[0].shape == ir::Shape{0, 4});
  // opset < 10 uses attributes: rows 1..2, cols -2..end -> [[6 7] [10 11]]
  auto d = OpTest("Slice", 9)
               .input(iota_f32({3, 4}))
               .attr_ints("starts", {1, -2})
               .attr_ints("ends", {3, kMax})
               .attr_ints("axes", {0, 1})
               .run();
  CHECK(elems<float>(d[0]) == std::vector<float>{6, 7, 10, 11});
  // int32 starts/ends/steps are accepted; a huge negative step picks one element.
  auto e = OpTest("Slice", 13)
               .input(iota_f32({5}))
               .constant(i32({1}, {3}))
               .constant(i32({1}, {-10}))
               .omitted()
               .constant(i32({1}, {-2147483647}))
               .run();
  CHECK(elems<float>(e[0]) == std::vector<float>{3});
  OpTest zero("Slice", 13);
  zero.input(iota_f32({5})).constant(i64({1}, {0})).constant(i64({1}, {5})).omitted().constant(i64({1}, {0}));
  CHECK_THROWS_WITH(zero.infer(), Contains("node_under_test") && Contains("step"));
  OpTest rt("Slice", 13);
  rt.input(iota_f32({5})).input(i64({1}, {0})).constant(i64({1}, {5}));
  CHECK_THROWS_WITH(rt.infer(), Contains("compile-time constant"));
  OpTest dup("Slice", 13);
  dup.input(iota_f32({5, 5}))
      .constant(i64({2}, {0, 0}))
      .constant(i64({2}, {1, 1}))
      .constant(i64({2}, {1, -1}));
  CHECK_THROWS_WITH(dup.infer(), Contains("more than once"));
}

TEST_CASE("Gather wraps negative indices, run-time and constant", "[layout]") {
  // data 3x2 = [[0 1] [2 3] [4 5]], axis 0, indices [[-1 0]] -> shape 1x2x2 = [[[4 5] [0 1]]]
  auto a = OpTest("Gather", 13).input(iota_f32({3, 2})).input(i64({1, 2}, {-1, 0})).run();
  CHECK(a[0].shape == ir::Shape{1, 2, 2});
  CHECK(elems<float>(a[0]) == std::vector<float>{4, 5, 0, 1});
  // axis -1 with int32 indices [1, -2, 1] -> rows [1 0 1], [3 2 3], [5 4 5]
  auto b =
      OpTest("Gather", 13).input(iota_f32({3, 2})).constant(i32({3}, {1, -2, 1})).attr_int("axis", -1).run();
  CHECK(b[0].shape == ir::Shape{3, 3});
  CHECK(elems<float>(b[0]) == std::vector<float>{1, 0, 1, 3, 2, 3, 5, 4, 5});
  // scalar index removes the axis: data[:, 1]
  auto c = OpTest("Gather", 13).input(iota_f32({3, 2})).constant(i64({}, {1})).attr_int("axis", 1).run();
  CHECK(c[0].shape == ir::Shape{3});
  CHECK(elems<float>(c[0]) == std::vector<float>{1, 3, 5});
  OpTest oob("Gather", 13);
  oob.input(iota_f32({3, 2})).constant(i64({1}, {3}));
  CHECK_THROWS_WITH(oob.infer(), Contains("node_under_test") && Contains("out of range"));
  OpTest fl("Gather", 13);
  fl.input(iota_f32({3, 2})).input(iota_f32({1}));
  CHECK_THROWS_AS(fl.infer(), CompileError);
  // Run-time indices are wrapped and clamped in the kernel.
  std::string k = OpTest("Gather", 13).input(iota_f32({3, 2})).input(i64({2}, {0, 1})).emit();
  CHECK_THAT(k, Contains("+= 3") && Contains(">= 3 ? 2"));
}

TEST_CASE("GatherElements and GatherND", "[layout]") {
  // data 2x3 = [[0 1 2] [3 4 5]], axis 1, indices [[2 -3] [0 1]] -> [[2 0] [3 4]]
  auto a = OpTest("GatherElements", 13)
               .input(iota_f32({2, 3}))
               .input(i64({2, 2}, {2, -3, 0, 1}))
               .attr_int("axis", 1)
               .run();
  CHECK(elems<float>(a[0]) == std::vector<float>{2, 0, 3, 4});
  // axis 0, indices [[1 0 1]] -> [[3 1 5]]
  auto b = OpTest("GatherElements", 13).input(iota_f32({2, 3})).input(i32({1, 3}, {1, 0, 1})).run();
  CHECK(elems<float>(b[0]) == std::vector<float>{3, 1, 5});
  // GatherND: data 2x2x2 = 0..7, indices [[1 0] [0 -1]] -> [data[1][0], data[0][1]] = [[4 5] [2 3]]
  auto c = OpTest("GatherND", 13).input(iota_f32({2, 2, 2})).input(i64({2, 2}, {1, 0, 0, -1})).run();
  CHECK(c[0].shape == ir::Shape{2, 2});
  CHECK(elems<float>(c[0]) == std::vector<float>{4, 5, 2, 3});
  // batch_dims 1: indices [[1] [0]] -> [data[0][1], data[1][0]] = [[2 3] [4 5]]
  auto d = OpTest("GatherND", 13)
               .input(iota_f32({2, 2, 2}))
               .input(i64({2, 1}, {1, 0}))
               .attr_int("batch_dims", 1)
               .run();
  CHECK(elems<float>(d[0]) == std::vector<float>{2, 3, 4, 5});
  OpTest bad("GatherND", 13);
  bad.input(iota_f32({2, 2})).input(i64({1, 3}, {0, 0, 0}));
  CHECK_THROWS_WITH(bad.infer(), Contains("node_under_test"));
}

TEST_CASE("ScatterElements and ScatterND with reductions", "[layout]") {
  // data zeros 1x3, indices [[1 1 -1]], updates [[1 2 3]], add -> [0, 3, 3]
  auto a = OpTest("ScatterElements", 16)
               .input(f32({1, 3}, {0, 0, 0}))
               .input(i64({1, 3}, {1, 1, -1}))
               .input(f32({1, 3}, {1, 2, 3}))
               .attr_int("axis", 1)
               .attr_str("reduction", "add")
               .run();
  CHECK(elems<float>(a[0]) == std::vector<float>{0, 3, 3});
  // none: later updates win, other elements keep data: data [5 6 7], idx [2 0], upd [8 9] -> [9 6 8]
  auto b = OpTest("ScatterElements", 13)
               .input(i32({3}, {5, 6, 7}))
               .input(i64({2}, {2, 0}))
               .input(i32({2}, {8, 9}))
               .run();
  CHECK(elems<int32_t>(b[0]) == std::vector<int32_t>{9, 6, 8});
  // int32 mul wraps instead of overflowing: 65536 * 65536 = 2^32 -> 0
  auto c = OpTest("ScatterElements", 16)
               .input(i32({1}, {65536}))
               .input(i64({1}, {0}))
               .input(i32({1}, {65536}))
               .attr_str("reduction", "mul")
               .run();
  CHECK(elems<int32_t>(c[0]) == std::vector<int32_t>{0});
  // ScatterND: data 3x2 zeros, indices [[2] [0]], updates [[1 2] [3 4]] -> [[3 4] [0 0] [1 2]]
  auto d = OpTest("ScatterND", 13)
               .input(f32({3, 2}, {0, 0, 0, 0, 0, 0}))
               .input(i64({2, 1}, {2, 0}))
               .input(f32({2, 2}, {1, 2, 3, 4}))
               .run();
  CHECK(elems<float>(d[0]) == std::vector<float>{3, 4, 0, 0, 1, 2});
  // max reduction needs opset 18
  OpTest old("ScatterND", 16);
  old.input(f32({1}, {0})).input(i64({1, 1}, {0})).input(f32({1}, {1})).attr_str("reduction", "max");
  CHECK_THROWS_WITH(old.infer(), Contains("node_under_test") && Contains("18"));
  auto e = OpTest("ScatterND", 18)
               .input(f32({2}, {5, 5}))
               .input(i64({2, 1}, {0, 1}))
               .input(f32({2}, {7, 1}))
               .attr_str("reduction", "max")
               .run();
  CHECK(elems<float>(e[0]) == std::vector<float>{7, 5});
}

TEST_CASE("Pad: constant, reflect, edge, negative pads, attributes and axes", "[layout]") {
  // x = [1 2 3]; pads (2, 1)
  // constant 9: [9 9 1 2 3 9]; reflect: [3 2 1 2 3 2]; edge: [1 1 1 2 3 3]
  auto x = f32({3}, {1, 2, 3});
  auto c = OpTest("Pad", 13).input(x).constant(i64({2}, {2, 1})).constant(f32({}, {9})).run();
  CHECK(elems<float>(c[0]) == std::vector<float>{9, 9, 1, 2, 3, 9});
  auto r = OpTest("Pad", 13).input(x).constant(i64({2}, {2, 1})).attr_str("mode", "reflect").run();
  CHECK(elems<float>(r[0]) == std::vector<float>{3, 2, 1, 2, 3, 2});
  auto e = OpTest("Pad", 13).input(x).constant(i64({2}, {2, 1})).attr_str("mode", "edge").run();
  CHECK(elems<float>(e[0]) == std::vector<float>{1, 1, 1, 2, 3, 3});
  // negative begin crops first: [2 3] then edge-pad 2 at the end -> [2 3 3 3]
  auto n = OpTest("Pad", 13).input(x).constant(i64({2}, {-1, 2})).attr_str("mode", "edge").run();
  CHECK(elems<float>(n[0]) == std::vector<float>{2, 3, 3, 3});
  // reflect by 1 at the start: [2 1 2 3]
  auto r1 = OpTest("Pad", 13).input(x).constant(i64({2}, {1, 0})).attr_str("mode", "reflect").run();
  CHECK(elems<float>(r1[0]) == std::vector<float>{2, 1, 2, 3});
  // crop then reflect: [2 3] reflected by 2 at the end -> [2 3 2 3]
  auto rn = OpTest("Pad", 13).input(x).constant(i64({2}, {-1, 2})).attr_str("mode", "reflect").run();
  CHECK(elems<float>(rn[0]) == std::vector<float>{2, 3, 2, 3});
  // opset 7 attributes on 2x2 [[1 2] [3 4]]: pads (1,0,0,1) value 5 -> [[5 5 5] [1 2 5] [3 4 5]]
  auto a = OpTest("Pad", 7)
               .input(f32({2, 2}, {1, 2, 3, 4}))
               .attr_ints("pads", {1, 0, 0, 1})
               .attr_float("value", 5)
               .run();
  CHECK(a[0].shape == ir::Shape{3, 3});
  CHECK(elems<float>(a[0]) == std::vector<float>{5, 5, 5, 1, 2, 5, 3, 4, 5});
  // opset 18 axes: pad only axis -1 by (0, 1) -> [[1 2 0] [3 4 0]]
  auto ax = OpTest("Pad", 18)
                .input(f32({2, 2}, {1, 2, 3, 4}))
                .constant(i64({2}, {0, 1}))
                .omitted()
                .constant(i64({1}, {-1}))
                .run();
  CHECK(elems<float>(ax[0]) == std::vector<float>{1, 2, 0, 3, 4, 0});
  // int types take the constant through the attribute's float: 7.0 -> 7
  auto it = OpTest("Pad", 7).input(i32({1}, {4})).attr_ints("pads", {1, 1}).attr_float("value", 7).run();
  CHECK(elems<int32_t>(it[0]) == std::vector<int32_t>{7, 4, 7});
  // Constant kernel: padded rows are filled once (memset for zero), kept rows memcpy'd; no
  // whole-output fill followed by a second pass.
  std::string k = OpTest("Pad", 13).input(iota_f32({2, 3})).constant(i64({4}, {1, 0, 0, 0})).emit();
  CHECK_THAT(k, Contains("memset(d0, 0, 3 * sizeof(float))") && Contains("memcpy") && !Contains("< 9;"));
  OpTest len("Pad", 13);
  len.input(x).constant(i64({3}, {1, 1, 1}));
  CHECK_THROWS_WITH(len.infer(), Contains("node_under_test") && Contains("pads"));
  OpTest wrap("Pad", 13);
  wrap.input(x).constant(i64({2}, {1, 1})).attr_str("mode", "wrap");
  CHECK_THROWS_WITH(wrap.infer(), Contains("wrap"));
  OpTest crop("Pad", 13);
  crop.input(x).constant(i64({2}, {-2, -2}));
  CHECK_THROWS_WITH(crop.infer(), Contains("crop"));
}

TEST_CASE("DepthToSpace DCR/CRD and SpaceToDepth", "[layout]") {
  // x: 1x4x1x1 = [0 1 2 3], b=2. DCR: channel = (b1*2 + b2)*C' + c -> y[0][0][h][w] = x[2h + w].
  auto dcr = OpTest("DepthToSpace", 13).input(iota_f32({1, 4, 1, 1})).attr_int("blocksize", 2).run();
  CHECK(dcr[0].shape == ir::Shape{1, 1, 2, 2});
  CHECK(elems<float>(dcr[0]) == std::vector<float>{0, 1, 2, 3});
  // x: 1x8x1x1, b=2, C'=2. DCR: y[c][h][w] = x[(2h + w) * 2 + c]; CRD: y[c][h][w] = x[c * 4 + 2h + w].
  auto d2 = OpTest("DepthToSpace", 13).input(iota_f32({1, 8, 1, 1})).attr_int("blocksize", 2).run();
  CHECK(elems<float>(d2[0]) == std::vector<float>{0, 2, 4, 6, 1, 3, 5, 7});
  auto crd = OpTest("DepthToSpace", 13)
                 .input(iota_f32({1, 8, 1, 1}))
                 .attr_int("blocksize", 2)
                 .attr_str("mode", "CRD")
                 .run();
  CHECK(elems<float>(crd[0]) == std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7});
  // SpaceToDepth 1x1x2x2 [[0 1] [2 3]] -> 1x4x1x1: channel (b1*2 + b2) = x[b1][b2]
  auto s = OpTest("SpaceToDepth", 13).input(f32({1, 1, 2, 2}, {0, 1, 2, 3})).attr_int("blocksize", 2).run();
  CHECK(s[0].shape == ir::Shape{1, 4, 1, 1});
  CHECK(elems<float>(s[0]) == std::vector<float>{0, 1, 2, 3});
  // 1x2x2x2: x[c][h][w] = 4c + 2h + w -> y[(2h+w)*2 + c] = 4c + 2h + w
  auto s2 = OpTest("SpaceToDepth", 13).input(iota_f32({1, 2, 2, 2})).attr_int("blocksize", 2).run();
  CHECK(elems<float>(s2[0]) == std::vector<float>{0, 4, 1, 5, 2, 6, 3, 7});
  OpTest bad("DepthToSpace", 13);
  bad.input(iota_f32({1, 3, 1, 1})).attr_int("blocksize", 2);
  CHECK_THROWS_WITH(bad.infer(), Contains("node_under_test") && Contains("divisible"));
  OpTest bad2("SpaceToDepth", 13);
  bad2.input(iota_f32({1, 1, 3, 2})).attr_int("blocksize", 2);
  CHECK_THROWS_AS(bad2.infer(), CompileError);
}

TEST_CASE("ReverseSequence reverses the first len steps of each batch", "[layout]") {
  // time-major 3x2 (T=3, B=2): x[t][b] = 2t + b = [[0 1] [2 3] [4 5]], lens [3, 1]
  // batch 0 reversed fully: 4, 2, 0; batch 1 unchanged: 1, 3, 5 -> [[4 1] [2 3] [0 5]]
  auto y = OpTest("ReverseSequence", 10).input(iota_f32({3, 2})).input(i64({2}, {3, 1})).run();
  CHECK(elems<float>(y[0]) == std::vector<float>{4, 1, 2, 3, 0, 5});
  // batch-major 2x3: [[0 1 2] [3 4 5]], lens [2, 0] -> [[1 0 2] [3 4 5]]
  auto z = OpTest("ReverseSequence", 10)
               .input(iota_f32({2, 3}))
               .input(i64({2}, {2, 0}))
               .attr_int("batch_axis", 0)
               .attr_int("time_axis", 1)
               .run();
  CHECK(elems<float>(z[0]) == std::vector<float>{1, 0, 2, 3, 4, 5});
  OpTest bad("ReverseSequence", 10);
  bad.input(iota_f32({3, 2})).input(i64({3}, {1, 1, 1}));
  CHECK_THROWS_WITH(bad.infer(), Contains("node_under_test") && Contains("sequence_lens"));
}

TEST_CASE("Data movement works on non-float types bit-exactly", "[layout]") {
  Value b(DType::Bool, {2, 2});
  b.data<uint8_t>()[0] = 1;
  b.data<uint8_t>()[3] = 1;  // [[1 0] [0 1]] -> transpose equal; slice row 1 -> [0 1]
  auto t = OpTest("Transpose", 13).input(b).run();
  CHECK(t[0].dtype == DType::Bool);
  CHECK(elems<uint8_t>(t[0]) == std::vector<uint8_t>{1, 0, 0, 1});
  // int64 values beyond 2^53 survive Concat unchanged.
  const int64_t big = (int64_t(1) << 62) + 1;
  auto c = OpTest("Concat", 13).input(i64({1}, {big})).input(i64({1}, {-big})).attr_int("axis", 0).run();
  CHECK(elems<int64_t>(c[0]) == std::vector<int64_t>{big, -big});
}
