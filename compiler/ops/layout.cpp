// Semantics of data-movement ops: Transpose, Concat, Split, Slice, Gather(Elements/ND),
// Scatter(Elements/ND), Pad, DepthToSpace, SpaceToDepth, ReverseSequence.
// Kernels live in codegen/kernels/layout.cpp; both use the planning helpers of compiler/ops/layout.h
// so that evaluation and generated code index identically.
#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>

#include "compiler/ops/layout.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Value;

namespace {

using namespace layout_detail;

void require_movable(const Node& n, size_t i) {
  const ir::Tensor& t = ops::input(n, i);
  if (t.dtype == DType::Undefined) ops::fail(n, "input {} ('{}') has no element type", i, t.name);
}

void require_index(const Node& n, size_t i) {
  const ir::Tensor& t = ops::input(n, i);
  if (t.dtype != DType::I32 && t.dtype != DType::I64)
    ops::fail(n, "input {} ('{}') must be int32 or int64, not {}", i, t.name, ir::dtype_name(t.dtype));
}

// Checks a constant index tensor against the extent it indexes (run-time ones are clamped).
void check_const_indices(const Node& n, size_t i, int64_t extent) {
  const ir::Tensor& t = ops::input(n, i);
  if (!t.is_constant()) return;
  for (int64_t k = 0; k < t.numel(); ++k) {
    int64_t v = t.value->get_i64(k);
    if (v < -extent || v >= extent)
      ops::fail(n, "index {} is out of range for a dimension of size {}", v, extent);
  }
}

// Reads index k of `v`, wraps negatives and checks the range (evaluation).
int64_t index_at(const Node& n, const Value& v, int64_t k, int64_t extent) {
  int64_t x = v.get_i64(k);
  if (x < -extent || x >= extent)
    ops::fail(n, "index {} is out of range for a dimension of size {}", x, extent);
  return x < 0 ? x + extent : x;
}

// Copies dims' index space from src to dst (element size es).
void run_strided(const uint8_t* src, uint8_t* dst, size_t es, int64_t ibase, int64_t obase, Dims dims) {
  simplify(dims);
  if (!dims.empty() && dims[0][0] == 0) return;
  int64_t run = 1;
  if (!dims.empty() && dims.back()[1] == 1 && dims.back()[2] == 1) {
    run = dims.back()[0];
    dims.pop_back();
  }
  std::vector<int64_t> idx(dims.size(), 0);
  int64_t io = ibase, oo = obase;
  for (;;) {
    std::memcpy(dst + oo * es, src + io * es, static_cast<size_t>(run) * es);
    size_t d = dims.size();
    bool done = true;
    while (d-- > 0) {
      io += dims[d][1];
      oo += dims[d][2];
      if (++idx[d] < dims[d][0]) {
        done = false;
        break;
      }
      io -= dims[d][1] * dims[d][0];
      oo -= dims[d][2] * dims[d][0];
      idx[d] = 0;
    }
    if (done) return;
  }
}

void eval_strided(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  int64_t ib, ob;
  Dims dims;
  strided_plan(n, ib, ob, dims);
  run_strided(in[0]->bytes.data(), out[0].bytes.data(), ir::dtype_size(in[0]->dtype), ib, ob, dims);
}

template <class T, bool = std::is_integral_v<T>>
struct wrap_type {
  using type = T;
};
template <class T>
struct wrap_type<T, true> {
  using type = std::make_unsigned_t<decltype(T{} + T{})>;
};  // no int promotion

// dst = reduce(dst, src) with wrapping integer arithmetic.
template <class T>
void reduce_into(T& dst, T src, int red) {
  using U = typename wrap_type<T>::type;
  switch (red) {
    case 0: dst = src; break;
    case 1: dst = static_cast<T>(static_cast<U>(dst) + static_cast<U>(src)); break;
    case 2: dst = static_cast<T>(static_cast<U>(dst) * static_cast<U>(src)); break;
    case 3: dst = std::max(dst, src); break;
    case 4: dst = std::min(dst, src); break;
  }
}

void infer_scatter_elements(Node& n) {
  ops::check_arity(n, 3, 3);
  require_movable(n, 0);
  require_index(n, 1);
  const auto& data = ops::input(n, 0);
  const auto& idx = ops::input(n, 1);
  const auto& upd = ops::input(n, 2);
  if (upd.dtype != data.dtype)
    ops::fail(n, "updates type {} differs from data type {}", ir::dtype_name(upd.dtype),
              ir::dtype_name(data.dtype));
  if (idx.shape != upd.shape)
    ops::fail(n, "indices shape {} differs from updates shape {}", ir::shape_str(idx.shape),
              ir::shape_str(upd.shape));
  if (idx.shape.size() != data.shape.size() || data.shape.empty())
    ops::fail(n, "indices rank {} must equal data rank {} (>= 1)", idx.shape.size(), data.shape.size());
  const int64_t axis = axis_attr(n, static_cast<int64_t>(data.shape.size()), 0);
  for (size_t d = 0; d < data.shape.size(); ++d)
    if (static_cast<int64_t>(d) != axis && idx.shape[d] > data.shape[d])
      ops::fail(n, "indices dimension {} ({}) exceeds data's ({})", d, idx.shape[d], data.shape[d]);
  const int red = n.op == "Scatter" ? 0 : scatter_reduction(n);
  if (red && (data.dtype == DType::Bool || data.dtype == DType::F16))
    ops::fail(n, "reductions on {} are not supported", ir::dtype_name(data.dtype));
  check_const_indices(n, 1, data.shape[axis]);
  ops::set_output(n, 0, data.dtype, data.shape);
}

void eval_scatter_elements(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Value& data = *in[0];
  const Value& idx = *in[1];
  const Value& upd = *in[2];
  const int64_t rank = static_cast<int64_t>(data.shape.size());
  const int64_t axis = axis_attr(n, rank, 0);
  const int red = n.op == "Scatter" ? 0 : scatter_reduction(n);
  out[0].bytes = data.bytes;
  const std::vector<int64_t> dst = ops::strides_of(data.shape);
  ops::visit_ctype(data.dtype, [&](auto tag) {
    using T = decltype(tag);
    T* o = out[0].data<T>();
    const T* u = upd.data<T>();
    std::vector<int64_t> j(static_cast<size_t>(rank), 0);
    for (int64_t e = 0; e < idx.numel(); ++e) {
      int64_t off = 0;
      for (int64_t d = 0; d < rank; ++d)
        off += (d == axis ? index_at(n, idx, e, data.shape[axis]) : j[d]) * dst[d];
      reduce_into(o[off], u[e], red);
      for (int64_t d = rank; d-- > 0;) {
        if (++j[d] < idx.shape[d]) break;
        j[d] = 0;
      }
    }
  });
}

}  // namespace

// ---- Transpose ----
void infer_Transpose(Node& n) {
  ops::check_arity(n, 1, 1);
  require_movable(n, 0);
  const auto& x = ops::input(n, 0);
  const size_t rank = x.shape.size();
  std::vector<int64_t> perm = n.attrs.get_ints("perm");
  if (perm.empty())
    for (size_t d = rank; d-- > 0;) perm.push_back(static_cast<int64_t>(d));
  if (perm.size() != rank) ops::fail(n, "perm has {} entries for an input of rank {}", perm.size(), rank);
  std::vector<bool> seen(rank, false);
  ir::Shape out;
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(rank) || seen[p])
      ops::fail(n, "perm is not a permutation of 0..{}", static_cast<int64_t>(rank) - 1);
    seen[p] = true;
    out.push_back(x.shape[p]);
  }
  ops::set_output(n, 0, x.dtype, out);
}
void eval_Transpose(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_strided(n, in, out);
}

// ---- Concat ----
void infer_Concat(Node& n) {
  if (n.inputs.empty()) ops::fail(n, "needs at least one input");
  ops::check_arity(n, n.inputs.size(), n.inputs.size());
  if (!n.attrs.has("axis")) ops::fail(n, "attribute 'axis' is required");
  const auto& x0 = ops::input(n, 0);
  require_movable(n, 0);
  const int64_t rank = static_cast<int64_t>(x0.shape.size());
  if (rank == 0) ops::fail(n, "inputs must have rank >= 1");
  const int64_t axis = axis_attr(n, rank, 0);
  ir::Shape out = x0.shape;
  out[axis] = 0;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const auto& x = ops::input(n, i);
    if (x.dtype != x0.dtype)
      ops::fail(n, "input {} has type {}, input 0 has {}", i, ir::dtype_name(x.dtype),
                ir::dtype_name(x0.dtype));
    if (static_cast<int64_t>(x.shape.size()) != rank)
      ops::fail(n, "input {} has rank {}, input 0 has {}", i, x.shape.size(), rank);
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && x.shape[d] != x0.shape[d])
        ops::fail(n, "input {} shape {} does not match input 0 shape {} outside axis {}", i,
                  ir::shape_str(x.shape), ir::shape_str(x0.shape), axis);
    out[axis] += x.shape[axis];
  }
  ops::set_output(n, 0, x0.dtype, out);
}
void eval_Concat(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const ir::Shape& os = out[0].shape;
  const int64_t axis = axis_attr(n, static_cast<int64_t>(os.size()), 0);
  const size_t es = ir::dtype_size(out[0].dtype);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= os[d];
  for (size_t d = axis + 1; d < os.size(); ++d) inner *= os[d];
  int64_t off = 0;
  for (const Value* v : in) {
    const int64_t blk = v->shape[axis] * inner;
    run_strided(v->bytes.data(), out[0].bytes.data(), es, 0, off,
                {{outer, blk, os[axis] * inner}, {blk, 1, 1}});
    off += blk;
  }
}

// ---- Split ----
void infer_Split(Node& n) {
  ops::check_arity(n, 1, 2, 1 << 20);
  require_movable(n, 0);
  const auto& x = ops::input(n, 0);
  if (x.shape.empty()) ops::fail(n, "input must have rank >= 1");
  const int64_t axis = axis_attr(n, static_cast<int64_t>(x.shape.size()), 0);
  std::vector<int64_t> sizes = split_sizes(n);
  for (size_t i = 0; i < sizes.size(); ++i) {
    ir::Shape s = x.shape;
    s[axis] = sizes[i];
    ops::set_output(n, i, x.dtype, s);
  }
}
void eval_Split(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const ir::Shape& is = in[0]->shape;
  const int64_t axis = axis_attr(n, static_cast<int64_t>(is.size()), 0);
  const size_t es = ir::dtype_size(in[0]->dtype);
  const std::vector<int64_t> sizes = split_sizes(n);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= is[d];
  for (size_t d = axis + 1; d < is.size(); ++d) inner *= is[d];
  int64_t off = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const int64_t blk = sizes[i] * inner;
    if (n.outputs[i])
      run_strided(in[0]->bytes.data(), out[i].bytes.data(), es, off, 0,
                  {{outer, is[axis] * inner, blk}, {blk, 1, 1}});
    off += blk;
  }
}

// ---- Slice ----
void infer_Slice(Node& n) {
  ops::check_arity(n, n.opset < 10 ? 1 : 3, n.opset < 10 ? 1 : 5);
  require_movable(n, 0);
  std::vector<int64_t> start, step, count;
  slice_params(n, start, step, count);
  ops::set_output(n, 0, n.inputs[0]->dtype, count);
}
void eval_Slice(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_strided(n, in, out);
}

// ---- Gather ----
void infer_Gather(Node& n) {
  ops::check_arity(n, 2, 2);
  require_movable(n, 0);
  require_index(n, 1);
  const auto& data = ops::input(n, 0);
  const auto& idx = ops::input(n, 1);
  if (data.shape.empty()) ops::fail(n, "data must have rank >= 1");
  const int64_t axis = axis_attr(n, static_cast<int64_t>(data.shape.size()), 0);
  check_const_indices(n, 1, data.shape[axis]);
  ir::Shape out(data.shape.begin(), data.shape.begin() + axis);
  out.insert(out.end(), idx.shape.begin(), idx.shape.end());
  out.insert(out.end(), data.shape.begin() + axis + 1, data.shape.end());
  ops::set_output(n, 0, data.dtype, out);
}
void eval_Gather(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Value& data = *in[0];
  const Value& idx = *in[1];
  const int64_t axis = axis_attr(n, static_cast<int64_t>(data.shape.size()), 0);
  const size_t es = ir::dtype_size(data.dtype);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= data.shape[d];
  for (size_t d = axis + 1; d < data.shape.size(); ++d) inner *= data.shape[d];
  const int64_t D = data.shape[axis], N = idx.numel();
  for (int64_t k = 0; k < N; ++k) {
    const int64_t j = index_at(n, idx, k, D);
    run_strided(data.bytes.data(), out[0].bytes.data(), es, j * inner, k * inner,
                {{outer, D * inner, N * inner}, {inner, 1, 1}});
  }
}

// ---- GatherElements ----
void infer_GatherElements(Node& n) {
  ops::check_arity(n, 2, 2);
  require_movable(n, 0);
  require_index(n, 1);
  const auto& data = ops::input(n, 0);
  const auto& idx = ops::input(n, 1);
  if (idx.shape.size() != data.shape.size() || data.shape.empty())
    ops::fail(n, "indices rank {} must equal data rank {} (>= 1)", idx.shape.size(), data.shape.size());
  const int64_t axis = axis_attr(n, static_cast<int64_t>(data.shape.size()), 0);
  for (size_t d = 0; d < data.shape.size(); ++d)
    if (static_cast<int64_t>(d) != axis && idx.shape[d] > data.shape[d])
      ops::fail(n, "indices dimension {} ({}) exceeds data's ({})", d, idx.shape[d], data.shape[d]);
  check_const_indices(n, 1, data.shape[axis]);
  ops::set_output(n, 0, data.dtype, idx.shape);
}
void eval_GatherElements(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Value& data = *in[0];
  const Value& idx = *in[1];
  const int64_t rank = static_cast<int64_t>(data.shape.size());
  const int64_t axis = axis_attr(n, rank, 0);
  const size_t es = ir::dtype_size(data.dtype);
  const std::vector<int64_t> dst = ops::strides_of(data.shape);
  std::vector<int64_t> j(static_cast<size_t>(rank), 0);
  for (int64_t e = 0; e < idx.numel(); ++e) {
    int64_t off = 0;
    for (int64_t d = 0; d < rank; ++d)
      off += (d == axis ? index_at(n, idx, e, data.shape[axis]) : j[d]) * dst[d];
    std::memcpy(out[0].bytes.data() + e * es, data.bytes.data() + off * es, es);
    for (int64_t d = rank; d-- > 0;) {
      if (++j[d] < idx.shape[d]) break;
      j[d] = 0;
    }
  }
}

// ---- GatherND ----
void infer_GatherND(Node& n) {
  ops::check_arity(n, 2, 2);
  require_movable(n, 0);
  require_index(n, 1);
  const auto& data = ops::input(n, 0);
  const auto& idx = ops::input(n, 1);
  const int64_t b = n.attrs.get_int("batch_dims", 0);
  if (b != 0 && n.opset < 12) ops::fail(n, "batch_dims needs opset 12");
  const int64_t r = static_cast<int64_t>(data.shape.size()), q = static_cast<int64_t>(idx.shape.size());
  if (r < 1 || q < 1) ops::fail(n, "data and indices must have rank >= 1");
  if (b < 0 || b >= std::min(r, q)) ops::fail(n, "batch_dims {} must be in [0, {})", b, std::min(r, q));
  const int64_t k = idx.shape.back();
  if (k < 1 || k > r - b) ops::fail(n, "indices' last dimension {} must be in [1, {}]", k, r - b);
  for (int64_t d = 0; d < b; ++d)
    if (data.shape[d] != idx.shape[d]) ops::fail(n, "batch dimension {} differs between data and indices", d);
  if (idx.is_constant())
    for (int64_t e = 0; e < idx.numel(); ++e) {
      int64_t v = idx.value->get_i64(e), ext = data.shape[b + e % k];
      if (v < -ext || v >= ext) ops::fail(n, "index {} is out of range for a dimension of size {}", v, ext);
    }
  ir::Shape out(idx.shape.begin(), idx.shape.end() - 1);
  out.insert(out.end(), data.shape.begin() + b + k, data.shape.end());
  ops::set_output(n, 0, data.dtype, out);
}
void eval_GatherND(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Value& data = *in[0];
  const Value& idx = *in[1];
  const int64_t b = n.attrs.get_int("batch_dims", 0);
  const int64_t k = idx.shape.back();
  const size_t es = ir::dtype_size(data.dtype);
  const std::vector<int64_t> dst = ops::strides_of(data.shape);
  int64_t B = 1, M = 1, S = 1;
  for (int64_t d = 0; d < b; ++d) B *= data.shape[d];
  for (size_t d = b; d + 1 < idx.shape.size(); ++d) M *= idx.shape[d];
  for (size_t d = b + k; d < data.shape.size(); ++d) S *= data.shape[d];
  const int64_t batch_stride = b > 0 ? dst[b - 1] : 0;
  for (int64_t bi = 0; bi < B; ++bi)
    for (int64_t m = 0; m < M; ++m) {
      const int64_t t = bi * M + m;
      int64_t off = bi * batch_stride;
      for (int64_t j = 0; j < k; ++j) off += index_at(n, idx, t * k + j, data.shape[b + j]) * dst[b + j];
      std::memcpy(out[0].bytes.data() + t * S * es, data.bytes.data() + off * es,
                  static_cast<size_t>(S) * es);
    }
}

// ---- Scatter (opset 9-10, same as ScatterElements without reduction) / ScatterElements ----
void infer_Scatter(Node& n) {
  infer_scatter_elements(n);
}
void eval_Scatter(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_scatter_elements(n, in, out);
}
void infer_ScatterElements(Node& n) {
  infer_scatter_elements(n);
}
void eval_ScatterElements(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_scatter_elements(n, in, out);
}

// ---- ScatterND ----
void infer_ScatterND(Node& n) {
  ops::check_arity(n, 3, 3);
  require_movable(n, 0);
  require_index(n, 1);
  const auto& data = ops::input(n, 0);
  const auto& idx = ops::input(n, 1);
  const auto& upd = ops::input(n, 2);
  if (upd.dtype != data.dtype)
    ops::fail(n, "updates type {} differs from data type {}", ir::dtype_name(upd.dtype),
              ir::dtype_name(data.dtype));
  const int64_t r = static_cast<int64_t>(data.shape.size()), q = static_cast<int64_t>(idx.shape.size());
  if (r < 1 || q < 1) ops::fail(n, "data and indices must have rank >= 1");
  const int64_t k = idx.shape.back();
  if (k < 1 || k > r) ops::fail(n, "indices' last dimension {} must be in [1, {}]", k, r);
  ir::Shape us(idx.shape.begin(), idx.shape.end() - 1);
  us.insert(us.end(), data.shape.begin() + k, data.shape.end());
  if (upd.shape != us)
    ops::fail(n, "updates shape {} should be {}", ir::shape_str(upd.shape), ir::shape_str(us));
  const int red = scatter_reduction(n);
  if (red && (data.dtype == DType::Bool || data.dtype == DType::F16))
    ops::fail(n, "reductions on {} are not supported", ir::dtype_name(data.dtype));
  if (idx.is_constant())
    for (int64_t e = 0; e < idx.numel(); ++e) {
      int64_t v = idx.value->get_i64(e), ext = data.shape[e % k];
      if (v < -ext || v >= ext) ops::fail(n, "index {} is out of range for a dimension of size {}", v, ext);
    }
  ops::set_output(n, 0, data.dtype, data.shape);
}
void eval_ScatterND(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Value& data = *in[0];
  const Value& idx = *in[1];
  const Value& upd = *in[2];
  const int64_t k = idx.shape.back();
  const int red = scatter_reduction(n);
  const std::vector<int64_t> dst = ops::strides_of(data.shape);
  int64_t M = idx.numel() / k, S = 1;
  for (size_t d = k; d < data.shape.size(); ++d) S *= data.shape[d];
  out[0].bytes = data.bytes;
  ops::visit_ctype(data.dtype, [&](auto tag) {
    using T = decltype(tag);
    T* o = out[0].data<T>();
    const T* u = upd.data<T>();
    for (int64_t m = 0; m < M; ++m) {
      int64_t off = 0;
      for (int64_t j = 0; j < k; ++j) off += index_at(n, idx, m * k + j, data.shape[j]) * dst[j];
      for (int64_t s = 0; s < S; ++s) reduce_into(o[off + s], u[m * S + s], red);
    }
  });
}

// ---- Pad ----
void infer_Pad(Node& n) {
  ops::check_arity(n, 1, n.opset < 11 ? 1 : (n.opset < 18 ? 3 : 4));
  require_movable(n, 0);
  const auto& x = ops::input(n, 0);
  const int mode = pad_mode(n);
  const std::vector<int64_t> pads = pad_amounts(n);
  const size_t rank = x.shape.size();
  if (n.opset >= 11 && ops::has_input(n, 2)) {
    const auto& v = ops::input(n, 2);
    if (v.dtype != x.dtype)
      ops::fail(n, "constant_value type {} differs from input type {}", ir::dtype_name(v.dtype),
                ir::dtype_name(x.dtype));
    if (v.numel() != 1) ops::fail(n, "constant_value must be a scalar, got shape {}", ir::shape_str(v.shape));
  }
  ir::Shape out(rank);
  for (size_t d = 0; d < rank; ++d) {
    out[d] = x.shape[d] + pads[d] + pads[d + rank];
    if (out[d] < 0)
      ops::fail(n, "pads {} and {} crop more than dimension {} (size {}) holds", pads[d], pads[d + rank], d,
                x.shape[d]);
    const int64_t kept = x.shape[d] - std::max<int64_t>(0, -pads[d]) - std::max<int64_t>(0, -pads[d + rank]);
    if (mode != 0 && kept <= 0 && out[d] > 0)
      ops::fail(n, "{} padding of dimension {} needs at least one input element",
                mode == 1 ? "reflect" : "edge", d);
  }
  ops::set_output(n, 0, x.dtype, out);
}
void eval_Pad(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Value& x = *in[0];
  Value& y = out[0];
  const int mode = pad_mode(n);
  const size_t es = ir::dtype_size(x.dtype);
  if (mode == 0) {
    // Fill with the constant, then copy the kept part of the input.
    Value c(x.dtype, {});
    if (n.opset < 11) {
      c.set_f64(0, n.attrs.get_float("value", 0.0f));
    } else if (in.size() > 2 && in[2]) {
      std::memcpy(c.bytes.data(), in[2]->bytes.data(), es);
    }
    for (int64_t e = 0; e < y.numel(); ++e) std::memcpy(y.bytes.data() + e * es, c.bytes.data(), es);
    eval_strided(n, in, out);
    return;
  }
  const std::vector<int64_t> pads = pad_amounts(n);
  const size_t rank = x.shape.size();
  const std::vector<int64_t> xst = ops::strides_of(x.shape);
  std::vector<int64_t> j(rank, 0);
  for (int64_t e = 0; e < y.numel(); ++e) {
    int64_t off = 0;
    for (size_t d = 0; d < rank; ++d)
      off += pad_source(j[d], pads[d], pads[d + rank], x.shape[d], mode) * xst[d];
    std::memcpy(y.bytes.data() + e * es, x.bytes.data() + off * es, es);
    for (size_t d = rank; d-- > 0;) {
      if (++j[d] < y.shape[d]) break;
      j[d] = 0;
    }
  }
}

// ---- DepthToSpace / SpaceToDepth ----
namespace {
void infer_blocks(Node& n) {
  ops::check_arity(n, 1, 1);
  require_movable(n, 0);
  const auto& x = ops::input(n, 0);
  if (x.shape.size() != 4) ops::fail(n, "input must have rank 4 (NCHW), got {}", ir::shape_str(x.shape));
  if (!n.attrs.has("blocksize")) ops::fail(n, "attribute 'blocksize' is required");
  const int64_t b = n.attrs.get_int("blocksize", 0);
  if (b < 1 || b > 65536) ops::fail(n, "blocksize must be in 1..65536, got {}", b);  // b*b*dim stays in int64
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  if (n.op == "DepthToSpace") {
    std::string mode = n.attrs.get_string("mode", "DCR");
    if (mode != "DCR" && mode != "CRD") ops::fail(n, "mode '{}' must be DCR or CRD", mode);
    if (C % (b * b)) ops::fail(n, "channels {} are not divisible by blocksize^2 ({})", C, b * b);
    ops::set_output(n, 0, x.dtype, {N, C / (b * b), H * b, W * b});
  } else {
    if (H % b || W % b) ops::fail(n, "spatial size {}x{} is not divisible by blocksize {}", H, W, b);
    ops::set_output(n, 0, x.dtype, {N, C * b * b, H / b, W / b});
  }
}
}  // namespace

void infer_DepthToSpace(Node& n) {
  infer_blocks(n);
}
void eval_DepthToSpace(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_strided(n, in, out);
}
void infer_SpaceToDepth(Node& n) {
  infer_blocks(n);
}
void eval_SpaceToDepth(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  eval_strided(n, in, out);
}

// ---- ReverseSequence ----
void infer_ReverseSequence(Node& n) {
  ops::check_arity(n, 2, 2);
  require_movable(n, 0);
  const auto& x = ops::input(n, 0);
  const auto& lens = ops::input(n, 1);
  if (lens.dtype != DType::I64 && lens.dtype != DType::I32)
    ops::fail(n, "sequence_lens must be int64, not {}", ir::dtype_name(lens.dtype));
  if (x.shape.size() < 2) ops::fail(n, "input must have rank >= 2");
  const int64_t ba = n.attrs.get_int("batch_axis", 1), ta = n.attrs.get_int("time_axis", 0);
  if (!((ba == 0 && ta == 1) || (ba == 1 && ta == 0)))
    ops::fail(n, "batch_axis ({}) and time_axis ({}) must be 0 and 1 in some order", ba, ta);
  if (lens.shape.size() != 1 || lens.shape[0] != x.shape[ba])
    ops::fail(n, "sequence_lens shape {} should be [{}]", ir::shape_str(lens.shape), x.shape[ba]);
  if (lens.is_constant())
    for (int64_t i = 0; i < lens.numel(); ++i)
      if (lens.value->get_i64(i) < 0 || lens.value->get_i64(i) > x.shape[ta])
        ops::fail(n, "sequence length {} is outside [0, {}]", lens.value->get_i64(i), x.shape[ta]);
  ops::set_output(n, 0, x.dtype, x.shape);
}
void eval_ReverseSequence(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const Value& x = *in[0];
  const int64_t ba = n.attrs.get_int("batch_axis", 1);
  const size_t es = ir::dtype_size(x.dtype);
  const int64_t B = x.shape[ba], T = x.shape[1 - ba];
  int64_t inner = 1;
  for (size_t d = 2; d < x.shape.size(); ++d) inner *= x.shape[d];
  const int64_t bs = ba == 0 ? T * inner : inner, ts = ba == 0 ? inner : B * inner;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = in[1]->get_i64(b);
    if (len < 0 || len > T) ops::fail(n, "sequence length {} is outside [0, {}]", len, T);
    for (int64_t t = 0; t < T; ++t) {
      const int64_t src = t < len ? len - 1 - t : t;
      std::memcpy(out[0].bytes.data() + (b * bs + t * ts) * es, x.bytes.data() + (b * bs + src * ts) * es,
                  static_cast<size_t>(inner) * es);
    }
  }
}

}  // namespace tinyaot
