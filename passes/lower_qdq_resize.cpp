// lower-qdq: DQ(x) -> Resize(linear, 4-D, only H and W resized) -> Q  =>  tinyaot.QResizeLinear, an
// integer-only bilinear kernel within 1 LSB of the exact Q(Resize(DQ(x))) (docs/quantization.md).
// Nearest Resize needs no kernel of its own: it moves onto the integers in lower_qdq.cpp (sink_dq).
#include <cmath>

#include "compiler/ops/quant_math.h"
#include "compiler/ops/registry.h"
#include "passes/lower_qdq_util.h"

namespace tinyaot {
namespace resize_detail {
// compiler/ops/resize.cpp: the float op's per-axis coordinate plan (source indices and weights).
void axis_plan(const ir::Node& n, size_t d, int& taps, std::vector<int64_t>& idx, std::vector<double>& w,
               std::vector<uint8_t>& valid);
}  // namespace resize_detail
}  // namespace tinyaot

namespace tinyaot::passes::qdq {

bool lower_resize_linear(Graph& g, Node* p, std::vector<Node*>& doomed) {
  if (!is_op(p, "Resize") || p->outputs.size() != 1 || !p->out(0) || p->opset < 11) return false;
  if (p->attrs.get_string("mode", "nearest") != "linear") return false;
  if (p->attrs.get_string("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize")
    return false;
  for (size_t i = 1; i < p->inputs.size(); ++i)
    if (p->inputs[i] && !p->inputs[i]->is_constant()) return false;
  Tensor* xf = p->in(0);
  if (!xf || !is_op(xf->producer, "DequantizeLinear") || xf->shape.size() != 4) return false;
  QSrc x;
  if (!dq_source(g, xf, x, false) || !x.per_tensor() || x.scale->numel() != 1) return false;
  if (!is_q8(x.q->dtype) || x.zp->dtype != x.q->dtype) return false;
  QOut qo;
  std::vector<Node*> act;
  if (!q_consumer(g, p->out(0), qo, act) || !act.empty()) return false;
  const OpInfo* info = find_op("tinyaot", "QResizeLinear");
  if (!info) return false;
  // N and C must map each output to the same input element (weight 1 on index o).
  std::vector<std::vector<int64_t>> idx(4);
  std::vector<std::vector<double>> w(4);
  for (size_t d = 0; d < 4; ++d) {
    int taps = 0;
    std::vector<uint8_t> valid;
    resize_detail::axis_plan(*p, d, taps, idx[d], w[d], valid);
    if (taps != 2) return false;
    for (uint8_t v : valid)
      if (!v) return false;
    if (d < 2) {
      if (p->out(0)->shape[d] != xf->shape[d]) return false;
      for (int64_t o = 0; o < xf->shape[d]; ++o) {
        const size_t k = static_cast<size_t>(o * 2);
        const bool first = idx[d][k] == o && w[d][k] == 1.0 && w[d][k + 1] == 0.0;
        const bool second = idx[d][k + 1] == o && w[d][k + 1] == 1.0 && w[d][k] == 0.0;
        if (!first && !second) return false;
      }
    }
  }
  // Rescale: float32(x_scale / y_scale) = mult * 2^-s exactly; the accumulator is in Q30.
  const float ys = qo.scale->value->data<float>()[0];
  const float ratio = x.s(0) / ys;
  const quant::Requant rq = quant::make_requant(ratio);
  const int64_t shift = static_cast<int64_t>(rq.shift) + 30;
  if (rq.mult <= 0 || shift > 62) return false;
  // The Q15 weights move the blended value by at most 255 * 2^-14 input steps (docs/quantization.md);
  // keep that below a quarter of an output step so that the result stays within 1 LSB.
  if (255.0 / 16384.0 * static_cast<double>(ratio) > 0.25) return false;
  auto tables = [&](size_t d, const std::string& base, Tensor*& ti, Tensor*& tw) {
    const int64_t M = static_cast<int64_t>(idx[d].size() / 2);
    ir::Value vi(DType::I32, {M, 2}), vw(DType::I32, {M, 2});
    for (int64_t o = 0; o < M; ++o) {
      const size_t k = static_cast<size_t>(o * 2);
      const int32_t w0 = static_cast<int32_t>(std::nearbyint(w[d][k] * 32768.0));
      vi.data<int32_t>()[k] = static_cast<int32_t>(idx[d][k]);
      vi.data<int32_t>()[k + 1] = static_cast<int32_t>(idx[d][k + 1]);
      vw.data<int32_t>()[k] = w0;
      vw.data<int32_t>()[k + 1] = 32768 - w0;  // the pair sums to exactly 1
    }
    ti = g.add_constant(base + "_index", std::move(vi));
    tw = g.add_constant(base + "_weight", std::move(vw));
  };
  Tensor *hi, *hw, *wi, *ww;
  const std::string base = p->out(0)->name;
  tables(2, base + "_h", hi, hw);
  tables(3, base + "_w", wi, ww);
  Node* n = g.add_node("QResizeLinear", p->name);
  n->domain = "tinyaot";
  n->opset = 1;
  n->info = info;
  n->attrs.set_int("mult", rq.mult);
  n->attrs.set_int("shift", shift);
  n->inputs = {x.q, x.zp, hi, hw, wi, ww, qo.zp};
  Tensor* yq = qo.q->outputs[0];
  n->outputs = {yq};
  yq->producer = n;
  info->infer(*n);
  doomed.push_back(p);
  doomed.push_back(qo.q);
  return true;
}

}  // namespace tinyaot::passes::qdq
