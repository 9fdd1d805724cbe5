// merge-requantize: QuantizeLinear(DequantizeLinear(x)) on an int8/uint8 run-time x with per-tensor
// constant parameters (equal or different) becomes one integer tinyaot.Requantize (compiler/ops/
// lut.cpp): y = saturate(rescale(x - x_zp) + y_zp) with an integer multiplier and shift fixed at
// compile time, no float at run time and no float intermediate tensor. ONNX defines the pair in
// float32 with two roundings (the product (x - zp) * scale, then the division by y_scale before
// round-half-to-even), so one integer rescaling can differ from it by 1 where a value lands near a
// rounding tie. x has only 256 values: each candidate (multiplier, shift) is checked against the
// reference evaluator of the original pair for all of them, in the node's rounding mode, and the
// pair is merged only when every one agrees (tolerance 0). Pairs where no candidate agrees are kept
// and counted (`requantize_kept_inexact`).
#include <algorithm>
#include <cmath>

#include "compiler/evaluator.h"
#include "compiler/ops/quant_math.h"
#include "compiler/ops/registry.h"
#include "passes/pass.h"

namespace tinyaot::passes {

namespace {

bool is_op(const ir::Node* n, const char* op) {
  return n && n->domain.empty() && n->op == op;
}

const ir::Tensor* scalar_const(const ir::Node& n, size_t i) {
  const ir::Tensor* t = n.in(i);
  return t && t->is_constant() && t->numel() == 1 ? t : nullptr;
}

using quant::is_q8;

// Candidate integer rescalings of x_scale / y_scale in mode r, most natural first.
std::vector<quant::Requant> candidates(quant::Rounding r, float sx, float sy) {
  std::vector<quant::Requant> c = {quant::make_requant_for(r, sx, 1.0f, sy)};
  const double exact = static_cast<double>(sx) / static_cast<double>(sy);
  if (r == quant::Rounding::Onnx) {
    // The double ratio with a 31-bit mantissa (a right shift only, as the onnx helper needs).
    const quant::Requant t = quant::tflite_quantize_multiplier(exact);
    if (t.mult > 0 && 31 - t.shift >= 0 && 31 - t.shift <= 62) c.push_back({t.mult, 31 - t.shift});
  } else {
    c.push_back(quant::make_requant_real(r, exact));
  }
  return c;
}

}  // namespace

bool merge_requantize(ir::Graph& g, const PassContext& ctx) {
  const OpInfo* info = find_op("tinyaot", "Requantize");
  if (!info) return false;
  std::vector<ir::Node*> doomed, sources;
  int64_t merged = 0, kept = 0;
  for (auto& np : g.nodes()) {
    ir::Node& q = *np;
    if (!is_op(&q, "QuantizeLinear") || q.outputs.size() != 1 || !q.outputs[0]) continue;
    if (q.attrs.has("saturate") || q.attrs.has("output_dtype") || q.attrs.has("block_size")) continue;
    ir::Tensor* f = q.in(0);
    ir::Node* dq = f ? f->producer : nullptr;
    if (!is_op(dq, "DequantizeLinear") || dq->outputs.size() != 1 || f->dtype != ir::DType::F32) continue;
    if (dq->attrs.has("block_size")) continue;
    ir::Tensor* x = dq->in(0);
    if (!x || x->is_constant() || !is_q8(x->dtype) || !is_q8(q.outputs[0]->dtype)) continue;
    const ir::Tensor* xs = scalar_const(*dq, 1);
    const ir::Tensor* ys = scalar_const(q, 1);
    if (!xs || !ys || xs->dtype != ir::DType::F32 || ys->dtype != ir::DType::F32) continue;
    if ((dq->in(2) && !scalar_const(*dq, 2)) || (q.in(2) && !scalar_const(q, 2))) continue;
    const float sx = xs->value->data<float>()[0], sy = ys->value->data<float>()[0];
    if (!(sx > 0) || !(sy > 0) || !std::isfinite(sx) || !std::isfinite(sy)) continue;
    const int32_t xz = dq->in(2) ? static_cast<int32_t>(dq->in(2)->value->get_i64(0)) : 0;
    const int32_t yz = q.in(2) ? static_cast<int32_t>(q.in(2)->value->get_i64(0)) : 0;
    const ir::DType yt = q.outputs[0]->dtype;
    const int32_t lo = yt == ir::DType::I8 ? -128 : 0, hi = yt == ir::DType::I8 ? 127 : 255;

    // Reference: the original pair through the evaluator for all 256 input values.
    ir::Value all(x->dtype, {256});
    const int64_t base = x->dtype == ir::DType::I8 ? -128 : 0;
    for (int64_t k = 0; k < 256; ++k) all.set_f64(k, static_cast<double>(base + k));
    std::vector<const ir::Value*> din = {&all, xs->value.get(), dq->in(2) ? dq->in(2)->value.get() : nullptr};
    din.resize(dq->inputs.size(), nullptr);
    const std::vector<ir::Value> fv = evaluate_node(*dq, din);
    std::vector<const ir::Value*> qin = {&fv[0], ys->value.get(), q.in(2) ? q.in(2)->value.get() : nullptr};
    qin.resize(q.inputs.size(), nullptr);
    const std::vector<ir::Value> ref = evaluate_node(q, qin);
    const quant::Rounding r = quant::rounding_of(q);
    bool found = false;
    quant::Requant best;
    for (const quant::Requant& c : candidates(r, sx, sy)) {
      bool same = true;
      for (int64_t k = 0; k < 256 && same; ++k)
        same = quant::requantize(static_cast<int32_t>(base + k) - xz, c, yz, lo, hi, r) == ref[0].get_i64(k);
      if (same) {
        found = true;
        best = c;
        break;
      }
    }
    if (!found) {
      ++kept;
      continue;
    }
    ir::Node* n = g.add_node("Requantize", q.name);
    n->domain = "tinyaot";
    n->opset = 1;
    n->info = info;
    ir::Attribute to;
    to.kind = ir::Attribute::Kind::String;
    to.s = yt == ir::DType::I8 ? "int8" : "uint8";
    n->attrs.set("to", to);
    n->attrs.set_int("multiplier", best.mult);
    n->attrs.set_int("shift", best.shift);
    n->attrs.set_int("x_zero_point", xz);
    n->attrs.set_int("y_zero_point", yz);
    if (const ir::Attribute* ra = q.attrs.find("tinyaot_rounding")) n->attrs.set("tinyaot_rounding", *ra);
    n->inputs = {x};
    ir::Tensor* y = q.outputs[0];
    n->outputs = {y};
    y->producer = n;
    info->infer(*n);
    doomed.push_back(&q);
    sources.push_back(dq);
    ++merged;
  }
  ctx.count("requantize_merged", merged);
  ctx.count("requantize_kept_inexact", kept);
  for (ir::Node* d : doomed) g.remove_node(d);
  if (doomed.empty()) return false;
  // A merged DequantizeLinear left without consumers goes too (its float tensor was the point).
  std::sort(sources.begin(), sources.end());
  sources.erase(std::unique(sources.begin(), sources.end()), sources.end());
  for (ir::Node* d : sources)
    if (!d->outputs[0]->is_graph_output && g.consumers(d->outputs[0]).empty()) g.remove_node(d);
  g.topo_sort();
  g.remove_unused_tensors();
  return true;
}

}  // namespace tinyaot::passes
