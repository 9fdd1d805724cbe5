// CLI tests of `tinyaot compile --quantize int8`: usage errors (exit 2), bad calibration data
// (exit 1, no output files), and the --io int8 header macros.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "../unit/test_util.h"

using namespace tinyaot::testing;
using Catch::Matchers::Contains;

namespace {

const std::string kModel = std::string(TINYAOT_SOURCE_DIR) + "/models/fashion_mnist/model.onnx";
const std::string kData = std::string(TINYAOT_SOURCE_DIR) + "/tests/quantization/data/";

// A float32 .npy of `n` Fashion-MNIST-shaped samples [n, 1, 28, 28] with a ramp of pixel values.
void write_samples(const std::string& path, int n) {
  std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(n) + ", 1, 28, 28), }";
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
  r = run_tinyaot("compile " + kModel + " --quantize int8 --calibration " + d.str() + "/s.npy --calibration " +
                  d.str() + "/s.npy -o " + out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Contains("needs one .npy per input"));
  r = run_tinyaot("compile " + kModel + " --quantize int8 --calibration " + d.str() + "/s.npy --calibrate avg -o " + out);
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
