// Per-pass change reporting: the counts each pass reports, the pipeline's records, the
// --print-pass-stats lines and the "passes" array of the --report JSON through the real CLI.
#include <fstream>
#include <sstream>

#include "../unit/test_util.h"
#include "pass_test_util.h"
#include "passes/pipeline.h"

using tinyaot::testing::check_pass;
namespace ir = tinyaot::ir;
namespace passes = tinyaot::passes;

namespace {

const char* kIdentityAndDead = R"(
graph g opset 13 {
  input %x: f32[3]
  %a: f32[3] = Identity(%x)
  %dead: f32[3] = Neg(%a)
  %y: f32[3] = Relu(%a)
  return %y
})";

}  // namespace

TEST_CASE("the pipeline records what each pass changed", "[passes][report]") {
  auto g = ir::parse(kIdentityAndDead);
  tinyaot::Diagnostics diag;
  std::ostringstream dump;
  passes::PipelineOptions po;
  po.passes = {"remove-identity", "remove-dead-nodes", "remove-dead-nodes"};
  auto recs = passes::run_pipeline(*g, po, diag, dump);
  REQUIRE(recs.size() == 3);
  CHECK(recs[0].name == "remove-identity");
  CHECK(recs[0].changed);
  CHECK(recs[0].stats.get("nodes_removed") == 1);
  CHECK(recs[0].nodes_after == 2);
  CHECK(recs[1].stats.get("nodes_removed") == 1);  // the Neg nobody reads
  CHECK(recs[1].nodes_after == 1);
  CHECK_FALSE(recs[2].changed);
  CHECK(recs[2].stats.counts.empty());  // zero counts are not recorded

  CHECK(passes::format_pass_stats(recs, 3) ==
        "pass remove-identity                      3 -> 2     nodes (nodes_removed 1)\n"
        "pass remove-dead-nodes                    2 -> 1     nodes (nodes_removed 1, tensors_removed 1)\n"
        "pass remove-dead-nodes                    1 -> 1     nodes\n");
  CHECK(passes::pass_stats_json(recs, 2) ==
        "[\n"
        "    {\"name\": \"remove-identity\", \"changed\": true, \"counts\": {\"nodes_removed\": 1}, "
        "\"nodes_after\": 2},\n"
        "    {\"name\": \"remove-dead-nodes\", \"changed\": true, \"counts\": {\"nodes_removed\": 1, "
        "\"tensors_removed\": 1}, \"nodes_after\": 1},\n"
        "    {\"name\": \"remove-dead-nodes\", \"changed\": false, \"counts\": {}, \"nodes_after\": 1}\n"
        "  ]");
}

TEST_CASE("passes report their counts through the context", "[passes][report]") {
  auto s = check_pass("remove-identity", kIdentityAndDead, R"(
graph g opset 13 {
  input %x: f32[3]
  %dead: f32[3] = Neg(%x)
  %y: f32[3] = Relu(%x)
  return %y
})");
  CHECK(s.get("nodes_removed") == 1);
  CHECK(s.get("no_such_count") == 0);
}

TEST_CASE("The report JSON has a passes array and --print-pass-stats prints it", "[passes][report][cli]") {
  using namespace tinyaot::testing;
  auto m = make_model();
  add_input(m, "x", {1, 4});
  add_node(m, "Identity", {"x"}, {"a"}, "id1");
  add_node(m, "Relu", {"a"}, {"y"}, "relu1");
  add_output(m, "y", {1, 4});
  TempDir d;
  write_model(m, (d.path / "m.onnx").string());
  auto r = run_tinyaot("compile " + (d.path / "m.onnx").string() + " -o " + (d.path / "out").string() +
                       " --print-pass-stats --report " + (d.path / "r.json").string());
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out,
             Catch::Contains("pass remove-identity                      2 -> 1     nodes (nodes_removed 1)"));
  std::ifstream f(d.path / "r.json");
  std::stringstream ss;
  ss << f.rdbuf();
  CHECK_THAT(ss.str(),
             Catch::Contains("\"passes\": [\n    {\"name\": \"remove-identity\", \"changed\": true, "
                             "\"counts\": {\"nodes_removed\": 1}, \"nodes_after\": 1}"));
  // -O0 runs no pass: the array is present and empty.
  r = run_tinyaot("compile " + (d.path / "m.onnx").string() + " -O0 -o " + (d.path / "out0").string() +
                  " --report " + (d.path / "r0.json").string());
  REQUIRE(r.exit_code == 0);
  std::ifstream f0(d.path / "r0.json");
  std::stringstream s0;
  s0 << f0.rdbuf();
  CHECK_THAT(s0.str(), Catch::Contains("\"passes\": [],"));
}
