// Helpers shared by the float and integer convolution kernels (see conv_util.h).
#include "codegen/kernels/conv_util.h"

#include <fmt/format.h>

#include <algorithm>

namespace tinyaot::codegen::convk {

std::string mul(const std::string& a, int64_t b) {
  if (b == 0 || a == "0") return "0";
  if (b == 1) return a;
  return fmt::format("{} * {}", a, b);
}

std::string add_off(const std::string& a, const std::string& b) {
  if (a == "0") return b;
  if (b == "0") return a;
  return a + " + " + b;
}

std::string add_const(const std::string& a, int64_t c) {
  if (c == 0) return a;
  return c > 0 ? fmt::format("{} + {}", a, c) : fmt::format("{} - {}", a, -c);
}

std::string join_x(const std::vector<int64_t>& v, bool collapse) {
  bool same = true;
  for (int64_t x : v) same = same && x == v[0];
  if (collapse && same) return std::to_string(v[0]);
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "x" : "") + std::to_string(v[i]);
  return s;
}

std::pair<int64_t, int64_t> interior(int64_t out, int64_t in, int64_t k, int64_t s, int64_t d, int64_t p) {
  int64_t lo = out, hi = 0;
  for (int64_t o = 0; o < out; ++o) {
    const int64_t i = o * s - p;
    if (i >= 0 && i + (k - 1) * d <= in - 1) {
      lo = std::min(lo, o);
      hi = std::max(hi, o + 1);
    }
  }
  if (lo >= hi) return {0, 0};
  return {lo, hi};
}

void emit_tap_range(KernelCtx& ctx, const std::string& klo, const std::string& khi, const std::string& i,
                    int64_t in, int64_t k, int64_t d) {
  if (d == 1) {
    ctx.line("const int32_t {} = {} < 0 ? -{} : 0;", klo, i, i);
    ctx.line("const int32_t {} = {} - {} < {} ? {} - {} : {};", khi, in, i, k, in, i, k);
  } else {
    ctx.line("int32_t {} = 0;", klo);
    ctx.line("while ({0} < {1} && {2} + {0} * {3} < 0) ++{0};", klo, k, i, d);
    ctx.line("int32_t {} = {};", khi, k);
    ctx.line("while ({0} > {1} && {2} + ({0} - 1) * {3} >= {4}) --{0};", khi, klo, i, d, in);
  }
}

std::string emit_tap_rows(KernelCtx& ctx, size_t L, const std::vector<std::string>& klo,
                          const std::vector<std::string>& khi, const std::vector<int64_t>& d,
                          const std::vector<int64_t>& istr, const std::vector<int64_t>& kstr,
                          bool border_last, const std::string& x_type, const std::string& w_type,
                          const std::string& xc, const std::string& wc) {
  std::string xoff = "0", woff = "0";
  for (size_t i = 0; i < L; ++i) {
    const std::string kv = "k" + std::to_string(i);
    ctx.open("for (int32_t {0} = {1}; {0} < {2}; ++{0}) {{", kv, klo[i], khi[i]);
    std::string idx =
        d[i] == 1 ? fmt::format("(i{} + {})", i, kv) : fmt::format("(i{} + {} * {})", i, kv, d[i]);
    xoff = add_off(xoff, mul(idx, istr[i]));
    woff = add_off(woff, mul(kv, kstr[i]));
  }
  const std::string kL = "k" + std::to_string(L), iL = "i" + std::to_string(L);
  ctx.line("const {}* wr = {}{};", w_type, wc, woff == "0" ? "" : " + " + woff);
  if (border_last) {
    ctx.line("const {}* xr = {}{};", x_type, xc, xoff == "0" ? "" : " + " + xoff);
    return add_off(iL, mul(kL, d[L]));
  }
  ctx.line("const {}* xr = {} + {};", x_type, xc, add_off(xoff, iL));
  return mul(kL, d[L]);
}

void emit_output_regions(KernelCtx& ctx, const std::vector<int64_t>& out, const std::vector<int64_t>& in,
                         const std::vector<int64_t>& k, const std::vector<int64_t>& s,
                         const std::vector<int64_t>& d, const std::vector<int64_t>& pb, int64_t block,
                         bool one_loop_depth, TapBounds& tb, const std::function<void()>& body) {
  const size_t r = out.size(), L = r - 1;
  std::function<void(size_t)> dim;
  // A loop over output positions [A, B) of dim i (step `step`), with constant tap bounds in the
  // interior and per-position valid tap ranges on the border.
  auto region = [&](size_t i, int64_t A, int64_t B, bool border, int64_t step) {
    if (A >= B) return;
    const std::string o = "o" + std::to_string(i), iv = "i" + std::to_string(i);
    if (step == 1)
      ctx.open("for (int32_t {0} = {1}; {0} < {2}; ++{0}) {{", o, A, B);
    else
      ctx.open("for (int32_t {0} = {1}; {0} < {2}; {0} += {3}) {{", o, A, B, step);
    ctx.line("const int32_t {} = {};", iv, add_const(mul(o, s[i]), -pb[i]));
    tb.border[i] = border;
    if (border) {
      tb.klo[i] = fmt::format("k{}lo", i);
      tb.khi[i] = fmt::format("k{}hi", i);
      emit_tap_range(ctx, tb.klo[i], tb.khi[i], iv, in[i], k[i], d[i]);
    } else {
      tb.klo[i] = "0";
      tb.khi[i] = std::to_string(k[i]);
    }
    if (i == L) tb.positions = step;
    dim(i + 1);
    tb.positions = 1;
    tb.border[i] = false;
    ctx.close();
  };
  // Interior of the innermost dim: blocks of `block` positions, then the remainder one by one.
  auto interior_region = [&](size_t i, int64_t A, int64_t B) {
    if (i != L || B - A < block) return region(i, A, B, false, 1);
    const int64_t Bb = A + (B - A) / block * block;
    region(i, A, Bb, false, block);
    region(i, Bb, B, false, 1);
  };
  dim = [&](size_t i) {
    if (i == r) return body();
    const std::pair<int64_t, int64_t> ab = interior(out[i], in[i], k[i], s[i], d[i], pb[i]);
    const int64_t A = ab.first, B = ab.second;
    if (A >= B) {
      region(i, 0, out[i], true, 1);
    } else if (!one_loop_depth || i + 2 >= r) {
      region(i, 0, A, true, 1);
      interior_region(i, A, B);
      region(i, B, out[i], true, 1);
    } else {
      region(i, 0, out[i], A != 0 || B != out[i], 1);
    }
  };
  dim(0);
}

}  // namespace tinyaot::codegen::convk
