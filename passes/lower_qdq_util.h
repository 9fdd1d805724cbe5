// Internals of the lower-qdq pass shared by its two source files: lower_qdq.cpp (group matching,
// standard-domain lowerings) and lower_qdq_ms.cpp (lowerings to com.microsoft integer ops).
#pragma once

#include <string>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/ir.h"
#include "compiler/ops/quant_math.h"

namespace tinyaot::passes::qdq {

using ir::DType;
using ir::Graph;
using ir::Node;
using ir::Tensor;

using quant::is_q8;
using quant::qrange;
bool is_op(const Node* n, const char* op);
uint32_t fbits(float f);
// A scale we can reason about: positive, normal and far from overflow/underflow.
bool sane_scale(float s);

// The integer side of a float tensor that is exactly DequantizeLinear(q, scale, zp).
struct QSrc {
  Tensor* q = nullptr;      // integer tensor (constant or run-time)
  Tensor* scale = nullptr;  // f32 constant, scalar or 1-D
  Tensor* zp = nullptr;     // constant of q's type (created when the model omits it)
  int64_t axis = -1;        // -1: per tensor
  Node* dq = nullptr;       // the DequantizeLinear node when there is one
  float s(int64_t i) const { return scale->value->data<float>()[scale->numel() == 1 ? 0 : i]; }
  int64_t z(int64_t i) const { return zp->value->get_i64(zp->numel() == 1 ? 0 : i); }
  bool per_tensor() const { return axis < 0; }
};

// The QuantizeLinear that consumes `v` (its only consumer), per tensor with constant parameters.
struct QOut {
  Node* q = nullptr;
  Tensor* scale = nullptr;
  Tensor* zp = nullptr;  // created (uint8 0) when omitted
  DType dtype = DType::U8;
};

// Is `t` (a float tensor) exactly DequantizeLinear of an integer tensor with constant parameters?
// `want_const`: the integer tensor must be a constant (weights, bias).
bool dq_source(Graph& g, Tensor* t, QSrc& out, bool want_const, bool want_i32 = false);
// Follows `v` through an optional no-op Relu / Clip (collected in `act`) to its QuantizeLinear.
bool q_consumer(Graph& g, Tensor* v, QOut& out, std::vector<Node*>& act);

// lower_qdq_ms.cpp: each rewrites the group rooted at the float op `p` (the replaced nodes go to
// `doomed`) and returns true, or leaves the graph untouched and returns false.
bool lower_add(Graph& g, Node* p, std::vector<Node*>& doomed);
bool lower_avgpool(Graph& g, Node* p, std::vector<Node*>& doomed);
bool lower_mul(Graph& g, Node* p, std::vector<Node*>& doomed);
// lower_qdq_softmax.cpp: DQ -> Softmax / LogSoftmax -> Q as tinyaot.QSoftmax / QLogSoftmax.
bool lower_softmax(Graph& g, Node* p, std::vector<Node*>& doomed);
bool lower_logsoftmax(Graph& g, Node* p, std::vector<Node*>& doomed);
// lower_qdq_resize.cpp: DQ -> Resize(linear, H/W of a 4-D tensor) -> Q as tinyaot.QResizeLinear.
bool lower_resize_linear(Graph& g, Node* p, std::vector<Node*>& doomed);
// lower_qdq_float_groups.cpp: Q(DQ(x)) with different parameters as a 256-entry table; and one
// warning per float node left between a DequantizeLinear and a QuantizeLinear (returns how many).
bool lower_requant(Graph& g, Node* q, std::vector<Node*>& doomed);
int64_t note_float_groups(const Graph& g, Diagnostics* diag);

}  // namespace tinyaot::passes::qdq
