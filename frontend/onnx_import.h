// ONNX frontend: bytes of a .onnx file in, a valid and fully shaped ir::Graph out (or errors).
// This is the only part of the compiler that sees protobuf types.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "compiler/diagnostics.h"
#include "compiler/ir.h"

namespace tinyaot::frontend {

struct ImportOptions {
  // --input-shape NAME=1x3x32x32: fixes free dimensions of graph inputs.
  std::map<std::string, ir::Shape> input_shapes;
  // Shapes by graph-input position, used only for inputs whose shape is not fully static in the
  // model (verify fills them from the test data).
  std::vector<ir::Shape> fallback_input_shapes;
  // Graph inputs specialised to constant values (--const-input NAME=FILE.pb, or by verify for
  // inputs that decide shapes): they become constants and leave the generated API.
  std::map<std::string, ir::Value> const_inputs;
  // Largest tensor (bytes) the compiler accepts anywhere in the model.
  uint64_t max_tensor_bytes = uint64_t(1) << 31;
  // --max-nodes: most nodes (subgraphs included) accepted, checked right after parsing so that a
  // model with millions of nodes fails fast. 0 = unlimited. See docs/robustness.md.
  uint64_t max_nodes = 10000;
  // --max-weights-bytes: most initializer bytes the model may store, checked right after parsing
  // (before anything is decoded or optimised). 0 = unlimited.
  uint64_t max_weights_bytes = uint64_t(16) << 20;
  // Folder that external tensor data must live in (the model's own folder); empty when the
  // model came from memory, in which case external data is refused.
  std::string model_dir;
};

// Loads, checks, upgrades, shape-infers and imports a model; folds constant subgraphs so every
// tensor has a static shape. Throws CompileError (bad model) or UsageError (unreadable file).
std::unique_ptr<ir::Graph> import_model_file(const std::string& path, const ImportOptions& opt,
                                             Diagnostics& diag);
std::unique_ptr<ir::Graph> import_model_bytes(const std::string& bytes, const ImportOptions& opt,
                                              Diagnostics& diag);

// Runs per-node shape inference and folds nodes whose inputs are all constant (also used by
// passes after they rewrite the graph). Removes folded nodes.
void infer_and_fold(ir::Graph& g, Diagnostics& diag, uint64_t max_tensor_bytes = uint64_t(1) << 31);

// Reads a serialized TensorProto (ONNX test data); `name` receives the tensor's name.
ir::Value load_tensor_file(const std::string& path, std::string* name = nullptr);
// Serializes a value as a TensorProto (for writing test data).
std::string tensor_to_proto_bytes(const ir::Value& v, const std::string& name);

// Names of the graph inputs that are not initializers, in order (for mapping test data files).
std::vector<std::string> graph_input_names(const std::string& model_path);

// SHA-256 of a byte string, lower-case hex.
std::string sha256_hex(const std::string& bytes);

}  // namespace tinyaot::frontend
