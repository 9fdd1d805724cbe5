// Unit tests of the IR: dtypes, broadcasting helpers, graph editing, topological order, printer.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <set>

#include "compiler/ir.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

using namespace tinyaot;

TEST_CASE("dtype sizes and names", "[ir]") {
  CHECK(ir::dtype_size(ir::DType::F32) == 4);
  CHECK(ir::dtype_size(ir::DType::I64) == 8);
  CHECK(ir::dtype_size(ir::DType::Bool) == 1);
  CHECK(std::string(ir::dtype_ctype(ir::DType::I8)) == "int8_t");
}

TEST_CASE("broadcast strides put zeros on broadcast dims", "[ir]") {
  CHECK(ops::broadcast_strides({3, 1}, {2, 3, 4}) == std::vector<int64_t>{0, 1, 0});
  CHECK(ops::strides_of({2, 3, 4}) == std::vector<int64_t>{12, 4, 1});
}

TEST_CASE("topo_sort orders producers first and detects cycles", "[ir]") {
  ir::Graph g;
  auto* x = g.add_tensor("x");
  x->is_graph_input = true;
  auto* a = g.add_tensor("a");
  auto* b = g.add_tensor("b");
  ir::Node* n2 = g.add_node("Relu", "second");
  n2->inputs = {a};
  n2->outputs = {b};
  b->producer = n2;
  ir::Node* n1 = g.add_node("Relu", "first");
  n1->inputs = {x};
  n1->outputs = {a};
  a->producer = n1;
  g.topo_sort();
  CHECK(g.nodes()[0]->name == "first");
  // Close a cycle: first now consumes b.
  n1->inputs = {b};
  CHECK_THROWS_AS(g.topo_sort(), CompileError);
}

TEST_CASE("registry lists every op exactly once", "[ir][registry]") {
  std::set<std::string> seen;
  for (auto& o : all_ops()) {
    std::string key = std::string(o.domain) + "::" + o.name;
    CHECK(seen.insert(key).second);
    CHECK(o.since_opset <= o.max_opset);
    CHECK(find_op(o.domain, o.name) == &o);
  }
  CHECK(find_op("", "NoSuchOp") == nullptr);
}

// Hostile models put values like 1e30 into uint8 attributes; conversions must be defined
// (a plain float-to-integer cast out of range is undefined behaviour; UBSan found it).
TEST_CASE("Value conversions from double saturate and map NaN to zero", "[ir]") {
  using tinyaot::ir::DType;
  using tinyaot::ir::Value;
  Value u8(DType::U8, {3});
  u8.set_f64(0, 1e30);
  u8.set_f64(1, -6.0);
  u8.set_f64(2, std::nan(""));
  CHECK(u8.get_i64(0) == 255);
  CHECK(u8.get_i64(1) == 0);
  CHECK(u8.get_i64(2) == 0);
  Value i64(DType::I64, {2});
  i64.set_f64(0, 1e300);
  i64.set_f64(1, -1e300);
  CHECK(i64.get_i64(0) == INT64_MAX);
  CHECK(i64.get_i64(1) == INT64_MIN);
  Value f(DType::F32, {2});
  f.set_f64(0, 3e38);
  f.set_f64(1, -2.75);
  CHECK(f.get_i64(0) == INT64_MAX);
  CHECK(f.get_i64(1) == -2);  // in range: truncation toward zero, like the C cast
}
