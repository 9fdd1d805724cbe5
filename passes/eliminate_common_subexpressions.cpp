// eliminate-common-subexpressions: identical constant tensors become one tensor, then nodes with
// the same op, domain, opset, attributes and input tensors (and the same output pattern) become
// one node. Exact: the surviving node computes the same deterministic function of the same inputs.
#include <map>
#include <set>
#include <tuple>

#include "passes/pass.h"

namespace tinyaot::passes {

namespace {

// Ops whose outputs differ between two calls with equal inputs: never merged.
bool is_nondeterministic(const ir::Node& n) {
  static const std::set<std::string> ops = {"RandomNormal",      "RandomUniform", "RandomNormalLike",
                                            "RandomUniformLike", "Multinomial",   "Bernoulli"};
  return ops.count(n.op) != 0;
}

uint64_t fnv1a(const std::vector<uint8_t>& bytes) {
  uint64_t h = 1469598103934665603ull;
  for (uint8_t b : bytes) h = (h ^ b) * 1099511628211ull;
  return h;
}

bool same_value(const ir::Value* a, const ir::Value* b) {
  if (!a || !b) return a == b;
  return a->dtype == b->dtype && a->shape == b->shape && a->bytes == b->bytes;
}

bool same_quant(const std::optional<ir::QuantParams>& a, const std::optional<ir::QuantParams>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->scale == b->scale && a->zero_point == b->zero_point && a->axis == b->axis;
}

// Two constants are interchangeable when payload, type and quantization metadata all agree.
bool same_constant(const ir::Tensor& a, const ir::Tensor& b) {
  return a.dtype == b.dtype && a.shape == b.shape && same_value(a.value.get(), b.value.get()) &&
         same_quant(a.quant, b.quant) && same_value(a.quantized_value.get(), b.quantized_value.get());
}

bool same_attr(const ir::Attribute& a, const ir::Attribute& b) {
  if (a.kind != b.kind || a.i != b.i || a.s != b.s || a.ints != b.ints || a.strings != b.strings)
    return false;
  // Bitwise float comparison: NaN attributes compare equal to themselves, -0.0 differs from 0.0.
  auto bits = [](float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
  };
  if (bits(a.f) != bits(b.f) || a.floats.size() != b.floats.size()) return false;
  for (size_t i = 0; i < a.floats.size(); ++i)
    if (bits(a.floats[i]) != bits(b.floats[i])) return false;
  return same_value(a.t.get(), b.t.get());
}

bool same_attrs(const ir::Attributes& a, const ir::Attributes& b) {
  if (a.all().size() != b.all().size()) return false;
  for (auto ia = a.all().begin(), ib = b.all().begin(); ia != a.all().end(); ++ia, ++ib)
    if (ia->first != ib->first || !same_attr(ia->second, ib->second)) return false;
  return true;
}

// Replaces every node input reading `from` by `to`.
void rewire(ir::Graph& g, ir::Tensor* from, ir::Tensor* to) {
  for (auto& n : g.nodes())
    for (auto& in : n->inputs)
      if (in == from) in = to;
}

int64_t dedupe_constants(ir::Graph& g) {
  // Canonical constant per (dtype, shape, payload hash); the first met in node order wins.
  std::map<std::tuple<ir::DType, ir::Shape, uint64_t>, std::vector<ir::Tensor*>> seen;
  std::map<ir::Tensor*, ir::Tensor*> replace;
  for (auto& n : g.nodes())
    for (ir::Tensor* t : n->inputs) {
      if (!t || !t->is_constant() || replace.count(t)) continue;
      auto& bucket = seen[{t->dtype, t->shape, fnv1a(t->value->bytes)}];
      ir::Tensor* canon = nullptr;
      for (ir::Tensor* c : bucket)
        if (c == t || same_constant(*c, *t)) canon = c;
      if (!canon) {
        bucket.push_back(t);
      } else if (canon != t) {
        replace[t] = canon;
      }
    }
  for (auto& n : g.nodes())
    for (auto& in : n->inputs)
      if (in && replace.count(in)) in = replace[in];
  return static_cast<int64_t>(replace.size());
}

}  // namespace

bool eliminate_common_subexpressions(ir::Graph& g, const PassContext& ctx) {
  const int64_t consts = dedupe_constants(g);
  // Nodes are in a topological order, so a duplicate's inputs were already canonicalised when it
  // is reached; candidates are bucketed by op and first input to keep the search short.
  std::map<std::pair<std::string, const ir::Tensor*>, std::vector<ir::Node*>> seen;
  std::vector<ir::Node*> doomed;
  for (auto& np : g.nodes()) {
    ir::Node& n = *np;
    if (is_nondeterministic(n) || n.outputs.empty()) continue;
    bool output_is_graph_output = false;
    for (ir::Tensor* o : n.outputs) output_is_graph_output |= o && o->is_graph_output;
    auto& bucket = seen[{n.domain + "." + n.op, n.in(0)}];
    ir::Node* canon = nullptr;
    for (ir::Node* c : bucket) {
      if (c->op != n.op || c->domain != n.domain || c->opset != n.opset || c->inputs != n.inputs ||
          c->outputs.size() != n.outputs.size() || !same_attrs(c->attrs, n.attrs))
        continue;
      bool same_outs = true;
      for (size_t i = 0; i < n.outputs.size(); ++i) {
        const ir::Tensor *a = c->outputs[i], *b = n.outputs[i];
        if ((a == nullptr) != (b == nullptr) || (a && (a->dtype != b->dtype || a->shape != b->shape)))
          same_outs = false;
      }
      if (same_outs) {
        canon = c;
        break;
      }
    }
    // A duplicate producing a graph output keeps its node: the output needs its own buffer.
    if (!canon || output_is_graph_output) {
      bucket.push_back(&n);
      continue;
    }
    for (size_t i = 0; i < n.outputs.size(); ++i)
      if (n.outputs[i]) rewire(g, n.outputs[i], canon->outputs[i]);
    doomed.push_back(&n);
  }
  for (ir::Node* n : doomed) g.remove_node(n);
  if (consts || !doomed.empty()) g.remove_unused_tensors();
  ctx.count("constants_deduplicated", consts);
  ctx.count("nodes_eliminated", static_cast<int64_t>(doomed.size()));
  return consts != 0 || !doomed.empty();
}

}  // namespace tinyaot::passes
