// The graph IR every stage after the frontend works on: typed, statically shaped tensors and nodes.
// Nothing here knows about protobuf; the frontend translates ONNX into these types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/diagnostics.h"

namespace tinyaot {
struct OpInfo;
}

namespace tinyaot::ir {

// Element types the compiler understands. The numbering is our own; the frontend maps ONNX codes.
enum class DType : uint8_t { Undefined, F32, F64, F16, I8, U8, I16, U16, I32, U32, I64, U64, Bool };

size_t dtype_size(DType t);
const char* dtype_name(DType t);   // "f32", "i8", ... used by the IR printer
const char* dtype_ctype(DType t);  // "float", "int8_t", ... used by codegen
bool dtype_is_float(DType t);
bool dtype_is_int(DType t);  // integer types, bool excluded

using Shape = std::vector<int64_t>;
int64_t num_elements(const Shape& s);
std::string shape_str(const Shape& s);  // "1x3x32x32", "scalar" for rank 0

// Quantization parameters attached to int8/uint8 tensors (used by the quantization issue).
struct QuantParams {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int axis = -1;  // -1: per-tensor
};

// A dense host-side value: the payload of constants and the currency of the reference evaluator.
struct Value {
  DType dtype = DType::Undefined;
  Shape shape;
  std::vector<uint8_t> bytes;  // little-endian, row-major, dtype_size * num_elements bytes

  Value() = default;
  Value(DType t, Shape s) : dtype(t), shape(std::move(s)) {
    bytes.assign(static_cast<size_t>(num_elements(shape)) * dtype_size(dtype), 0);
  }
  int64_t numel() const { return num_elements(shape); }
  template <class T>
  T* data() {
    return reinterpret_cast<T*>(bytes.data());
  }
  template <class T>
  const T* data() const {
    return reinterpret_cast<const T*>(bytes.data());
  }
  // Element i converted to double / int64 whatever the dtype (slow; for attributes and tests).
  double get_f64(int64_t i) const;
  int64_t get_i64(int64_t i) const;
  void set_f64(int64_t i, double v);  // converts to dtype; integers: NaN -> 0, out of range saturates
  std::vector<int64_t> to_i64_vector() const;
};

// Attribute values keep the ONNX attribute kinds; op families parse them into typed structs.
struct Attribute {
  enum class Kind { Int, Float, String, Ints, Floats, Strings, Tensor } kind = Kind::Int;
  int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<std::string> strings;
  std::shared_ptr<Value> t;
};

class Attributes {
 public:
  bool has(const std::string& name) const { return map_.count(name) != 0; }
  const Attribute* find(const std::string& name) const;
  // Typed getters: return the default when absent, throw a CompileError when the kind is wrong.
  int64_t get_int(const std::string& name, int64_t def) const;
  float get_float(const std::string& name, float def) const;
  std::string get_string(const std::string& name, const std::string& def) const;
  std::vector<int64_t> get_ints(const std::string& name, std::vector<int64_t> def = {}) const;
  std::vector<float> get_floats(const std::string& name, std::vector<float> def = {}) const;
  std::vector<std::string> get_strings(const std::string& name, std::vector<std::string> def = {}) const;
  void set(const std::string& name, Attribute a) { map_[name] = std::move(a); }
  void set_int(const std::string& name, int64_t v) {
    Attribute a;
    a.kind = Attribute::Kind::Int;
    a.i = v;
    set(name, std::move(a));
  }
  void erase(const std::string& name) { map_.erase(name); }
  const std::map<std::string, Attribute>& all() const { return map_; }

 private:
  std::map<std::string, Attribute> map_;  // ordered so that printing is deterministic
};

struct Node;

struct Tensor {
  std::string name;
  DType dtype = DType::Undefined;
  Shape shape;
  bool shaped = false;                 // shape and dtype are known
  std::shared_ptr<const Value> value;  // constant payload, null for run-time tensors
  std::optional<QuantParams> quant;
  // For a constant folded from DequantizeLinear: the integer tensor it dequantizes (so passes
  // can go back to the int8 weights without re-deriving them from floats).
  std::shared_ptr<const Value> quantized_value;
  Node* producer = nullptr;
  bool is_graph_input = false;
  bool is_graph_output = false;

  bool is_constant() const { return value != nullptr; }
  int64_t numel() const { return num_elements(shape); }
  size_t bytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
};

struct Node {
  int id = 0;          // stable, unique within the graph; used in emitted names
  std::string name;    // ONNX node name (may be empty)
  std::string op;      // ONNX op_type
  std::string domain;  // "" for the default domain
  int opset = 0;       // opset version of the node's domain in the model
  const tinyaot::OpInfo* info = nullptr;
  std::vector<Tensor*> inputs;   // nullptr for an omitted optional input
  std::vector<Tensor*> outputs;  // nullptr for an omitted optional output
  Attributes attrs;

  Tensor* in(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  Tensor* out(size_t i) const { return i < outputs.size() ? outputs[i] : nullptr; }
  std::string label() const;  // "Conv 'conv1' (#3)" for diagnostics
};

class Graph {
 public:
  std::string name;
  std::vector<Tensor*> inputs;               // graph inputs in ONNX order (initializers excluded)
  std::vector<Tensor*> outputs;              // graph outputs in ONNX order
  std::map<std::string, int> opset_imports;  // domain -> version

  Tensor* add_tensor(const std::string& name);
  // New constant tensor holding `v`, named fresh_name(base) (for constants created by passes).
  Tensor* add_constant(const std::string& base, Value v);
  Tensor* find_tensor(const std::string& name) const;
  // Unique tensor name derived from `base` (for tensors created by passes).
  std::string fresh_name(const std::string& base) const;
  Node* add_node(const std::string& op, const std::string& name = "");
  void remove_node(Node* n);  // also clears producer links of its outputs
  // Removes tensors that are neither graph inputs/outputs nor used by any node.
  void remove_unused_tensors();

  // Nodes in their current schedule order.
  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  std::vector<std::unique_ptr<Node>>& mutable_nodes() { return nodes_; }
  const std::vector<std::unique_ptr<Tensor>>& tensors() const { return tensors_; }
  std::vector<Node*> consumers(const Tensor* t) const;
  // Reorders nodes topologically (stable w.r.t. current order); throws on cycles.
  void topo_sort();
  // Checks structural invariants (acyclic, typed, every input produced or constant).
  void verify() const;

 private:
  std::vector<std::unique_ptr<Tensor>> tensors_;
  std::map<std::string, Tensor*> by_name_;
  std::vector<std::unique_ptr<Node>> nodes_;
  int next_id_ = 0;
};

// Human-readable text form of the graph; the debug interface and golden-test format.
std::string print(const Graph& g);
// Parses the printer's text form back into a graph (for golden tests). Constants need their
// values printed (at most 16 elements); node output types are re-inferred and must match.
// Throws CompileError with a line number on malformed text.
std::unique_ptr<Graph> parse(const std::string& text);

}  // namespace tinyaot::ir
