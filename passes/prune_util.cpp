// Helpers of the prune-zero-channels pass: layer view, exact contributions, channel removal.
#include "passes/prune_util.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include "compiler/ops/conv.h"
#include "compiler/ops/pos_bias.h"
#include "compiler/ops/quant_math.h"
#include "compiler/ops/registry.h"

namespace tinyaot::passes::prune {

namespace {

bool is_const(const ir::Node& n, size_t i) {
  return i < n.inputs.size() && n.inputs[i] && n.inputs[i]->is_constant();
}

// Copies the rows (dim 0) of `v` that are not in `drop`, each row keeping the columns (dim 1) not
// in `drop_cols`.
ir::Value slice01(const ir::Value& v, const std::set<int64_t>& drop, const std::set<int64_t>& drop_cols) {
  ir::Shape s = v.shape;
  const int64_t rows = s[0], cols = s.size() > 1 ? s[1] : 1;
  int64_t inner = 1;
  for (size_t i = 2; i < s.size(); ++i) inner *= s[i];
  s[0] = rows - static_cast<int64_t>(drop.size());
  if (s.size() > 1) s[1] = cols - static_cast<int64_t>(drop_cols.size());
  ir::Value r(v.dtype, s);
  const size_t es = ir::dtype_size(v.dtype);
  size_t o = 0;
  for (int64_t i = 0; i < rows; ++i) {
    if (drop.count(i)) continue;
    for (int64_t j = 0; j < cols; ++j) {
      if (drop_cols.count(j)) continue;
      const size_t from = static_cast<size_t>((i * cols + j) * inner) * es,
                   n = static_cast<size_t>(inner) * es;
      std::copy(v.bytes.begin() + static_cast<std::ptrdiff_t>(from),
                v.bytes.begin() + static_cast<std::ptrdiff_t>(from + n),
                r.bytes.begin() + static_cast<std::ptrdiff_t>(o));
      o += n;
    }
  }
  return r;
}

// Attaches the per-position table (compiler/ops/pos_bias.h) for `total` [M][OH*OW], without the
// output channels in `rout`. Rows (columns) with identical values for every channel and column
// (row) share a class, so the table is [M][row classes][column classes] and still exact.
void set_pos_bias(ir::Node& n, const ConvInfo& ci, const std::vector<double>& total,
                  const std::set<int64_t>& rout) {
  auto val = [&](int64_t m, int64_t oh, int64_t ow) {
    return total[static_cast<size_t>((m * ci.OH + oh) * ci.OW + ow)];
  };
  std::vector<int64_t> rows(static_cast<size_t>(ci.OH)), cols(static_cast<size_t>(ci.OW)), rrep, crep;
  for (int64_t oh = 0; oh < ci.OH; ++oh) {
    int64_t cls = -1;
    for (size_t k = 0; k < rrep.size() && cls < 0; ++k) {
      bool same = true;
      for (int64_t m = 0; m < ci.M && same; ++m)
        for (int64_t ow = 0; ow < ci.OW && same; ++ow) same = val(m, oh, ow) == val(m, rrep[k], ow);
      if (same) cls = static_cast<int64_t>(k);
    }
    if (cls < 0) cls = static_cast<int64_t>(rrep.size()), rrep.push_back(oh);
    rows[static_cast<size_t>(oh)] = cls;
  }
  for (int64_t ow = 0; ow < ci.OW; ++ow) {
    int64_t cls = -1;
    for (size_t k = 0; k < crep.size() && cls < 0; ++k) {
      bool same = true;
      for (int64_t m = 0; m < ci.M && same; ++m)
        for (int64_t oh = 0; oh < ci.OH && same; ++oh) same = val(m, oh, ow) == val(m, oh, crep[k]);
      if (same) cls = static_cast<int64_t>(k);
    }
    if (cls < 0) cls = static_cast<int64_t>(crep.size()), crep.push_back(ow);
    cols[static_cast<size_t>(ow)] = cls;
  }
  ir::Attribute tab;
  tab.kind = ci.q ? ir::Attribute::Kind::Ints : ir::Attribute::Kind::Floats;
  for (int64_t m = 0; m < ci.M; ++m) {
    if (rout.count(m)) continue;
    for (int64_t rh : rrep)
      for (int64_t cw : crep) {
        if (ci.q)
          tab.ints.push_back(static_cast<int64_t>(val(m, rh, cw)));
        else
          tab.floats.push_back(static_cast<float>(val(m, rh, cw)));
      }
  }
  ir::Attribute ra, ca;
  ra.kind = ca.kind = ir::Attribute::Kind::Ints;
  ra.ints = rows;
  ca.ints = cols;
  n.attrs.set("tinyaot_pos_bias", tab);
  n.attrs.set("tinyaot_pos_rows", ra);
  n.attrs.set("tinyaot_pos_cols", ca);
}

}  // namespace

bool ConvInfo::weights_zero(int64_t m, int64_t cg) const {
  const int64_t K = KH * KW, base = (m * Cg + cg) * K;
  for (int64_t e = 0; e < K; ++e)
    if (q ? w->get_i64(base + e) != wzp[static_cast<size_t>(m)] : w->get_f64(base + e) != 0.0) return false;
  return true;
}

bool conv_info(ir::Node& n, ConvInfo& ci) {
  if (!n.domain.empty() || n.outputs.empty() || !n.outputs[0] || !n.in(0)) return false;
  ci = ConvInfo();
  ci.n = &n;
  std::vector<int64_t> in, out, k, s, d, pb;
  if (n.op == "Conv") {
    if (n.inputs[0]->dtype != ir::DType::F32 || !is_const(n, 1)) return false;
    if (n.inputs.size() > 2 && n.inputs[2] && !is_const(n, 2)) return false;
    auto geo = conv_geometry(n);
    const auto& dims = geo["dims"];
    if (dims[0] != 1) return false;
    ci.C = dims[1], ci.M = dims[2], ci.G = dims[3];
    in = geo["in"], out = geo["out"], k = geo["kernel"], s = geo["strides"], d = geo["dilations"];
    pb = geo["pads_begin"];
    ci.wi = 1, ci.bi = 2;
  } else if (n.op == "QLinearConv") {
    for (size_t i : {1, 3, 4, 6})
      if (!is_const(n, i)) return false;
    for (size_t i : {2, 5, 7, 8})
      if (i < n.inputs.size() && n.inputs[i] && !is_const(n, i)) return false;
    auto geo = qconv_geometry(n);
    if (geo.N != 1) return false;
    ci.q = true;
    ci.C = geo.C, ci.M = geo.M, ci.G = geo.G;
    in = geo.in, out = geo.out, k = geo.k, s = geo.s, d = geo.d, pb = geo.pb;
    ci.wi = 3, ci.bi = 8;
    ci.xzp = n.in(2) ? n.in(2)->value->get_i64(0) : 0;
  } else {
    return false;
  }
  if (in.size() != 2) return false;
  ci.Cg = ci.C / ci.G, ci.Mg = ci.M / ci.G;
  ci.H = in[0], ci.W = in[1], ci.OH = out[0], ci.OW = out[1], ci.KH = k[0], ci.KW = k[1];
  ci.SH = s[0], ci.SW = s[1], ci.DH = d[0], ci.DW = d[1], ci.PT = pb[0], ci.PL = pb[1];
  ci.w = n.inputs[ci.wi]->value.get();
  ci.b = ci.bi < n.inputs.size() && n.inputs[ci.bi] ? n.inputs[ci.bi]->value.get() : nullptr;
  ci.wzp.assign(static_cast<size_t>(ci.M), 0);
  if (ci.q && n.in(5)) {
    const ir::Value& z = *n.in(5)->value;
    for (int64_t m = 0; m < ci.M; ++m) ci.wzp[static_cast<size_t>(m)] = z.get_i64(z.numel() == 1 ? 0 : m);
  }
  return true;
}

const Contrib& ContribCache::get(const ConvInfo& ci, int64_t c, const std::vector<double>& map) {
  auto key = std::make_pair(static_cast<const ir::Node*>(ci.n), c);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  Contrib r;
  const int64_t P = ci.out_hw();
  r.map.assign(static_cast<size_t>(ci.M * P), 0.0);
  for (int64_t m = 0; m < ci.M; ++m) {
    const int64_t wz = ci.wzp[static_cast<size_t>(m)];
    for (int64_t oh = 0; oh < ci.OH; ++oh)
      for (int64_t ow = 0; ow < ci.OW; ++ow) {
        // Integer terms are summed exactly in int64; float terms in double. Taps falling on the
        // padding are skipped, as in the convolution itself: that is what makes borders differ.
        int64_t si = 0;
        double sf = 0;
        for (int64_t kh = 0; kh < ci.KH; ++kh) {
          const int64_t ih = oh * ci.SH - ci.PT + kh * ci.DH;
          if (ih < 0 || ih >= ci.H) continue;
          for (int64_t kw = 0; kw < ci.KW; ++kw) {
            const int64_t iw = ow * ci.SW - ci.PL + kw * ci.DW;
            if (iw < 0 || iw >= ci.W) continue;
            const int64_t widx = ((m * ci.Cg + c) * ci.KH + kh) * ci.KW + kw;
            const double x = map[static_cast<size_t>(ih * ci.W + iw)];
            if (ci.q)
              si += (static_cast<int64_t>(x) - ci.xzp) * (ci.w->get_i64(widx) - wz);
            else
              sf += x * ci.w->get_f64(widx);
          }
        }
        const double val = ci.q ? static_cast<double>(si) : sf;
        const size_t at = static_cast<size_t>(m * P + oh * ci.OW + ow);
        r.map[at] = val;
        if (val != r.map[static_cast<size_t>(m * P)]) r.uniform = false;
      }
  }
  return cache_[key] = std::move(r);
}

std::vector<double> total_contrib(const ConvInfo& ci, const std::set<int64_t>& s,
                                  const std::map<int64_t, std::vector<double>>& kin, ContribCache& contrib,
                                  bool& uniform) {
  const int64_t P = ci.out_hw();
  std::vector<double> t(static_cast<size_t>(ci.M * P), 0.0);
  for (int64_t c : s) {
    const Contrib& k = contrib.get(ci, c, kin.at(c));
    for (size_t e = 0; e < t.size(); ++e) t[e] += k.map[e];
  }
  uniform = true;
  for (int64_t m = 0; m < ci.M; ++m)
    for (int64_t p = 0; p < P; ++p)
      uniform = uniform && t[static_cast<size_t>(m * P + p)] == t[static_cast<size_t>(m * P)];
  return t;
}

bool bias_fits(const ConvInfo& ci, const std::set<int64_t>& s,
               const std::map<int64_t, std::vector<double>>& kin, ContribCache& contrib) {
  bool uniform = true;
  const std::vector<double> t = total_contrib(ci, s, kin, contrib, uniform);
  // A layer that already has a per-position table takes only uniform contributions.
  if (!uniform && ci.n->attrs.has("tinyaot_pos_bias")) return false;
  if (!ci.q) return true;
  const double lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
  const int64_t P = ci.out_hw();
  for (int64_t m = 0; m < ci.M; ++m) {
    const double b = ci.b ? static_cast<double>(ci.b->get_i64(m)) : 0.0;
    for (int64_t p = 0; p < P; ++p) {
      const double v = t[static_cast<size_t>(m * P + p)];
      if (v < lo || v > hi || b + v < lo || b + v > hi) return false;
    }
  }
  return true;
}

void rewrite_conv(ir::Graph& g, const ConvInfo& ci, const std::set<int64_t>& rin,
                  const std::set<int64_t>& rout, const std::map<int64_t, std::vector<double>>* kin,
                  ContribCache& contrib) {
  ir::Node& n = *ci.n;
  const bool depthwise = ci.Cg == 1 && ci.G > 1;
  const std::string base = n.name.empty() ? n.op + std::to_string(n.id) : n.name;
  // Weights: drop output rows; in a regular conv also the removed input columns.
  static const std::set<int64_t> none;
  n.inputs[ci.wi] = g.add_constant(base + "_w_pruned", slice01(*ci.w, rout, depthwise ? none : rin));
  // Bias: add the removed input channels' contributions (uniform per channel), then drop output
  // rows. A contribution that varies with the position (padding at the borders) goes into a
  // per-position table whose rows and columns are grouped into classes of identical values.
  const bool fold = !depthwise && !rin.empty();
  bool uniform = true;
  std::vector<double> total;
  if (fold) total = total_contrib(ci, rin, *kin, contrib, uniform);
  const int64_t P = ci.out_hw();
  if (ci.b || (fold && uniform)) {
    ir::Value b(ci.q ? ir::DType::I32 : ir::DType::F32, {ci.M});
    for (int64_t m = 0; m < ci.M; ++m) {
      const double add = fold && uniform ? total[static_cast<size_t>(m * P)] : 0.0;
      if (ci.q)
        b.data<int32_t>()[m] =
            static_cast<int32_t>((ci.b ? ci.b->get_i64(m) : 0) + static_cast<int64_t>(add));
      else
        b.data<float>()[m] = static_cast<float>((ci.b ? ci.b->get_f64(m) : 0.0) + add);
    }
    if (n.inputs.size() <= ci.bi) n.inputs.resize(ci.bi + 1, nullptr);
    n.inputs[ci.bi] = g.add_constant(base + "_b_pruned", slice01(b, rout, none));
  }
  if (fold && !uniform) {
    set_pos_bias(n, ci, total, rout);
  } else if (!rout.empty() && n.attrs.has("tinyaot_pos_bias")) {
    // An existing per-position table (an earlier run) loses the removed channels' rows.
    const posb::PosBias pb = posb::parse(n, ci.M, n.outputs[0]->shape);
    ir::Attribute tab = *n.attrs.find("tinyaot_pos_bias");
    tab.ints.clear(), tab.floats.clear();
    for (int64_t m = 0; m < ci.M; ++m)
      for (int64_t e = 0; e < pb.R * pb.Cc && !rout.count(m); ++e) {
        const double v = pb.table[static_cast<size_t>(m * pb.R * pb.Cc + e)];
        if (tab.kind == ir::Attribute::Kind::Ints)
          tab.ints.push_back(static_cast<int64_t>(v));
        else
          tab.floats.push_back(static_cast<float>(v));
      }
    n.attrs.set("tinyaot_pos_bias", tab);
  }
  // Per-output-channel quantization parameters.
  if (ci.q && !rout.empty())
    for (size_t i : {size_t{4}, size_t{5}})
      if (n.in(i) && n.in(i)->numel() == ci.M && ci.M > 1)
        n.inputs[i] = g.add_constant(base + (i == 4 ? "_ws_pruned" : "_wzp_pruned"),
                                     slice01(*n.in(i)->value, rout, none));
  if (depthwise) {
    ir::Attribute a;
    a.kind = ir::Attribute::Kind::Int;
    a.i = ci.G - static_cast<int64_t>(rin.size());
    n.attrs.set("group", a);
  }
}

}  // namespace tinyaot::passes::prune
