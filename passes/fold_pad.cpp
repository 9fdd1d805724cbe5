// fold-pad: a constant-mode Pad of the spatial axes feeding a float Conv, MaxPool or AveragePool
// becomes the consumer's own pads. Exactness per consumer:
// - Conv: Pad value 0; the padded taps only added w * 0 = 0 (exact for finite weights).
// - MaxPool: Pad value -inf (never the max), or 0 when the input comes from a Relu (values >= 0,
//   so a 0 changes no max); every window must keep a real element (pads < kernel, no dilation).
// - AveragePool: Pad value 0 and the pool had no pads or counted them already: the pool then
//   counts padded positions (count_include_pad=1), i.e. divides by the kernel size as before.
// ceil_mode pools and auto_pad SAME_* consumers are left alone (their windows would move).
#include <cmath>
#include <limits>

#include "passes/pass.h"

namespace tinyaot::passes {

namespace {

struct PadSpec {
  std::vector<int64_t> pads;  // ONNX layout: all begins, then all ends
  double value = 0;
};

// Reads a constant-mode Pad with constant pads/value and no axes input; false otherwise.
bool read_pad(const ir::Node& p, PadSpec& s) {
  if (p.attrs.get_string("mode", "constant") != "constant" || !p.out(0) || !p.in(0)) return false;
  if (p.opset < 11) {
    s.pads = p.attrs.get_ints("pads");
    s.value = p.attrs.get_float("value", 0.f);
    return true;
  }
  const ir::Tensor* pads = p.in(1);
  if (!pads || !pads->is_constant() || (p.in(3) && !p.in(3)->name.empty())) return false;
  s.pads = pads->value->to_i64_vector();
  const ir::Tensor* v = p.in(2);
  if (v && !v->name.empty()) {
    if (!v->is_constant() || v->numel() != 1) return false;
    s.value = v->value->get_f64(0);
  }
  return true;
}

bool from_relu(const ir::Tensor* t) {
  const ir::Node* q = t->producer;
  if (!q || !q->domain.empty()) return false;
  return q->op == "Relu" || q->attrs.get_string("tinyaot_act", "") == "Relu";
}

ir::Attribute ints_attr(std::vector<int64_t> v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::Ints;
  a.ints = std::move(v);
  return a;
}

}  // namespace

bool fold_pad(ir::Graph& g, const PassContext& ctx) {
  std::vector<ir::Node*> doomed;
  int64_t into_conv = 0, into_pool = 0;
  for (auto& np : g.nodes()) {
    ir::Node& pad = *np;
    if (!pad.domain.empty() || pad.op != "Pad") continue;
    PadSpec ps;
    if (!read_pad(pad, ps)) continue;
    ir::Tensor* x = pad.inputs[0];
    ir::Tensor* y = pad.outputs[0];
    const size_t r = x->shape.size();
    if (r < 3 || ps.pads.size() != 2 * r || y->is_graph_output) continue;
    if (x->dtype != ir::DType::F32 && x->dtype != ir::DType::F64) continue;
    bool ok = ps.pads[0] == 0 && ps.pads[1] == 0 && ps.pads[r] == 0 && ps.pads[r + 1] == 0;
    for (int64_t v : ps.pads) ok = ok && v >= 0;
    auto users = g.consumers(y);
    if (!ok || users.size() != 1) continue;
    ir::Node& c = *users[0];
    if (!c.domain.empty() || c.in(0) != y) continue;
    for (size_t i = 1; i < c.inputs.size(); ++i) ok = ok && c.inputs[i] != y;
    const std::string auto_pad = c.attrs.get_string("auto_pad", "NOTSET");
    if (!ok || (auto_pad != "NOTSET" && auto_pad != "VALID")) continue;
    const size_t sp = r - 2;
    std::vector<int64_t> old = auto_pad == "VALID" ? std::vector<int64_t>() : c.attrs.get_ints("pads");
    if (old.empty()) old.assign(2 * sp, 0);
    if (old.size() != 2 * sp) continue;
    const bool is_conv = c.op == "Conv", is_max = c.op == "MaxPool", is_avg = c.op == "AveragePool";
    if (!is_conv && !is_max && !is_avg) continue;
    if (is_conv && ps.value != 0.0) continue;
    if (is_max || is_avg) {
      if (c.attrs.get_int("ceil_mode", 0) != 0 || c.outputs.size() != 1) continue;
      for (int64_t d : c.attrs.get_ints("dilations")) ok = ok && d == 1;
      const auto kernel = c.attrs.get_ints("kernel_shape");
      ok = ok && kernel.size() == sp;
      for (size_t d = 0; ok && d < sp; ++d)
        ok = ps.pads[2 + d] + old[d] < kernel[d] && ps.pads[r + 2 + d] + old[sp + d] < kernel[d];
      if (!ok) continue;
    }
    if (is_max &&
        !(ps.value == -std::numeric_limits<double>::infinity() || (ps.value == 0.0 && from_relu(x))))
      continue;
    if (is_avg) {
      bool had_pads = false;
      for (int64_t v : old) had_pads |= v != 0;
      if (ps.value != 0.0 || (had_pads && c.attrs.get_int("count_include_pad", 0) == 0)) continue;
      ir::Attribute one;
      one.kind = ir::Attribute::Kind::Int;
      one.i = 1;
      c.attrs.set("count_include_pad", one);
    }
    for (size_t d = 0; d < sp; ++d) {
      old[d] += ps.pads[2 + d];
      old[sp + d] += ps.pads[r + 2 + d];
    }
    c.attrs.erase("auto_pad");
    c.attrs.set("pads", ints_attr(old));
    c.inputs[0] = x;
    doomed.push_back(&pad);
    ++(is_conv ? into_conv : into_pool);
  }
  for (ir::Node* n : doomed) g.remove_node(n);
  if (!doomed.empty()) g.remove_unused_tensors();
  ctx.count("pads_into_conv", into_conv);
  ctx.count("pads_into_pool", into_pool);
  return !doomed.empty();
}

}  // namespace tinyaot::passes
