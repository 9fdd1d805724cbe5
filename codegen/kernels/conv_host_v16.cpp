// Float convolution rows as explicit 16-lane vectors (GCC/Clang vector extensions) for AVX-512
// hosts: accumulators the compiler keeps in registers, borders by lane shifts instead of scalar code.
#include <algorithm>

#include "codegen/kernels/conv_host.h"
#include "codegen/kernels/conv_util.h"

namespace tinyaot::codegen::hostk {

using convk::add_const;
using convk::add_off;
using convk::mul;

// The vector type and its guard. 64-byte vectors are one AVX-512 register; without AVX-512 the
// compiler splits them into narrower operations and spills (measured 5x slower than the plain
// tiles at -O2), so other hosts keep emit_conv2d_tiles' loops. Lanes are selected per element
// (`mask ? a : b`) and shifted with the compiler's shuffle builtin, whose spelling differs
// between GCC (__builtin_shuffle, a mask vector) and Clang (__builtin_shufflevector, indices).
const char* const kV16If = "#if defined(TINYAOT_HOST_V16)\n";
static const char* const kV16Helper =
    "#if defined(__AVX512F__) && defined(__GNUC__)\n"
    "#define TINYAOT_HOST_V16 1\n"
    "typedef float tinyaot_v16f __attribute__((vector_size(64)));\n"
    "typedef int32_t tinyaot_v16i __attribute__((vector_size(64)));\n"
    "#endif\n";

namespace {
// Activations the store applies to whole vectors (element-wise selects and products); the others
// (calls, a scalar temporary) keep the tile kernels.
bool vector_activation(const act::Activation& a) {
  using act::Kind;
  return a.kind == Kind::None || a.kind == Kind::Relu || a.kind == Kind::Clip || a.kind == Kind::LeakyRelu;
}

// Accumulator vectors per tile (AVX-512 has 32 registers; the inputs and the broadcast weight of
// a tap need some too).
constexpr int64_t kAccVectors = 16;

std::string lanes(const std::function<int64_t(int64_t)>& f) {
  std::string s;
  for (int64_t q = 0; q < 16; ++q) s += (q ? ", " : "") + std::to_string(f(q));
  return s;
}
}  // namespace

bool conv2d_rows_v16_fit(const Conv2dShape& s, const act::Activation& fused) {
  const int64_t Mg = s.M / s.G;
  return s.ct == "float" && s.sw == 1 && s.dw == 1 && s.ow == s.iw && s.iw % 16 == 0 && s.pw < 16 &&
         s.kw - 1 - s.pw < 16 && s.kw <= 7 && Mg % 4 == 0 && s.in_place_scratch.empty() &&
         vector_activation(fused);
}

// Every output row of MB channels is computed as whole 16-column vectors: tap (c, k0, k1) adds
// x[row][col + k1 - pw] * w to each lane. A vector whose tap reads inside the row loads it
// directly (unaligned); at the row's ends the tap is a lane shift of the row's first or last
// vector with zeros shifted in, and lanes whose tap lies in the padding keep their accumulator
// unchanged (a select, not an added zero), so every output is the scalar loop's sum: bias, then
// the valid taps in (channel, kernel row, kernel column) order, then residual and activation.
void emit_conv2d_rows_v16(KernelCtx& ctx, const Conv2dShape& s, const act::Activation& fused) {
  ctx.require_helper("tinyaot_v16", kV16Helper);
  const ir::DType dt = ir::DType::F32;
  const int64_t Cg = s.C / s.G, Mg = s.M / s.G;
  const int64_t IS = s.ih * s.iw, OS = s.oh * s.ow, KS = s.kh * s.kw, WB = Cg * KS;
  const int64_t NV = s.iw / 16;
  const int64_t CV = std::min<int64_t>(NV, 2);
  int64_t MB = 4;
  for (int64_t cand : {16, 8})
    if (Mg % cand == 0 && cand * CV <= kAccVectors) {
      MB = cand;
      break;
    }
  ctx.line("const tinyaot_v16f zv = {{}};");
  ctx.open("for (int32_t n = 0; n < {}; ++n) {{", s.N);
  if (s.G > 1) ctx.open("for (int32_t g = 0; g < {}; ++g) {{", s.G);
  ctx.line("const float* xg = x0 + {};", add_off(mul("n", s.C * IS), mul(s.G > 1 ? "g" : "0", Cg * IS)));
  ctx.open("for (int32_t mm = 0; mm < {}; mm += {}) {{", Mg, MB);
  ctx.line("const int32_t m = {};", add_off(mul(s.G > 1 ? "g" : "0", Mg), "mm"));
  ctx.line("const float* wm = x1 + {};", mul("m", WB));
  ctx.line("float* ym = y0 + {};", add_off(mul("n", s.M * OS), mul("m", OS)));
  if (s.residual) ctx.line("const float* rm = x3 + {};", add_off(mul("n", s.M * OS), mul("m", OS)));
  ctx.open("for (int32_t oh = 0; oh < {}; ++oh) {{", s.oh);
  ctx.line("const int32_t i0 = {};", add_const(mul("oh", s.sh), -s.ph));
  convk::emit_tap_range(ctx, "k0lo", "k0hi", "i0", s.ih, s.kh, s.dh);
  for (int64_t h0 = 0; h0 < NV; h0 += CV) {
    const int64_t cv = std::min(CV, NV - h0);
    ctx.open("{{");
    ctx.line("tinyaot_v16f acc[{}][{}];", MB, cv);
    ctx.raw("#pragma GCC unroll 16\n");
    ctx.open("for (int32_t t = 0; t < {}; ++t) {{", MB);
    // bias - 0 is the bias exactly, -0.0 included (bias + 0 would turn -0.0 into +0.0).
    ctx.line("const tinyaot_v16f bv = {} - zv;", s.has_bias ? "x2[m + t]" : "0.0f");
    for (int64_t j = 0; j < cv; ++j) ctx.line("acc[t][{}] = bv;", j);
    ctx.close();
    if (Cg > 1) ctx.open("for (int32_t c = 0; c < {}; ++c) {{", Cg);
    const std::string c = Cg > 1 ? "c" : "0";
    ctx.open("for (int32_t k0 = k0lo; k0 < k0hi; ++k0) {{");
    const std::string row = s.dh == 1 ? "(i0 + k0)" : fmt::format("(i0 + k0 * {})", s.dh);
    ctx.line("const float* xr = xg + {};", add_off(mul(c, IS), mul(row, s.iw)));
    ctx.line("const float* wr = wm + {};", add_off(mul(c, KS), mul("k0", s.kw)));
    // The row's first and last vectors, the sources of the shifted edge taps.
    const bool left = h0 == 0 && s.pw > 0, right = h0 + cv == NV && s.kw - 1 - s.pw > 0;
    if (left) ctx.line("tinyaot_v16f xfirst; memcpy(&xfirst, xr, 64);");
    if (right) ctx.line("tinyaot_v16f xlast; memcpy(&xlast, xr + {}, 64);", 16 * (NV - 1));
    for (int64_t k1 = 0; k1 < s.kw; ++k1) {
      const int64_t d = k1 - s.pw;
      ctx.open("{{");
      std::vector<bool> masked(static_cast<size_t>(cv), false);
      for (int64_t j = 0; j < cv; ++j) {
        const int64_t h = h0 + j;
        ctx.line("tinyaot_v16f xv{};", j);
        const bool at_left = h == 0 && d < 0, at_right = h == NV - 1 && d > 0;
        if (!at_left && !at_right) {
          ctx.line("memcpy(&xv{}, xr + {}, 64);", j, 16 * h + d);
          continue;
        }
        masked[static_cast<size_t>(j)] = true;
        // Lane q reads column 16h + q + d; outside the row it takes zero (lane 16, zv's first).
        auto idx = [&](int64_t q) { return q + d >= 0 && q + d < 16 ? q + d : 16; };
        const std::string src = at_left ? "xfirst" : "xlast";
        ctx.raw("#if defined(__clang__)\n");
        ctx.line("xv{} = __builtin_shufflevector({}, zv, {});", j, src, lanes(idx));
        ctx.raw("#else\n");
        ctx.line("const tinyaot_v16i sh{} = {{{}}};", j, lanes(idx));
        ctx.line("xv{} = __builtin_shuffle({}, zv, sh{});", j, src, j);
        ctx.raw("#endif\n");
        ctx.line("const tinyaot_v16i ok{} = {{{}}};", j,
                 lanes([&](int64_t q) { return q + d >= 0 && q + d < 16 ? -1 : 0; }));
      }
      ctx.raw("#pragma GCC unroll 16\n");
      ctx.open("for (int32_t t = 0; t < {}; ++t) {{", MB);
      ctx.line("const float wv = wr[{}];", add_off(mul("t", WB), std::to_string(k1)));
      for (int64_t j = 0; j < cv; ++j) {
        if (masked[static_cast<size_t>(j)])
          ctx.line("acc[t][{0}] = ok{0} ? acc[t][{0}] + xv{0} * wv : acc[t][{0}];", j);
        else
          ctx.line("acc[t][{0}] += xv{0} * wv;", j);
      }
      ctx.close();
      ctx.close();
    }
    ctx.close();
    if (Cg > 1) ctx.close();
    ctx.raw("#pragma GCC unroll 16\n");
    ctx.open("for (int32_t t = 0; t < {}; ++t) {{", MB);
    for (int64_t j = 0; j < cv; ++j) {
      const std::string idx = add_off(add_off(mul("t", OS), mul("oh", s.ow)), std::to_string(16 * (h0 + j)));
      ctx.open("{{");
      ctx.line("tinyaot_v16f v = acc[t][{}];", j);
      if (s.residual) {
        ctx.line("tinyaot_v16f r; memcpy(&r, rm + {}, 64);", idx);
        ctx.line("v += r;");
      }
      if (fused) ctx.line("{}", act::c_stmt(fused, "v", dt));
      ctx.line("memcpy(ym + {}, &v, 64);", idx);
      ctx.close();
    }
    ctx.close();
    ctx.close();
  }
  ctx.close();
  ctx.close();
  if (s.G > 1) ctx.close();
  ctx.close();
}

}  // namespace tinyaot::codegen::hostk
