// The compile driver shared by `tinyaot compile` and `tinyaot verify`: model file -> graph ->
// passes -> generated files, with every option in one struct.
#pragma once

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "codegen/codegen.h"
#include "compiler/quantize.h"
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
  bool print_pass_stats = false;  // one line per pass run (counts, node count) on the dump stream
  bool io_in_arena = false;
  std::string rounding = "onnx";  // int8 requantization convention: "onnx" or "tflite" (docs/rounding.md)
  std::string command_line;
  // --max-arena-bytes: largest planned arena accepted (checked after planning, before any file
  // is written). 0 = unlimited. The weights and node limits live in `import`.
  uint64_t max_arena_bytes = uint64_t(4) << 20;
  QuantizeOptions quantize;  // --quantize int8: calibrate and insert QDQ before lower-qdq
  // --prune magnitude:<s>: fraction of each layer's weights zeroed after the pipeline (< 0: off).
  double prune_sparsity = -1;
  // --no-sparse-weights clears it: store every weight densely. Otherwise (at -O2) int8 layers use
  // the sparse encoding where it is smaller, and float layers too when --prune is given.
  bool sparse_weights = true;
};

struct CompileResult {
  std::unique_ptr<ir::Graph> graph;
  codegen::Output output;
  std::vector<std::string> warnings;
  std::vector<passes::PassRecord> pass_records;  // what each pass changed (for --report)
};

// Parses "NAME=1x3x32x32"; throws UsageError on bad syntax.
std::pair<std::string, ir::Shape> parse_input_shape(const std::string& spec);

// Imports and optimises the model (no code generation). IR dumps go to `dump`.
// `records`, when given, receives what each pass changed.
std::unique_ptr<ir::Graph> load_and_optimize(const CompileOptions& opt, Diagnostics& diag, std::ostream& dump,
                                             std::vector<passes::PassRecord>* records = nullptr);
// Full compile to in-memory files.
CompileResult compile_model(const CompileOptions& opt, std::ostream& dump);
// The same compile path on model bytes already in memory (no file is read or written; external
// tensor data is refused). `opt.model_path` is ignored; the fuzzers use this entry point.
CompileResult compile_model_bytes(const std::string& model_bytes, const CompileOptions& opt,
                                  std::ostream& dump);
// Writes files into `dir` atomically (temporary names, then rename); creates `dir`.
void write_files(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace tinyaot
