// The IR text printer: a stable, readable form used by --print-ir-* and golden tests.
#include <fmt/format.h>

#include <type_traits>

#include "compiler/ir.h"

namespace tinyaot::ir {

std::string float_str(float f);

static std::string type_str(const Tensor& t) {
  return t.shaped ? fmt::format("{}[{}]", dtype_name(t.dtype), shape_str(t.shape)) : "?";
}

// Floats always carry a '.', 'e', "inf" or "nan" so the parser can tell them from ints.
std::string float_str(float f) {
  std::string s = fmt::format("{}", f);
  if (s.find_first_of(".eain") == std::string::npos) s += ".0";
  return s;
}

static std::string attr_str(const Attribute& a) {
  auto join = [](const auto& v) {
    std::string r;
    for (auto& x : v) {
      r += r.empty() ? "" : ",";
      if constexpr (std::is_same_v<std::decay_t<decltype(x)>, float>)
        r += float_str(x);
      else if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>)
        r += "\"" + x + "\"";
      else
        r += fmt::format("{}", x);
    }
    return "[" + r + "]";
  };
  switch (a.kind) {
    case Attribute::Kind::Int: return std::to_string(a.i);
    case Attribute::Kind::Float: return float_str(a.f);
    case Attribute::Kind::String: return "\"" + a.s + "\"";
    case Attribute::Kind::Ints: return join(a.ints);
    case Attribute::Kind::Floats: return join(a.floats);
    case Attribute::Kind::Strings: return join(a.strings);
    case Attribute::Kind::Tensor:
      return a.t ? fmt::format("tensor<{}[{}]>", dtype_name(a.t->dtype), shape_str(a.t->shape)) : "tensor<>";
  }
  return "?";
}

std::string print(const Graph& g) {
  auto op = g.opset_imports.find("");
  std::string r = fmt::format("graph {} opset {} {{\n", g.name.empty() ? "main" : g.name,
                              op == g.opset_imports.end() ? 0 : op->second);
  for (Tensor* t : g.inputs) r += fmt::format("  input %{}: {}\n", t->name, type_str(*t));
  for (auto& t : g.tensors())
    if (t->is_constant())
      r += fmt::format("  const %{}: {}{}\n", t->name, type_str(*t),
                       t->numel() <= 16 && t->numel() > 0
                           ? fmt::format(" = {}",
                                         [&] {
                                           std::string v;
                                           for (int64_t i = 0; i < t->numel(); ++i)
                                             v += (i ? "," : "") +
                                                  (t->dtype == DType::F32
                                                       ? float_str(static_cast<float>(t->value->get_f64(i)))
                                                   : dtype_is_float(t->dtype)
                                                       ? fmt::format("{}", t->value->get_f64(i))
                                                       : fmt::format("{}", t->value->get_i64(i)));
                                           return "[" + v + "]";
                                         }())
                           : "");
  for (auto& n : g.nodes()) {
    std::string outs, ins, attrs;
    for (Tensor* t : n->outputs)
      outs += (outs.empty() ? "" : ", ") + (t ? "%" + t->name + ": " + type_str(*t) : "_");
    for (Tensor* t : n->inputs) ins += (ins.empty() ? "" : ", ") + (t ? "%" + t->name : "_");
    for (auto& [k, a] : n->attrs.all()) attrs += (attrs.empty() ? " {" : ", ") + k + "=" + attr_str(a);
    if (!attrs.empty()) attrs += "}";
    r +=
        fmt::format("  {} = {}{}({}){}\n", outs, n->domain.empty() ? "" : n->domain + ".", n->op, ins, attrs);
  }
  std::string outs;
  for (Tensor* t : g.outputs) outs += (outs.empty() ? "" : ", ") + ("%" + t->name);
  r += fmt::format("  return {}\n}}\n", outs);
  return r;
}

}  // namespace tinyaot::ir
