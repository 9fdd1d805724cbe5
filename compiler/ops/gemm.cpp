// Semantics of matrix products: Gemm, MatMul (numpy batched, 1-D operands, broadcast batch dims)
// and Einsum (any number of operands, ellipsis, repeated labels, implicit output). Reference
// evaluation accumulates in double (Eigen for the matrix products). Kernels live in
// codegen/kernels/gemm.cpp, which shares the Einsum plan through einsum_plan() below.
#include <Eigen/Dense>
#include <algorithm>
#include <map>
#include <string>

#include "compiler/ops/activation.h"
#include "compiler/ops/gemm.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Value;

namespace {

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

std::vector<double> as_f64(const Value& v) {
  std::vector<double> r(static_cast<size_t>(v.numel()));
  if (v.dtype == DType::F32) {
    const float* p = v.data<float>();
    for (size_t i = 0; i < r.size(); ++i) r[i] = p[i];
  } else {
    for (size_t i = 0; i < r.size(); ++i) r[i] = v.get_f64(static_cast<int64_t>(i));
  }
  return r;
}

void store_f64(Value& v, const double* r, int64_t count, int64_t offset = 0) {
  if (v.dtype == DType::F32) {
    float* p = v.data<float>() + offset;
    for (int64_t i = 0; i < count; ++i) p[i] = static_cast<float>(r[i]);
  } else {
    for (int64_t i = 0; i < count; ++i) v.set_f64(offset + i, r[i]);
  }
}

void require_same_float(const Node& n, size_t count) {
  ops::require_float(n, 0);
  for (size_t i = 1; i < count; ++i)
    if (ops::has_input(n, i) && n.inputs[i]->dtype != n.inputs[0]->dtype)
      ops::fail(n, "input {} has type {}, expected {}", i, ir::dtype_name(n.inputs[i]->dtype),
                ir::dtype_name(n.inputs[0]->dtype));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Gemm: Y = alpha * A' * B' + beta * C, A' = transA ? A^T : A, C unidirectionally broadcast.

void infer_Gemm(Node& n) {
  ops::check_arity(n, 2, 3);
  if (n.opset < 11 && !ops::has_input(n, 2)) ops::fail(n, "input C is required before opset 11");
  require_same_float(n, 3);
  const auto& A = n.inputs[0]->shape;
  const auto& B = n.inputs[1]->shape;
  if (A.size() != 2 || B.size() != 2)
    ops::fail(n, "A and B must be matrices, got {} and {}", ir::shape_str(A), ir::shape_str(B));
  const bool ta = n.attrs.get_int("transA", 0) != 0, tb = n.attrs.get_int("transB", 0) != 0;
  const int64_t M = ta ? A[1] : A[0], K = ta ? A[0] : A[1];
  const int64_t Kb = tb ? B[1] : B[0], N = tb ? B[0] : B[1];
  if (K != Kb) ops::fail(n, "inner dimensions differ: A' is {}x{}, B' is {}x{}", M, K, Kb, N);
  if (ops::has_input(n, 2)) {
    const auto& Cs = n.inputs[2]->shape;
    bool ok = Cs.size() <= 2;
    for (size_t i = 0; ok && i < Cs.size(); ++i) {
      const int64_t target = (Cs.size() == 2 && i == 0) ? M : N;
      ok = Cs[i] == 1 || Cs[i] == target;
    }
    if (!ok) ops::fail(n, "C of shape {} cannot be broadcast to {}x{}", ir::shape_str(Cs), M, N);
  }
  ops::set_output(n, 0, n.inputs[0]->dtype, {M, N});
  act::parse(n);  // a fused activation (fuse-activation pass) must be well-formed
}

void eval_Gemm(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  const bool ta = n.attrs.get_int("transA", 0) != 0, tb = n.attrs.get_int("transB", 0) != 0;
  const double alpha = n.attrs.get_float("alpha", 1.0f), beta = n.attrs.get_float("beta", 1.0f);
  const auto a = as_f64(*in[0]), b = as_f64(*in[1]);
  Eigen::Map<const MatD> A(a.data(), in[0]->shape[0], in[0]->shape[1]);
  Eigen::Map<const MatD> B(b.data(), in[1]->shape[0], in[1]->shape[1]);
  MatD Y = ta ? (tb ? MatD(A.transpose() * B.transpose()) : MatD(A.transpose() * B))
              : (tb ? MatD(A * B.transpose()) : MatD(A * B));
  Y *= alpha;
  const int64_t M = Y.rows(), N = Y.cols();
  if (in.size() > 2 && in[2] && beta != 0.0) {
    const auto c = as_f64(*in[2]);
    ops::for_each_broadcast({M, N}, {in[2]->shape}, [&](int64_t e, const std::vector<int64_t>& off) {
      Y(e / N, e % N) += beta * c[static_cast<size_t>(off[0])];
    });
  }
  store_f64(out[0], Y.data(), M * N);
  act::apply(act::parse(n), out[0]);  // fused activation, if any
}

// ---------------------------------------------------------------------------------------------
// MatMul: numpy matmul. 1-D A is [1,K] (row dropped), 1-D B is [K,1] (column dropped).

namespace {

struct MatMulDims {
  int64_t M, K, N;
  ir::Shape batch, a_batch, b_batch;  // a_batch/b_batch right-aligned within batch (rank equal)
  ir::Shape out;
};

MatMulDims matmul_dims(const Node& n) {
  const auto& A = n.inputs[0]->shape;
  const auto& B = n.inputs[1]->shape;
  if (A.empty() || B.empty())
    ops::fail(n, "operands must have rank >= 1 (got {} and {})", ir::shape_str(A), ir::shape_str(B));
  MatMulDims d;
  ir::Shape a = A, b = B;
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  d.M = a[a.size() - 2], d.K = a.back(), d.N = b.back();
  if (b[b.size() - 2] != d.K)
    ops::fail(n, "inner dimensions differ: {} and {}", ir::shape_str(A), ir::shape_str(B));
  ir::Shape ab(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
  d.batch = ops::broadcast_shapes(n, {ab, bb});
  while (ab.size() < d.batch.size()) ab.insert(ab.begin(), 1);
  while (bb.size() < d.batch.size()) bb.insert(bb.begin(), 1);
  d.a_batch = ab, d.b_batch = bb;
  d.out = d.batch;
  if (A.size() > 1) d.out.push_back(d.M);
  if (B.size() > 1) d.out.push_back(d.N);
  return d;
}

}  // namespace

// Shared with codegen/kernels/gemm.cpp: {M, K, N} then batch, a_batch, b_batch (equal rank).
std::vector<std::vector<int64_t>> matmul_plan(const Node& n) {
  MatMulDims d = matmul_dims(n);
  return {{d.M, d.K, d.N}, d.batch, d.a_batch, d.b_batch};
}

void infer_MatMul(Node& n) {
  ops::check_arity(n, 2, 2);
  require_same_float(n, 2);
  MatMulDims d = matmul_dims(n);
  ops::set_output(n, 0, n.inputs[0]->dtype, d.out);
  act::parse(n);
}

void eval_MatMul(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  MatMulDims d = matmul_dims(n);
  const auto a = as_f64(*in[0]), b = as_f64(*in[1]);
  const int64_t batches = ir::num_elements(d.batch);
  const auto as = ops::broadcast_strides(d.a_batch, d.batch);
  const auto bs = ops::broadcast_strides(d.b_batch, d.batch);
  const auto os = ops::strides_of(d.batch);
  for (int64_t e = 0; e < batches; ++e) {
    int64_t ao = 0, bo = 0, rem = e;
    for (size_t k = 0; k < d.batch.size(); ++k) {
      const int64_t idx = rem / os[k];
      rem %= os[k];
      ao += idx * as[k];
      bo += idx * bs[k];
    }
    Eigen::Map<const MatD> A(a.data() + ao * d.M * d.K, d.M, d.K);
    Eigen::Map<const MatD> B(b.data() + bo * d.K * d.N, d.K, d.N);
    MatD Y = A * B;
    store_f64(out[0], Y.data(), d.M * d.N, e * d.M * d.N);
  }
  act::apply(act::parse(n), out[0]);  // fused activation, if any
}

// ---------------------------------------------------------------------------------------------
// Einsum. The plan lists every label (output labels first, then summed ones) with its extent and
// each operand's stride for it (0 when the operand lacks or broadcasts it; repeated labels in
// one operand add their strides, which walks the diagonal).

namespace {

struct EinsumPlan {
  std::vector<int64_t> extent;                // per label
  size_t num_out = 0;                         // labels [0, num_out) index the output, row-major
  std::vector<std::vector<int64_t>> strides;  // [operand][label]
  ir::Shape out_shape;
};

EinsumPlan plan_einsum(const Node& n) {
  std::string eq;
  for (char c : n.attrs.get_string("equation", ""))
    if (c != ' ') eq += c;
  if (eq.empty()) ops::fail(n, "missing 'equation' attribute");
  std::string lhs = eq, rhs;
  const bool explicit_out = eq.find("->") != std::string::npos;
  if (explicit_out) {
    lhs = eq.substr(0, eq.find("->"));
    rhs = eq.substr(eq.find("->") + 2);
  }
  std::vector<std::string> terms;
  {
    std::string cur;
    for (char c : lhs) {
      if (c == ',')
        terms.push_back(cur), cur.clear();
      else
        cur += c;
    }
    terms.push_back(cur);
  }
  if (terms.size() != n.inputs.size())
    ops::fail(n, "equation '{}' has {} operands but the node has {} inputs", eq, terms.size(),
              n.inputs.size());
  // Labels are ints: letters by character code, ellipsis dim j (counted from the left of the
  // broadcast ellipsis shape) as 1000 + j.
  auto parse = [&](const std::string& t, int64_t rank, int64_t* ell_rank) {
    std::vector<int> labels;
    int ell_at = -1;
    for (size_t i = 0; i < t.size(); ++i) {
      if (t.compare(i, 3, "...") == 0) {
        if (ell_at >= 0) ops::fail(n, "equation '{}' has two ellipses in one term", eq);
        ell_at = static_cast<int>(labels.size());
        i += 2;
      } else if (std::isalpha(static_cast<unsigned char>(t[i]))) {
        labels.push_back(t[i]);
      } else {
        ops::fail(n, "equation '{}' has an invalid character '{}'", eq, t[i]);
      }
    }
    *ell_rank = 0;
    if (rank >= 0) {
      const int64_t e = rank - static_cast<int64_t>(labels.size());
      if (e < 0 || (e > 0 && ell_at < 0)) ops::fail(n, "term '{}' does not match operand rank {}", t, rank);
      *ell_rank = e;
    }
    return std::make_pair(labels, ell_at);
  };
  std::vector<std::vector<int>> op_labels(terms.size());
  int64_t E = 0;
  std::vector<int64_t> ell_ranks(terms.size());
  std::vector<int> ell_pos(terms.size());
  for (size_t t = 0; t < terms.size(); ++t) {
    auto [labels, at] = parse(terms[t], static_cast<int64_t>(ops::input(n, t).shape.size()), &ell_ranks[t]);
    op_labels[t] = labels;
    ell_pos[t] = at;
    E = std::max(E, ell_ranks[t]);
  }
  // Per-operand full label list (ellipsis expanded) aligned with its dims.
  std::map<int, int64_t> extent;
  std::map<int, int> count;
  std::vector<std::vector<int>> dims_labels(terms.size());
  for (size_t t = 0; t < terms.size(); ++t) {
    std::vector<int> full;
    for (size_t i = 0; i <= op_labels[t].size(); ++i) {
      if (static_cast<int>(i) == ell_pos[t])
        for (int64_t j = 0; j < ell_ranks[t]; ++j)
          full.push_back(static_cast<int>(1000 + E - ell_ranks[t] + j));
      if (i < op_labels[t].size()) full.push_back(op_labels[t][i]);
    }
    const auto& shape = n.inputs[t]->shape;
    for (size_t i = 0; i < full.size(); ++i) {
      const int l = full[i];
      const int64_t ext = shape[i];
      auto it = extent.find(l);
      if (it == extent.end() || it->second == 1) {
        if (it != extent.end() && l < 1000 && ext != 1)
          ops::fail(n, "label '{}' has extents 1 and {}", static_cast<char>(l), ext);
        extent[l] = ext;
      } else if (ext != it->second && !(l >= 1000 && ext == 1)) {
        ops::fail(n, "label '{}' has inconsistent extents {} and {}",
                  l < 1000 ? std::string(1, static_cast<char>(l)) : std::string("..."), it->second, ext);
      }
    }
    for (int l : op_labels[t]) ++count[l];
    dims_labels[t] = full;
  }
  std::vector<int> out_labels;
  if (explicit_out) {
    int64_t ignored;
    auto [labels, at] = parse(rhs, -1, &ignored);
    for (size_t i = 0; i <= labels.size(); ++i) {
      if (static_cast<int>(i) == at)
        for (int64_t j = 0; j < E; ++j) out_labels.push_back(static_cast<int>(1000 + j));
      if (i < labels.size()) {
        if (!extent.count(labels[i]))
          ops::fail(n, "output label '{}' does not appear in the inputs", static_cast<char>(labels[i]));
        if (std::count(out_labels.begin(), out_labels.end(), labels[i]))
          ops::fail(n, "output label '{}' repeats", static_cast<char>(labels[i]));
        out_labels.push_back(labels[i]);
      }
    }
  } else {
    for (int64_t j = 0; j < E; ++j) out_labels.push_back(static_cast<int>(1000 + j));
    for (auto& [l, c] : count)
      if (c == 1) out_labels.push_back(l);
  }
  std::vector<int> all = out_labels;
  for (auto& [l, ext] : extent)
    if (!std::count(all.begin(), all.end(), l)) all.push_back(l);
  EinsumPlan p;
  p.num_out = out_labels.size();
  for (int l : all) p.extent.push_back(extent[l]);
  for (int l : out_labels) p.out_shape.push_back(extent[l]);
  for (size_t t = 0; t < terms.size(); ++t) {
    std::vector<int64_t> st(all.size(), 0);
    auto own = ops::strides_of(n.inputs[t]->shape);
    for (size_t i = 0; i < dims_labels[t].size(); ++i) {
      if (n.inputs[t]->shape[i] == 1) continue;  // broadcast (or trivially extent 1)
      const size_t li =
          static_cast<size_t>(std::find(all.begin(), all.end(), dims_labels[t][i]) - all.begin());
      st[li] += own[i];
    }
    p.strides.push_back(st);
  }
  return p;
}

}  // namespace

// Shared with codegen/kernels/gemm.cpp: {extents..., }, {num_out}, then one stride row per operand.
std::vector<std::vector<int64_t>> einsum_plan(const Node& n) {
  EinsumPlan p = plan_einsum(n);
  std::vector<std::vector<int64_t>> r = {p.extent, {static_cast<int64_t>(p.num_out)}};
  for (auto& s : p.strides) r.push_back(s);
  return r;
}

void infer_Einsum(Node& n) {
  if (n.inputs.empty()) ops::fail(n, "expects at least one input");
  ops::check_arity(n, 1, n.inputs.size());
  require_same_float(n, n.inputs.size());
  EinsumPlan p = plan_einsum(n);
  ops::set_output(n, 0, n.inputs[0]->dtype, p.out_shape);
}

void eval_Einsum(const Node& n, const std::vector<const Value*>& in, std::vector<Value>& out) {
  EinsumPlan p = plan_einsum(n);
  std::vector<std::vector<double>> ops_v;
  for (auto* v : in) ops_v.push_back(as_f64(*v));
  const size_t L = p.extent.size(), T = in.size();
  int64_t outer = 1, inner = 1;
  for (size_t l = 0; l < L; ++l) (l < p.num_out ? outer : inner) *= p.extent[l];
  std::vector<double> y(static_cast<size_t>(outer), 0.0);
  std::vector<int64_t> idx(L, 0), off(T, 0);
  // Odometer over all labels; output labels are the most significant, so the output element
  // changes only after all summed labels wrapped.
  const int64_t total = outer * inner;
  for (int64_t e = 0; e < total; ++e) {
    double prod = 1.0;
    for (size_t t = 0; t < T; ++t) prod *= ops_v[t][static_cast<size_t>(off[t])];
    y[static_cast<size_t>(e / inner)] += prod;
    for (size_t l = L; l-- > 0;) {
      ++idx[l];
      for (size_t t = 0; t < T; ++t) off[t] += p.strides[t][l];
      if (idx[l] < p.extent[l]) break;
      for (size_t t = 0; t < T; ++t) off[t] -= p.strides[t][l] * p.extent[l];
      idx[l] = 0;
    }
  }
  store_f64(out[0], y.data(), outer);
}

}  // namespace tinyaot
