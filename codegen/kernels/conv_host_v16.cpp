// Float Conv/Gemm/MatMul bodies in 16-lane GCC/Clang vector types for AVX-512 hosts: accumulators
// the compiler keeps in registers, row ends by lane permutes and selects instead of scalar code.
#include <algorithm>
#include <stdexcept>

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

}  // namespace

// Planes narrower than a vector, with every output row and tap unrolled at compile time (flat
// mode). Stride 1 with equal input and output widths makes every tap one constant offset over the
// flattened plane, so its vectors are 16 consecutive outputs, crossing rows (VWW's 6x6 depthwise,
// ResNet-8's 8x8 layers); otherwise (stride 2: VWW's 24x24 -> 12x12 depthwise layers) each output
// row is one vector of `ow` lanes, whose taps span at most 2 * ow - 1 < 32 input columns.
// Row vectors are only for depthwise layers: regular ones keep the channels-innermost tiles,
// which fill all 16 lanes (ResNet-8's stride-2 8x8 layers were measured slower as row vectors).
static bool flat_contiguous(const Conv2dShape& s) {
  return s.sh == 1 && s.sw == 1 && s.iw == s.ow && s.oh * s.ow >= 16;
}
static bool flat_plane(const Conv2dShape& s) {
  const bool depthwise = s.C == s.G && s.M == s.G;
  // Every vector and tap is emitted separately: at most 64 vectors (KWS's 25x5 planes are 8).
  return s.ow < 16 && (s.sw == 1 || s.sw == 2) && s.ih * s.iw >= 32 && s.kh * s.kw <= 25 &&
         (flat_contiguous(s) ? s.oh * s.ow <= 1024 : depthwise && s.oh <= 16);
}

bool conv2d_rows_v16_fit(const Conv2dShape& s, const act::Activation& fused) {
  const int64_t Cg = s.C / s.G, Mg = s.M / s.G;
  const bool depthwise = Cg == 1 && Mg == 1;
  const bool flat = flat_plane(s);
  const int64_t width = flat ? (flat_contiguous(s) ? s.oh * s.ow : 16) : s.ow;
  // A last vector overlapping its predecessor (width not a multiple of 16) stores some columns
  // twice: not with a residual, whose stored-over elements the second store would read back.
  return s.ct == "float" && (flat || ((s.sw == 1 || s.sw == 2) && s.ow >= 16 && s.iw >= 16 * s.sw)) &&
         (width % 16 == 0 || !s.residual) && s.kw <= 7 && (Mg % 4 == 0 || depthwise) &&
         (!depthwise || s.G % 4 == 0) && s.in_place_scratch.empty() && vector_activation(fused);
}

// Every output row of MB channels is computed as whole 16-column vectors (the last one may
// overlap its predecessor): tap (c, k0, k1) adds x[row][sw * col + k1 * dw - pw] * w to each lane.
// A vector whose tap columns all lie inside the row loads them directly (stride 2: two vectors,
// even lanes kept); otherwise it loads the nearest in-bounds span and permutes it, and lanes whose
// tap lies in the padding keep their accumulator unchanged (a select, not an added zero). So
// every output is the scalar loop's sum: bias, then the valid taps in (channel, kernel row, kernel
// column) order, then residual and activation. Depthwise layers (one channel per group) take MB
// groups at a time, each lane vector reading its own channel.
void emit_conv2d_rows_v16(KernelCtx& ctx, const Conv2dShape& s, const act::Activation& fused) {
  ctx.require_helper("tinyaot_v16", kV16Helper);
  const ir::DType dt = ir::DType::F32;
  const int64_t Cg = s.C / s.G, Mg = s.M / s.G;
  const bool depthwise = Cg == 1 && Mg == 1;
  const int64_t IS = s.ih * s.iw, OS = s.oh * s.ow, KS = s.kh * s.kw, WB = Cg * KS;
  // Flat: the plane is one row of OS columns read from a row of IS (flat_plane).
  const bool flat = flat_plane(s), contiguous = flat && flat_contiguous(s);
  const int64_t width = flat ? OS : s.ow;
  const int64_t NV = flat && !contiguous ? s.oh : (width + 15) / 16, span = 16 * s.sw;
  // Vectors per tile: 2 (one for depthwise flat tiles, see below).
  const int64_t CV = std::min<int64_t>(NV, depthwise && flat ? 1 : 2);
  const int64_t ch = depthwise ? s.G : Mg;  // channels blocked by MB
  int64_t MB = 4;
  // Depthwise flat tiles are straight-line code (every tap unrolled, each channel loading its own
  // inputs): 8 channels x 2 vectors made GCC hoist their loads and spill (6 KB frames on VWW).
  const int64_t max_mb = depthwise && flat ? 4 : 16;
  for (int64_t cand : {16, 8})
    if (cand <= max_mb && ch % cand == 0 && cand * CV <= kAccVectors) {
      MB = cand;
      break;
    }
  ctx.line("const tinyaot_v16f zv = {{}};");
  ctx.open("for (int32_t n = 0; n < {}; ++n) {{", s.N);
  if (s.G > 1 && !depthwise) ctx.open("for (int32_t g = 0; g < {}; ++g) {{", s.G);
  const std::string g = s.G > 1 && !depthwise ? "g" : "0";
  ctx.line("const float* xg = x0 + {};", add_off(mul("n", s.C * IS), mul(g, Cg * IS)));
  ctx.open("for (int32_t mm = 0; mm < {}; mm += {}) {{", ch, MB);
  ctx.line("const int32_t m = {};", add_off(mul(g, Mg), "mm"));
  ctx.line("const float* wm = x1 + {};", mul("m", WB));
  ctx.line("float* ym = y0 + {};", add_off(mul("n", s.M * OS), mul("m", OS)));
  if (s.residual) ctx.line("const float* rm = x3 + {};", add_off(mul("n", s.M * OS), mul("m", OS)));
  if (flat) {
    ctx.open("{{");
    ctx.line("const int32_t oh = 0;");
  } else {
    ctx.open("for (int32_t oh = 0; oh < {}; ++oh) {{", s.oh);
    ctx.line("const int32_t i0 = {};", add_const(mul("oh", s.sh), -s.ph));
    convk::emit_tap_range(ctx, "k0lo", "k0hi", "i0", s.ih, s.kh, s.dh);
  }
  for (int64_t h0 = 0; h0 < NV; h0 += CV) {
    const int64_t cv = std::min(CV, NV - h0);
    // First output column (flat: position in the plane) and lane count of each vector.
    std::vector<int64_t> col(static_cast<size_t>(cv)), nl(static_cast<size_t>(cv), 16);
    for (int64_t j = 0; j < cv; ++j) {
      col[static_cast<size_t>(j)] =
          flat && !contiguous ? (h0 + j) * s.ow : std::min(16 * (h0 + j), width - 16);
      if (flat && !contiguous) nl[static_cast<size_t>(j)] = s.ow;
    }
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
    // Row mode: a run-time loop over the kernel rows in bounds; flat mode: every tap, each with
    // its own lanes in bounds.
    if (flat) {
      ctx.open("{{");
      ctx.line("const float* xr = xg + {};", mul(depthwise ? "m" : c, IS));
    } else {
      ctx.open("for (int32_t k0 = k0lo; k0 < k0hi; ++k0) {{");
      const std::string row = s.dh == 1 ? "(i0 + k0)" : fmt::format("(i0 + k0 * {})", s.dh);
      ctx.line("const float* xr = xg + {};", add_off(mul(depthwise ? "m" : c, IS), mul(row, s.iw)));
      ctx.line("const float* wr = wm + {};", add_off(mul(c, KS), mul("k0", s.kw)));
    }
    for (int64_t tap = 0; tap < (flat ? KS : s.kw); ++tap) {
      const int64_t k0 = tap / s.kw, k1 = tap % s.kw;
      const int64_t d = k1 * s.dw - s.pw;
      // Lane q of the vector starting at output column `c0`: its input index from xr, or -1
      // where the tap lies in the padding.
      auto source = [&](int64_t c0, int64_t q) -> int64_t {
        if (!flat) {
          const int64_t ci = s.sw * (c0 + q) + d;
          return ci >= 0 && ci < s.iw ? ci : -1;
        }
        const int64_t p = c0 + q, ir = p / s.ow * s.sh - s.ph + k0 * s.dh, ic = p % s.ow * s.sw + d;
        return ir >= 0 && ir < s.ih && ic >= 0 && ic < s.iw ? ir * s.iw + ic : -1;
      };
      ctx.open("{{");
      // Per vector j: the load (a pointer offset from xr; depthwise adds t * IS) and, at the
      // row's ends, the permutation and the lanes that hold a valid tap.
      std::vector<int64_t> base(static_cast<size_t>(cv));
      std::vector<bool> two(static_cast<size_t>(cv)), none(static_cast<size_t>(cv));
      std::vector<std::string> perm(static_cast<size_t>(cv)), ok(static_cast<size_t>(cv));
      for (int64_t j = 0; j < cv; ++j) {
        const size_t u = static_cast<size_t>(j);
        // The lanes' input indices (-1: padding, or past the vector's lane count).
        std::vector<int64_t> src(16);
        int64_t lo = -1, hi = -1;
        for (int64_t q = 0; q < 16; ++q) {
          src[static_cast<size_t>(q)] = q < nl[u] ? source(col[u], q) : -1;
          const int64_t ci = src[static_cast<size_t>(q)];
          if (ci >= 0) lo = lo < 0 ? ci : std::min(lo, ci), hi = std::max(hi, ci);
        }
        none[u] = lo < 0;
        if (none[u]) continue;  // every lane in the padding: this tap adds nothing to the vector
        // One vector (two with stride 2 or a wider flat span) loaded from the first valid
        // index, clamped so the load stays inside the row (flat: the plane).
        const int64_t in_width = flat ? IS : s.iw;
        const int64_t sp = flat ? (hi - lo < 16 ? 16 : 32) : span;
        two[u] = sp == 32;
        // Preferred start: lane 0's index where the mode is affine in q (then an in-bounds vector
        // is one plain load), else the first valid index.
        const int64_t pref = contiguous ? col[u] + (k0 * s.dh - s.ph) * s.iw + d
                             : flat     ? lo
                                        : s.sw * col[u] + d;
        const int64_t b = std::max<int64_t>(0, std::min(pref, in_width - sp));
        base[u] = b;
        bool all = true, direct = !two[u];
        std::string pi, oi;
        for (int64_t q = 0; q < 16; ++q) {
          const int64_t ci = src[static_cast<size_t>(q)];
          const bool valid = ci >= 0;
          all = all && valid;
          direct = direct && valid && ci == b + q;
          if (valid && (ci - b < 0 || ci - b >= sp))
            throw std::logic_error("conv_host_v16: lane outside its load");
          pi += (q ? ", " : "") + std::to_string(valid ? ci - b : 0);
          oi += (q ? ", " : "") + std::string(valid ? "-1" : "0");
        }
        if (!direct) perm[u] = pi;
        if (!all) ok[u] = oi;
      }
      auto load = [&](int64_t j, const std::string& xbase) {
        const size_t u = static_cast<size_t>(j);
        ctx.line("tinyaot_v16f xv{};", j);
        if (perm[u].empty()) {
          ctx.line("memcpy(&xv{}, {} + {}, 64);", j, xbase, base[u]);
          return;
        }
        const std::string hi = two[u] ? fmt::format("xh{}", j) : fmt::format("xl{}", j);
        ctx.line("tinyaot_v16f xl{}; memcpy(&xl{}, {} + {}, 64);", j, j, xbase, base[u]);
        if (two[u]) ctx.line("tinyaot_v16f xh{}; memcpy(&xh{}, {} + {}, 64);", j, j, xbase, base[u] + 16);
        ctx.raw("#if defined(__clang__)\n");
        ctx.line("xv{} = __builtin_shufflevector(xl{}, {}, {});", j, j, hi, perm[u]);
        ctx.raw("#else\n");
        ctx.line("xv{} = __builtin_shuffle(xl{}, {}, (tinyaot_v16i){{{}}});", j, j, hi, perm[u]);
        ctx.raw("#endif\n");
      };
      bool any = false;
      for (int64_t j = 0; j < cv; ++j) any = any || !none[static_cast<size_t>(j)];
      if (!any) {
        ctx.close();
        continue;
      }
      if (flat) ctx.line("const float* wr = wm + {};", add_off(mul(c, KS), std::to_string(k0 * s.kw)));
      for (int64_t j = 0; j < cv; ++j)
        if (!none[static_cast<size_t>(j)] && !ok[static_cast<size_t>(j)].empty())
          ctx.line("const tinyaot_v16i ok{} = {{{}}};", j, ok[static_cast<size_t>(j)]);
      if (!depthwise)
        for (int64_t j = 0; j < cv; ++j)
          if (!none[static_cast<size_t>(j)]) load(j, "xr");
      ctx.raw("#pragma GCC unroll 16\n");
      ctx.open("for (int32_t t = 0; t < {}; ++t) {{", MB);
      if (depthwise) {
        ctx.line("const float* xt = xr + {};", mul("t", IS));
        for (int64_t j = 0; j < cv; ++j)
          if (!none[static_cast<size_t>(j)]) load(j, "xt");
      }
      ctx.line("const float wv = wr[{}];", add_off(mul("t", WB), std::to_string(k1)));
      for (int64_t j = 0; j < cv; ++j) {
        if (none[static_cast<size_t>(j)]) continue;
        if (!ok[static_cast<size_t>(j)].empty())
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
      const std::string idx =
          add_off(add_off(mul("t", OS), mul("oh", s.ow)), std::to_string(col[static_cast<size_t>(j)]));
      ctx.open("{{");
      ctx.line("tinyaot_v16f v = acc[t][{}];", j);
      if (nl[static_cast<size_t>(j)] < 16) {
        // A row of fewer than 16 outputs: its lanes are finished and stored one by one.
        ctx.line("float lane[16]; memcpy(lane, &v, 64);");
        ctx.open("for (int32_t q = 0; q < {}; ++q) {{", nl[static_cast<size_t>(j)]);
        ctx.line("float e = lane[q];");
        if (s.residual) ctx.line("e += rm[{}];", add_off(idx, "q"));
        if (fused) ctx.line("{}", act::c_stmt(fused, "e", dt));
        ctx.line("ym[{}] = e;", add_off(idx, "q"));
        ctx.close();
        ctx.close();
        continue;
      }
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
  if (s.G > 1 && !depthwise) ctx.close();
  ctx.close();
}

bool matmul_v16_fit(const std::string& ct, int64_t N, const act::Activation& fused,
                    const MatmulEpilogue& epi) {
  // The epilogue must not depend on the column (a per-column Gemm C): lanes are columns.
  return ct == "float" && N >= 16 && vector_activation(fused) &&
         epi("v", "(i + r)", "@col@").find("@col@") == std::string::npos;
}

// Y(i, j0 .. j0 + 16 NB - 1) for MB rows at a time: per k, NB vectors of B's row k and one
// broadcast of A(i + r, k) per row, MB x NB accumulator vectors in registers. Each output is
// summed from zero in k order, then the epilogue and the activation: the scalar loop's order. A
// column count that is not a multiple of 16 ends with one vector overlapping its predecessor; it
// recomputes identical values (Y is not an operand), so storing them twice changes nothing.
void emit_matmul_v16(KernelCtx& ctx, int64_t M, int64_t N, int64_t K, const std::string& a, int64_t sai,
                     int64_t sak, const std::string& b, int64_t sbk, const std::string& y, int64_t syi,
                     const MatmulEpilogue& epi, const act::Activation& fused) {
  if (M < 1) return;  // an empty output: nothing to compute, and the row blocking needs M >= 1
  ctx.require_helper("tinyaot_v16", kV16Helper);
  const int64_t NVall = (N + 15) / 16;
  // 8 rows x 2 vectors (16 accumulators): measured on VWW's pointwise layers.
  const int64_t NB = std::min<int64_t>(NVall, 2), MBmax = std::min<int64_t>(M, 8);
  ctx.line("const tinyaot_v16f zv = {{}};");
  // Column blocks of NB vectors; the last vector of the row starts at N - 16.
  auto tile = [&](int64_t mb, const std::vector<int64_t>& cols) {
    const int64_t nb = static_cast<int64_t>(cols.size());
    ctx.line("tinyaot_v16f acc[{}][{}];", mb, nb);
    ctx.raw("#pragma GCC unroll 16\n");
    ctx.line("for (int32_t r = 0; r < {}; ++r) for (int32_t h = 0; h < {}; ++h) acc[r][h] = zv;", mb, nb);
    ctx.open("for (int32_t k = 0; k < {}; ++k) {{", K);
    ctx.line("const float* bk = {} + {};", b, mul("k", sbk));
    ctx.line("const float* ak = {} + {};", a, add_off(mul("i", sai), mul("k", sak)));
    for (int64_t h = 0; h < nb; ++h)
      ctx.line("tinyaot_v16f xv{}; memcpy(&xv{}, bk + {}, 64);", h, h, cols[h]);
    ctx.raw("#pragma GCC unroll 16\n");
    ctx.open("for (int32_t r = 0; r < {}; ++r) {{", mb);
    ctx.line("const float av = ak[{}];", mul("r", sai));
    for (int64_t h = 0; h < nb; ++h) ctx.line("acc[r][{0}] += xv{0} * av;", h);
    ctx.close();
    ctx.close();
    ctx.raw("#pragma GCC unroll 16\n");
    ctx.open("for (int32_t r = 0; r < {}; ++r) {{", mb);
    for (int64_t h = 0; h < nb; ++h) {
      ctx.open("{{");
      ctx.line("tinyaot_v16f v = acc[r][{}];", h);
      const std::string e = epi("v", "(i + r)", "@col@");
      if (e != "v") ctx.line("v = {};", e);
      if (fused) ctx.line("{}", act::c_stmt(fused, "v", ir::DType::F32));
      ctx.line("memcpy({} + {}, &v, 64);", y, add_off(mul("(i + r)", syi), std::to_string(cols[h])));
      ctx.close();
    }
    ctx.close();
  };
  for (int64_t v0 = 0; v0 < NVall; v0 += NB) {
    std::vector<int64_t> cols;
    for (int64_t h = v0; h < std::min(NVall, v0 + NB); ++h) cols.push_back(std::min(16 * h, N - 16));
    const int64_t full = M / MBmax * MBmax;
    ctx.open("for (int32_t i = 0; i < {}; i += {}) {{", full, MBmax);
    tile(MBmax, cols);
    ctx.close();
    if (full < M) {
      ctx.open("{{");
      ctx.line("const int32_t i = {};", full);
      tile(M - full, cols);
      ctx.close();
    }
  }
}

bool pointwise_channels_v16_fit(const std::string& ct, int64_t G, int64_t M, int64_t N, const ir::Value* w) {
  return ct == "float" && G == 1 && w != nullptr && M % 32 == 0 && N < 48;
}

// Pointwise layers with few pixels (VWW's 6x6 and 3x3 planes: 36 or 9 columns fill a 16-lane
// vector badly) put 32 output channels in two vectors instead, read from weights transposed at
// compile time to [K][M]: per k two weight vectors and one broadcast input per pixel, up to 12
// pixels (24 accumulators). Each output is summed from zero in k order; the epilogue and the
// activation then run per element, as in the scalar loop, after the tile is written to the stack.
void emit_pointwise_channels_v16(KernelCtx& ctx, int64_t M, int64_t N, int64_t K, const ir::Value& w,
                                 const std::string& x, const std::string& y, const MatmulEpilogue& epi,
                                 const act::Activation& fused) {
  ctx.require_helper("tinyaot_v16", kV16Helper);
  std::vector<double> tv(static_cast<size_t>(M * K));
  for (int64_t k = 0; k < K; ++k)
    for (int64_t m = 0; m < M; ++m) tv[static_cast<size_t>(k * M + m)] = w.get_f64(m * K + k);
  const std::string wt = ctx.const_table("wt", ir::DType::F32, tv);
  const int64_t tiles = (N + 11) / 12, nn = (N + tiles - 1) / tiles;
  ctx.line("const tinyaot_v16f zv = {{}};");
  ctx.open("for (int32_t i = 0; i < {}; i += 32) {{", M);
  for (int64_t j0 = 0; j0 < N; j0 += nn) {
    const int64_t nb = std::min(nn, N - j0);
    ctx.open("{{");
    ctx.line("tinyaot_v16f acc[{}][2];", nb);
    ctx.raw("#pragma GCC unroll 16\n");
    ctx.line("for (int32_t p = 0; p < {}; ++p) acc[p][0] = acc[p][1] = zv;", nb);
    ctx.open("for (int32_t k = 0; k < {}; ++k) {{", K);
    ctx.line("const float* wk = {} + {};", wt, add_off(mul("k", M), "i"));
    ctx.line("tinyaot_v16f w0, w1; memcpy(&w0, wk, 64); memcpy(&w1, wk + 16, 64);");
    ctx.line("const float* xk = {} + {};", x, add_const(mul("k", N), j0));
    ctx.raw("#pragma GCC unroll 16\n");
    ctx.open("for (int32_t p = 0; p < {}; ++p) {{", nb);
    ctx.line("const float xv = xk[p];");
    ctx.line("acc[p][0] += w0 * xv;");
    ctx.line("acc[p][1] += w1 * xv;");
    ctx.close();
    ctx.close();
    ctx.open("for (int32_t p = 0; p < {}; ++p) {{", nb);
    ctx.open("for (int32_t h = 0; h < 2; ++h) {{");
    ctx.line("float lane[16]; memcpy(lane, &acc[p][h], 64);");
    ctx.open("for (int32_t l = 0; l < 16; ++l) {{");
    ctx.line("float v = lane[l];");
    const std::string e = epi("v", "(i + h * 16 + l)", add_const("p", j0));
    if (e != "v") ctx.line("v = {};", e);
    if (fused) ctx.line("{}", act::c_stmt(fused, "v", ir::DType::F32));
    ctx.line("{}[{}] = v;", y, add_off(mul("(i + h * 16 + l)", N), add_const("p", j0)));
    ctx.close();
    ctx.close();
    ctx.close();
    ctx.close();
  }
  ctx.close();
}

}  // namespace tinyaot::codegen::hostk
