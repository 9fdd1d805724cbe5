// Helpers for tests: build small ONNX models in memory, run the tinyaot CLI, temp folders.
#pragma once

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <string>
#include <vector>

namespace tinyaot::testing {

// A ModelProto with ir_version 8 and the default-domain opset `opset`.
onnx::ModelProto make_model(int opset = 13);
// Adds a float graph input/output of the given shape (-1 = symbolic dim "N").
void add_input(onnx::ModelProto& m, const std::string& name, const std::vector<int64_t>& shape,
               int elem_type = onnx::TensorProto::FLOAT);
void add_output(onnx::ModelProto& m, const std::string& name, const std::vector<int64_t>& shape);
onnx::NodeProto* add_node(onnx::ModelProto& m, const std::string& op, const std::vector<std::string>& in,
                          const std::vector<std::string>& out, const std::string& name = "");
void add_float_initializer(onnx::ModelProto& m, const std::string& name, const std::vector<int64_t>& shape,
                           const std::vector<float>& values);

// A fresh empty folder under the system temp dir, removed at destruction.
struct TempDir {
  std::filesystem::path path;
  TempDir();
  ~TempDir();
  std::string str() const { return path.string(); }
};

struct RunResult {
  int exit_code;
  std::string out;  // stdout + stderr
};
// Runs `tinyaot <args>` (the built CLI) through the shell.
RunResult run_tinyaot(const std::string& args);
void write_model(const onnx::ModelProto& m, const std::string& path);
bool dir_is_empty_or_missing(const std::string& dir);

}  // namespace tinyaot::testing
