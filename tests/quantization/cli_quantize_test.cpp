// CLI tests of `tinyaot compile --quantize int8`: usage errors (exit 2), bad calibration data
// (exit 1, no output files), and the --io int8 header macros.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "../unit/test_util.h"
#include "compiler/driver.h"
#include "compiler/evaluator.h"

using namespace tinyaot::testing;
using Catch::Matchers::Contains;

namespace {

const std::string kModel = std::string(TINYAOT_SOURCE_DIR) + "/models/fashion_mnist/model.onnx";
const std::string kData = std::string(TINYAOT_SOURCE_DIR) + "/tests/quantization/data/";

// A float32 .npy of `n` Fashion-MNIST-shaped samples [n, 1, 28, 28] with a ramp of pixel values.
void write_samples(const std::string& path, int n) {
  std::string h =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(n) + ", 1, 28, 28), }";
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::ofstream f(path, std::ios::binary);
  f.write("\x93NUMPY\x01\x00", 8);
  f.put(static_cast<char>(h.size() & 0xff));
  f.put(static_cast<char>(h.size() >> 8));
  f << h;
  for (int i = 0; i < n * 784; ++i) {
    const float v = static_cast<float>((i * 37) % 256) / 255.0f;
    f.write(reinterpret_cast<const char*>(&v), 4);
  }
}

}  // namespace

TEST_CASE("cli: --quantize usage and calibration errors", "[quantize][cli]") {
  TempDir d;
  const std::string out = d.str() + "/out";
  RunResult r = run_tinyaot("compile " + kModel + " --quantize int8 -o " + out);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("needs calibration data"));
  r = run_tinyaot("compile " + kModel + " --quantize int4 -o " + out);
  CHECK(r.exit_code == 2);
  r = run_tinyaot("compile " + kModel + " --io int8 -o " + out);
  CHECK(r.exit_code == 2);
  r = run_tinyaot("compile " + kModel + " --quantize int8 --calibration " + kData + "u8_4.npy -o " + out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Contains("input 'input' is f32, the file holds u8"));
  r = run_tinyaot("compile " + kModel + " --quantize int8 --calibration " + kData + "f32_2x3.npy -o " + out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Contains("expected [N, 1, 1, 28, 28]"));
  r = run_tinyaot("compile " + kModel + " --quantize int8 --calibration " + kData + "f64_2.npy -o " + out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Contains("'<f8' is not supported"));
  write_samples(d.str() + "/s.npy", 4);
  r = run_tinyaot("compile " + kModel + " --quantize int8 --calibration " + d.str() +
                  "/s.npy --calibration " + d.str() + "/s.npy -o " + out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Contains("needs one .npy per input"));
  r = run_tinyaot("compile " + kModel + " --quantize int8 --calibration " + d.str() +
                  "/s.npy --calibrate avg -o " + out);
  CHECK(r.exit_code == 2);
  CHECK(dir_is_empty_or_missing(out));
}

TEST_CASE("cli: --quantize int8 --io int8 exposes int8 buffers and their parameters", "[quantize][cli]") {
  TempDir d;
  write_samples(d.str() + "/s.npy", 8);
  for (const char* method : {"minmax", "percentile", "mse"}) {
    const std::string out = d.str() + "/" + method;
    RunResult r = run_tinyaot("compile " + kModel + " --quantize int8 --io int8 --calibration " + d.str() +
                              "/s.npy --calibrate " + method + " -o " + out);
    REQUIRE(r.exit_code == 0);
    std::ifstream h(out + "/model.h");
    std::stringstream ss;
    ss << h.rdbuf();
    CHECK_THAT(ss.str(), Contains("#define MODEL_INPUT0_TYPE int8_t"));
    CHECK_THAT(ss.str(), Contains("#define MODEL_OUTPUT0_TYPE int8_t"));
    // The calibration pixels span [0, 1]: scale 1/255, and 0 maps to -128.
    CHECK_THAT(ss.str(), Contains("#define MODEL_INPUT0_ZERO_POINT -128"));
    CHECK_THAT(ss.str(), Contains("#define MODEL_OUTPUT0_SCALE "));
  }
}

// Sigmoid -> Tanh on a float input quantizes into two tinyaot.LookupTable kernels; the generated
// code is built with -Wall -Wextra -Werror and its output must equal the reference evaluator's
// result for the same quantized graph bit for bit.
TEST_CASE("cli: lookup-table kernels build and match the reference evaluator", "[quantize][cli][lut]") {
  TempDir d;
  auto m = make_model();
  add_input(m, "x", {1, 64});
  add_output(m, "y", {1, 64});
  add_node(m, "Sigmoid", {"x"}, {"s"});
  add_node(m, "Tanh", {"s"}, {"y"});
  write_model(m, d.str() + "/lut.onnx");
  // Calibration: 64 values spanning [-6, 6].
  std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 64), }";
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::vector<float> xs(64);
  for (int i = 0; i < 64; ++i) xs[static_cast<size_t>(i)] = -6.0f + 12.0f * static_cast<float>(i) / 63.0f;
  {
    std::ofstream f(d.str() + "/cal.npy", std::ios::binary);
    f.write("\x93NUMPY\x01\x00", 8);
    f.put(static_cast<char>(h.size() & 0xff));
    f.put(static_cast<char>(h.size() >> 8));
    f << h;
    f.write(reinterpret_cast<const char*>(xs.data()), 256);
  }
  RunResult r = run_tinyaot("compile " + d.str() + "/lut.onnx --name lut --quantize int8 --calibration " +
                            d.str() + "/cal.npy -o " + d.str() + "/gen --print-ir-after=schedule-memory");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("tinyaot.LookupTable"));
  CHECK_THAT(r.out, !Contains("Sigmoid("));
  CHECK_THAT(r.out, !Contains("Tanh("));
  // Harness: run once on the calibration values and print the outputs as exact hex floats.
  {
    std::ofstream c(d.str() + "/main.cpp");
    c << "#include <cstdio>\n#include \"lut.h\"\nstatic unsigned char arena[LUT_ARENA_SIZE + 16];\n"
         "int main() {\n  float x[64], y[64];\n  for (int i = 0; i < 64; ++i) x[i] = -6.0f + 12.0f * "
         "(float)i / 63.0f;\n"
         "  const void* in[1] = {x};\n  void* out[1] = {y};\n  if (lut_run(in, out, arena)) return 1;\n"
         "  for (int i = 0; i < 64; ++i) std::printf(\"%a\\n\", (double)y[i]);\n  return 0;\n}\n";
  }
  const std::string build = "c++ -std=c++11 -O2 -Wall -Wextra -Werror -I" + d.str() + "/gen " + d.str() +
                            "/main.cpp " + d.str() + "/gen/lut.cpp -o " + d.str() + "/run -lm 2>&1";
  REQUIRE(std::system(build.c_str()) == 0);
  const std::string got_path = d.str() + "/got.txt";
  REQUIRE(std::system((d.str() + "/run > " + got_path).c_str()) == 0);
  // Reference: the same compile in-process, its final graph run by the reference evaluator (whose
  // LookupTable semantics the exhaustive tests in lut_test.cpp tie to the QDQ definition).
  tinyaot::CompileOptions co;
  co.model_path = d.str() + "/lut.onnx";
  co.quantize.int8 = true;
  co.quantize.calibration_files = {d.str() + "/cal.npy"};
  std::ostringstream dump;
  tinyaot::CompileResult cr = tinyaot::compile_model(co, dump);
  tinyaot::ir::Value x(tinyaot::ir::DType::F32, {1, 64});
  for (int i = 0; i < 64; ++i) x.data<float>()[i] = xs[static_cast<size_t>(i)];
  const tinyaot::ir::Value y = tinyaot::evaluate_graph(*cr.graph, {x})[0];
  std::ifstream got(got_path);
  for (int i = 0; i < 64; ++i) {
    std::string line;
    REQUIRE(std::getline(got, line));
    CHECK(std::strtod(line.c_str(), nullptr) == static_cast<double>(y.data<float>()[i]));
  }
}
