// Unit tests of the .npy reader: files written by numpy (tests/quantization/data, produced by
// numpy.save) and hand-built headers for every error path.
#include <catch2/catch.hpp>

#include <string>

#include "compiler/npy.h"

using namespace tinyaot;

namespace {

const std::string kData = std::string(TINYAOT_SOURCE_DIR) + "/tests/quantization/data/";

// A version-1.0 .npy file with the given header dict text and payload (header padded with spaces
// and a newline to a multiple of 64 bytes, as numpy writes it).
std::string npy(const std::string& dict, const std::string& payload, int version = 1) {
  std::string h = dict;
  const size_t pre = version == 1 ? 10 : 12;
  while ((pre + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::string b = std::string("\x93NUMPY", 6) + static_cast<char>(version) + '\0';
  if (version == 1) {
    b += static_cast<char>(h.size() & 0xff);
    b += static_cast<char>(h.size() >> 8);
  } else {
    for (int i = 0; i < 4; ++i) b += static_cast<char>((h.size() >> (8 * i)) & 0xff);
  }
  return b + h + payload;
}

std::string floats(std::initializer_list<float> v) {
  std::string s;
  for (float f : v) s.append(reinterpret_cast<const char*>(&f), 4);
  return s;
}

}  // namespace

TEST_CASE("npy: reads float32 and uint8 files written by numpy", "[npy]") {
  ir::Value f = read_npy(kData + "f32_2x3.npy");
  REQUIRE(f.dtype == ir::DType::F32);
  REQUIRE(f.shape == ir::Shape{2, 3});
  // numpy.arange(6).reshape(2, 3) * 0.5 - 1
  for (int i = 0; i < 6; ++i) CHECK(f.data<float>()[i] == 0.5f * static_cast<float>(i) - 1.0f);
  ir::Value u = read_npy(kData + "u8_4.npy");
  REQUIRE(u.dtype == ir::DType::U8);
  REQUIRE(u.shape == ir::Shape{4});
  CHECK(u.data<uint8_t>()[2] == 128);
  CHECK(u.data<uint8_t>()[3] == 255);
}

TEST_CASE("npy: header variants", "[npy]") {
  // Scalar shape, version 2 header, double quotes, extra spaces.
  ir::Value s =
      parse_npy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", floats({2.5f})), "s");
  CHECK(s.shape.empty());
  CHECK(s.data<float>()[0] == 2.5f);
  ir::Value v2 = parse_npy(
      npy("{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":( 2 , ) }", floats({1.0f, -1.0f}), 2), "v2");
  CHECK(v2.shape == ir::Shape{2});
  CHECK(v2.data<float>()[1] == -1.0f);
  ir::Value z = parse_npy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", ""), "z");
  CHECK(z.shape == ir::Shape{0, 3});
}

TEST_CASE("npy: clear errors", "[npy]") {
  auto err = [](const std::string& bytes) {
    try {
      parse_npy(bytes, "x.npy");
    } catch (const CompileError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  using Catch::Matchers::Contains;
  CHECK_THAT(err("hello world, not npy"), Contains("magic"));
  CHECK_THAT(err(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", floats({1})).substr(0, 9)),
             Contains("magic"));
  CHECK_THAT(err(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0'))),
             Contains("dtype '<f8' is not supported"));
  CHECK_THAT(err(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", floats({1}))),
             Contains("not supported"));
  CHECK_THAT(err(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", floats({1}))),
             Contains("Fortran"));
  CHECK_THAT(err(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", floats({1, 2}))),
             Contains("payload has 8 bytes"));
  CHECK_THAT(err(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, x), }", floats({1}))),
             Contains("not a dimension"));
  CHECK_THAT(err(npy("{'descr': '<f4', 'fortran_order': False, }", floats({1}))), Contains("no 'shape'"));
  CHECK_THAT(err(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }",
                     floats({1}))),
             Contains("larger than the payload"));
  std::string big = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", floats({1}));
  big[8] = '\xff', big[9] = '\x7f';  // header length beyond the file
  CHECK_THAT(err(big), Contains("longer than the file"));
  std::string v9 = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", floats({1}));
  v9[6] = 9;
  CHECK_THAT(err(v9), Contains("version 9"));
  CHECK_THAT(std::string([&] {
               try {
                 read_npy(kData + "f64_2.npy");
               } catch (const CompileError& e) {
                 return std::string(e.what());
               }
               return std::string();
             }()),
             Contains("'<f8'"));
  CHECK_THROWS_AS(read_npy(kData + "fortran.npy"), CompileError);
  CHECK_THROWS_AS(read_npy(kData + "missing.npy"), CompileError);
}
