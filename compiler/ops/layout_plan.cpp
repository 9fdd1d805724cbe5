// Planning helpers of the data-movement ops (compiler/ops/layout.h): attribute resolution and
// strided-copy plans shared by the reference evaluation and the kernels.
#include <algorithm>
#include <array>

#include "compiler/ops/layout.h"
#include "compiler/ops/op_util.h"

namespace tinyaot {

using ir::DType;
using ir::Node;
using ir::Value;

namespace layout_detail {

// Drops size-1 levels and merges adjacent levels that are contiguous in both input and output.
void simplify(Dims& dims) {
  for (auto& d : dims)
    if (d[0] == 0) {
      dims = {{0, 1, 1}};
      return;
    }
  Dims r;
  for (auto& d : dims) {
    if (d[0] == 1) continue;
    if (!r.empty() && r.back()[1] == d[1] * d[0] && r.back()[2] == d[2] * d[0]) {
      r.back() = {r.back()[0] * d[0], d[1], d[2]};
      continue;
    }
    r.push_back(d);
  }
  dims = std::move(r);
}

// Axis attribute normalised against `rank`.
int64_t axis_attr(const Node& n, int64_t rank, int64_t def) {
  return ops::normalize_axis(n, n.attrs.get_int("axis", def), rank);
}

// Per-dimension slice (start, step, count) for Slice, covering every dimension of the input.
void slice_params(const Node& n, std::vector<int64_t>& start, std::vector<int64_t>& step,
                  std::vector<int64_t>& count) {
  const ir::Shape& in = ops::input(n, 0).shape;
  const int64_t rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> starts, ends, axes, steps;
  bool have_axes = false, have_steps = false;
  if (n.opset < 10) {
    if (!n.attrs.has("starts") || !n.attrs.has("ends"))
      ops::fail(n, "attributes 'starts' and 'ends' are required");
    starts = n.attrs.get_ints("starts");
    ends = n.attrs.get_ints("ends");
    if (n.attrs.has("axes")) {
      axes = n.attrs.get_ints("axes");
      have_axes = true;
    }
  } else {
    auto ints_of = [&](size_t i, const char* what) {
      const Value& v = ops::const_input(n, i, what);
      if (v.dtype != DType::I32 && v.dtype != DType::I64)
        ops::fail(n, "input {} ({}) must be int32 or int64, not {}", i, what, ir::dtype_name(v.dtype));
      if (v.shape.size() != 1) ops::fail(n, "input {} ({}) must be 1-D", i, what);
      return v.to_i64_vector();
    };
    starts = ints_of(1, "starts");
    ends = ints_of(2, "ends");
    if (ops::has_input(n, 3)) {
      axes = ints_of(3, "axes");
      have_axes = true;
    }
    if (ops::has_input(n, 4)) {
      steps = ints_of(4, "steps");
      have_steps = true;
    }
  }
  if (starts.size() != ends.size())
    ops::fail(n, "starts has {} entries but ends has {}", starts.size(), ends.size());
  if (!have_axes)
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (!have_steps) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size())
    ops::fail(n, "axes has {} entries but starts has {}", axes.size(), starts.size());
  if (steps.size() != starts.size())
    ops::fail(n, "steps has {} entries but starts has {}", steps.size(), starts.size());
  start.assign(in.size(), 0);
  step.assign(in.size(), 1);
  count.assign(in.begin(), in.end());
  std::vector<bool> seen(in.size(), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = ops::normalize_axis(n, axes[i], rank);
    if (seen[a]) ops::fail(n, "axis {} appears more than once", a);
    seen[a] = true;
    const int64_t d = in[a];
    int64_t st = steps[i];
    if (st == 0) ops::fail(n, "step for axis {} is 0", a);
    int64_t s = starts[i], e = ends[i];
    if (s < 0) s += d;  // INT64_MIN + d cannot overflow
    if (e < 0) e += d;
    int64_t c = 0;
    if (d == 0) {
      s = 0;
    } else if (st > 0) {
      st = std::min(st, d + 1);  // larger steps pick the same single element
      s = std::clamp<int64_t>(s, 0, d);
      e = std::clamp<int64_t>(e, 0, d);
      c = e > s ? (e - s - 1) / st + 1 : 0;
    } else {
      st = std::max(st, -(d + 1));
      s = std::clamp<int64_t>(s, 0, d - 1);
      e = std::clamp<int64_t>(e, -1, d - 1);
      c = s > e ? (s - e - 1) / (-st) + 1 : 0;
    }
    start[a] = c ? s : 0;
    step[a] = st;
    count[a] = c;
  }
}

// Pad: full begin/end amounts (2 * rank, ONNX order) after resolving attributes/inputs/axes.
std::vector<int64_t> pad_amounts(const Node& n) {
  const ir::Shape& in = ops::input(n, 0).shape;
  const size_t rank = in.size();
  std::vector<int64_t> pads;
  std::vector<int64_t> axes;
  bool have_axes = false;
  if (n.opset < 11) {
    if (!n.attrs.has("pads")) ops::fail(n, "attribute 'pads' is required");
    pads = n.attrs.get_ints("pads");
  } else {
    const Value& p = ops::const_input(n, 1, "pads");
    if (p.dtype != DType::I64 && p.dtype != DType::I32)
      ops::fail(n, "pads must be int64, not {}", ir::dtype_name(p.dtype));
    pads = p.to_i64_vector();
    if (ops::has_input(n, 3)) {
      if (n.opset < 18) ops::fail(n, "the axes input needs opset 18 (model has {})", n.opset);
      axes = ops::const_input(n, 3, "axes").to_i64_vector();
      have_axes = true;
    }
  }
  // Amounts beyond +-2^31 are meaningless for dims of at most 2^31 and would overflow the output
  // size arithmetic.
  for (int64_t p : pads)
    if (p > (int64_t(1) << 31) || p < -(int64_t(1) << 31)) ops::fail(n, "pad amount {} is out of range", p);
  if (!have_axes) {
    if (pads.size() != 2 * rank)
      ops::fail(n, "pads has {} entries; expected {} for rank {}", pads.size(), 2 * rank, rank);
    return pads;
  }
  if (pads.size() != 2 * axes.size())
    ops::fail(n, "pads has {} entries; expected {} for {} axes", pads.size(), 2 * axes.size(), axes.size());
  std::vector<int64_t> full(2 * rank, 0);
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = ops::normalize_axis(n, axes[i], static_cast<int64_t>(rank));
    if (seen[a]) ops::fail(n, "axis {} appears more than once", a);
    seen[a] = true;
    full[a] = pads[i];
    full[a + rank] = pads[i + axes.size()];
  }
  return full;
}

// 0 constant, 1 reflect, 2 edge.
int pad_mode(const Node& n) {
  std::string m = n.attrs.get_string("mode", "constant");
  if (m == "constant") return 0;
  if (m == "reflect") return 1;
  if (m == "edge") return 2;
  ops::fail(n, "mode '{}' is not supported (constant, reflect, edge)", m);
}

// Input index along one axis that output index j reads (-1: the constant value). Negative pads
// crop first (ONNX reference semantics); reflect/edge then pad the cropped extent.
int64_t pad_source(int64_t j, int64_t pb, int64_t pe, int64_t len, int mode) {
  const int64_t c0 = std::max<int64_t>(0, -pb);
  const int64_t m = len - c0 - std::max<int64_t>(0, -pe);  // cropped length
  int64_t i = j - std::max<int64_t>(0, pb);
  if (i >= 0 && i < m) return c0 + i;
  if (mode == 0 || m <= 0) return -1;
  if (mode == 2) return c0 + (i < 0 ? 0 : m - 1);
  if (m == 1) return c0;
  const int64_t period = 2 * (m - 1);
  i %= period;
  if (i < 0) i += period;
  if (i >= m) i = period - i;
  return c0 + i;
}

// Strided-copy plan (output index space -> input element) for Transpose, Slice, DepthToSpace,
// SpaceToDepth and the interior of a constant Pad. Returns false for ops it does not cover.
bool strided_plan(const Node& n, int64_t& ibase, int64_t& obase, Dims& dims) {
  const ir::Shape& in = ops::input(n, 0).shape;
  const std::vector<int64_t> ist = ops::strides_of(in);
  ibase = obase = 0;
  dims.clear();
  if (n.op == "Transpose") {
    const ir::Shape& out = n.outputs[0]->shape;
    const std::vector<int64_t> ost = ops::strides_of(out);
    std::vector<int64_t> perm = n.attrs.get_ints("perm");
    if (perm.empty())
      for (size_t d = in.size(); d-- > 0;) perm.push_back(static_cast<int64_t>(d));
    for (size_t d = 0; d < out.size(); ++d) dims.push_back({out[d], ist[perm[d]], ost[d]});
    return true;
  }
  if (n.op == "Slice") {
    std::vector<int64_t> start, step, count;
    slice_params(n, start, step, count);
    const std::vector<int64_t> ost = ops::strides_of(count);
    for (size_t d = 0; d < in.size(); ++d) {
      ibase += start[d] * ist[d];
      dims.push_back({count[d], step[d] * ist[d], ost[d]});
    }
    return true;
  }
  if (n.op == "DepthToSpace" || n.op == "SpaceToDepth") {
    const int64_t b = n.attrs.get_int("blocksize", 0);
    const int64_t N = in[0], C = in[1], H = in[2], W = in[3];
    if (n.op == "DepthToSpace") {
      // Output viewed as [N, C/b^2, H, b, W, b].
      const int64_t Co = C / (b * b), HW = H * W;
      const bool crd = n.opset >= 11 && n.attrs.get_string("mode", "DCR") == "CRD";
      const int64_t sc = crd ? b * b * HW : HW, sb1 = crd ? b * HW : b * Co * HW, sb2 = crd ? HW : Co * HW;
      const std::vector<int64_t> ost = ops::strides_of({N, Co, H, b, W, b});
      const int64_t isz[6] = {N, Co, H, b, W, b}, istr[6] = {C * HW, sc, W, sb1, 1, sb2};
      for (int d = 0; d < 6; ++d) dims.push_back({isz[d], istr[d], ost[d]});
    } else {
      // Output viewed as [N, b, b, C, H/b, W/b].
      const int64_t Ho = H / b, Wo = W / b;
      const std::vector<int64_t> ost = ops::strides_of({N, b, b, C, Ho, Wo});
      const int64_t isz[6] = {N, b, b, C, Ho, Wo}, istr[6] = {C * H * W, W, 1, H * W, b * W, b};
      for (int d = 0; d < 6; ++d) dims.push_back({isz[d], istr[d], ost[d]});
    }
    return true;
  }
  if (n.op == "Pad") {
    const std::vector<int64_t> pads = pad_amounts(n);
    const size_t rank = in.size();
    const std::vector<int64_t> ost = ops::strides_of(n.outputs[0]->shape);
    for (size_t d = 0; d < rank; ++d) {
      const int64_t pb = pads[d], pe = pads[d + rank];
      const int64_t i0 = std::max<int64_t>(0, -pb);
      const int64_t cnt = std::max<int64_t>(0, std::min(in[d], in[d] + pe) - i0);
      ibase += i0 * ist[d];
      obase += std::max<int64_t>(0, pb) * ost[d];
      dims.push_back({cnt, ist[d], ost[d]});
    }
    return true;
  }
  return false;
}

// Split: output sizes along the axis.
std::vector<int64_t> split_sizes(const Node& n) {
  const ir::Shape& in = ops::input(n, 0).shape;
  const int64_t axis = axis_attr(n, static_cast<int64_t>(in.size()), 0);
  const int64_t dim = in[axis];
  const int64_t nout = static_cast<int64_t>(n.outputs.size());
  std::vector<int64_t> sizes;
  if (n.opset >= 18 && ops::has_input(n, 1) && n.attrs.has("num_outputs"))
    ops::fail(n, "the split input and the num_outputs attribute cannot both be given");
  if (n.opset < 13 && n.attrs.has("split")) {
    sizes = n.attrs.get_ints("split");
  } else if (n.opset >= 13 && ops::has_input(n, 1)) {
    const Value& v = ops::const_input(n, 1, "split");
    if (v.dtype != DType::I64 && v.dtype != DType::I32)
      ops::fail(n, "split must be int64, not {}", ir::dtype_name(v.dtype));
    sizes = v.to_i64_vector();
  } else if (n.opset >= 18 && n.attrs.has("num_outputs")) {
    const int64_t k = n.attrs.get_int("num_outputs", 0);
    if (k != nout) ops::fail(n, "num_outputs is {} but the node has {} outputs", k, nout);
    const int64_t chunk = (dim + k - 1) / k;
    for (int64_t i = 0; i < k; ++i) sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
  } else {
    if (dim % nout != 0)
      ops::fail(n, "dimension {} of size {} cannot be split evenly into {} outputs", axis, dim, nout);
    sizes.assign(static_cast<size_t>(nout), dim / nout);
  }
  if (static_cast<int64_t>(sizes.size()) != nout)
    ops::fail(n, "split has {} entries but the node has {} outputs", sizes.size(), nout);
  int64_t sum = 0;
  for (int64_t s : sizes) {
    if (s < 0) ops::fail(n, "split sizes must be non-negative, got {}", s);
    // Checked before adding so absurd sizes from a hostile model cannot overflow the sum.
    if (s > dim - sum) ops::fail(n, "split sizes add up to more than dimension {} of size {}", axis, dim);
    sum += s;
  }
  if (sum != dim) ops::fail(n, "split sizes add up to {} but dimension {} has size {}", sum, axis, dim);
  return sizes;
}

// Scatter reduction: 0 none, 1 add, 2 mul, 3 max, 4 min.
int scatter_reduction(const Node& n) {
  std::string r = n.attrs.get_string("reduction", "none");
  if (r != "none" && n.opset < 16)
    ops::fail(n, "attribute 'reduction' needs opset 16 (model has {})", n.opset);
  if (r == "none") return 0;
  if (r == "add") return 1;
  if (r == "mul") return 2;
  if ((r == "max" || r == "min") && n.opset < 18) ops::fail(n, "reduction '{}' needs opset 18", r);
  if (r == "max") return 3;
  if (r == "min") return 4;
  ops::fail(n, "reduction '{}' is not supported (none, add, mul, max, min)", r);
}

}  // namespace layout_detail

}  // namespace tinyaot
