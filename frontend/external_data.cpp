// Confined loading of ONNX external tensor data; the rules are in docs/robustness.md.
#include "frontend/external_data.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <system_error>

#include "compiler/diagnostics.h"

namespace tinyaot::frontend {

namespace fs = std::filesystem;

namespace {

// Strict unsigned decimal (no sign, no spaces, no overflow), as ONNX writes offsets and lengths.
uint64_t parse_u64(const std::string& s, const std::string& what) {
  if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos)
    throw CompileError(fmt::format("{}: '{}' is not a byte count", what, s));
  return std::stoull(s);
}

// True when `p` (canonical) equals `root` (canonical) or lies below it, compared by components.
bool is_inside(const fs::path& p, const fs::path& root) {
  auto pi = p.begin();
  for (auto ri = root.begin(); ri != root.end(); ++ri, ++pi)
    if (pi == p.end() || *pi != *ri) return false;
  return true;
}

void load_one(onnx::TensorProto& t, const fs::path& root, uint64_t max_bytes, const std::string& where) {
  std::string location;
  bool has_offset = false, has_length = false;
  uint64_t offset = 0, length = 0;
  for (auto& kv : t.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset") {
      offset = parse_u64(kv.value(), where + " external data offset");
      has_offset = true;
    } else if (kv.key() == "length") {
      length = parse_u64(kv.value(), where + " external data length");
      has_length = true;
    } else if (kv.key() != "checksum") {  // the optional SHA-1 is not verified
      throw CompileError(fmt::format("{}: unknown external data key '{}'", where, kv.key()));
    }
  }
  (void)has_offset;
  if (location.empty()) throw CompileError(fmt::format("{}: external data has no location", where));
  if (location.find('\0') != std::string::npos)
    throw CompileError(fmt::format("{}: external data location contains a NUL byte", where));
  const fs::path rel(location);
  if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory())
    throw CompileError(fmt::format(
        "{}: external data location '{}' is an absolute path; only files inside the model's folder are read",
        where, location));
  for (auto& part : rel)
    if (part == "..")
      throw CompileError(fmt::format(
          "{}: external data location '{}' contains '..'; only files inside the model's folder are read",
          where, location));
  std::error_code ec;
  const fs::path full = fs::weakly_canonical(root / rel, ec);
  if (ec || !is_inside(full, root))
    throw CompileError(fmt::format(
        "{}: external data location '{}' resolves outside the model's folder (through a symlink); refused",
        where, location));
  if (!fs::is_regular_file(full, ec))
    throw CompileError(
        fmt::format("{}: external data file '{}' does not exist or is not a regular file", where, location));
  const uint64_t size = fs::file_size(full, ec);
  if (ec) throw CompileError(fmt::format("{}: cannot read the size of '{}'", where, location));
  if (offset > size)
    throw CompileError(fmt::format("{}: external data offset {} is past the end of '{}' ({} bytes)", where,
                                   offset, location, size));
  if (!has_length) length = size - offset;
  if (length > size - offset)
    throw CompileError(fmt::format("{}: external data [{}, +{}) runs past the end of '{}' ({} bytes)", where,
                                   offset, length, location, size));
  if (max_bytes && length > max_bytes)
    throw CompileError(fmt::format("{}: external data of {} bytes is too large", where, length));
  std::ifstream f(full, std::ios::binary);
  std::string data(length, '\0');
  f.seekg(static_cast<std::streamoff>(offset));
  f.read(data.data(), static_cast<std::streamsize>(length));
  if (!f || static_cast<uint64_t>(f.gcount()) != length)
    throw CompileError(fmt::format("{}: reading {} bytes from '{}' failed", where, length, location));
  t.clear_external_data();
  t.set_data_location(onnx::TensorProto::DEFAULT);
  t.set_raw_data(std::move(data));
}

}  // namespace

void load_external_data(onnx::ModelProto& model, const std::string& model_dir, uint64_t max_bytes) {
  fs::path root;
  auto need_root = [&](const std::string& where) {
    if (!root.empty()) return;
    if (model_dir.empty())
      throw CompileError(
          fmt::format("{}: external data cannot be loaded for a model given in memory", where));
    std::error_code ec;
    root = fs::canonical(model_dir, ec);
    if (ec) throw CompileError(fmt::format("cannot resolve the model's folder '{}'", model_dir));
  };
  onnx::GraphProto* g = model.mutable_graph();
  for (auto& t : *g->mutable_initializer())
    if (t.data_location() == onnx::TensorProto::EXTERNAL) {
      const std::string where = "initializer '" + t.name() + "'";
      need_root(where);
      load_one(t, root, max_bytes, where);
    }
  for (auto& n : *g->mutable_node())
    for (auto& a : *n.mutable_attribute())
      if (a.has_t() && a.t().data_location() == onnx::TensorProto::EXTERNAL) {
        const std::string where = "node '" + n.name() + "' attribute '" + a.name() + "'";
        need_root(where);
        load_one(*a.mutable_t(), root, max_bytes, where);
      }
}

}  // namespace tinyaot::frontend
