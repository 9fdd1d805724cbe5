// Semantics of the loss ops: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opsets 12..18).
// Kernels live in codegen/kernels/loss.cpp; decisions on corner cases are in docs/ops/loss.md.
//
// Both ops view the scores as [N, C, D] (D = product of d1..dk, 1 for rank-2 inputs) and the labels
// as [N, D]. A label equal to ignore_index, or outside [0, C), contributes loss 0 and weight 0
// (out-of-range labels are undefined in ONNX; we skip them rather than read out of bounds).
#include <cmath>
#include <string>

#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Value;
using Inputs = std::vector<const Value*>;
using Outputs = std::vector<Value>;

namespace {
namespace loss {

enum class Reduction { None, Sum, Mean };

// Attributes and the [N, C, D] view of a validated loss node (the kernel file mirrors this).
struct LossParams {
  Reduction reduction = Reduction::Mean;
  bool has_ignore = false;
  int64_t ignore_index = 0;
  bool ignore_in_range = false;
  bool has_weight = false;
  int64_t N = 0, C = 0, D = 1;
};

LossParams parse(const Node& n) {
  LossParams p;
  const std::string red = n.attrs.get_string("reduction", "mean");
  if (red == "none")
    p.reduction = Reduction::None;
  else if (red == "sum")
    p.reduction = Reduction::Sum;
  else if (red == "mean")
    p.reduction = Reduction::Mean;
  else
    ops::fail(n, "attribute 'reduction' is '{}'; expected 'none', 'sum' or 'mean'", red);
  p.has_ignore = n.attrs.has("ignore_index");
  p.ignore_index = n.attrs.get_int("ignore_index", 0);

  const ir::Tensor& x = ops::input(n, 0);
  const ir::Tensor& t = ops::input(n, 1);
  if (x.shape.size() < 2)
    ops::fail(n, "input 0 ('{}') has shape {}; expected rank >= 2 [N, C, d1..dk]", x.name,
              ir::shape_str(x.shape));
  p.N = x.shape[0];
  p.C = x.shape[1];
  p.D = 1;
  for (size_t i = 2; i < x.shape.size(); ++i) p.D *= x.shape[i];
  ir::Shape ts{x.shape[0]};
  for (size_t i = 2; i < x.shape.size(); ++i) ts.push_back(x.shape[i]);
  if (t.shape != ts)
    ops::fail(n, "input 1 ('{}') has shape {}; expected {} (input 0 without the class axis)", t.name,
              ir::shape_str(t.shape), ir::shape_str(ts));
  p.has_weight = ops::has_input(n, 2);
  if (p.has_weight) {
    const ir::Tensor& w = ops::input(n, 2);
    if (w.shape != ir::Shape{p.C})
      ops::fail(n, "input 2 ('{}') has shape {}; expected [{}] (one weight per class)", w.name,
                ir::shape_str(w.shape), p.C);
  }
  // Effective ignore_index: only a value inside [0, C) can match a label that is not already
  // skipped as out of range.
  p.ignore_in_range = p.has_ignore && p.ignore_index >= 0 && p.ignore_index < p.C;
  return p;
}

}  // namespace loss

void check_types(const Node& n) {
  const ir::Tensor& x = ops::input(n, 0);
  if (x.dtype != DType::F32 && x.dtype != DType::F64)
    ops::fail(n, "input 0 ('{}') has type {}; supported: float32, float64", x.name, ir::dtype_name(x.dtype));
  const ir::Tensor& t = ops::input(n, 1);
  if (t.dtype != DType::I32 && t.dtype != DType::I64)
    ops::fail(n, "input 1 ('{}') has type {}; supported: int32, int64", t.name, ir::dtype_name(t.dtype));
  if (ops::has_input(n, 2) && ops::input(n, 2).dtype != x.dtype)
    ops::fail(n, "input 2 ('{}') has type {}; expected {} like input 0", n.inputs[2]->name,
              ir::dtype_name(n.inputs[2]->dtype), ir::dtype_name(x.dtype));
}

void infer_loss(Node& n, size_t max_out) {
  ops::check_arity(n, 2, 3, max_out);
  check_types(n);
  const loss::LossParams p = loss::parse(n);
  if (p.C <= 0 || p.N * p.D <= 0)
    ops::fail(n, "input 0 ('{}') has shape {}; empty tensors are not supported", n.inputs[0]->name,
              ir::shape_str(n.inputs[0]->shape));
  const DType dt = n.inputs[0]->dtype;
  if (p.reduction == loss::Reduction::None)
    ops::set_output(n, 0, dt, n.inputs[1]->shape);
  else
    ops::set_output(n, 0, dt, {});
}

// Shared reduction: `lp(n, c, d)` gives the log-probability (NLL input) of class c.
template <class LP>
void eval_reduce(const loss::LossParams& p, const Value& target, const Value* weight, LP&& lp, Value& out) {
  double sum = 0, wsum = 0;
  for (int64_t i = 0; i < p.N; ++i) {
    for (int64_t d = 0; d < p.D; ++d) {
      const int64_t k = i * p.D + d;
      const int64_t t = target.get_i64(k);
      double l = 0, w = 0;
      if (t >= 0 && t < p.C && !(p.has_ignore && t == p.ignore_index)) {
        w = weight ? weight->get_f64(t) : 1.0;
        l = -lp(i, t, d) * w;
      }
      if (p.reduction == loss::Reduction::None) out.set_f64(k, l);
      sum += l;
      wsum += w;
    }
  }
  if (p.reduction == loss::Reduction::Sum) out.set_f64(0, sum);
  if (p.reduction == loss::Reduction::Mean) out.set_f64(0, sum / wsum);  // NaN if all skipped
}

}  // namespace

void infer_NegativeLogLikelihoodLoss(Node& n) {
  infer_loss(n, 1);
}

void eval_NegativeLogLikelihoodLoss(const Node& n, const Inputs& in, Outputs& out) {
  const loss::LossParams p = loss::parse(n);
  const Value& x = *in[0];
  eval_reduce(
      p, *in[1], in.size() > 2 ? in[2] : nullptr,
      [&](int64_t i, int64_t c, int64_t d) { return x.get_f64((i * p.C + c) * p.D + d); }, out[0]);
}

void infer_SoftmaxCrossEntropyLoss(Node& n) {
  infer_loss(n, 2);
  ops::set_output(n, 1, n.inputs[0]->dtype, n.inputs[0]->shape);
}

void eval_SoftmaxCrossEntropyLoss(const Node& n, const Inputs& in, Outputs& out) {
  const loss::LossParams p = loss::parse(n);
  const Value& x = *in[0];
  // Numerically stable log-softmax over the class axis, in double.
  std::vector<double> logp(static_cast<size_t>(x.numel()));
  for (int64_t i = 0; i < p.N; ++i) {
    for (int64_t d = 0; d < p.D; ++d) {
      const int64_t base = i * p.C * p.D + d;
      double m = -INFINITY;
      for (int64_t c = 0; c < p.C; ++c) m = std::fmax(m, x.get_f64(base + c * p.D));
      double s = 0;
      for (int64_t c = 0; c < p.C; ++c) s += std::exp(x.get_f64(base + c * p.D) - m);
      const double lse = m + std::log(s);
      for (int64_t c = 0; c < p.C; ++c)
        logp[static_cast<size_t>(base + c * p.D)] = x.get_f64(base + c * p.D) - lse;
    }
  }
  eval_reduce(
      p, *in[1], in.size() > 2 ? in[2] : nullptr,
      [&](int64_t i, int64_t c, int64_t d) { return logp[static_cast<size_t>((i * p.C + c) * p.D + d)]; },
      out[0]);
  if (out.size() > 1 && n.out(1))
    for (int64_t e = 0; e < x.numel(); ++e) out[1].set_f64(e, logp[static_cast<size_t>(e)]);
}

}  // namespace tinyaot
