// Conversion between ONNX TensorProto and ir::Value, with full validation of sizes and payloads.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "compiler/ir.h"

namespace tinyaot::frontend {

// Maps an ONNX element type code; throws CompileError naming `where` for unsupported types.
ir::DType dtype_from_onnx(int32_t elem_type, const std::string& where);
int32_t dtype_to_onnx(ir::DType t);
// Decodes a tensor's payload (raw_data or typed fields); rejects external data, negative dims,
// byte sizes that overflow, and payloads shorter or longer than the shape says.
ir::Value value_from_proto(const onnx::TensorProto& t, const std::string& where);

}  // namespace tinyaot::frontend
