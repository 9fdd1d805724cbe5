// External tensor data (ONNX data_location = EXTERNAL): loads payloads into the model, but only
// from regular files inside the model's own folder, with offsets and lengths checked.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

namespace tinyaot::frontend {

// Replaces every external payload of the main graph's initializers and Constant attributes by
// raw_data read from `model_dir`. Throws CompileError naming the tensor when a location is
// absolute, contains `..`, resolves (through symlinks) outside `model_dir`, is not a regular
// file, or when offset/length do not fit the file; also when `model_dir` is empty (in-memory
// models have no folder). `max_bytes` bounds a single payload.
void load_external_data(onnx::ModelProto& model, const std::string& model_dir, uint64_t max_bytes);

}  // namespace tinyaot::frontend
