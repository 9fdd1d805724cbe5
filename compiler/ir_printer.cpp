// The IR text printer: a stable, readable form used by --print-ir-* and golden tests.
#include <fmt/format.h>

#include "compiler/ir.h"

namespace tinyaot::ir {

static std::string type_str(const Tensor& t) {
  return t.shaped ? fmt::format("{}[{}]", dtype_name(t.dtype), shape_str(t.shape)) : "?";
}

static std::string attr_str(const Attribute& a) {
  auto join = [](const auto& v) {
    std::string r;
    for (auto& x : v) r += (r.empty() ? "" : ",") + fmt::format("{}", x);
    return "[" + r + "]";
  };
  switch (a.kind) {
    case Attribute::Kind::Int: return std::to_string(a.i);
    case Attribute::Kind::Float: return fmt::format("{}", a.f);
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
  std::string r = fmt::format("graph {} {{\n", g.name.empty() ? "main" : g.name);
  for (Tensor* t : g.inputs) r += fmt::format("  input %{}: {}\n", t->name, type_str(*t));
  for (auto& t : g.tensors())
    if (t->is_constant())
      r += fmt::format("  const %{}: {}{}\n", t->name, type_str(*t),
                       t->numel() <= 8 && t->numel() > 0 ? fmt::format(" = {}", [&] {
                         std::string v;
                         for (int64_t i = 0; i < t->numel(); ++i)
                           v += (i ? "," : "") + fmt::format("{}", t->value->get_f64(i));
                         return "[" + v + "]";
                       }())
                                                         : "");
  for (auto& n : g.nodes()) {
    std::string outs, ins, attrs;
    for (Tensor* t : n->outputs) outs += (outs.empty() ? "" : ", ") + (t ? "%" + t->name + ": " + type_str(*t) : "_");
    for (Tensor* t : n->inputs) ins += (ins.empty() ? "" : ", ") + (t ? "%" + t->name : "_");
    for (auto& [k, a] : n->attrs.all()) attrs += (attrs.empty() ? " {" : ", ") + k + "=" + attr_str(a);
    if (!attrs.empty()) attrs += "}";
    r += fmt::format("  {} = {}{}({}){}\n", outs, n->domain.empty() ? "" : n->domain + ".", n->op, ins, attrs);
  }
  std::string outs;
  for (Tensor* t : g.outputs) outs += (outs.empty() ? "" : ", ") + ("%" + t->name);
  r += fmt::format("  return {}\n}}\n", outs);
  return r;
}

}  // namespace tinyaot::ir
