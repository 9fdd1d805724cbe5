// .npy reader: magic, version, little-endian header length, a Python-dict header giving
// 'descr', 'fortran_order' and 'shape', then the raw row-major payload.
#include "compiler/npy.h"

#include <fmt/format.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace tinyaot {

namespace {

[[noreturn]] void bad(const std::string& what, const std::string& msg) {
  throw CompileError(fmt::format("{}: not a usable .npy file: {}", what, msg));
}

// The value text that follows 'key': in the header dict, up to the next top-level comma or '}'.
std::string dict_value(const std::string& h, const std::string& key, const std::string& what) {
  size_t k = h.find("'" + key + "'");
  if (k == std::string::npos) k = h.find("\"" + key + "\"");
  if (k == std::string::npos) bad(what, fmt::format("header has no '{}'", key));
  size_t c = h.find(':', k + key.size() + 2);
  if (c == std::string::npos) bad(what, fmt::format("header entry '{}' has no value", key));
  size_t i = c + 1;
  while (i < h.size() && std::isspace(static_cast<unsigned char>(h[i]))) ++i;
  size_t e = i;
  int depth = 0;
  while (e < h.size()) {
    const char ch = h[e];
    if (ch == '(') ++depth;
    if (ch == ')') --depth;
    if (depth == 0 && (ch == ',' || ch == '}')) break;
    if (depth < 0) bad(what, "unbalanced parentheses in the header");
    ++e;
  }
  if (e >= h.size() || depth != 0) bad(what, fmt::format("header entry '{}' is not terminated", key));
  std::string v = h.substr(i, e - i);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  return v;
}

}  // namespace

ir::Value parse_npy(const std::string& b, const std::string& what) {
  static const char magic[] = "\x93NUMPY";
  if (b.size() < 10 || b.compare(0, 6, std::string(magic, 6)) != 0) bad(what, "missing the \\x93NUMPY magic");
  const int major = static_cast<unsigned char>(b[6]);
  size_t hlen = 0, hstart = 0;
  if (major == 1) {
    hlen = static_cast<unsigned char>(b[8]) | static_cast<size_t>(static_cast<unsigned char>(b[9])) << 8;
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) bad(what, "truncated header length");
    for (int i = 3; i >= 0; --i) hlen = hlen << 8 | static_cast<unsigned char>(b[8 + static_cast<size_t>(i)]);
    hstart = 12;
  } else {
    bad(what, fmt::format("format version {} is not supported (1, 2 or 3)", major));
  }
  if (hlen > b.size() - hstart) bad(what, "header is longer than the file");
  const std::string h = b.substr(hstart, hlen);
  if (h.find('{') == std::string::npos || h.find('}') == std::string::npos) bad(what, "header is not a dict");

  std::string descr = dict_value(h, "descr", what);
  if (descr.size() < 2 || (descr.front() != '\'' && descr.front() != '"') || descr.back() != descr.front())
    bad(what, fmt::format("'descr' {} is not a string", descr));
  descr = descr.substr(1, descr.size() - 2);
  ir::DType dt;
  if (descr == "<f4")
    dt = ir::DType::F32;
  else if (descr == "|u1" || descr == "u1" || descr == "<u1")
    dt = ir::DType::U8;
  else if (descr == "|i1" || descr == "i1" || descr == "<i1")
    dt = ir::DType::I8;
  else
    bad(what, fmt::format("dtype '{}' is not supported (float32 '<f4', uint8 '|u1' or int8 '|i1'; convert "
                          "with numpy.astype)",
                          descr));

  const std::string fo = dict_value(h, "fortran_order", what);
  if (fo == "True") bad(what, "Fortran-order arrays are not supported (save with numpy.ascontiguousarray)");
  if (fo != "False") bad(what, fmt::format("'fortran_order' {} is not True/False", fo));

  const std::string st = dict_value(h, "shape", what);
  if (st.size() < 2 || st.front() != '(' || st.back() != ')')
    bad(what, fmt::format("'shape' {} is not a tuple", st));
  ir::Shape shape;
  std::stringstream ss(st.substr(1, st.size() - 2));
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    size_t a = tok.find_first_not_of(" \t"), z = tok.find_last_not_of(" \t");
    if (a == std::string::npos) continue;  // the trailing comma of a 1-tuple
    tok = tok.substr(a, z - a + 1);
    if (tok.size() > 12 || tok.find_first_not_of("0123456789") != std::string::npos)
      bad(what, fmt::format("'shape' entry '{}' is not a dimension", tok));
    shape.push_back(std::stoll(tok));
  }
  // Guard the element count before allocating: the payload bounds it anyway.
  const size_t payload = b.size() - hstart - hlen;
  size_t count = 1;
  for (int64_t d : shape) {
    if (d != 0 && count > payload / static_cast<size_t>(d) + 1) bad(what, "shape is larger than the payload");
    count *= static_cast<size_t>(d);
  }
  const size_t need = count * ir::dtype_size(dt);
  if (payload != need)
    bad(what, fmt::format("payload has {} bytes, shape {} of {} needs {}", payload, ir::shape_str(shape),
                          descr, need));
  ir::Value v(dt, shape);
  if (need) std::memcpy(v.bytes.data(), b.data() + hstart + hlen, need);
  return v;
}

ir::Value read_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw CompileError(fmt::format("{}: cannot open the .npy file", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_npy(ss.str(), path);
}

}  // namespace tinyaot
