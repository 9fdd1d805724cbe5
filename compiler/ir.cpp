// Implementation of the graph IR: dtype facts, values, attributes, graph editing and invariants.
#include "compiler/ir.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <set>

#include "compiler/ops/registry.h"

namespace tinyaot::ir {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F64:
    case DType::I64:
    case DType::U64: return 8;
    case DType::F32:
    case DType::I32:
    case DType::U32: return 4;
    case DType::F16:
    case DType::I16:
    case DType::U16: return 2;
    case DType::I8:
    case DType::U8:
    case DType::Bool: return 1;
    case DType::Undefined: return 0;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "f32";
    case DType::F64: return "f64";
    case DType::F16: return "f16";
    case DType::I8: return "i8";
    case DType::U8: return "u8";
    case DType::I16: return "i16";
    case DType::U16: return "u16";
    case DType::I32: return "i32";
    case DType::U32: return "u32";
    case DType::I64: return "i64";
    case DType::U64: return "u64";
    case DType::Bool: return "bool";
    case DType::Undefined: return "undefined";
  }
  return "?";
}

const char* dtype_ctype(DType t) {
  switch (t) {
    case DType::F32: return "float";
    case DType::F64: return "double";
    case DType::F16: return "uint16_t";  // stored as raw bits; no f16 arithmetic is generated
    case DType::I8: return "int8_t";
    case DType::U8: return "uint8_t";
    case DType::I16: return "int16_t";
    case DType::U16: return "uint16_t";
    case DType::I32: return "int32_t";
    case DType::U32: return "uint32_t";
    case DType::I64: return "int64_t";
    case DType::U64: return "uint64_t";
    case DType::Bool: return "uint8_t";  // ONNX bool is one byte, 0 or 1
    case DType::Undefined: return "void";
  }
  return "void";
}

bool dtype_is_float(DType t) {
  return t == DType::F32 || t == DType::F64 || t == DType::F16;
}
bool dtype_is_int(DType t) {
  return !dtype_is_float(t) && t != DType::Bool && t != DType::Undefined;
}

int64_t num_elements(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

std::string shape_str(const Shape& s) {
  if (s.empty()) return "scalar";
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "x" : "") + std::to_string(s[i]);
  return r;
}

template <class F>
static auto dispatch_read(DType t, const uint8_t* p, int64_t i, F&& f) {
  switch (t) {
    case DType::F32: return f(reinterpret_cast<const float*>(p)[i]);
    case DType::F64: return f(reinterpret_cast<const double*>(p)[i]);
    case DType::I8: return f(reinterpret_cast<const int8_t*>(p)[i]);
    case DType::U8:
    case DType::Bool: return f(reinterpret_cast<const uint8_t*>(p)[i]);
    case DType::I16: return f(reinterpret_cast<const int16_t*>(p)[i]);
    case DType::U16:
    case DType::F16: return f(reinterpret_cast<const uint16_t*>(p)[i]);
    case DType::I32: return f(reinterpret_cast<const int32_t*>(p)[i]);
    case DType::U32: return f(reinterpret_cast<const uint32_t*>(p)[i]);
    case DType::I64: return f(reinterpret_cast<const int64_t*>(p)[i]);
    case DType::U64: return f(reinterpret_cast<const uint64_t*>(p)[i]);
    case DType::Undefined: break;
  }
  throw CompileError("value of undefined dtype read");
}

namespace {
// Converts v to the integer type T with a defined result for every input: NaN becomes 0 and
// values outside T's range saturate (a plain cast is undefined behaviour there, and hostile
// models do write 1e30 into a uint8 Pad value).
template <class T>
T saturate_cast(double v) {
  if (std::isnan(v)) return T(0);
  if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  // max() of 64-bit types rounds up to 2^63 or 2^64 as a double, so compare with >=.
  if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}
}  // namespace

double Value::get_f64(int64_t i) const {
  return dispatch_read(dtype, bytes.data(), i, [](auto v) { return static_cast<double>(v); });
}
int64_t Value::get_i64(int64_t i) const {
  return dispatch_read(dtype, bytes.data(), i, [](auto v) {
    if constexpr (std::is_floating_point_v<decltype(v)>)
      return saturate_cast<int64_t>(static_cast<double>(v));
    else
      return static_cast<int64_t>(v);
  });
}
std::vector<int64_t> Value::to_i64_vector() const {
  std::vector<int64_t> r(static_cast<size_t>(numel()));
  for (int64_t i = 0; i < numel(); ++i) r[static_cast<size_t>(i)] = get_i64(i);
  return r;
}

void Value::set_f64(int64_t i, double v) {
  uint8_t* p = bytes.data();
  switch (dtype) {
    case DType::F32: reinterpret_cast<float*>(p)[i] = static_cast<float>(v); return;
    case DType::F64: reinterpret_cast<double*>(p)[i] = v; return;
    case DType::I8: reinterpret_cast<int8_t*>(p)[i] = saturate_cast<int8_t>(v); return;
    case DType::U8: reinterpret_cast<uint8_t*>(p)[i] = saturate_cast<uint8_t>(v); return;
    case DType::Bool: reinterpret_cast<uint8_t*>(p)[i] = v != 0; return;
    case DType::I16: reinterpret_cast<int16_t*>(p)[i] = saturate_cast<int16_t>(v); return;
    case DType::U16:
    case DType::F16: reinterpret_cast<uint16_t*>(p)[i] = saturate_cast<uint16_t>(v); return;
    case DType::I32: reinterpret_cast<int32_t*>(p)[i] = saturate_cast<int32_t>(v); return;
    case DType::U32: reinterpret_cast<uint32_t*>(p)[i] = saturate_cast<uint32_t>(v); return;
    case DType::I64: reinterpret_cast<int64_t*>(p)[i] = saturate_cast<int64_t>(v); return;
    case DType::U64: reinterpret_cast<uint64_t*>(p)[i] = saturate_cast<uint64_t>(v); return;
    case DType::Undefined: break;
  }
  throw CompileError("value of undefined dtype written");
}

// ---- attributes ----

const Attribute* Attributes::find(const std::string& name) const {
  auto it = map_.find(name);
  return it == map_.end() ? nullptr : &it->second;
}

static const Attribute* expect(const Attributes& a, const std::string& name, Attribute::Kind k,
                               const char* what) {
  const Attribute* at = a.find(name);
  if (at && at->kind != k) throw CompileError(fmt::format("attribute '{}' must be {}", name, what));
  return at;
}

int64_t Attributes::get_int(const std::string& name, int64_t def) const {
  auto* a = expect(*this, name, Attribute::Kind::Int, "an int");
  return a ? a->i : def;
}
float Attributes::get_float(const std::string& name, float def) const {
  auto* a = find(name);
  if (a && a->kind == Attribute::Kind::Int) return static_cast<float>(a->i);  // lenient
  a = expect(*this, name, Attribute::Kind::Float, "a float");
  return a ? a->f : def;
}
std::string Attributes::get_string(const std::string& name, const std::string& def) const {
  auto* a = expect(*this, name, Attribute::Kind::String, "a string");
  return a ? a->s : def;
}
std::vector<int64_t> Attributes::get_ints(const std::string& name, std::vector<int64_t> def) const {
  auto* a = expect(*this, name, Attribute::Kind::Ints, "a list of ints");
  return a ? a->ints : def;
}
std::vector<float> Attributes::get_floats(const std::string& name, std::vector<float> def) const {
  auto* a = expect(*this, name, Attribute::Kind::Floats, "a list of floats");
  return a ? a->floats : def;
}
std::vector<std::string> Attributes::get_strings(const std::string& name,
                                                 std::vector<std::string> def) const {
  auto* a = expect(*this, name, Attribute::Kind::Strings, "a list of strings");
  return a ? a->strings : def;
}

// ---- nodes and graph ----

std::string Node::label() const {
  std::string op_full = domain.empty() ? op : domain + "." + op;
  return name.empty() ? fmt::format("{} (#{})", op_full, id)
                      : fmt::format("{} '{}' (#{})", op_full, name, id);
}

Tensor* Graph::add_tensor(const std::string& name) {
  if (by_name_.count(name)) throw CompileError(fmt::format("duplicate tensor name '{}'", name));
  tensors_.push_back(std::make_unique<Tensor>());
  Tensor* t = tensors_.back().get();
  t->name = name;
  by_name_[name] = t;
  return t;
}

Tensor* Graph::add_constant(const std::string& base, Value v) {
  Tensor* t = add_tensor(fresh_name(base));
  t->dtype = v.dtype;
  t->shape = v.shape;
  t->shaped = true;
  t->value = std::make_shared<Value>(std::move(v));
  return t;
}

Tensor* Graph::find_tensor(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::string Graph::fresh_name(const std::string& base) const {
  if (!by_name_.count(base)) return base;
  for (int i = 1;; ++i) {
    std::string n = fmt::format("{}_{}", base, i);
    if (!by_name_.count(n)) return n;
  }
}

Node* Graph::add_node(const std::string& op, const std::string& name) {
  nodes_.push_back(std::make_unique<Node>());
  Node* n = nodes_.back().get();
  n->id = next_id_++;
  n->op = op;
  n->name = name;
  return n;
}

void Graph::remove_node(Node* n) {
  for (Tensor* t : n->outputs)
    if (t && t->producer == n) t->producer = nullptr;
  nodes_.erase(std::remove_if(nodes_.begin(), nodes_.end(),
                              [n](const std::unique_ptr<Node>& p) { return p.get() == n; }),
               nodes_.end());
}

void Graph::remove_unused_tensors() {
  std::set<const Tensor*> used(inputs.begin(), inputs.end());
  used.insert(outputs.begin(), outputs.end());
  for (auto& n : nodes_) {
    for (Tensor* t : n->inputs) used.insert(t);
    for (Tensor* t : n->outputs) used.insert(t);
  }
  for (auto it = tensors_.begin(); it != tensors_.end();) {
    if (!used.count(it->get())) {
      by_name_.erase((*it)->name);
      it = tensors_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<Node*> Graph::consumers(const Tensor* t) const {
  std::vector<Node*> r;
  for (auto& n : nodes_)
    for (Tensor* in : n->inputs)
      if (in == t) {
        r.push_back(n.get());
        break;
      }
  return r;
}

void Graph::topo_sort() {
  // Kahn's algorithm that keeps the current order among ready nodes, so already sorted graphs
  // (the common case) are left exactly as they are.
  std::set<const Tensor*> ready;
  for (auto& t : tensors_)
    if (t->is_constant() || t->is_graph_input || !t->producer) ready.insert(t.get());
  std::vector<std::unique_ptr<Node>> pending = std::move(nodes_);
  nodes_.clear();
  while (!pending.empty()) {
    // One sweep moves every node whose inputs are ready (including those made ready earlier in
    // the same sweep); the rest keep their order for the next sweep. An already sorted graph
    // takes one linear sweep.
    bool progress = false;
    std::vector<std::unique_ptr<Node>> rest;
    for (auto& np : pending) {
      bool ok = true;
      for (Tensor* in : np->inputs)
        if (in && !ready.count(in)) ok = false;
      if (ok) {
        for (Tensor* o : np->outputs)
          if (o) ready.insert(o);
        nodes_.push_back(std::move(np));
        progress = true;
      } else {
        rest.push_back(std::move(np));
      }
    }
    pending = std::move(rest);
    if (!progress) {
      std::string msg = fmt::format("graph has a cycle through node {}", pending.front()->label());
      for (auto& p : pending) nodes_.push_back(std::move(p));
      throw CompileError(msg);
    }
  }
}

void Graph::verify() const {
  std::set<const Tensor*> avail;
  for (auto& t : tensors_)
    if (t->is_constant() || t->is_graph_input) avail.insert(t.get());
  for (auto& n : nodes_) {
    for (Tensor* in : n->inputs)
      if (in && !avail.count(in))
        throw CompileError(fmt::format("{}: input '{}' is not produced before use", n->label(), in->name));
    for (Tensor* o : n->outputs) {
      if (!o) continue;
      if (!o->shaped) throw CompileError(fmt::format("{}: output '{}' has no shape", n->label(), o->name));
      if (o->producer != n.get())
        throw CompileError(fmt::format("{}: output '{}' has a wrong producer link", n->label(), o->name));
      avail.insert(o);
    }
  }
  for (Tensor* o : outputs)
    if (!avail.count(o)) throw CompileError(fmt::format("graph output '{}' is never produced", o->name));
}

}  // namespace tinyaot::ir
