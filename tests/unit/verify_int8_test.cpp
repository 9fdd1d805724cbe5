// `tinyaot verify` int8 rules (docs/rounding.md): on a quantized model an integer output may be off
// by one unit but not two, `--exact` demands bit equality, the top-1 index must match, and the
// fraction of differing elements is printed. Uses tests/ms_ops/qlinearmul_s8 with edited outputs.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "tests/unit/test_util.h"

using namespace tinyaot::testing;
namespace fs = std::filesystem;

namespace {

// Copies the case and adds `delta` to elements `idx` of the expected int8 output.
std::string edited_case(const TempDir& dir, const std::vector<std::pair<int, int>>& edits) {
  const fs::path src = fs::path(TINYAOT_SOURCE_DIR) / "tests/ms_ops/qlinearmul_s8";
  const fs::path dst = dir.path / "case";
  fs::create_directories(dst / "test_data_set_0");
  fs::copy_file(src / "model.onnx", dst / "model.onnx");
  fs::copy_file(src / "test_data_set_0/input_0.pb", dst / "test_data_set_0/input_0.pb");
  fs::copy_file(src / "test_data_set_0/input_1.pb", dst / "test_data_set_0/input_1.pb");
  onnx::TensorProto t;
  {
    std::ifstream f(src / "test_data_set_0/output_0.pb", std::ios::binary);
    REQUIRE(t.ParseFromIstream(&f));
  }
  std::string raw = t.raw_data();
  REQUIRE(raw.size() == 24);
  for (auto [i, d] : edits)
    raw[static_cast<size_t>(i)] = static_cast<char>(static_cast<int8_t>(raw[static_cast<size_t>(i)]) + d);
  t.set_raw_data(raw);
  std::ofstream o(dst / "test_data_set_0/output_0.pb", std::ios::binary);
  REQUIRE(t.SerializeToOstream(&o));
  return dst.string();
}

}  // namespace

TEST_CASE("verify int8 rules: integer outputs within one unit, --exact bit for bit", "[verify][int8]") {
  TempDir dir;
  // Element 1 (not the row maximum of a 4-wide row unless it already is) off by one.
  const std::string c = edited_case(dir, {{1, 1}});
  RunResult r = run_tinyaot("verify " + c);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("1 of 24 output elements differ at all") != std::string::npos);
  r = run_tinyaot("verify --exact " + c);
  CHECK(r.exit_code != 0);
}

TEST_CASE("verify int8 rules: two units off fails", "[verify][int8]") {
  TempDir dir;
  RunResult r = run_tinyaot("verify " + edited_case(dir, {{5, 2}}));
  CHECK(r.exit_code != 0);
  CHECK(r.out.find("differ by more than 1") != std::string::npos);
}
