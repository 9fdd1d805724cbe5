// The compile driver shared by `tinyaot compile` and `tinyaot verify`: model file -> graph ->
// passes -> generated files, with every option in one struct.
#pragma once

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "codegen/codegen.h"
#include "frontend/onnx_import.h"
#include "passes/pipeline.h"

namespace tinyaot {

struct CompileOptions {
  std::string model_path;
  std::string name;  // empty: derived from the model file name
  frontend::ImportOptions import;
  codegen::Target target = codegen::Target::Generic;
  int opt_level = 2;
  bool passes_given = false;  // --passes= overrides the -O pipeline
  std::vector<std::string> passes;
  bool print_ir_after_all = false;
  std::vector<std::string> print_ir_after;
  bool print_memory_plan = false;
  bool io_in_arena = false;
  std::string command_line;
  // --max-arena-bytes: largest planned arena accepted (checked after planning, before any file
  // is written). 0 = unlimited. The weights and node limits live in `import`.
  uint64_t max_arena_bytes = uint64_t(4) << 20;
};

struct CompileResult {
  std::unique_ptr<ir::Graph> graph;
  codegen::Output output;
  std::vector<std::string> warnings;
};

// Parses "NAME=1x3x32x32"; throws UsageError on bad syntax.
std::pair<std::string, ir::Shape> parse_input_shape(const std::string& spec);

// Imports and optimises the model (no code generation). IR dumps go to `dump`.
std::unique_ptr<ir::Graph> load_and_optimize(const CompileOptions& opt, Diagnostics& diag,
                                             std::ostream& dump);
// Full compile to in-memory files.
CompileResult compile_model(const CompileOptions& opt, std::ostream& dump);
// The same compile path on model bytes already in memory (no file is read or written; external
// tensor data is refused). `opt.model_path` is ignored; the fuzzers use this entry point.
CompileResult compile_model_bytes(const std::string& model_bytes, const CompileOptions& opt,
                                  std::ostream& dump);
// Writes files into `dir` atomically (temporary names, then rename); creates `dir`.
void write_files(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace tinyaot
