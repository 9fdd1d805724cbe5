// The compile driver.
#include "compiler/driver.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tinyaot {

namespace fs = std::filesystem;

std::pair<std::string, ir::Shape> parse_input_shape(const std::string& spec) {
  auto eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    throw UsageError(fmt::format("--input-shape '{}': expected NAME=D0xD1x...", spec));
  ir::Shape s;
  std::stringstream ss(spec.substr(eq + 1));
  std::string tok;
  while (std::getline(ss, tok, 'x')) {
    if (tok.empty() || tok.find_first_not_of("0123456789") != std::string::npos || tok.size() > 12)
      throw UsageError(fmt::format("--input-shape '{}': '{}' is not a dimension", spec, tok));
    s.push_back(std::stoll(tok));
  }
  return {spec.substr(0, eq), s};
}

namespace {

// Passes and IR dumps on an imported graph.
void optimize(ir::Graph& g, const CompileOptions& opt, Diagnostics& diag, std::ostream& dump) {
  passes::PipelineOptions po;
  po.passes = opt.passes_given ? opt.passes : passes::default_pipeline(opt.opt_level);
  po.print_ir_after_all = opt.print_ir_after_all;
  po.print_ir_after = opt.print_ir_after;
  if (opt.print_ir_after_all) dump << "// ----- IR after import -----\n" << ir::print(g);
  passes::run_pipeline(g, po, diag, dump);
}

// Code generation (which plans memory) plus the limits that need the plan or the final weights.
CompileResult generate(std::unique_ptr<ir::Graph> g, const std::string& model_bytes, const std::string& name,
                       const CompileOptions& opt, const Diagnostics& diag) {
  CompileResult r;
  r.graph = std::move(g);
  r.warnings = diag.warnings;
  codegen::Options co;
  co.name = name;
  co.target = opt.target;
  co.io_in_arena = opt.io_in_arena;
  co.command_line = opt.command_line;
  co.model_sha256 = frontend::sha256_hex(model_bytes);
  r.output = codegen::generate(*r.graph, co);
  if (opt.max_arena_bytes && r.output.arena_bytes > opt.max_arena_bytes)
    throw CompileError(
        fmt::format("the planned arena needs {} bytes, more than --max-arena-bytes {} (use 0 "
                    "for no limit)",
                    r.output.arena_bytes, opt.max_arena_bytes));
  // The early check counted stored initializers; passes may fold constants into larger ones.
  if (opt.import.max_weights_bytes && r.output.weight_bytes > opt.import.max_weights_bytes)
    throw CompileError(
        fmt::format("the generated weights need {} bytes, more than --max-weights-bytes {} (use "
                    "0 for no limit)",
                    r.output.weight_bytes, opt.import.max_weights_bytes));
  return r;
}

std::string read_model_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UsageError(fmt::format("cannot open model file '{}'", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The import options with the model's folder, which confines external tensor data.
frontend::ImportOptions import_options_for(const CompileOptions& opt) {
  frontend::ImportOptions io = opt.import;
  fs::path dir = fs::path(opt.model_path).parent_path();
  io.model_dir = dir.empty() ? std::string(".") : dir.string();
  return io;
}

}  // namespace

std::unique_ptr<ir::Graph> load_and_optimize(const CompileOptions& opt, Diagnostics& diag,
                                             std::ostream& dump) {
  auto g = frontend::import_model_bytes(read_model_file(opt.model_path), import_options_for(opt), diag);
  optimize(*g, opt, diag, dump);
  return g;
}

CompileResult compile_model(const CompileOptions& opt, std::ostream& dump) {
  Diagnostics diag;
  const std::string bytes = read_model_file(opt.model_path);
  auto g = frontend::import_model_bytes(bytes, import_options_for(opt), diag);
  optimize(*g, opt, diag, dump);
  return generate(std::move(g), bytes, opt.name.empty() ? fs::path(opt.model_path).stem().string() : opt.name,
                  opt, diag);
}

CompileResult compile_model_bytes(const std::string& model_bytes, const CompileOptions& opt,
                                  std::ostream& dump) {
  Diagnostics diag;
  frontend::ImportOptions io = opt.import;
  io.model_dir.clear();
  auto g = frontend::import_model_bytes(model_bytes, io, diag);
  optimize(*g, opt, diag, dump);
  return generate(std::move(g), model_bytes, opt.name.empty() ? std::string("model") : opt.name, opt, diag);
}

void write_files(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& files) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw UsageError(fmt::format("cannot create output directory '{}': {}", dir, ec.message()));
  std::vector<std::pair<fs::path, fs::path>> staged;
  for (auto& [name, text] : files) {
    fs::path final_path = fs::path(dir) / name;
    fs::path tmp = fs::path(dir) / (".tinyaot-tmp-" + name);
    std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
    o << text;
    o.close();
    if (!o) {
      for (auto& s : staged) fs::remove(s.first, ec);
      fs::remove(tmp, ec);
      throw UsageError(fmt::format("cannot write '{}'", tmp.string()));
    }
    staged.push_back({tmp, final_path});
  }
  // Renames happen only after every file was written, so a failed write leaves old files intact.
  for (auto& [tmp, final_path] : staged) fs::rename(tmp, final_path);
}

}  // namespace tinyaot
