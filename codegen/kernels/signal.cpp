// Kernels of the signal ops. DFT/STFT are direct O(n^2) transforms over a baked twiddle table
// (cos and signed sin of 2*pi*r/N for r < N; the phase index k*t mod N is advanced incrementally,
// so there is no division or trig in the loops). Windows and MelWeightMatrix depend only on
// constants: their values are computed at compile time and copied from a baked table.
// Semantics: compiler/ops/signal.cpp.
#include <cmath>

#include "codegen/kernel_ctx.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"
#include "compiler/ops/signal.h"

namespace tinyaot {

using codegen::KernelCtx;
using ir::DType;
using ir::Node;

namespace {

constexpr double kPi = 3.14159265358979323846;

// Twiddle tables: cos(2*pi*r/N) and sign*sin(2*pi*r/N); returns their names.
std::pair<std::string, std::string> twiddles(KernelCtx& ctx, DType t, int64_t n, bool inverse) {
  std::vector<double> c(static_cast<size_t>(n)), s(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    // Exact values at the quarter turns keep the zero outputs of symmetric inputs exact.
    const double a = 2.0 * kPi * static_cast<double>(r) / static_cast<double>(n);
    double cv = std::cos(a), sv = std::sin(a);
    if (4 * r % n == 0) {
      const int64_t q = 4 * r / n;
      cv = q == 0 ? 1 : q == 2 ? -1 : 0;
      sv = q == 1 ? 1 : q == 3 ? -1 : 0;
    }
    c[static_cast<size_t>(r)] = cv;
    s[static_cast<size_t>(r)] = inverse ? sv : -sv;
  }
  return {ctx.const_table("cos", t, c), ctx.const_table("sin", t, s)};
}

// Emits the bins loop of one transform: `src` indexes sample t as src[t * xs (+1)], results go
// to dst[k * ys], dst[k * ys + 1]. `wexpr` (may be empty) multiplies each sample.
void emit_bins(KernelCtx& ctx, DType t, const std::string& cs, const std::string& sn, int64_t m, int64_t n,
               int64_t bins, int64_t xs, int64_t comps, int64_t ys, double scale, const std::string& wexpr) {
  const std::string ct = ir::dtype_ctype(t);
  const std::string zero = KernelCtx::literal(0, t);
  ctx.open("for (int32_t k = 0; k < {}; ++k) {{", bins);
  ctx.line("{} re = {}, im = {};", ct, zero, zero);
  ctx.line("int32_t r = 0;");
  ctx.open("for (int32_t t = 0; t < {}; ++t) {{", m);
  const std::string w = wexpr.empty() ? "" : " * " + wexpr;
  ctx.line("const {} xr = src[t * {}]{};", ct, xs, w);
  if (comps == 2) {
    ctx.line("const {} xi = src[t * {} + 1]{};", ct, xs, w);
    ctx.line("re += xr * {}[r] - xi * {}[r];", cs, sn);
    ctx.line("im += xr * {}[r] + xi * {}[r];", sn, cs);
  } else {
    ctx.line("re += xr * {}[r];", cs);
    ctx.line("im += xr * {}[r];", sn);
  }
  ctx.line("r += k;");
  ctx.line("if (r >= {}) r -= {};", n, n);
  ctx.close();
  if (scale != 1.0) {
    ctx.line("dst[k * {}] = re * {};", ys, KernelCtx::literal(scale, t));
    ctx.line("dst[k * {} + 1] = im * {};", ys, KernelCtx::literal(scale, t));
  } else {
    ctx.line("dst[k * {}] = re;", ys);
    ctx.line("dst[k * {} + 1] = im;", ys);
  }
  ctx.close();
}

void emit_table_copy(const Node& n, KernelCtx& ctx, const char* kname) {
  const DType t = n.outputs[0]->dtype;
  std::vector<double> v = signal_constant_values(n);
  if (!ir::dtype_is_float(t))
    for (double& x : v) x = std::trunc(x);
  ctx.set_name(fmt::format("{}_{}_n{}", kname, ir::dtype_name(t), v.size()));
  if (v.empty()) return;
  const std::string tab = ctx.const_table("values", t, v);
  ctx.line("memcpy(y0, {}, sizeof({}));", tab, tab);
}

}  // namespace

void emit_DFT(const Node& n, KernelCtx& ctx) {
  const SignalDftGeom g = signal_dft_geom(n);
  const DType t = n.inputs[0]->dtype;
  const std::string ct = ir::dtype_ctype(t);
  ctx.set_name(
      fmt::format("{}dft_{}_{}_n{}", g.inverse ? "i" : "", g.comps == 2 ? "c" : "r", ir::dtype_name(t), g.n));
  const auto tw = twiddles(ctx, t, g.n, g.inverse);
  const int64_t m = std::min(g.length, g.n);
  ctx.open("for (int32_t o = 0; o < {}; ++o) {{", g.outer);
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", g.inner);
  ctx.line("const {}* src = x0 + (o * {} + i) * {};", ct, g.length * g.inner, g.comps);
  ctx.line("{}* dst = y0 + (o * {} + i) * 2;", ct, g.bins * g.inner);
  emit_bins(ctx, t, tw.first, tw.second, m, g.n, g.bins, g.inner * g.comps, g.comps, g.inner * 2,
            g.inverse ? 1.0 / static_cast<double>(g.n) : 1.0, "");
  ctx.close();
  ctx.close();
}

void emit_STFT(const Node& n, KernelCtx& ctx) {
  const SignalStftGeom g = signal_stft_geom(n);
  const DType t = n.inputs[0]->dtype;
  const std::string ct = ir::dtype_ctype(t);
  ctx.set_name(fmt::format("stft_{}_{}_n{}s{}{}", g.comps == 2 ? "c" : "r", ir::dtype_name(t), g.frame_length,
                           g.step, g.window ? "_win" : ""));
  const auto tw = twiddles(ctx, t, g.frame_length, false);
  ctx.open("for (int32_t b = 0; b < {}; ++b) {{", g.batch);
  ctx.open("for (int32_t f = 0; f < {}; ++f) {{", g.frames);
  ctx.line("const {}* src = x0 + (b * {} + f * {}) * {};", ct, g.length, g.step, g.comps);
  ctx.line("{}* dst = y0 + (b * {} + f) * {};", ct, g.frames, g.bins * 2);
  emit_bins(ctx, t, tw.first, tw.second, g.frame_length, g.frame_length, g.bins, g.comps, g.comps, 2, 1.0,
            g.window ? "x2[t]" : "");
  ctx.close();
  ctx.close();
}

void emit_HannWindow(const Node& n, KernelCtx& ctx) {
  emit_table_copy(n, ctx, "hann_window");
}
void emit_HammingWindow(const Node& n, KernelCtx& ctx) {
  emit_table_copy(n, ctx, "hamming_window");
}
void emit_BlackmanWindow(const Node& n, KernelCtx& ctx) {
  emit_table_copy(n, ctx, "blackman_window");
}
void emit_MelWeightMatrix(const Node& n, KernelCtx& ctx) {
  emit_table_copy(n, ctx, "mel_weight_matrix");
}

}  // namespace tinyaot
