// Kernels of the sampling ops: GridSample (taps and weights computed once per output pixel, then
// applied to every channel), RoiAlign (sample positions computed once per bin sample, applied to
// every channel; rois and batch indices are read at run time), MaxUnpool (zero fill + scatter)
// and Det (LU with partial pivoting in arena scratch). Semantics: compiler/ops/sampling.cpp.
#include <cmath>

#include "codegen/kernel_ctx.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"
#include "compiler/ops/sampling.h"

namespace tinyaot {

using codegen::KernelCtx;
using ir::DType;
using ir::Node;

namespace {

struct Ty {
  DType t;
  std::string ct;
  explicit Ty(DType d) : t(d), ct(ir::dtype_ctype(d)) {}
  std::string f(const char* name) const { return std::string(name) + (t == DType::F32 ? "f" : ""); }
  std::string lit(double v) const { return KernelCtx::literal(v, t); }
};

std::string reflect_helper(KernelCtx& ctx, const Ty& ty) {
  const std::string name = "gs_reflect_" + std::string(ir::dtype_name(ty.t));
  const std::string T = ty.ct;
  ctx.require_helper(name, fmt::format("static {0} {1}({0} x, {0} lo, {0} hi) {{\n"
                                       "  const {0} rng = hi - lo;\n"
                                       "  if (!(rng > {2})) return lo;\n"
                                       "  if (x < lo) {{\n"
                                       "    const {0} dx = lo - x;\n"
                                       "    const {0} k = {3}(dx / rng);\n"
                                       "    const {0} r = dx - k * rng;\n"
                                       "    return {4}(k, {5}) == {2} ? lo + r : hi - r;\n"
                                       "  }}\n"
                                       "  if (x > hi) {{\n"
                                       "    const {0} dx = x - hi;\n"
                                       "    const {0} k = {3}(dx / rng);\n"
                                       "    const {0} r = dx - k * rng;\n"
                                       "    return {4}(k, {5}) == {2} ? hi - r : lo + r;\n"
                                       "  }}\n"
                                       "  return x;\n"
                                       "}}\n",
                                       T, name, ty.lit(0), ty.f("floor"), ty.f("fmod"), ty.lit(2)));
  return name;
}

// Emits the taps of one axis: `<p>i[j]` (int32 offsets, already multiplied by `mul`) and
// `<p>w[j]` for the normalised coordinate expression `g` on an axis of size `d`.
void emit_axis_taps(KernelCtx& ctx, const Ty& ty, const SamplingGridParams& p, const std::string& pre,
                    const std::string& g, int64_t d, int64_t mul, const std::string& refl) {
  const double lo = p.align_corners ? 0.0 : -0.5;
  const double hi = p.align_corners ? static_cast<double>(d - 1) : static_cast<double>(d) - 0.5;
  const std::string T = ty.ct;
  if (p.align_corners)
    ctx.line("{} {}c = ({} + {}) * {};", T, pre, g, ty.lit(1), ty.lit(static_cast<double>(d - 1) / 2.0));
  else
    ctx.line("{} {}c = (({} + {}) * {} - {}) * {};", T, pre, g, ty.lit(1), ty.lit(static_cast<double>(d)),
             ty.lit(1), ty.lit(0.5));
  if (p.mode == 1) ctx.line("{0}c = {1}({0}c);", pre, ty.f("rint"));
  if (p.padding == 1)
    ctx.line("if ({0}c < {1} || {0}c > {2}) {0}c = {0}c < {3} ? {3} : {4};", pre, ty.lit(lo), ty.lit(hi),
             ty.lit(0), ty.lit(static_cast<double>(d - 1)));
  else if (p.padding == 2)
    ctx.line("if ({0}c < {1} || {0}c > {2}) {0}c = {3}({0}c, {1}, {2});", pre, ty.lit(lo), ty.lit(hi), refl);
  ctx.line("const {} {}f = {}({}c);", T, pre, ty.f("floor"), pre);
  int cnt = 1, first = 0;
  if (p.mode == 1) {
    ctx.line("{}w[0] = {};", pre, ty.lit(1));
  } else if (p.mode == 0) {
    cnt = 2;
    ctx.line("{0}w[1] = {0}c - {0}f;", pre);
    ctx.line("{0}w[0] = {1} - {0}w[1];", pre, ty.lit(1));
  } else {
    cnt = 4;
    first = -1;
    const double A = -0.75;
    ctx.line("const {0} {1}t = {1}c - {1}f;", T, pre);
    ctx.line("const {0} {1}t1 = {1}t + {2}, {1}u = {2} - {1}t, {1}u1 = {3} - {1}t;", T, pre, ty.lit(1),
             ty.lit(2));
    // "+ c" / "- |c|" for a constant term.
    auto add = [&](double v) { return v < 0 ? "- " + ty.lit(-v) : "+ " + ty.lit(v); };
    ctx.line("{0}w[0] = (({1} * {0}t1 {2}) * {0}t1 {3}) * {0}t1 {4};", pre, ty.lit(A), add(-5 * A),
             add(8 * A), add(-4 * A));
    ctx.line("{0}w[1] = ({1} * {0}t {2}) * {0}t * {0}t + {3};", pre, ty.lit(A + 2), add(-(A + 3)), ty.lit(1));
    ctx.line("{0}w[2] = ({1} * {0}u {2}) * {0}u * {0}u + {3};", pre, ty.lit(A + 2), add(-(A + 3)), ty.lit(1));
    ctx.line("{0}w[3] = (({1} * {0}u1 {2}) * {0}u1 {3}) * {0}u1 {4};", pre, ty.lit(A), add(-5 * A),
             add(8 * A), add(-4 * A));
  }
  ctx.open("for (int32_t j = 0; j < {}; ++j) {{", cnt);
  ctx.line("{0} v = {1}f + ({0})(j{2});", T, pre, first ? " - 1" : "");
  const std::string hiD = ty.lit(static_cast<double>(d - 1));
  if (p.padding == 0) {
    ctx.open("if (!(v >= {} && v <= {})) {{", ty.lit(0), hiD);
    ctx.line("{}w[j] = {};", pre, ty.lit(0));
    ctx.line("v = {};", ty.lit(0));
    ctx.close();
  } else if (p.padding == 1) {
    ctx.line("v = !(v >= {0}) ? {0} : v > {1} ? {1} : v;", ty.lit(0), hiD);
  } else {
    ctx.line("v = {}({}(v, {}, {}));", ty.f("trunc"), refl, ty.lit(lo), ty.lit(hi));
    ctx.line("v = !(v >= {0}) ? {0} : v > {1} ? {1} : v;", ty.lit(0), hiD);
  }
  ctx.line("{}i[j] = (int32_t)v{};", pre, mul == 1 ? "" : fmt::format(" * {}", mul));
  ctx.close();
}

}  // namespace

void emit_GridSample(const Node& n, KernelCtx& ctx) {
  const SamplingGridParams p = sampling_grid_params(n);
  const Ty ty(n.inputs[0]->dtype);
  const ir::Shape& xs = n.inputs[0]->shape;
  const ir::Shape& gs = n.inputs[1]->shape;
  const int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3], Ho = gs[1], Wo = gs[2];
  static const char* modes[] = {"bilinear", "nearest", "bicubic"};
  static const char* pads[] = {"zeros", "border", "reflection"};
  ctx.set_name(fmt::format("grid_sample_{}_{}_{}{}", ir::dtype_name(ty.t), modes[p.mode], pads[p.padding],
                           p.align_corners ? "_ac" : ""));
  const int cnt = p.mode == 1 ? 1 : p.mode == 0 ? 2 : 4;
  const std::string refl = p.padding == 2 ? reflect_helper(ctx, ty) : "";
  const std::string T = ty.ct;
  ctx.open("for (int32_t b = 0; b < {}; ++b) {{", N);
  ctx.line("const {}* xb = x0 + b * {};", T, C * H * W);
  ctx.open("for (int32_t o = 0; o < {}; ++o) {{", Ho * Wo);
  ctx.line("const {}* g = x1 + (b * {} + o) * 2;", T, Ho * Wo);
  ctx.line("{} xw[{}], yw[{}];", T, cnt, cnt);
  ctx.line("int32_t xi[{}], yi[{}];", cnt, cnt);
  emit_axis_taps(ctx, ty, p, "x", "g[0]", W, 1, refl);
  emit_axis_taps(ctx, ty, p, "y", "g[1]", H, W, refl);
  ctx.line("{}* yo = y0 + b * {} + o;", T, C * Ho * Wo);
  ctx.open("for (int32_t c = 0; c < {}; ++c) {{", C);
  ctx.line("const {}* pl = xb + c * {};", T, H * W);
  ctx.line("{} acc = {};", T, ty.lit(0));
  ctx.open("for (int32_t a = 0; a < {}; ++a) {{", cnt);
  ctx.line("const {}* row = pl + yi[a];", T);
  ctx.line("{} r = {};", T, ty.lit(0));
  ctx.line("for (int32_t e = 0; e < {}; ++e) r += xw[e] * row[xi[e]];", cnt);
  ctx.line("acc += yw[a] * r;");
  ctx.close();
  ctx.line("yo[c * {}] = acc;", Ho * Wo);
  ctx.close();
  ctx.close();
  ctx.close();
}

void emit_RoiAlign(const Node& n, KernelCtx& ctx) {
  const SamplingRoiParams p = sampling_roi_params(n);
  const Ty ty(n.inputs[0]->dtype);
  const std::string T = ty.ct;
  const ir::Shape& xs = n.inputs[0]->shape;
  const int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3];
  const int64_t R = n.inputs[1]->shape[0];
  const int64_t PH = p.out_h, PW = p.out_w, PP = PH * PW;
  const std::string bt = ir::dtype_ctype(n.inputs[2]->dtype);
  ctx.set_name(fmt::format("roi_align_{}_{}_{}x{}{}", ir::dtype_name(ty.t), p.max_mode ? "max" : "avg", PH,
                           PW, p.sampling_ratio > 0 ? fmt::format("_s{}", p.sampling_ratio) : ""));
  ctx.open("for (int32_t r = 0; r < {}; ++r) {{", R);
  ctx.line("{}* yr = y0 + r * {};", T, C * PP);
  ctx.line("for (int32_t i = 0; i < {}; ++i) yr[i] = {};", C * PP, ty.lit(0));
  ctx.line("const {} bi = x2[r];", bt);
  ctx.line("if (bi < 0 || bi >= {}) continue;", N);
  ctx.line("const {}* xb = x0 + (int32_t)bi * {};", T, C * H * W);
  const std::string off = p.half_pixel ? " - " + ty.lit(0.5) : "";
  const std::string sc = ty.lit(p.spatial_scale);
  ctx.line("const {} x1s = x1[r * 4] * {}{};", T, sc, off);
  ctx.line("const {} y1s = x1[r * 4 + 1] * {}{};", T, sc, off);
  ctx.line("{} rw = x1[r * 4 + 2] * {}{} - x1s;", T, sc, off);
  ctx.line("{} rh = x1[r * 4 + 3] * {}{} - y1s;", T, sc, off);
  if (!p.half_pixel) {
    ctx.line("if (rw < {0}) rw = {0};", ty.lit(1));
    ctx.line("if (rh < {0}) rh = {0};", ty.lit(1));
  }
  ctx.line("const {} bh = rh / {}, bw = rw / {};", T, ty.lit(static_cast<double>(PH)),
           ty.lit(static_cast<double>(PW)));
  if (p.sampling_ratio > 0) {
    ctx.line("const int32_t gh = {0}, gw = {0};", p.sampling_ratio);
  } else {
    // ceil(bin size) samples; NaN/negative sizes give none and absurd ones are capped (no UB).
    ctx.line("const {} cbh = {}(bh), cbw = {}(bw);", T, ty.f("ceil"), ty.f("ceil"));
    ctx.line("const int32_t gh = !(cbh >= {0}) ? 0 : cbh > {1} ? {2} : (int32_t)cbh;", ty.lit(0), ty.lit(1e6),
             1000000);
    ctx.line("const int32_t gw = !(cbw >= {0}) ? 0 : cbw > {1} ? {2} : (int32_t)cbw;", ty.lit(0), ty.lit(1e6),
             1000000);
  }
  ctx.line("const {} sh = bh / ({})gh, sw = bw / ({})gw;", T, T, T);
  if (!p.max_mode) ctx.line("const {} inv = {} / ({})(gh * gw > 1 ? gh * gw : 1);", T, ty.lit(1), T);
  ctx.open("for (int32_t ph = 0; ph < {}; ++ph) {{", PH);
  ctx.open("for (int32_t pw = 0; pw < {}; ++pw) {{", PW);
  ctx.line("{}* yp = yr + ph * {} + pw;", T, PW);
  ctx.open("for (int32_t iy = 0; iy < gh; ++iy) {{");
  ctx.open("for (int32_t ix = 0; ix < gw; ++ix) {{");
  ctx.line("{} yy = y1s + ({})ph * bh + (({})iy + {}) * sh;", T, T, T, ty.lit(0.5));
  ctx.line("{} xx = x1s + ({})pw * bw + (({})ix + {}) * sw;", T, T, T, ty.lit(0.5));
  ctx.line("{0} w0 = {1}, w1 = {1}, w2 = {1}, w3 = {1};", T, ty.lit(0));
  ctx.line("int32_t p0 = 0, p1 = 0, p2 = 0, p3 = 0;");
  ctx.open("if (yy >= {} && yy <= {} && xx >= {} && xx <= {}) {{", ty.lit(-1), ty.lit(static_cast<double>(H)),
           ty.lit(-1), ty.lit(static_cast<double>(W)));
  ctx.line("if (yy <= {0}) yy = {0};", ty.lit(0));
  ctx.line("if (xx <= {0}) xx = {0};", ty.lit(0));
  ctx.line("int32_t yl = (int32_t)yy, xl = (int32_t)xx, yh, xh;");
  ctx.line("if (yl >= {0}) {{ yh = yl = {0}; yy = ({1})yl; }} else yh = yl + 1;", H - 1, T);
  ctx.line("if (xl >= {0}) {{ xh = xl = {0}; xx = ({1})xl; }} else xh = xl + 1;", W - 1, T);
  ctx.line("const {} ly = yy - ({})yl, lx = xx - ({})xl;", T, T, T);
  ctx.line("const {0} hy = {1} - ly, hx = {1} - lx;", T, ty.lit(1));
  ctx.line("w0 = hy * hx; w1 = hy * lx; w2 = ly * hx; w3 = ly * lx;");
  ctx.line("p0 = yl * {0} + xl; p1 = yl * {0} + xh; p2 = yh * {0} + xl; p3 = yh * {0} + xh;", W);
  ctx.close();
  if (p.max_mode) ctx.line("const int first = iy == 0 && ix == 0;");
  ctx.open("for (int32_t c = 0; c < {}; ++c) {{", C);
  ctx.line("const {}* pl = xb + c * {};", T, H * W);
  if (p.max_mode) {
    ctx.line("{} m = w0 * pl[p0];", T);
    ctx.line("const {} v1 = w1 * pl[p1], v2 = w2 * pl[p2], v3 = w3 * pl[p3];", T);
    ctx.line("if (v1 > m) m = v1;");
    ctx.line("if (v2 > m) m = v2;");
    ctx.line("if (v3 > m) m = v3;");
    ctx.line("if (first || m > yp[c * {0}]) yp[c * {0}] = m;", PP);
  } else {
    ctx.line("yp[c * {}] += w0 * pl[p0] + w1 * pl[p1] + w2 * pl[p2] + w3 * pl[p3];", PP);
  }
  ctx.close();
  ctx.close();
  ctx.close();
  if (!p.max_mode) ctx.line("for (int32_t c = 0; c < {0}; ++c) yp[c * {1}] *= inv;", C, PP);
  ctx.close();
  ctx.close();
  ctx.close();
}

void emit_MaxUnpool(const Node& n, KernelCtx& ctx) {
  const ir::Shape def = sampling_unpool_default_shape(n);
  const ir::Shape& os = n.outputs[0]->shape;
  const Ty ty(n.inputs[0]->dtype);
  const int64_t total = ir::num_elements(def);
  ctx.set_name(
      fmt::format("max_unpool_{}_{}d{}", ir::dtype_name(ty.t), def.size() - 2, def == os ? "" : "_padded"));
  ctx.line("memset(y0, 0, {}u);", n.outputs[0]->bytes());
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", n.inputs[0]->numel());
  ctx.line("const int64_t idx = x1[i];");
  ctx.line("if (idx < 0 || idx >= {}LL) continue;", total);
  if (def == os) {
    ctx.line("y0[idx] = x0[i];");
  } else {
    // Indices address the default unpooled shape; the result sits at the start of each
    // dimension of the larger requested shape.
    ctx.line("uint64_t q = (uint64_t)idx;");
    ctx.line("uint64_t dst = 0;");
    uint64_t mul = 1;
    for (size_t d = def.size(); d-- > 0;) {
      ctx.line("dst += (q % {0}u) * {1}u;", def[d], mul);
      if (d) ctx.line("q /= {}u;", def[d]);
      mul *= static_cast<uint64_t>(os[d]);
    }
    ctx.line("y0[dst] = x0[i];");
  }
  ctx.close();
}

void emit_Det(const Node& n, KernelCtx& ctx) {
  const Ty ty(n.inputs[0]->dtype);
  const std::string T = ty.ct;
  const int64_t m = n.inputs[0]->shape.back();
  const int64_t batch = n.outputs[0]->numel();
  ctx.set_name(fmt::format("det_lu_{}_m{}", ir::dtype_name(ty.t), m));
  if (m == 0) {
    ctx.line("for (int32_t b = 0; b < {}; ++b) y0[b] = {};", batch, ty.lit(1));
    return;
  }
  const std::string a = ctx.scratch(static_cast<size_t>(m * m) * ir::dtype_size(ty.t), T);
  ctx.line("{}* a = {};", T, a);
  ctx.open("for (int32_t b = 0; b < {}; ++b) {{", batch);
  ctx.line("memcpy(a, x0 + b * {}, {}u);", m * m, static_cast<size_t>(m * m) * ir::dtype_size(ty.t));
  ctx.line("{} det = {};", T, ty.lit(1));
  ctx.open("for (int32_t k = 0; k < {}; ++k) {{", m);
  ctx.line("int32_t piv = k;");
  ctx.line("{} best = {}(a[k * {} + k]);", T, ty.f("fabs"), m);
  ctx.open("for (int32_t i = k + 1; i < {}; ++i) {{", m);
  ctx.line("const {} v = {}(a[i * {} + k]);", T, ty.f("fabs"), m);
  ctx.line("if (v > best) {{ best = v; piv = i; }}");
  ctx.close();
  ctx.line("if (best == {}) {{ det = {}; break; }}", ty.lit(0), ty.lit(0));
  ctx.open("if (piv != k) {{");
  ctx.open("for (int32_t j = 0; j < {}; ++j) {{", m);
  ctx.line("const {} t = a[k * {} + j];", T, m);
  ctx.line("a[k * {0} + j] = a[piv * {0} + j];", m);
  ctx.line("a[piv * {} + j] = t;", m);
  ctx.close();
  ctx.line("det = -det;");
  ctx.close();
  ctx.line("const {} pv = a[k * {} + k];", T, m);
  ctx.line("det *= pv;");
  ctx.open("for (int32_t i = k + 1; i < {}; ++i) {{", m);
  ctx.line("const {} f = a[i * {} + k] / pv;", T, m);
  ctx.line("for (int32_t j = k + 1; j < {0}; ++j) a[i * {0} + j] -= f * a[k * {0} + j];", m);
  ctx.close();
  ctx.close();
  ctx.line("y0[b] = det;");
  ctx.close();
}

}  // namespace tinyaot
