// Bad input and usage through the real CLI: clear message, exit 1 for a bad model, exit 2 for
// bad usage, and no files written to the output folder.
#include <catch2/catch.hpp>

#include <fstream>

#include "test_util.h"

using namespace tinyaot::testing;

namespace {

// A valid model: y = Relu(x) with x: float[1,4].
onnx::ModelProto relu_model() {
  auto m = make_model();
  add_input(m, "x", {1, 4});
  add_node(m, "Relu", {"x"}, {"y"}, "relu1");
  add_output(m, "y", {1, 4});
  return m;
}

// Compiles `m` and returns the result; checks that nothing was written on failure.
RunResult compile(const onnx::ModelProto& m, const std::string& extra = "") {
  TempDir d;
  std::string model = (d.path / "model.onnx").string();
  write_model(m, model);
  std::string out = (d.path / "out").string();
  RunResult r = run_tinyaot("compile " + model + " -o " + out + " " + extra);
  if (r.exit_code != 0) CHECK(dir_is_empty_or_missing(out));
  return r;
}

}  // namespace

TEST_CASE("a valid model compiles", "[cli]") {
  TempDir d;
  write_model(relu_model(), (d.path / "m.onnx").string());
  auto r = run_tinyaot("compile " + (d.path / "m.onnx").string() + " -o " + (d.path / "out").string() +
                       " --name net");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(std::filesystem::exists(d.path / "out" / "net.h"));
  CHECK(std::filesystem::exists(d.path / "out" / "net.cpp"));
}

TEST_CASE("malformed protobuf is a bad model", "[cli]") {
  TempDir d;
  std::string p = (d.path / "bad.onnx").string();
  std::ofstream(p) << "this is not a protobuf \xff\xff\xff\xff";
  auto r = run_tinyaot("compile " + p + " -o " + (d.path / "out").string());
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("not a valid ONNX model"));
  CHECK(dir_is_empty_or_missing((d.path / "out").string()));
}

TEST_CASE("truncated model is a bad model", "[cli]") {
  TempDir d;
  std::string bytes = relu_model().SerializeAsString();
  std::string p = (d.path / "trunc.onnx").string();
  std::ofstream(p, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  auto r = run_tinyaot("compile " + p + " -o " + (d.path / "out").string());
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(dir_is_empty_or_missing((d.path / "out").string()));
}

TEST_CASE("checker failures are reported", "[cli]") {
  auto m = relu_model();
  m.mutable_graph()->mutable_node(0)->set_op_type("");  // a node without an op type
  auto r = compile(m);
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("checker"));
}

TEST_CASE("all unsupported ops are listed at once with node names", "[cli]") {
  auto m = make_model();
  onnx::OperatorSetIdProto* op = m.add_opset_import();
  op->set_domain("com.example");
  op->set_version(1);
  add_input(m, "x", {1, 4});
  add_node(m, "FancyOp", {"x"}, {"a"}, "fancy1")->set_domain("com.example");
  add_node(m, "OtherOp", {"a"}, {"y"}, "other2")->set_domain("com.example");
  add_output(m, "y", {1, 4});
  auto r = compile(m);
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("2 unsupported ops"));
  CHECK_THAT(r.out, Catch::Contains("fancy1") && Catch::Contains("com.example.FancyOp"));
  CHECK_THAT(r.out, Catch::Contains("other2") && Catch::Contains("com.example.OtherOp"));
}

TEST_CASE("a missing initializer / unproduced input is named", "[cli]") {
  auto m = make_model();
  add_input(m, "x", {1, 4});
  add_node(m, "Add", {"x", "bias"}, {"y"}, "add1");
  add_output(m, "y", {1, 4});
  auto r = compile(m);
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("bias"));
}

TEST_CASE("a cycle is a bad model", "[cli]") {
  auto m = make_model();
  add_input(m, "x", {1, 4});
  add_node(m, "Add", {"x", "b"}, {"a"}, "n1");
  add_node(m, "Relu", {"a"}, {"b"}, "n2");
  add_output(m, "b", {1, 4});
  auto r = compile(m);
  INFO(r.out);
  CHECK(r.exit_code == 1);
}

TEST_CASE("an unresolvable free dimension names the tensor", "[cli]") {
  auto m = make_model();
  add_input(m, "x", {1, -1});
  add_node(m, "Relu", {"x"}, {"y"}, "relu1");
  add_output(m, "y", {1, -1});
  auto r = compile(m);
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("'x'") && Catch::Contains("--input-shape"));
  // The same model compiles once the dimension is given.
  auto ok = compile(m, "--input-shape x=1x7");
  INFO(ok.out);
  CHECK(ok.exit_code == 0);
}

TEST_CASE("a symbolic batch dimension defaults to 1 with a warning", "[cli]") {
  auto m = make_model();
  add_input(m, "x", {-1, 4});
  add_node(m, "Relu", {"x"}, {"y"}, "relu1");
  add_output(m, "y", {-1, 4});
  auto r = compile(m);
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("warning") && Catch::Contains("batch"));
}

TEST_CASE("absurd tensor sizes are refused", "[cli]") {
  auto m = make_model();
  add_input(m, "x", {1, 100000, 100000});
  add_node(m, "Relu", {"x"}, {"y"}, "relu1");
  add_output(m, "y", {1, 100000, 100000});
  auto r = compile(m);
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("too large"));
}

TEST_CASE("initializer payload shorter than its shape is refused", "[cli]") {
  auto m = make_model();
  add_input(m, "x", {1, 4});
  add_float_initializer(m, "b", {1, 4}, {1.f, 2.f});  // 2 values for 4 elements
  add_node(m, "Add", {"x", "b"}, {"y"}, "add1");
  add_output(m, "y", {1, 4});
  auto r = compile(m);
  INFO(r.out);
  CHECK(r.exit_code == 1);
}

TEST_CASE("bad usage exits with 2", "[cli]") {
  TempDir d;
  write_model(relu_model(), (d.path / "m.onnx").string());
  std::string model = (d.path / "m.onnx").string();
  CHECK(run_tinyaot("").exit_code == 2);
  CHECK(run_tinyaot("compile " + model).exit_code == 2);  // no -o
  CHECK(run_tinyaot("compile " + model + " -o " + d.str() + "/o --target z80").exit_code == 2);
  CHECK(run_tinyaot("compile " + model + " -o " + d.str() + "/o --passes=no-such-pass").exit_code == 2);
  CHECK(run_tinyaot("compile " + model + " -o " + d.str() + "/o --input-shape x=1xQ").exit_code == 2);
  CHECK(run_tinyaot("compile " + model + " -o " + d.str() + "/o -O7").exit_code == 2);
  CHECK(run_tinyaot("compile /no/such/model.onnx -o " + d.str() + "/o").exit_code == 2);
  CHECK(run_tinyaot("frobnicate").exit_code == 2);
  CHECK(dir_is_empty_or_missing(d.str() + "/o"));
}

TEST_CASE("help version list-ops and list-passes all work", "[cli]") {
  CHECK(run_tinyaot("--help").exit_code == 0);
  CHECK(run_tinyaot("compile --help").exit_code == 0);
  CHECK(run_tinyaot("verify --help").exit_code == 0);
  auto v = run_tinyaot("--version");
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.out, Catch::Contains("tinyaot"));
  auto ops = run_tinyaot("list-ops");
  CHECK(ops.exit_code == 0);
  CHECK_THAT(ops.out, Catch::Contains("Relu"));
  auto passes = run_tinyaot("--list-passes");
  CHECK(passes.exit_code == 0);
  CHECK_THAT(passes.out, Catch::Contains("fold-constants"));
}

TEST_CASE("compiling twice gives byte-identical files", "[cli][determinism]") {
  TempDir d;
  std::string model = (d.path / "m.onnx").string();
  write_model(relu_model(), model);
  REQUIRE(run_tinyaot("compile " + model + " -o " + d.str() + "/a --name net").exit_code == 0);
  REQUIRE(run_tinyaot("compile " + model + " -o " + d.str() + "/b --name net").exit_code == 0);
  for (const char* f : {"net.h", "net.cpp"}) {
    std::ifstream a(d.path / "a" / f), b(d.path / "b" / f);
    std::string sa((std::istreambuf_iterator<char>(a)), {}), sb((std::istreambuf_iterator<char>(b)), {});
    // The command line differs only in the output folder, which is recorded; compare the rest.
    auto strip = [](std::string s) {
      auto p = s.find(" * model sha256");
      return s.substr(p);
    };
    CHECK(strip(sa) == strip(sb));
  }
}
