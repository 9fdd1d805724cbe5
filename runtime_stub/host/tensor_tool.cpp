// tensor_tool.cpp - tiny host tool of tinyaot's Cortex-M test flow (../run_model_on_mcu.sh): turns
// ONNX TensorProto files (test_data_set_*/input_*.pb) into the raw buffers generated code consumes,
// and compares raw outputs with the expected output_*.pb. Self-contained (no protobuf library):
// decodes the TensorProto wire format directly. Build: c++ -std=c++17 -O2 tensor_tool.cpp
//
//   tensor_tool info FILE.pb                 -> "<dtype> <d0>x<d1>... <bytes>"
//   tensor_tool raw FILE.pb OUT.bin          -> writes the dense little-endian data, prints info
//   tensor_tool compare GOT.bin EXP.pb [--rtol R] [--atol A]
//       float/double/float16: |got-exp| <= atol + rtol*|exp| (NaN == NaN, inf exact);
//       every other type: bytes equal. Defaults rtol 1e-3, atol 1e-7 (ONNX backend tests).
//   tensor_tool diff A.bin B.bin LIKE.pb     -> how two raw outputs of LIKE.pb's type differ:
//       "<n> of <m> elements differ, first <i>, max abs diff <d>, max ulp <u>"
// Exit status: 0 ok / match, 1 mismatch, 2 usage or unreadable input.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

enum DType { kFloat = 1, kUint8, kInt8, kUint16, kInt16, kInt32, kInt64, kString, kBool, kFloat16, kDouble, kUint32,
             kUint64, kComplex64, kComplex128, kBfloat16 };

struct Tensor {
  int dtype = 0;
  std::vector<int64_t> dims;
  std::string raw;  // dense little-endian data
  std::string name;
};

size_t dtype_size(int t) {
  switch (t) {
    case kFloat: case kInt32: case kUint32: return 4;
    case kUint8: case kInt8: case kBool: return 1;
    case kUint16: case kInt16: case kFloat16: case kBfloat16: return 2;
    case kInt64: case kDouble: case kUint64: case kComplex64: return 8;
    case kComplex128: return 16;
    default: return 0;
  }
}

const char* dtype_name(int t) {
  static const char* names[] = {"undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64", "string",
                                "bool", "float16", "double", "uint32", "uint64", "complex64", "complex128", "bfloat16"};
  return t >= 0 && t <= 16 ? names[t] : "unknown";
}

struct Reader {
  const unsigned char* p;
  const unsigned char* end;
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) throw std::runtime_error("truncated varint");
      unsigned char b = *p++;
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    throw std::runtime_error("bad varint");
  }
  std::string bytes() {
    uint64_t n = varint();
    if (n > uint64_t(end - p)) throw std::runtime_error("truncated field");
    std::string s(reinterpret_cast<const char*>(p), size_t(n));
    p += n;
    return s;
  }
  void skip(int wire) {
    switch (wire) {
      case 0: varint(); break;
      case 1: if (end - p < 8) throw std::runtime_error("truncated"); p += 8; break;
      case 2: bytes(); break;
      case 5: if (end - p < 4) throw std::runtime_error("truncated"); p += 4; break;
      default: throw std::runtime_error("unsupported wire type");
    }
  }
};

template <class T> void append(std::string& out, T v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }

// Appends the elements of a repeated numeric field (packed or not) converted to the tensor type.
void repeated_varints(Reader& r, int wire, std::vector<uint64_t>& vals) {
  if (wire == 2) {
    std::string s = r.bytes();
    Reader q{reinterpret_cast<const unsigned char*>(s.data()), reinterpret_cast<const unsigned char*>(s.data()) + s.size()};
    while (q.p < q.end) vals.push_back(q.varint());
  } else {
    vals.push_back(r.varint());
  }
}

template <class T> void repeated_fixed(Reader& r, int wire, std::vector<T>& vals) {
  std::string s;
  if (wire == 2) s = r.bytes();
  else {
    if (size_t(r.end - r.p) < sizeof(T)) throw std::runtime_error("truncated");
    s.assign(reinterpret_cast<const char*>(r.p), sizeof(T));
    r.p += sizeof(T);
  }
  for (size_t i = 0; i + sizeof(T) <= s.size(); i += sizeof(T)) {
    T v;
    std::memcpy(&v, s.data() + i, sizeof(T));
    vals.push_back(v);
  }
}

Tensor parse_tensor(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string buf = ss.str();
  Reader r{reinterpret_cast<const unsigned char*>(buf.data()), reinterpret_cast<const unsigned char*>(buf.data()) + buf.size()};
  Tensor t;
  std::vector<uint64_t> ints;  // int32_data (5), int64_data (7), uint64_data (11)
  std::vector<float> floats;
  std::vector<double> doubles;
  bool have_raw = false;
  while (r.p < r.end) {
    uint64_t key = r.varint();
    int field = int(key >> 3), wire = int(key & 7);
    switch (field) {
      case 1: { std::vector<uint64_t> d; repeated_varints(r, wire, d); for (auto v : d) t.dims.push_back(int64_t(v)); break; }
      case 2: t.dtype = int(r.varint()); break;
      case 4: repeated_fixed(r, wire, floats); break;
      case 5: case 7: case 11: repeated_varints(r, wire, ints); break;
      case 8: t.name = r.bytes(); break;
      case 9: t.raw = r.bytes(); have_raw = true; break;
      case 10: repeated_fixed(r, wire, doubles); break;
      case 13: throw std::runtime_error(path + ": external data is not supported");
      default: r.skip(wire);
    }
  }
  size_t es = dtype_size(t.dtype);
  if (!es) throw std::runtime_error(path + ": unsupported data type " + std::to_string(t.dtype));
  size_t n = 1;
  for (auto d : t.dims) n *= size_t(d);
  if (!have_raw) {
    t.raw.clear();
    if (t.dtype == kFloat || t.dtype == kComplex64) for (float v : floats) append(t.raw, v);
    else if (t.dtype == kDouble || t.dtype == kComplex128) for (double v : doubles) append(t.raw, v);
    else
      for (uint64_t v : ints) {
        switch (es) {
          case 1: append(t.raw, uint8_t(v)); break;
          case 2: append(t.raw, uint16_t(v)); break;  // int16/uint16/float16/bfloat16 bits
          case 4: append(t.raw, uint32_t(v)); break;
          default: append(t.raw, uint64_t(v)); break;
        }
      }
  }
  if (t.raw.size() != n * es)
    throw std::runtime_error(path + ": " + std::to_string(t.raw.size()) + " data bytes for " + std::to_string(n) +
                             " elements of " + dtype_name(t.dtype));
  return t;
}

std::string info(const Tensor& t) {
  std::string s = std::string(dtype_name(t.dtype)) + " ";
  for (size_t i = 0; i < t.dims.size(); ++i) s += (i ? "x" : "") + std::to_string(t.dims[i]);
  if (t.dims.empty()) s += "scalar";
  return s + " " + std::to_string(t.raw.size());
}

double half_to_double(uint16_t h) {
  int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double v = e == 0 ? std::ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : std::ldexp(m + 1024, e - 25);
  return (h & 0x8000) ? -v : v;
}

double float_at(const std::string& raw, int dtype, size_t i) {
  if (dtype == kFloat) { float v; std::memcpy(&v, raw.data() + 4 * i, 4); return v; }
  if (dtype == kDouble) { double v; std::memcpy(&v, raw.data() + 8 * i, 8); return v; }
  uint16_t h;
  std::memcpy(&h, raw.data() + 2 * i, 2);
  if (dtype == kBfloat16) { uint32_t b = uint32_t(h) << 16; float v; std::memcpy(&v, &b, 4); return v; }
  return half_to_double(h);
}

std::string read_raw(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int compare(const std::string& got_path, const std::string& exp_path, double rtol, double atol) {
  Tensor exp = parse_tensor(exp_path);
  std::string got = read_raw(got_path);
  if (got.size() != exp.raw.size()) {
    std::printf("size %zu bytes but expected %zu (%s)\n", got.size(), exp.raw.size(), info(exp).c_str());
    return 1;
  }
  size_t es = dtype_size(exp.dtype), n = exp.raw.size() / es, bad = 0, first = 0;
  double worst = 0;
  bool is_float = exp.dtype == kFloat || exp.dtype == kDouble || exp.dtype == kFloat16 || exp.dtype == kBfloat16;
  for (size_t i = 0; i < n; ++i) {
    bool ok;
    if (is_float) {
      double g = float_at(got, exp.dtype, i), e = float_at(exp.raw, exp.dtype, i);
      if (std::isnan(e)) ok = std::isnan(g);
      else if (std::isinf(e)) ok = g == e;
      else {
        double err = std::fabs(g - e);
        ok = err <= atol + rtol * std::fabs(e);  // false for NaN g
        if (!ok && !std::isnan(err) && err > worst) worst = err;
      }
    } else {
      ok = std::memcmp(got.data() + i * es, exp.raw.data() + i * es, es) == 0;
    }
    if (!ok && bad++ == 0) first = i;
  }
  if (!bad) return 0;
  if (is_float)
    std::printf("%zu of %zu elements differ; first element %zu: got %.9g expected %.9g; max abs error %.3g\n", bad, n,
                first, float_at(got, exp.dtype, first), float_at(exp.raw, exp.dtype, first), worst);
  else
    std::printf("%zu of %zu elements differ; first element %zu\n", bad, n, first);
  return 1;
}

int64_t float_ulps(float a, float b) {
  int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  if (ia < 0) ia = int32_t(0x80000000u - uint32_t(ia));
  if (ib < 0) ib = int32_t(0x80000000u - uint32_t(ib));
  return std::llabs(int64_t(ia) - int64_t(ib));
}

int diff(const std::string& a_path, const std::string& b_path, const std::string& like_path) {
  Tensor like = parse_tensor(like_path);
  std::string a = read_raw(a_path), b = read_raw(b_path);
  if (a.size() != like.raw.size() || b.size() != like.raw.size()) {
    std::printf("sizes %zu / %zu bytes, expected %zu\n", a.size(), b.size(), like.raw.size());
    return 1;
  }
  size_t es = dtype_size(like.dtype), n = a.size() / es, bad = 0, first = 0;
  double worst = 0;
  int64_t ulps = 0;
  bool is_float = like.dtype == kFloat || like.dtype == kDouble || like.dtype == kFloat16 || like.dtype == kBfloat16;
  for (size_t i = 0; i < n; ++i) {
    if (std::memcmp(a.data() + i * es, b.data() + i * es, es) == 0) continue;
    if (bad++ == 0) first = i;
    if (is_float) {
      double x = float_at(a, like.dtype, i), y = float_at(b, like.dtype, i);
      if (std::fabs(x - y) > worst) worst = std::fabs(x - y);
      if (like.dtype == kFloat) { int64_t u = float_ulps(float(x), float(y)); if (u > ulps) ulps = u; }
    }
  }
  if (!bad) { std::printf("identical\n"); return 0; }
  std::printf("%zu of %zu elements differ, first %zu", bad, n, first);
  if (is_float) std::printf(", max abs diff %.3g", worst);
  if (like.dtype == kFloat) std::printf(", max ulp %lld", static_cast<long long>(ulps));
  std::printf("\n");
  return 1;
}

int usage() {
  std::fprintf(stderr,
               "usage: tensor_tool info FILE.pb\n"
               "       tensor_tool raw FILE.pb OUT.bin\n"
               "       tensor_tool compare GOT.bin EXPECTED.pb [--rtol R] [--atol A]\n"
               "       tensor_tool diff A.bin B.bin LIKE.pb\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  std::string cmd = argv[1];
  try {
    if (cmd == "info" && argc == 3) {
      std::printf("%s\n", info(parse_tensor(argv[2])).c_str());
      return 0;
    }
    if (cmd == "raw" && argc == 4) {
      Tensor t = parse_tensor(argv[2]);
      std::ofstream o(argv[3], std::ios::binary | std::ios::trunc);
      o.write(t.raw.data(), std::streamsize(t.raw.size()));
      if (!o) throw std::runtime_error(std::string("cannot write ") + argv[3]);
      std::printf("%s\n", info(t).c_str());
      return 0;
    }
    if (cmd == "diff" && argc == 5) return diff(argv[2], argv[3], argv[4]);
    if (cmd == "compare" && argc >= 4) {
      double rtol = 1e-3, atol = 1e-7;
      for (int i = 4; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--rtol" && i + 1 < argc) rtol = std::atof(argv[++i]);
        else if (a == "--atol" && i + 1 < argc) atol = std::atof(argv[++i]);
        else return usage();
      }
      return compare(argv[2], argv[3], rtol, atol);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tensor_tool: %s\n", e.what());
    return 2;
  }
  return usage();
}
