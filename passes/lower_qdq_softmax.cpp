// lower-qdq: DQ(x) -> Softmax / LogSoftmax -> Q  =>  tinyaot.QSoftmax / tinyaot.QLogSoftmax, the
// integer-only row kernels of the lut family (compiler/ops/lut.cpp), each within 1 LSB of the
// exact Q(op(DQ(x))). The bounds that decide whether a group is lowered are derived in
// docs/quantization.md; a group outside them stays float (with a note, lower_qdq_notes.cpp).
#include <cmath>

#include "compiler/ops/op_util.h"
#include "compiler/ops/quant_math.h"
#include "compiler/ops/registry.h"
#include "compiler/ops/tflite_softmax.h"
#include "passes/lower_qdq_util.h"

namespace tinyaot::passes::qdq {

namespace {

// The group DQ(x) -> op -> Q with per-tensor parameters, and the op's rows as [outer, len, inner]
// (opset < 13 coerces to 2-D at the axis, later opsets reduce one axis).
struct RowGroup {
  QSrc x;
  QOut qo;
  int64_t len = 1, inner = 1;
};

bool match_rows(Graph& g, Node* p, const char* op, RowGroup& r) {
  if (!is_op(p, op) || p->outputs.size() != 1) return false;
  Tensor* xf = p->in(0);
  if (!xf || !is_op(xf->producer, "DequantizeLinear")) return false;
  if (!dq_source(g, xf, r.x, false) || !r.x.per_tensor() || r.x.scale->numel() != 1) return false;
  std::vector<Node*> act;
  if (!q_consumer(g, p->out(0), r.qo, act) || !act.empty()) return false;
  const ir::Shape& sh = xf->shape;
  const int64_t rank = static_cast<int64_t>(sh.size());
  if (rank == 0) return false;
  const bool v13 = p->opset >= 13;
  const int64_t axis = ops::normalize_axis(*p, p->attrs.get_int("axis", v13 ? -1 : 1), rank);
  for (int64_t d = axis; d < rank; ++d) (d == axis || !v13 ? r.len : r.inner) *= sh[static_cast<size_t>(d)];
  return r.len >= 1 && r.len <= 4096;
}

// T[d] = rne(2^24 exp(-x_scale d)): e = 2^24 at the row maximum, and the zero point cancels.
ir::Value exp_table(float xs) {
  ir::Value table(DType::U32, {256});
  for (int d = 0; d < 256; ++d)
    table.data<uint32_t>()[d] =
        static_cast<uint32_t>(std::nearbyint(16777216.0 * std::exp(-static_cast<double>(xs) * d)));
  return table;
}

Node* replace(Graph& g, Node* p, const RowGroup& r, const char* op, std::vector<Tensor*> ins,
              std::vector<Node*>& doomed) {
  Node* n = g.add_node(op, p->name);
  n->domain = "tinyaot";
  n->opset = 1;
  n->info = find_op("tinyaot", op);
  n->attrs.set_int("len", r.len);
  n->attrs.set_int("inner", r.inner);
  n->inputs = std::move(ins);
  Tensor* yq = r.qo.q->outputs[0];
  n->outputs = {yq};
  yq->producer = n;
  // The rounding mode travels with the node (lower-qdq warns about a tflite-mode QSoftmax).
  if (const ir::Attribute* a = p->attrs.find("tinyaot_rounding")) n->attrs.set("tinyaot_rounding", *a);
  doomed.push_back(p);
  doomed.push_back(r.qo.q);
  return n;
}

}  // namespace

// DQ(x) -> Softmax -> Q  =>  tinyaot.QSoftmax: integer-only, within 1 LSB of the exact
// Q(softmax(DQ(x))) (docs/quantization.md); rows of at most 4096 elements.
bool lower_softmax(Graph& g, Node* p, std::vector<Node*>& doomed) {
  RowGroup r;
  if (!find_op("tinyaot", "QSoftmax") || !match_rows(g, p, "Softmax", r)) return false;
  // --rounding tflite: TFLite Micro's own int8 softmax where TFLite accepts the group (int8 in and
  // out, output scale 1/256 and zero point -128, x_scale * 2^26 > 1); rows of at most 256 keep
  // its final shift in range. Otherwise the QSoftmax below (docs/rounding.md).
  if (quant::rounding_of(*p) == quant::Rounding::Tflite && r.x.q->dtype == DType::I8 &&
      r.qo.zp->dtype == DType::I8 && r.qo.zp->value->get_i64(0) == -128 &&
      r.qo.scale->value->data<float>()[0] == 0.00390625f && r.len <= 256) {
    const quant::TflSoftmaxParams tp = quant::tfl_softmax_params(static_cast<double>(r.x.s(0)));
    if (tp.ok) {
      Node* n = replace(g, p, r, "QSoftmaxTflite", {r.x.q}, doomed);
      n->attrs.set_int("mult", tp.mult);
      n->attrs.set_int("left_shift", tp.left_shift);
      n->attrs.set_int("diff_min", tp.diff_min);
      n->info->infer(*n);
      return true;
    }
  }
  // out_mult = rne(2^shift / y_scale) with the largest shift <= 20 that keeps it below 2^32, and
  // at least 2^16 so that its rounding costs < 0.01 LSB.
  const double ys = r.qo.scale->value->data<float>()[0];
  int shift = 20;
  while (shift > 1 && std::nearbyint(std::ldexp(1.0, shift) / ys) > 4294967295.0) --shift;
  const double mult = std::nearbyint(std::ldexp(1.0, shift) / ys);
  if (!(mult >= 65536.0 && mult <= 4294967295.0)) return false;
  // The table rounding moves each probability by at most (len + 1) / 2^25; keep that below a
  // quarter of an output step so that the result stays within 1 LSB (docs/quantization.md).
  if (static_cast<double>(r.len + 1) / 33554432.0 > 0.25 * ys) return false;
  Node* n = replace(g, p, r, "QSoftmax",
                    {r.x.q, g.add_constant(p->out(0)->name + "_exp", exp_table(r.x.s(0))), r.qo.zp}, doomed);
  n->attrs.set_int("out_mult", static_cast<int64_t>(mult));
  n->attrs.set_int("shift", shift);
  n->info->infer(*n);
  return true;
}

// Largest error of QLogSoftmax before its final rounding, in output steps (docs/quantization.md):
// the exp table moves ln(sum) by at most (len + 1) / 2^25, log2_q24 is below the exact log2 by
// less than 2^-24 + 3e-9 (ln: < 2^-23 with margin), the Q16 tables and products add < 2^-15.
double logsoftmax_error_lsb(int64_t len, double ys) {
  return (static_cast<double>(len + 1) / 33554432.0 + 1.0 / 8388608.0) / ys + 1.0 / 32768.0;
}

// DQ(x) -> LogSoftmax -> Q  =>  tinyaot.QLogSoftmax: log_softmax_k = -x_scale (m - x_k) - ln S with
// S = sum exp(-x_scale (m - x_j)) >= 1; both terms are computed in Q16 output steps, integer only.
bool lower_logsoftmax(Graph& g, Node* p, std::vector<Node*>& doomed) {
  RowGroup r;
  if (!find_op("tinyaot", "QLogSoftmax") || !match_rows(g, p, "LogSoftmax", r)) return false;
  const double ys = r.qo.scale->value->data<float>()[0];
  const double xs = r.x.s(0);
  // ln2_mult = rne(2^24 ln 2 / y_scale) <= 2^35 keeps lg * ln2_mult (lg < 2^28) inside int64.
  const double ln2_mult = std::nearbyint(16777216.0 * std::log(2.0) / ys);
  if (!(ln2_mult >= 1.0 && ln2_mult <= 34359738368.0)) return false;
  if (logsoftmax_error_lsb(r.len, ys) > 0.25) return false;
  // dist_table[d] = x_scale d / y_scale in Q16, capped at 2^26 (1024 steps: saturated anyway).
  ir::Value dist(DType::I32, {256});
  for (int d = 0; d < 256; ++d)
    dist.data<int32_t>()[d] =
        static_cast<int32_t>(std::min(std::nearbyint(65536.0 * xs * d / ys), 67108864.0));
  Node* n = replace(g, p, r, "QLogSoftmax",
                    {r.x.q, g.add_constant(p->out(0)->name + "_exp", exp_table(r.x.s(0))),
                     g.add_constant(p->out(0)->name + "_dist", std::move(dist)), r.qo.zp},
                    doomed);
  n->attrs.set_int("ln2_mult", static_cast<int64_t>(ln2_mult));
  n->info->infer(*n);
  return true;
}

}  // namespace tinyaot::passes::qdq
