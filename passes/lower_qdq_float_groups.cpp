// lower-qdq: requantization of a DequantizeLinear -> QuantizeLinear pair with different parameters
// as an exact 256-entry table, and the notes for every DQ -> op -> Q group left in float (issue #5:
// "what cannot be lowered stays float between a DQ and a Q, with a note in the report").
#include <fmt/format.h>

#include <set>

#include "compiler/ops/quant_math.h"
#include "compiler/ops/registry.h"
#include "passes/lower_qdq_util.h"

namespace tinyaot::passes::qdq {

// Q(DQ(x)) with different per-tensor parameters  =>  tinyaot.LookupTable(x, table), table[k] =
// Q(DQ(qmin + k)) evaluated with the float32 definitions of both ops: equal for every input. This
// is what remains of DQ -> Resize(nearest) -> Q when the output parameters differ.
bool lower_requant(Graph& g, Node* q, std::vector<Node*>& doomed) {
  if (!is_op(q, "QuantizeLinear") || q->opset >= 19) return false;
  Tensor* v = q->in(0);
  if (!v || !is_op(v->producer, "DequantizeLinear")) return false;
  QSrc x;
  if (!dq_source(g, v, x, false) || !x.per_tensor() || x.scale->numel() != 1) return false;
  if (!is_q8(x.q->dtype) || x.q->dtype != x.zp->dtype) return false;
  Tensor* sc = q->in(1);
  Tensor* zp = q->in(2);
  if (!sc || !sc->is_constant() || sc->numel() != 1 || (zp && (!zp->is_constant() || zp->numel() != 1)))
    return false;
  const float ys = sc->value->data<float>()[0];
  if (!sane_scale(ys)) return false;
  const DType yt = zp ? zp->dtype : DType::U8;
  if (!is_q8(yt)) return false;
  const int32_t yz = zp ? static_cast<int32_t>(zp->value->get_i64(0)) : 0;
  // Bitwise-equal parameters are bypass_q's case (no table needed).
  if (fbits(ys) == fbits(x.s(0)) && yz == x.z(0) && yt == x.q->dtype) return false;
  const OpInfo* info = find_op("tinyaot", "LookupTable");
  if (!info) return false;
  int32_t xlo, xhi, ylo, yhi;
  qrange(x.q->dtype, xlo, xhi);
  qrange(yt, ylo, yhi);
  ir::Value table(yt, {256});
  for (int32_t k = 0; k < 256; ++k) {
    const float d = static_cast<float>(static_cast<int64_t>(xlo + k) - x.z(0)) * x.s(0);
    table.set_f64(k, quant::quantize_f32(d, ys, yz, ylo, yhi));
  }
  Tensor* y = q->outputs[0];
  Node* n = g.add_node("LookupTable", q->name);
  n->domain = "tinyaot";
  n->opset = 1;
  n->info = info;
  n->inputs = {x.q, g.add_constant(y->name + "_requant", std::move(table))};
  n->outputs = {y};
  y->producer = n;
  info->infer(*n);
  doomed.push_back(q);
  return true;
}

namespace {

// Why lower-qdq left the float node `n` (fed by a DequantizeLinear) as it is.
std::string float_reason(const Graph& g, const Node& n) {
  for (const Tensor* t : n.inputs) {
    const Node* d = t ? t->producer : nullptr;
    if (is_op(d, "DequantizeLinear") && d->in(1) && d->in(1)->numel() != 1 && !t->is_constant())
      return "its input is quantized per channel (only per-tensor activations have integer kernels)";
  }
  const Tensor* y = n.out(0);
  if (y && (y->is_graph_output || g.consumers(y).size() != 1))
    return "its float result has several consumers or is a graph output";
  const bool tflite = quant::rounding_of(n) == quant::Rounding::Tflite;
  const std::string& op = n.op;
  if (op == "AveragePool" || op == "GlobalAveragePool")
    return tflite ? "input and output parameters differ, or padding is counted / dilated (TFLite's integer "
                    "pool needs equal parameters)"
                  : "an integer average equals the float path only for power-of-two scales and window "
                    "counts; --rounding tflite lowers it to TFLite's integer pool";
  if (op == "Mul")
    return tflite ? "the operands are not per-tensor 8-bit tensors of one type"
                  : "an integer product equals the float path only for power-of-two scales; --rounding "
                    "tflite lowers it to TFLite's integer Mul";
  if (op == "Softmax" || op == "LogSoftmax")
    return "the row is longer than 4096 or the output scale is too small for the 1-LSB bound, or a "
           "Relu/Clip follows";
  if ((op == "Resize" || op == "Upsample") && n.attrs.get_string("mode", "nearest") == "linear")
    return "linear Resize is lowered only for 4-D tensors resized in H and W (opset >= 11, not "
           "tf_crop_and_resize) with x_scale / y_scale <= 16";
  if (op == "Resize" || op == "Upsample")
    return fmt::format("mode '{}' has no integer kernel (nearest and linear are lowered)",
                       n.attrs.get_string("mode", "nearest"));
  if (op == "Add")
    return "the operands are not per-tensor 8-bit tensors of the output's type, or the integer Add that "
           "reproduces the float32 definition for all 256 x 256 input pairs would need more than 16 "
           "patched pairs at these scales (docs/passes/lower-qdq.md, pattern 7)";
  if (op == "Conv" || op == "Gemm" || op == "MatMul")
    return "weights, bias or scales do not match an exact integer pattern (per-tensor input, bias scale = "
           "x_scale * w_scale, constant weights; docs/passes/lower-qdq.md)";
  if (n.info && (std::string(n.info->family) == "elementwise" || std::string(n.info->family) == "binary"))
    return "it has more than one run-time input or a non-scalar constant operand, so it is no 256-entry "
           "table";
  static const std::set<std::string> movers = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose",
                                               "MaxPool", "Pad",     "Concat",  "Resize"};
  if (movers.count(op))
    return "its inputs' parameters differ or an extra input is not constant (a data-movement op is "
           "lowered only when it moves values of one scale and zero point)";
  return fmt::format("no integer lowering exists for {}", op);
}

// Is a QuantizeLinear reachable from `t` through float nodes (at most `depth` steps)?
bool reaches_q(const Graph& g, const Tensor* t, int depth) {
  if (!t || depth < 0) return false;
  for (const Node* c : g.consumers(t)) {
    if (is_op(c, "QuantizeLinear")) return true;
    if (is_op(c, "DequantizeLinear")) continue;
    for (const Tensor* o : c->outputs)
      if (o && o->dtype == DType::F32 && reaches_q(g, o, depth - 1)) return true;
  }
  return false;
}

}  // namespace

int64_t note_float_groups(const Graph& g, Diagnostics* diag) {
  int64_t notes = 0;
  for (auto& np : g.nodes()) {
    const Node& n = *np;
    if (is_op(&n, "DequantizeLinear") || is_op(&n, "QuantizeLinear") || !n.out(0) ||
        n.out(0)->dtype != DType::F32)
      continue;
    bool from_dq = false;
    for (const Tensor* t : n.inputs)
      from_dq = from_dq || (t && !t->is_constant() && is_op(t->producer, "DequantizeLinear"));
    if (!from_dq || !reaches_q(g, n.out(0), 8)) continue;
    ++notes;
    // Unnamed nodes (allowed by ONNX) are named after their output.
    if (diag)
      diag->warn(
          fmt::format("lower-qdq: node '{}' ({}) stays float between DequantizeLinear and "
                      "QuantizeLinear: {}",
                      n.name.empty() ? n.out(0)->name : n.name,
                      n.domain.empty() ? n.op : n.domain + "." + n.op, float_reason(g, n)));
  }
  return notes;
}

}  // namespace tinyaot::passes::qdq
