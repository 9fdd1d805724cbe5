// TensorProto <-> ir::Value conversion and test-data file helpers.
#include "frontend/tensor_proto.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "frontend/onnx_import.h"

namespace tinyaot::frontend {

using onnx::TensorProto;

ir::DType dtype_from_onnx(int32_t e, const std::string& where) {
  switch (e) {
    case TensorProto::FLOAT: return ir::DType::F32;
    case TensorProto::DOUBLE: return ir::DType::F64;
    case TensorProto::FLOAT16: return ir::DType::F16;
    case TensorProto::INT8: return ir::DType::I8;
    case TensorProto::UINT8: return ir::DType::U8;
    case TensorProto::INT16: return ir::DType::I16;
    case TensorProto::UINT16: return ir::DType::U16;
    case TensorProto::INT32: return ir::DType::I32;
    case TensorProto::UINT32: return ir::DType::U32;
    case TensorProto::INT64: return ir::DType::I64;
    case TensorProto::UINT64: return ir::DType::U64;
    case TensorProto::BOOL: return ir::DType::Bool;
    default: break;
  }
  throw CompileError(fmt::format("{}: element type {} ({}) is not supported", where,
                                 TensorProto::DataType_IsValid(e)
                                     ? TensorProto::DataType_Name(static_cast<TensorProto::DataType>(e))
                                     : "invalid",
                                 e));
}

int32_t dtype_to_onnx(ir::DType t) {
  switch (t) {
    case ir::DType::F32: return TensorProto::FLOAT;
    case ir::DType::F64: return TensorProto::DOUBLE;
    case ir::DType::F16: return TensorProto::FLOAT16;
    case ir::DType::I8: return TensorProto::INT8;
    case ir::DType::U8: return TensorProto::UINT8;
    case ir::DType::I16: return TensorProto::INT16;
    case ir::DType::U16: return TensorProto::UINT16;
    case ir::DType::I32: return TensorProto::INT32;
    case ir::DType::U32: return TensorProto::UINT32;
    case ir::DType::I64: return TensorProto::INT64;
    case ir::DType::U64: return TensorProto::UINT64;
    case ir::DType::Bool: return TensorProto::BOOL;
    case ir::DType::Undefined: break;
  }
  return TensorProto::UNDEFINED;
}

ir::Value value_from_proto(const TensorProto& t, const std::string& where) {
  if (t.data_location() == TensorProto::EXTERNAL)
    throw CompileError(fmt::format("{}: external tensor data is not supported", where));
  if (t.has_segment()) throw CompileError(fmt::format("{}: segmented tensors are not supported", where));
  ir::Value v;
  v.dtype = dtype_from_onnx(t.data_type(), where);
  const uint64_t esize = ir::dtype_size(v.dtype);
  uint64_t count = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) throw CompileError(fmt::format("{}: negative dimension {}", where, d));
    if (d > (int64_t(1) << 31)) throw CompileError(fmt::format("{}: dimension {} is too large", where, d));
    if (d && count > (uint64_t(1) << 40) / static_cast<uint64_t>(d))
      throw CompileError(fmt::format("{}: element count overflows", where));
    count *= static_cast<uint64_t>(d);
    v.shape.push_back(d);
  }
  if (count * esize > (uint64_t(1) << 31))
    throw CompileError(fmt::format("{}: tensor of {} bytes is too large", where, count * esize));
  v.bytes.assign(count * esize, 0);
  if (t.has_raw_data()) {
    if (t.raw_data().size() != count * esize)
      throw CompileError(fmt::format("{}: raw_data has {} bytes but the shape needs {}", where,
                                     t.raw_data().size(), count * esize));
    std::copy(t.raw_data().begin(), t.raw_data().end(), v.bytes.begin());
    return v;
  }
  auto check = [&](int n) {
    if (static_cast<uint64_t>(n) != count)
      throw CompileError(fmt::format("{}: has {} values but the shape needs {}", where, n, count));
  };
  switch (v.dtype) {
    case ir::DType::F32:
      check(t.float_data_size());
      for (uint64_t i = 0; i < count; ++i) v.data<float>()[i] = t.float_data(static_cast<int>(i));
      break;
    case ir::DType::F64:
      check(t.double_data_size());
      for (uint64_t i = 0; i < count; ++i) v.data<double>()[i] = t.double_data(static_cast<int>(i));
      break;
    case ir::DType::I64:
      check(t.int64_data_size());
      for (uint64_t i = 0; i < count; ++i) v.data<int64_t>()[i] = t.int64_data(static_cast<int>(i));
      break;
    case ir::DType::U64:
    case ir::DType::U32:
      check(t.uint64_data_size());
      for (uint64_t i = 0; i < count; ++i) {
        uint64_t x = t.uint64_data(static_cast<int>(i));
        if (v.dtype == ir::DType::U64)
          v.data<uint64_t>()[i] = x;
        else
          v.data<uint32_t>()[i] = static_cast<uint32_t>(x);
      }
      break;
    default:  // int32, int16, int8, uint16, uint8, bool, float16 bits live in int32_data
      check(t.int32_data_size());
      for (uint64_t i = 0; i < count; ++i) {
        int32_t x = t.int32_data(static_cast<int>(i));
        switch (v.dtype) {
          case ir::DType::I32: v.data<int32_t>()[i] = x; break;
          case ir::DType::I16: v.data<int16_t>()[i] = static_cast<int16_t>(x); break;
          case ir::DType::U16:
          case ir::DType::F16: v.data<uint16_t>()[i] = static_cast<uint16_t>(x); break;
          case ir::DType::I8: v.data<int8_t>()[i] = static_cast<int8_t>(x); break;
          default: v.data<uint8_t>()[i] = static_cast<uint8_t>(x); break;
        }
      }
      break;
  }
  return v;
}

ir::Value load_tensor_file(const std::string& path, std::string* name) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UsageError(fmt::format("cannot open tensor file '{}'", path));
  std::stringstream ss;
  ss << f.rdbuf();
  TensorProto t;
  if (!t.ParseFromString(ss.str()))
    throw CompileError(fmt::format("'{}' is not a serialized TensorProto", path));
  if (name) *name = t.name();
  return value_from_proto(t, path);
}

std::string tensor_to_proto_bytes(const ir::Value& v, const std::string& name) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(dtype_to_onnx(v.dtype));
  for (int64_t d : v.shape) t.add_dims(d);
  t.set_raw_data(std::string(v.bytes.begin(), v.bytes.end()));
  return t.SerializeAsString();
}

}  // namespace tinyaot::frontend
