// Post-training quantization: choose which tensors become int8 (those next to an op that the
// lower-qdq pass turns into an integer kernel), share parameters where the integer op needs its
// output on the input's scale, and insert QuantizeLinear/DequantizeLinear pairs and quantized
// weights. The graph stays a float graph (QDQ form) with the same outputs up to quantization
// error; lower-qdq then does the integer lowering with its exactness guarantees.
#include "compiler/quantize.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <set>

#include "compiler/npy.h"
#include "frontend/onnx_import.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

namespace {

using ir::DType;
using ir::Graph;
using ir::Node;
using ir::Tensor;

bool is_op(const Node* n, const char* op) {
  return n && n->domain.empty() && n->op == op;
}

bool is_float_run_time(const Tensor* t) {
  return t && t->dtype == DType::F32 && !t->is_constant();
}

bool const_f32(const Tensor* t) {
  return t && t->is_constant() && t->dtype == DType::F32;
}

// Ops that become integer kernels with their own output range (the lower-qdq patterns). The
// conditions mirror that pass, so that a group we quantize is one it will lower.
bool is_compute(const Node& n) {
  if (!n.domain.empty() || n.outputs.size() != 1 || !n.out(0) || n.out(0)->dtype != DType::F32) return false;
  if (n.attrs.has("tinyaot_act")) return false;
  if (n.op == "Conv")
    return is_float_run_time(n.in(0)) && const_f32(n.in(1)) && (!n.in(2) || const_f32(n.in(2)));
  if (n.op == "Gemm") {
    if (n.attrs.get_int("transA", 0) || n.attrs.get_float("alpha", 1.0f) != 1.0f) return false;
    if (n.in(2) && n.attrs.get_float("beta", 1.0f) != 1.0f) return false;
    if (!is_float_run_time(n.in(0)) || n.in(0)->shape.size() != 2 || !const_f32(n.in(1))) return false;
    if (n.in(1)->shape.size() != 2) return false;
    const int64_t N = n.attrs.get_int("transB", 0) ? n.in(1)->shape[0] : n.in(1)->shape[1];
    return !n.in(2) ||
           (const_f32(n.in(2)) && (n.in(2)->shape == ir::Shape{N} || n.in(2)->shape == ir::Shape{1, N}));
  }
  if (n.op == "MatMul")
    return is_float_run_time(n.in(0)) && !n.in(0)->shape.empty() && const_f32(n.in(1)) &&
           n.in(1)->shape.size() == 2;
  if (n.op == "Softmax" || n.op == "LogSoftmax") return is_float_run_time(n.in(0));
  if (n.op == "Add") {
    const Tensor *a = n.in(0), *b = n.in(1);
    const bool ok_a = is_float_run_time(a) || const_f32(a), ok_b = is_float_run_time(b) || const_f32(b);
    return ok_a && ok_b && (is_float_run_time(a) || is_float_run_time(b));
  }
  return false;
}

// Ops that the integer graph runs on the input's parameters (they only move or select values).
bool is_share(const Node& n) {
  static const std::set<std::string> ops = {"Reshape",   "Flatten", "Squeeze", "Unsqueeze",
                                            "Transpose", "MaxPool", "Pad",     "Concat"};
  if (!n.domain.empty() || !ops.count(n.op) || !is_float_run_time(n.in(0))) return false;
  if (n.outputs.size() != 1 || !n.out(0) || n.out(0)->dtype != DType::F32) return false;
  if (n.op == "Concat") {
    for (const Tensor* t : n.inputs)
      if (!is_float_run_time(t)) return false;
    return true;
  }
  if (n.op == "Pad" && (n.opset < 11 || (n.in(2) && n.in(2)->numel() != 1))) return false;
  for (size_t i = 1; i < n.inputs.size(); ++i)
    if (n.inputs[i] && !n.inputs[i]->is_constant()) return false;
  return true;
}

// A pointwise float op with one run-time input and scalar constant operands: lower-qdq turns it
// into a 256-entry lookup table (the same test as its pointwise_input).
bool is_lut(const Node& n) {
  if (!n.domain.empty() || !n.info || n.outputs.size() != 1 || !n.out(0) || n.out(0)->dtype != DType::F32)
    return false;
  const std::string fam = n.info->family;
  if ((fam != "elementwise" && fam != "binary") || n.attrs.has("tinyaot_act")) return false;
  const Tensor* r = nullptr;
  for (const Tensor* t : n.inputs) {
    if (!t) continue;
    if (t->is_constant()) {
      if (t->numel() != 1) return false;
    } else {
      if (r || t->dtype != DType::F32) return false;
      r = t;
    }
  }
  return r && n.out(0)->shape == r->shape;
}

// Relu, or Clip with constant bounds: fused into a compute producer by lower-qdq.
bool is_fusable_act(const Node& n) {
  if (is_op(&n, "Relu")) return true;
  if (!is_op(&n, "Clip")) return false;
  for (size_t i = 1; i < n.inputs.size(); ++i)
    if (n.inputs[i] && !const_f32(n.inputs[i])) return false;
  return true;
}

Node* add_node(Graph& g, const std::string& op, const std::string& name, std::vector<Tensor*> ins,
               Tensor* out, int64_t axis = -2) {
  Node* n = g.add_node(op, name);
  n->opset = 13;  // per-axis QuantizeLinear/DequantizeLinear need opset 13
  n->info = find_op("", op);
  n->inputs = std::move(ins);
  n->outputs = {out};
  if (axis >= -1) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Int;
    a.i = axis;
    n->attrs.set("axis", a);
  }
  out->producer = n;
  n->info->infer(*n);
  return n;
}

Tensor* scalar_f32(Graph& g, const std::string& base, float v) {
  ir::Value s(DType::F32, {});
  s.data<float>()[0] = v;
  return g.add_constant(base, std::move(s));
}

Tensor* scalar_i8(Graph& g, const std::string& base, int32_t v) {
  ir::Value s(DType::I8, {});
  s.data<int8_t>()[0] = static_cast<int8_t>(v);
  return g.add_constant(base, std::move(s));
}

struct Params {
  float scale = 1;
  int32_t zp = 0;
};

// Union-find over tensors whose quantization parameters must be equal.
struct Classes {
  std::map<const Tensor*, const Tensor*> parent;
  const Tensor* find(const Tensor* t) {
    auto it = parent.find(t);
    if (it == parent.end() || it->second == t) return t;
    return it->second = find(it->second);
  }
  void join(const Tensor* a, const Tensor* b) {
    a = find(a), b = find(b);
    if (a != b) parent[b] = a;
  }
};

// Weight W (float constant) -> DQ(int8 W, per-channel scale along `axis`, zero point 0):
// symmetric, s_c = max|W_c| / 127, q = rne(W / s_c) in [-127, 127].
Tensor* quantize_weight(Graph& g, Tensor* w, int64_t axis, std::vector<float>& scales) {
  const ir::Shape& sh = w->shape;
  const int64_t C = sh[static_cast<size_t>(axis)];
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= sh[static_cast<size_t>(i)];
  for (size_t i = static_cast<size_t>(axis) + 1; i < sh.size(); ++i) inner *= sh[i];
  const float* v = w->value->data<float>();
  scales.assign(static_cast<size_t>(C), 0.0f);
  for (int64_t o = 0, e = 0; o < outer; ++o)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < inner; ++i, ++e)
        if (std::isfinite(v[e]))
          scales[static_cast<size_t>(c)] = std::max(scales[static_cast<size_t>(c)], std::fabs(v[e]));
  // A channel whose weights are all (nearly) zero gets scale 1 and quantizes to zeros: a scale
  // below 1e-12 would make the bias scale x_scale * w_scale too small for the integer kernels.
  for (float& s : scales) s = s / 127.0 >= 1e-12 ? static_cast<float>(static_cast<double>(s) / 127.0) : 1.0f;
  ir::Value q(DType::I8, sh);
  for (int64_t o = 0, e = 0; o < outer; ++o)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < inner; ++i, ++e) {
        const double k = std::nearbyint(static_cast<double>(v[e]) / scales[static_cast<size_t>(c)]);
        q.data<int8_t>()[e] = static_cast<int8_t>(std::clamp(std::isfinite(k) ? k : 0.0, -127.0, 127.0));
      }
  ir::Value sv(DType::F32, {C});
  std::copy(scales.begin(), scales.end(), sv.data<float>());
  Tensor* qt = g.add_constant(w->name + "_q", std::move(q));
  Tensor* st = g.add_constant(w->name + "_scale", std::move(sv));
  Tensor* zt = g.add_constant(w->name + "_zp", ir::Value(DType::I8, {C}));
  Tensor* out = g.add_tensor(g.fresh_name(w->name + "_dq"));
  add_node(g, "DequantizeLinear", w->name + "_dq", {qt, st, zt}, out, axis);
  return out;
}

// Bias b -> DQ(int32 b, scale x_scale * w_scale[c] (float32, as QLinearConv adds it), zero point 0).
Tensor* quantize_bias(Graph& g, Tensor* b, float xs, const std::vector<float>& ws) {
  const int64_t C = b->numel();
  ir::Value q(DType::I32, b->shape);
  ir::Value sv(DType::F32, {C});
  for (int64_t c = 0; c < C; ++c) {
    const float s = xs * ws[static_cast<size_t>(c)];
    sv.data<float>()[c] = s;
    const double k = std::nearbyint(static_cast<double>(b->value->data<float>()[c]) / s);
    q.data<int32_t>()[c] =
        static_cast<int32_t>(std::clamp(std::isfinite(k) ? k : 0.0, -2147483647.0, 2147483647.0));
  }
  Tensor* qt = g.add_constant(b->name + "_q", std::move(q));
  Tensor* st = g.add_constant(b->name + "_scale", std::move(sv));
  Tensor* out = g.add_tensor(g.fresh_name(b->name + "_dq"));
  add_node(g, "DequantizeLinear", b->name + "_dq", {qt, st}, out, b->shape.size() == 2 ? 1 : 0);
  return out;
}

// A float constant operand of Add -> DQ(int8, per-tensor asymmetric from its own min/max).
Tensor* quantize_const_per_tensor(Graph& g, Tensor* t) {
  calib::Range r{0, 0};
  const float* v = t->value->data<float>();
  for (int64_t i = 0; i < t->numel(); ++i)
    if (std::isfinite(v[i])) r.lo = std::min(r.lo, v[i]), r.hi = std::max(r.hi, v[i]);
  Params p;
  calib::asymmetric_params(r, p.scale, p.zp);
  ir::Value q(DType::I8, t->shape);
  for (int64_t i = 0; i < t->numel(); ++i)
    q.data<int8_t>()[i] = static_cast<int8_t>(
        std::clamp(std::nearbyint(static_cast<double>(v[i]) / p.scale) + p.zp, -128.0, 127.0));
  Tensor* qt = g.add_constant(t->name + "_q", std::move(q));
  Tensor* out = g.add_tensor(g.fresh_name(t->name + "_dq"));
  add_node(g, "DequantizeLinear", t->name + "_dq",
           {qt, scalar_f32(g, t->name + "_scale", p.scale), scalar_i8(g, t->name + "_zp", p.zp)}, out);
  return out;
}

void replace_uses(Graph& g, Tensor* from, Tensor* to, const Node* except) {
  for (Node* c : g.consumers(from))
    if (c != except)
      for (Tensor*& t : c->inputs)
        if (t == from) t = to;
}

std::vector<ir::Value> load_arrays(const QuantizeOptions& opt) {
  if (!opt.calibration_arrays.empty()) return opt.calibration_arrays;
  std::vector<ir::Value> out;
  for (auto& f : opt.calibration_files) out.push_back(read_npy(f));
  return out;
}

}  // namespace

QuantizeStats quantize_graph(Graph& g, const QuantizeOptions& opt, std::ostream* progress) {
  QuantizeStats stats;
  std::vector<std::string> sources = opt.calibration_files;
  const std::vector<calib::Sample> samples = calib::split_samples(g, load_arrays(opt), sources);
  const auto ranges = calib::calibrate(g, samples, opt.method, progress);

  // 1. Which nodes run as integer kernels, and which tensors therefore carry int8 values.
  g.topo_sort();
  std::set<const Node*> int_nodes;
  std::set<const Tensor*> internal;  // compute output fused with its Relu/Clip: never quantized
  for (auto& np : g.nodes()) {
    const Node* n = np.get();
    if (is_lut(*n) && !(is_fusable_act(*n) && n->in(0) && n->in(0)->producer &&
                        int_nodes.count(n->in(0)->producer) && is_compute(*n->in(0)->producer) &&
                        !n->in(0)->is_graph_output && g.consumers(n->in(0)).size() == 1)) {
      int_nodes.insert(n);
    } else if (is_compute(*n)) {
      int_nodes.insert(n);
    } else if (is_fusable_act(*n) && n->in(0) && int_nodes.count(n->in(0)->producer) &&
               is_compute(*n->in(0)->producer) && !n->in(0)->is_graph_output &&
               g.consumers(n->in(0)).size() == 1) {
      int_nodes.insert(n);
      internal.insert(n->in(0));
    } else if (is_share(*n) && [&] {
                 for (const Tensor* t : n->inputs)  // Concat: any integer input; others: input 0
                   if (t && t->producer && int_nodes.count(t->producer) &&
                       (t == n->in(0) || n->op == "Concat"))
                     return true;
                 return false;
               }()) {
      int_nodes.insert(n);
    }
  }
  std::vector<Tensor*> qtensors;  // deterministic order: graph inputs, then node outputs
  std::set<const Tensor*> qset;
  auto consider = [&](Tensor* t) {
    if (!is_float_run_time(t) || internal.count(t) || qset.count(t)) return;
    bool want = (t->producer && int_nodes.count(t->producer)) ||
                (opt.io_int8 && (t->is_graph_input || t->is_graph_output));
    for (Node* c : g.consumers(t)) want = want || int_nodes.count(c);
    if (want) qtensors.push_back(t), qset.insert(t);
  };
  for (Tensor* t : g.inputs) consider(t);
  for (auto& np : g.nodes())
    for (Tensor* t : np->outputs) consider(t);

  // 2. Shared parameters: a share op's output is its input on the same scale.
  Classes cls;
  // Concat joins all its inputs. Classes grow by union, so a scale is never narrower than a
  // member's calibrated range.
  for (const Node* n : int_nodes)
    if (is_share(*n) && qset.count(n->out(0)))
      for (const Tensor* t : n->inputs)
        if (t && qset.count(t) && (t == n->in(0) || n->op == "Concat")) cls.join(t, n->out(0));
  std::map<const Tensor*, calib::Range> class_range;
  for (Tensor* t : qtensors) {
    auto it = ranges.find(t);
    const calib::Range r = it == ranges.end() ? calib::Range{} : it->second;
    auto [cr, fresh] = class_range.try_emplace(cls.find(t), r);
    if (!fresh) cr->second.lo = std::min(cr->second.lo, r.lo), cr->second.hi = std::max(cr->second.hi, r.hi);
  }
  std::map<const Tensor*, Params> params;
  for (Tensor* t : qtensors) {
    Params p;
    calib::asymmetric_params(class_range.at(cls.find(t)), p.scale, p.zp);
    params[t] = p;
  }

  // 3. Weights and biases of compute nodes (needs the input's scale for the bias).
  std::vector<Node*> order;
  for (auto& np : g.nodes()) order.push_back(np.get());
  for (Node* n : order) {
    if (!int_nodes.count(n) || !is_compute(*n)) continue;
    if (n->op == "Softmax" || n->op == "LogSoftmax") continue;  // no weights
    if (n->op == "Add") {
      for (size_t i = 0; i < 2; ++i)
        if (const_f32(n->inputs[i]))
          n->inputs[i] = quantize_const_per_tensor(g, n->inputs[i]), ++stats.quantized_weights;
      continue;
    }
    const float xs = params.at(n->in(0)).scale;
    int64_t axis = 0;
    if (n->op == "Gemm") axis = n->attrs.get_int("transB", 0) ? 0 : 1;
    if (n->op == "MatMul") axis = 1;
    std::vector<float> ws;
    n->inputs[1] = quantize_weight(g, n->inputs[1], axis, ws);
    ++stats.quantized_weights;
    if (n->in(2)) n->inputs[2] = quantize_bias(g, n->inputs[2], xs, ws), ++stats.quantized_weights;
  }

  // 4. Activations: t -> Q -> DQ -> (every consumer of t).
  for (Tensor* t : qtensors) {
    const Params p = params.at(t);
    const std::string base = t->name;
    ir::QuantParams qp;
    qp.scale = {p.scale};
    qp.zero_point = {p.zp};
    if (t->is_graph_input && opt.io_int8) {
      Tensor* f = g.add_tensor(g.fresh_name(base + "_dq"));
      t->dtype = DType::I8;
      t->quant = qp;
      Node* dq = add_node(g, "DequantizeLinear", base + "_dq",
                          {t, scalar_f32(g, base + "_scale", p.scale), scalar_i8(g, base + "_zp", p.zp)}, f);
      replace_uses(g, t, f, dq);
    } else if (t->is_graph_output) {
      // The producer writes a new float tensor; the graph output becomes Q (int8 I/O) or DQ(Q).
      Tensor* f = g.add_tensor(g.fresh_name(base + "_f"));
      f->dtype = DType::F32, f->shape = t->shape, f->shaped = true;
      if (Node* p0 = t->producer)
        for (Tensor*& o : p0->outputs)
          if (o == t) o = f, f->producer = p0;
      if (t->is_graph_input) replace_uses(g, t, f, nullptr);  // a graph input that is also an output
      Tensor* sc = scalar_f32(g, base + "_scale", p.scale);
      Tensor* zp = scalar_i8(g, base + "_zp", p.zp);
      if (opt.io_int8) {
        t->dtype = DType::I8;
        t->quant = qp;
        add_node(g, "QuantizeLinear", base + "_q", {f, sc, zp}, t);
        Tensor* d = g.add_tensor(g.fresh_name(base + "_dq"));
        Node* dq = add_node(g, "DequantizeLinear", base + "_dq", {t, sc, zp}, d);
        replace_uses(g, t, d, dq);
      } else {
        Tensor* q = g.add_tensor(g.fresh_name(base + "_q"));
        add_node(g, "QuantizeLinear", base + "_q", {f, sc, zp}, q);
        add_node(g, "DequantizeLinear", base + "_dq", {q, sc, zp}, t);
      }
    } else {
      Tensor* q = g.add_tensor(g.fresh_name(base + "_q"));
      Tensor* d = g.add_tensor(g.fresh_name(base + "_dq"));
      Tensor* sc = scalar_f32(g, base + "_scale", p.scale);
      Tensor* zp = scalar_i8(g, base + "_zp", p.zp);
      Node* qn = add_node(g, "QuantizeLinear", base + "_q", {t, sc, zp}, q);
      add_node(g, "DequantizeLinear", base + "_dq", {q, sc, zp}, d);
      replace_uses(g, t, d, qn);
    }
    ++stats.quantized_tensors;
  }
  g.topo_sort();
  g.verify();
  return stats;
}

std::vector<ir::Value> test_data_calibration(const Graph& g, const std::string& model_path,
                                             int noisy_copies) {
  namespace fs = std::filesystem;
  std::vector<fs::path> sets;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(fs::path(model_path).parent_path(), ec))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0)
      sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty())
    throw CompileError(
        fmt::format("--quantize: no test_data_set_* next to '{}' to calibrate on", model_path));
  // Per graph input, the samples in order: each data set, then its noisy copies.
  std::vector<std::vector<ir::Value>> per_input(g.inputs.size());
  std::mt19937 rng(20240501u);
  for (const fs::path& dir : sets) {
    std::map<std::string, ir::Value> by_name;
    std::vector<ir::Value> by_index;
    for (size_t k = 0;; ++k) {
      const fs::path f = dir / fmt::format("input_{}.pb", k);
      if (!fs::exists(f)) break;
      std::string name;
      ir::Value v = frontend::load_tensor_file(f.string(), &name);
      by_index.push_back(v);
      if (!name.empty()) by_name[name] = v;
    }
    for (size_t i = 0; i < g.inputs.size(); ++i) {
      const Tensor* in = g.inputs[i];
      auto it = by_name.find(in->name);
      if (it == by_name.end() && i >= by_index.size())
        throw CompileError(fmt::format("--quantize: {} has no data for input '{}'", dir.string(), in->name));
      ir::Value v = it != by_name.end() ? it->second : by_index[i];
      if (v.dtype != in->dtype || v.numel() != in->numel())
        throw CompileError(fmt::format("--quantize: {} input '{}' is {} {}, the model wants {} {}",
                                       dir.string(), in->name, ir::dtype_name(v.dtype),
                                       ir::shape_str(v.shape), ir::dtype_name(in->dtype),
                                       ir::shape_str(in->shape)));
      v.shape = in->shape;
      per_input[i].push_back(v);
      if (v.dtype != DType::F32) {
        for (int c = 0; c < noisy_copies; ++c) per_input[i].push_back(v);
        continue;
      }
      double sum = 0, sq = 0;
      const float* d = v.data<float>();
      for (int64_t e = 0; e < v.numel(); ++e) sum += d[e], sq += static_cast<double>(d[e]) * d[e];
      const double n = static_cast<double>(std::max<int64_t>(v.numel(), 1));
      const double sd = std::sqrt(std::max(0.0, sq / n - (sum / n) * (sum / n)));
      for (int c = 0; c < noisy_copies; ++c) {
        ir::Value w = v;
        for (int64_t e = 0; e < w.numel(); ++e) {
          // Box-Muller on the standard-specified mt19937 bit stream (portable across libraries).
          const double u1 = (static_cast<double>(rng() >> 8) + 1.0) / 16777217.0;
          const double u2 = static_cast<double>(rng() >> 8) / 16777216.0;
          const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
          w.data<float>()[e] = static_cast<float>(d[e] + 0.05 * sd * z);
        }
        per_input[i].push_back(std::move(w));
      }
    }
  }
  std::vector<ir::Value> arrays;
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const auto& list = per_input[i];
    ir::Shape s = g.inputs[i]->shape;
    s.insert(s.begin(), static_cast<int64_t>(list.size()));
    ir::Value a(g.inputs[i]->dtype, s);
    size_t off = 0;
    for (const ir::Value& v : list)
      std::memcpy(a.bytes.data() + off, v.bytes.data(), v.bytes.size()), off += v.bytes.size();
    arrays.push_back(std::move(a));
  }
  return arrays;
}

}  // namespace tinyaot
