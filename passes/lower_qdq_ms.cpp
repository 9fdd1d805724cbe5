// lower-qdq, part 2: QDQ groups rewritten to the integer com.microsoft ops (family quant_ms):
// QLinearAdd, QLinearAveragePool / QLinearGlobalAveragePool and QLinearMul. Exactness of each
// pattern (and when it depends on --rounding): docs/passes/lower-qdq.md, patterns 7-9.
#include <cmath>

#include "compiler/ops/quant_math.h"
#include "compiler/ops/registry.h"
#include "passes/lower_qdq_util.h"

namespace tinyaot::passes::qdq {

// A com.microsoft node writing the group's QuantizeLinear output; it keeps the rounding mode
// stamped on the float node `like`. False when the op family is not built in.
bool make_ms_node(Graph& g, const char* op, const Node& like, std::vector<Tensor*> ins, const QOut& qo,
                  const ir::Attributes* attrs = nullptr) {
  const OpInfo* info = find_op("com.microsoft", op);
  if (!info) return false;
  Node* n = g.add_node(op, like.name);
  n->domain = "com.microsoft";
  n->opset = 1;
  n->info = info;
  if (attrs) n->attrs = *attrs;
  if (const ir::Attribute* r = like.attrs.find("tinyaot_rounding")) n->attrs.set("tinyaot_rounding", *r);
  n->inputs = std::move(ins);
  Tensor* yq = qo.q->outputs[0];
  n->outputs = {yq};
  yq->producer = n;
  info->infer(*n);
  return true;
}

// DQ(a) + DQ(b) [-> Relu/Clip] -> Q  =>  com.microsoft.QLinearAdd, defined as exactly that float32
// computation; lowered only when its integer form needs few patched input pairs.
bool lower_add(Graph& g, Node* p, std::vector<Node*>& doomed) {
  if (!is_op(p, "Add")) return false;
  Tensor* y = p->out(0);
  if (!y || y->dtype != DType::F32) return false;
  QOut qo;
  std::vector<Node*> act;
  if (!q_consumer(g, y, qo, act)) return false;
  QSrc a, b;
  if (!dq_source(g, p->in(0), a, false) || !a.per_tensor() || !dq_source(g, p->in(1), b, false) ||
      !b.per_tensor())
    return false;
  if (a.q->dtype != qo.dtype || b.q->dtype != qo.dtype || a.zp->dtype != qo.dtype || b.zp->dtype != qo.dtype)
    return false;
  const quant::QAddPlan plan =
      quant::make_qadd_plan(a.s(0), static_cast<int32_t>(a.z(0)), b.s(0), static_cast<int32_t>(b.z(0)),
                            qo.scale->value->data<float>()[0], static_cast<int32_t>(qo.zp->value->get_i64(0)),
                            qo.dtype == DType::U8);
  if (!plan.ok || plan.ex_a.size() > 16) return false;
  if (!make_ms_node(g, "QLinearAdd", *p, {a.q, a.scale, a.zp, b.q, b.scale, b.zp, qo.scale, qo.zp}, qo))
    return false;
  doomed.push_back(p);
  for (Node* c : act) doomed.push_back(c);
  doomed.push_back(qo.q);
  return true;
}

// The groups below have an integer form equal to ONNX's float computation only when every float
// step is exact (power-of-two scales and counts: then the float path is rne of the exact rational,
// as is the integer op's onnx rounding). Otherwise the float rounding of DQ, the sum and the
// division decides the exact ties, and the groups are lowered only under `--rounding tflite`,
// where the integer op's TFLite convention is the reference (docs/passes/lower-qdq.md). The
// driver stamps the mode on every node before the pipeline.
bool tflite_mode(const Node& n) {
  return quant::rounding_of(n) == quant::Rounding::Tflite;
}

bool pow2(double v) {
  int e;
  return v > 0 && std::frexp(v, &e) == 0.5 && e > -100 && e < 100;
}

// DQ(x) -> AveragePool / GlobalAveragePool -> Q with equal per-tensor parameters and no counted
// padding (the case TFLite's int8 pool defines)  =>  com.microsoft.QLinear(Global)AveragePool.
bool lower_avgpool(Graph& g, Node* p, std::vector<Node*>& doomed) {
  const bool global = is_op(p, "GlobalAveragePool");
  if ((!global && !is_op(p, "AveragePool")) || p->outputs.size() != 1) return false;
  if (p->attrs.has("tinyaot_act") || p->attrs.get_int("count_include_pad", 0) != 0) return false;
  for (int64_t d : p->attrs.get_ints("dilations"))
    if (d != 1) return false;
  Tensor* xf = p->in(0);
  if (!xf || !is_op(xf->producer, "DequantizeLinear") || xf->shape.size() != 4) return false;
  QSrc x;
  if (!dq_source(g, xf, x, false) || !x.per_tensor() || x.scale->numel() != 1) return false;
  QOut qo;
  std::vector<Node*> act;
  if (!q_consumer(g, p->out(0), qo, act)) return false;
  if (x.q->dtype != qo.dtype || x.zp->dtype != qo.dtype ||
      fbits(x.s(0)) != fbits(qo.scale->value->data<float>()[0]) || x.z(0) != qo.zp->value->get_i64(0))
    return false;
  if (!tflite_mode(*p)) {
    // Exact in onnx rounding only if every window has the same power-of-two count: no padding,
    // no ceil_mode, and a power-of-two scale.
    int64_t count = global ? xf->shape[2] * xf->shape[3] : 1;
    for (int64_t k : p->attrs.get_ints("kernel_shape")) count *= global ? 1 : k;
    for (int64_t v : p->attrs.get_ints("pads"))
      if (v != 0) return false;
    const std::string ap = p->attrs.get_string("auto_pad", "NOTSET");
    if (p->attrs.get_int("ceil_mode", 0) != 0 || (ap != "NOTSET" && ap != "VALID")) return false;
    if (count > 65536 || !pow2(static_cast<double>(count)) || !pow2(x.s(0))) return false;
  }
  if (!make_ms_node(g, global ? "QLinearGlobalAveragePool" : "QLinearAveragePool", *p,
                    {x.q, x.scale, x.zp, qo.scale, qo.zp}, qo, &p->attrs))
    return false;
  doomed.push_back(p);
  for (Node* c : act) doomed.push_back(c);
  doomed.push_back(qo.q);
  return true;
}

// DQ(a) * DQ(b) [-> Relu/Clip] -> Q (per tensor, one 8-bit type)  =>  com.microsoft.QLinearMul:
// (a - za) * (b - zb) rescaled by a_scale * b_scale / y_scale, TFLite's int8 MUL.
bool lower_mul(Graph& g, Node* p, std::vector<Node*>& doomed) {
  if (!is_op(p, "Mul") || p->attrs.has("tinyaot_act")) return false;
  Tensor* y = p->out(0);
  if (!y || y->dtype != DType::F32) return false;
  QSrc a, b;
  if (!dq_source(g, p->in(0), a, false) || !a.per_tensor() || a.scale->numel() != 1 ||
      !dq_source(g, p->in(1), b, false) || !b.per_tensor() || b.scale->numel() != 1)
    return false;
  QOut qo;
  std::vector<Node*> act;
  if (!q_consumer(g, y, qo, act)) return false;
  for (const QSrc* s : {&a, &b})
    if (s->q->dtype != qo.dtype || s->zp->dtype != qo.dtype) return false;
  const double sa = a.s(0), sb = b.s(0), sy = qo.scale->value->data<float>()[0];
  if (!tflite_mode(*p) && !(pow2(sa) && pow2(sb) && pow2(sy) && pow2(sa * sb) && pow2(sa * sb / sy)))
    return false;  // onnx rounding: exact only when the float products are (power-of-two scales)
  if (!make_ms_node(g, "QLinearMul", *p, {a.q, a.scale, a.zp, b.q, b.scale, b.zp, qo.scale, qo.zp}, qo))
    return false;
  doomed.push_back(p);
  for (Node* c : act) doomed.push_back(c);
  doomed.push_back(qo.q);
  return true;
}

}  // namespace tinyaot::passes::qdq
