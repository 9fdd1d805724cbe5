// The compile driver.
#include "compiler/driver.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <fstream>
#include <sstream>

#include "passes/pass.h"
#include "passes/prune_magnitude.h"

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

std::string read_model_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UsageError(fmt::format("cannot open model file '{}'", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The import options with the model's folder, which confines external tensor data; models given
// in memory (empty model_path) have no folder, so their external data is refused.
frontend::ImportOptions import_options_for(const CompileOptions& opt) {
  frontend::ImportOptions io = opt.import;
  io.model_dir.clear();
  if (!opt.model_path.empty()) {
    fs::path dir = fs::path(opt.model_path).parent_path();
    io.model_dir = dir.empty() ? std::string(".") : dir.string();
  }
  return io;
}

// Import from bytes, then passes and IR dumps.
std::unique_ptr<ir::Graph> import_and_optimize(const std::string& model_bytes, const CompileOptions& opt,
                                               Diagnostics& diag, std::ostream& dump,
                                               std::vector<passes::PassRecord>* records) {
  auto g = frontend::import_model_bytes(model_bytes, import_options_for(opt), diag);
  // The rounding convention travels on each node so the evaluator and every kernel emitter read
  // it from one place (quant::rounding_of). Stamped before the pipeline too, because lower-qdq
  // lowers some groups only under --rounding tflite (docs/passes/lower-qdq.md).
  auto stamp_rounding = [&] {
    if (opt.rounding != "tflite") return;
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::String;
    a.s = "tflite";
    for (auto& n : g->mutable_nodes()) n->attrs.set("tinyaot_rounding", a);
  };
  stamp_rounding();
  passes::PipelineOptions po;
  po.passes = opt.passes_given ? opt.passes : passes::default_pipeline(opt.opt_level);
  if (!opt.passes_given && codegen::is_cortex_m(opt.target)) {
    // The Cortex-M DSP/MVE conv kernels have no residual epilogue yet, so a fused conv would
    // fall back to the generic kernel: ResNet-8 int8 on M4 ran 21.0M instead of 14.5M
    // instructions. Target builds keep the fast kernels; --passes can still ask for the fusion.
    po.passes.erase(std::remove(po.passes.begin(), po.passes.end(), std::string("fuse-residual-add")),
                    po.passes.end());
  }
  po.print_ir_after_all = opt.print_ir_after_all;
  po.print_ir_after = opt.print_ir_after;
  if (opt.print_ir_after_all) dump << "// ----- IR after import -----\n" << ir::print(*g);
  const size_t nodes_before = g->nodes().size();
  std::vector<passes::PassRecord> recs;
  if (!opt.quantize.int8) {
    recs = passes::run_pipeline(*g, po, diag, dump);
  } else {
    // Post-training quantization goes in front of lower-qdq (after BatchNorm folding, so the folded
    // weights are what gets quantized); without lower-qdq in the list it goes last.
    // "quantize" is accepted by --print-ir-after although it is not a registered pass.
    po.print_ir_after.erase(std::remove(po.print_ir_after.begin(), po.print_ir_after.end(), "quantize"),
                            po.print_ir_after.end());
    auto at = std::find(po.passes.begin(), po.passes.end(), std::string("lower-qdq"));
    passes::PipelineOptions after = po;
    after.passes.assign(at, po.passes.end());
    po.passes.erase(at, po.passes.end());
    recs = passes::run_pipeline(*g, po, diag, dump);
    QuantizeOptions q = opt.quantize;
    if (q.from_test_data && q.calibration_arrays.empty() && q.calibration_files.empty())
      q.calibration_arrays = test_data_calibration(*g, opt.model_path);
    quantize_graph(*g, q, &std::cerr);
    if (opt.print_ir_after_all ||
        std::count(opt.print_ir_after.begin(), opt.print_ir_after.end(), "quantize"))
      dump << "// ----- IR after quantize -----\n" << ir::print(*g);
    auto rest = passes::run_pipeline(*g, after, diag, dump);
    recs.insert(recs.end(), rest.begin(), rest.end());
  }
  if (opt.prune_sparsity >= 0) {
    // Lossy and opt-in, so after the (exact) pipeline; then structured pruning again, which can
    // now remove channels that magnitude pruning emptied.
    passes::prune_magnitude(*g, opt.prune_sparsity);
    for (const auto& p : opt.passes_given ? opt.passes : passes::default_pipeline(opt.opt_level))
      if (p == "prune-zero-channels" || p == "remove-dead-nodes") {
        passes::find_pass(p)->run(*g, passes::PassContext{&diag});
        g->verify();
      }
  }
  if (opt.print_pass_stats) dump << passes::format_pass_stats(recs, nodes_before);
  if (records) *records = std::move(recs);
  stamp_rounding();  // again, for the nodes the passes created
  return g;
}

// Code generation (which plans memory) plus the limits that need the plan or the final weights.
CompileResult compile_bytes(const std::string& model_bytes, const std::string& name,
                            const CompileOptions& opt, std::ostream& dump) {
  CompileResult r;
  Diagnostics diag;
  r.graph = import_and_optimize(model_bytes, opt, diag, dump, &r.pass_records);
  r.warnings = diag.warnings;
  codegen::Options co;
  co.name = name;
  co.target = opt.target;
  co.io_in_arena = opt.io_in_arena;
  // On a Cortex-M target the DSP/MVE kernels of dense layers are faster than the sparse ones,
  // and the naturally zero int8 weights save little flash, so only --prune (an explicit request
  // for smaller weights) turns the encoding on there.
  const bool dense_target = codegen::is_cortex_m(opt.target) && opt.prune_sparsity < 0;
  co.sparse_weights = !opt.sparse_weights || opt.opt_level == 0 || dense_target ? codegen::SparseWeights::Off
                      : opt.prune_sparsity >= 0                                 ? codegen::SparseWeights::All
                                                : codegen::SparseWeights::Int8;
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

}  // namespace

std::unique_ptr<ir::Graph> load_and_optimize(const CompileOptions& opt, Diagnostics& diag, std::ostream& dump,
                                             std::vector<passes::PassRecord>* records) {
  return import_and_optimize(read_model_file(opt.model_path), opt, diag, dump, records);
}

CompileResult compile_model(const CompileOptions& opt, std::ostream& dump) {
  return compile_bytes(read_model_file(opt.model_path),
                       opt.name.empty() ? fs::path(opt.model_path).stem().string() : opt.name, opt, dump);
}

CompileResult compile_model_bytes(const std::string& model_bytes, const CompileOptions& opt,
                                  std::ostream& dump) {
  CompileOptions o = opt;
  o.model_path.clear();
  return compile_bytes(model_bytes, opt.name.empty() ? std::string("model") : opt.name, o, dump);
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
