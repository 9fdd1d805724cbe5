// Wide-tile float Conv/Gemm/MatMul loops for CPUs with a SIMD unit. The scalar kernels keep one
// register per accumulator and loop over taps or k innermost, which fits Cortex-M's scalar FPU
// (32 single registers) but leaves a host's vector unit idle. These variants keep a small
// accumulator array (rows x columns, columns contiguous in memory) and put the column loop
// innermost, a shape GCC and Clang vectorise at -O2 (GCC 12+) and -O3. Per output the arithmetic is
// the scalar loop's, in the same order, so host and Cortex-M builds stay bit-identical with
// -ffp-contract=off; docs/decisions.md "Host kernels" records the choice.
#include "codegen/kernels/conv_host.h"

#include <algorithm>

#include "codegen/kernels/conv_util.h"

namespace tinyaot::codegen::hostk {

using convk::add_const;
using convk::add_off;
using convk::mul;

// SSE2 (every x86-64) and NEON (AArch64, most Cortex-A): both have 16+ vector registers. Cortex-M
// (scalar FPU, or MVE with 8 vector registers) keeps the scalar register-blocked loops.
const char* const kSimdIf = "#if defined(__SSE2__) || defined(__ARM_NEON)\n";

namespace {
// Accumulator tile limits: 8 x 32 floats are 16 AVX-512 registers (the measured best on the
// pointwise layers of VWW at -O3 -march=native; at -O2 the tile spills to the stack but still
// runs at vector width). Convolutions take 4 rows: their per-tap inputs need registers too.
// Row tiles of stride-1 convolutions take 16 columns (one AVX-512 vector per row, kept in registers
// with `#pragma GCC unroll 1`), strided ones 32 (measured faster on VWW's stride-2 layers).
constexpr int64_t kMatmulRows = 8, kConvRows = 4, kCols = 32, kConvCols = 16;
// Channels-innermost tiles: 32 channels x 8 columns (16 AVX-512 registers; 4 columns left the
// loads of each tap's weights unamortised on ResNet-8's 16x16 and 8x8 layers).
constexpr int64_t kChanRows = 32, kChanCols = 8;

std::string zero_of(const std::string& ct) {
  return ct == "float" ? "0.0f" : ct == "double" ? "0.0" : "0";
}

// Covers [begin, end) of `var` with full blocks of `blk` (a for loop, or one block with `var`
// fixed) and then one remainder block, calling body(block size) inside each.
void blocks(KernelCtx& ctx, const std::string& var, int64_t begin, int64_t end, int64_t blk,
            const std::function<void(int64_t)>& body) {
  const int64_t n = end - begin, full = n / blk * blk, rem = n - full;
  if (full == blk) {
    ctx.open("{{");
    ctx.line("const int32_t {} = {};", var, begin);
    body(blk);
    ctx.close();
  } else if (full > 0) {
    ctx.open("for (int32_t {0} = {1}; {0} < {2}; {0} += {3}) {{", var, begin, begin + full, blk);
    body(blk);
    ctx.close();
  }
  if (rem > 0) {
    ctx.open("{{");
    ctx.line("const int32_t {} = {};", var, begin + full);
    body(rem);
    ctx.close();
  }
}
// Covers columns [begin, end) of `var` with blocks of exactly `blk` columns where the range allows:
// full blocks, then (for a remainder over half a block) a last block ending at `end` that overlaps
// its predecessor and stores only its last columns (body(nb, skip) computes nb columns and stores those from
// `skip` on). Recomputed columns get the same value in the same order, and are neither stored nor read back
// twice, so a residual stored in place over the output stays correct. A range narrower than `blk` is one
// block.
void col_blocks(KernelCtx& ctx, const std::string& var, int64_t begin, int64_t end, int64_t blk,
                const std::function<void(int64_t, int64_t)>& body) {
  const int64_t n = end - begin;
  // A remainder of at most half a block is cheaper as its own short block than recomputed.
  if (n < blk || (n % blk) * 2 <= blk) {
    if (n > 0) blocks(ctx, var, begin, end, blk, [&](int64_t nb) { body(nb, 0); });
    return;
  }
  const int64_t full = n / blk * blk;
  blocks(ctx, var, begin, begin + full, blk, [&](int64_t nb) { body(nb, 0); });
  if (full < n) {
    ctx.open("{{");
    ctx.line("const int32_t {} = {};", var, end - blk);
    body(blk, blk - (n - full));
    ctx.close();
  }
}

// The innermost accumulation loop of a tile. GCC completely unrolls loops of up to 16 iterations
// before vectorising, and then scalarises the accumulator array into one variable per element
// that the SLP pass only partly recombines (measured: Fashion-MNIST's second layer ran 2.8x
// slower). Up to 16 iterations the loop is kept whole, so it becomes vector instructions on
// registers; longer loops are unrolled after vectorisation, which keeps the tile in registers.
void accumulate_loop(KernelCtx& ctx, int64_t n, const std::string& stmt) {
  if (n <= 16) ctx.raw("#pragma GCC unroll 1\n");
  ctx.line("for (int32_t q = 0; q < {}; ++q) {};", n, stmt);
}
}  // namespace

bool matmul_tiles_fit(int64_t N, int64_t sbj) {
  return sbj == 1 && N >= 8;
}

void emit_matmul_tiles(
    KernelCtx& ctx, const std::string& ct, int64_t M, int64_t N, int64_t K, const std::string& a, int64_t sai,
    int64_t sak, const std::string& b, int64_t sbk, const std::string& y, int64_t syi,
    const std::function<std::string(const std::string&, const std::string&, const std::string&)>& epi,
    const act::Activation& fused) {
  // AVX-512 hosts take register-resident vector tiles where they fit (conv_host_v16.cpp).
  const bool v16 = matmul_v16_fit(ct, N, fused, epi);
  if (v16) {
    ctx.raw(kV16If);
    emit_matmul_v16(ctx, M, N, K, a, sai, sak, b, sbk, y, syi, epi, fused);
    ctx.raw("#else\n");
  }
  const ir::DType dt = ct == "float" ? ir::DType::F32 : ir::DType::F64;
  auto tile = [&](int64_t mb, int64_t nb, int64_t skip) {
    ctx.line("{} acc[{}][{}];", ct, mb, nb);
    ctx.line("for (int32_t r = 0; r < {}; ++r) for (int32_t q = 0; q < {}; ++q) acc[r][q] = {};", mb, nb,
             zero_of(ct));
    ctx.open("for (int32_t k = 0; k < {}; ++k) {{", K);
    ctx.line("const {}* bk = {} + {};", ct, b, add_off(mul("k", sbk), "j"));
    ctx.line("const {}* ak = {} + {};", ct, a, add_off(mul("i", sai), mul("k", sak)));
    ctx.open("for (int32_t r = 0; r < {}; ++r) {{", mb);
    ctx.line("const {} av = ak[{}];", ct, mul("r", sai));
    accumulate_loop(ctx, nb, "acc[r][q] += av * bk[q]");
    ctx.close();
    ctx.close();
    ctx.open("for (int32_t r = 0; r < {}; ++r) {{", mb);
    ctx.line("{}* yr = {} + {};", ct, y, add_off(mul("(i + r)", syi), "j"));
    ctx.open("for (int32_t q = {}; q < {}; ++q) {{", skip, nb);
    ctx.line("{} v = acc[r][q];", ct);
    const std::string e = epi("v", "(i + r)", "(j + q)");
    if (e != "v") ctx.line("v = {};", e);
    if (fused) ctx.line("{}", act::c_stmt(fused, "v", dt));
    ctx.line("yr[q] = v;");
    ctx.close();
    ctx.close();
  };
  // Column blocks outside, row blocks inside: one K x 32 panel of B stays in L1 while every row
  // block of A streams past it.
  col_blocks(ctx, "j", 0, N, kCols, [&](int64_t nb, int64_t skip) {
    blocks(ctx, "i", 0, M, std::min(kMatmulRows, M), [&](int64_t mb) { tile(mb, nb, skip); });
  });
  if (v16) ctx.raw("#endif\n");
}

// The row, channel and plane tiles below (any host with a vector unit).
static void emit_conv2d_tile_loops(KernelCtx& ctx, const Conv2dShape& s, const act::Activation& fused);

void emit_conv2d_tiles(KernelCtx& ctx, const Conv2dShape& s, const act::Activation& fused) {
  // AVX-512 hosts take whole-row vectors where the layer's shape allows (conv_host_v16.cpp).
  const bool v16 = conv2d_rows_v16_fit(s, fused);
  if (v16) {
    ctx.raw(kV16If);
    emit_conv2d_rows_v16(ctx, s, fused);
    ctx.raw("#else\n");
  }
  emit_conv2d_tile_loops(ctx, s, fused);
  if (v16) ctx.raw("#endif\n");
}

static void emit_conv2d_tile_loops(KernelCtx& ctx, const Conv2dShape& s, const act::Activation& fused) {
  const std::string& ct = s.ct;
  const ir::DType dt = ct == "float" ? ir::DType::F32 : ir::DType::F64;
  const int64_t Cg = s.C / s.G, Mg = s.M / s.G;
  const int64_t IS = s.ih * s.iw, OS = s.oh * s.ow, KS = s.kh * s.kw, WB = Cg * KS;
  // Named copies, not a structured binding: lambdas may capture those only from C++20 (clang).
  const std::pair<int64_t, int64_t> cols = convk::interior(s.ow, s.iw, s.kw, s.sw, s.dw, s.pw);
  const int64_t A = cols.first, B = cols.second;
  const bool in_place = !s.in_place_scratch.empty();
  const std::string zero = zero_of(ct);
  auto bias = [&](const std::string& t) {
    return s.has_bias ? fmt::format("x2[{}]", add_off("m", t)) : zero;
  };
  // With channels innermost (below), the transposed weights of channel c, kernel row k0.
  std::string wt;
  auto wt_off = [&](const std::string& c) {
    return add_off(
        add_off(mul(s.G > 1 ? "g" : "0", Cg * KS * Mg), add_off(mul(c, KS * Mg), mul("k0", s.kw * Mg))),
        Mg > 1 ? "mm" : "0");
  };
  // Channel c's input row for kernel row k0 (the caller adds the column).
  auto open_taps = [&]() {
    if (Cg > 1) ctx.open("for (int32_t c = 0; c < {}; ++c) {{", Cg);
    const std::string c = Cg > 1 ? "c" : "0";
    ctx.open("for (int32_t k0 = k0lo; k0 < k0hi; ++k0) {{");
    const std::string row = s.dh == 1 ? "(i0 + k0)" : fmt::format("(i0 + k0 * {})", s.dh);
    ctx.line("const {}* xr = xg + {};", ct, add_off(mul(c, IS), mul(row, s.iw)));
    if (wt.empty())
      ctx.line("const {}* wr = wm + {};", ct, add_off(mul(c, KS), mul("k0", s.kw)));
    else
      ctx.line("const {}* wr = {} + {};", ct, wt, wt_off(c));
  };
  auto close_taps = [&]() {
    ctx.close();
    if (Cg > 1) ctx.close();
  };
  // Stores output (t, column `col`) of the current row from `v` after residual and activation.
  auto store = [&](const std::string& v, const std::string& t, const std::string& col) {
    const std::string idx = add_off(add_off(mul(t, OS), mul("oh", s.ow)), col);
    if (s.residual) ctx.line("{} += rm[{}];", v, idx);
    if (fused) ctx.line("{}", act::c_stmt(fused, v, dt));
    ctx.line("ym[{}] = {};", idx, v);
  };
  // A border column: scalar, taps limited to the valid range of this column.
  auto border = [&](int64_t mb, int64_t lo, int64_t hi) {
    if (lo >= hi) return;
    ctx.open("for (int32_t ow = {0}; ow < {1}; ++ow) {{", lo, hi);
    ctx.line("const int32_t i1 = {};", add_const(mul("ow", s.sw), -s.pw));
    convk::emit_tap_range(ctx, "k1lo", "k1hi", "i1", s.iw, s.kw, s.dw);
    ctx.line("{} acc[{}];", ct, mb);
    ctx.line("for (int32_t t = 0; t < {}; ++t) acc[t] = {};", mb, bias("t"));
    open_taps();
    ctx.open("for (int32_t k1 = k1lo; k1 < k1hi; ++k1) {{");
    ctx.line("const {} xv = xr[{}];", ct, add_off("i1", mul("k1", s.dw)));
    ctx.line("for (int32_t t = 0; t < {}; ++t) acc[t] += xv * wr[{}];", mb,
             wt.empty() ? add_off(mul("t", WB), "k1") : add_off(mul("k1", Mg), "t"));
    ctx.close();
    close_taps();
    ctx.open("for (int32_t t = 0; t < {}; ++t) {{", mb);
    ctx.line("{} v = acc[t];", ct);
    store("v", "t", "ow");
    ctx.close();
    ctx.close();
  };
  // Interior columns ow0 .. ow0 + nb - 1: every kernel column is in bounds.
  auto tile = [&](int64_t mb, int64_t nb, int64_t skip) {
    ctx.line("{} acc[{}][{}];", ct, mb, nb);
    ctx.open("for (int32_t t = 0; t < {}; ++t) {{", mb);
    ctx.line("const {} bv = {};", ct, bias("t"));
    ctx.line("for (int32_t q = 0; q < {}; ++q) acc[t][q] = bv;", nb);
    ctx.close();
    open_taps();
    ctx.open("for (int32_t k1 = 0; k1 < {}; ++k1) {{", s.kw);
    ctx.line("const {}* xs = xr + {};", ct, add_off(add_const(mul("ow0", s.sw), -s.pw), mul("k1", s.dw)));
    ctx.open("for (int32_t t = 0; t < {}; ++t) {{", mb);
    ctx.line("const {} wv = wr[{}];", ct, add_off(mul("t", WB), "k1"));
    accumulate_loop(ctx, nb, fmt::format("acc[t][q] += xs[{}] * wv", mul("q", s.sw)));
    ctx.close();
    ctx.close();
    close_taps();
    ctx.open("for (int32_t t = 0; t < {}; ++t) {{", mb);
    ctx.open("for (int32_t q = {}; q < {}; ++q) {{", skip, nb);
    ctx.line("{} v = acc[t][q];", ct);
    store("v", "t", "ow0 + q");
    ctx.close();
    ctx.close();
  };
  // Channels innermost: interior columns ow0 .. ow0 + nb - 1 of mb output channels from mm, the
  // weights of one tap for those channels contiguous in `wt` (weights transposed per group).
  auto chan_tile = [&](int64_t mb, int64_t nb, int64_t skip) {
    ctx.line("{} acc[{}][{}];", ct, nb, mb);
    ctx.line("for (int32_t p = 0; p < {}; ++p) for (int32_t t = 0; t < {}; ++t) acc[p][t] = {};", nb, mb,
             bias("t"));
    if (Cg > 1) ctx.open("for (int32_t c = 0; c < {}; ++c) {{", Cg);
    const std::string c = Cg > 1 ? "c" : "0";
    ctx.open("for (int32_t k0 = k0lo; k0 < k0hi; ++k0) {{");
    const std::string row = s.dh == 1 ? "(i0 + k0)" : fmt::format("(i0 + k0 * {})", s.dh);
    ctx.line("const {}* xr = xg + {};", ct,
             add_off(add_off(mul(c, IS), mul(row, s.iw)), add_const(mul("ow0", s.sw), -s.pw)));
    ctx.line("const {}* wr = {} + {};", ct, wt, wt_off(c));
    ctx.open("for (int32_t k1 = 0; k1 < {}; ++k1) {{", s.kw);
    ctx.line("const {}* wk = wr + {};", ct, mul("k1", Mg));
    ctx.open("for (int32_t p = 0; p < {}; ++p) {{", nb);
    ctx.line("const {} xv = xr[{}];", ct, add_off(mul("p", s.sw), mul("k1", s.dw)));
    accumulate_loop(ctx, mb, "acc[p][q] += xv * wk[q]");
    ctx.close();
    ctx.close();
    ctx.close();
    if (Cg > 1) ctx.close();
    ctx.open("for (int32_t p = {}; p < {}; ++p) {{", skip, nb);
    ctx.open("for (int32_t t = 0; t < {}; ++t) {{", mb);
    ctx.line("{} v = acc[p][t];", ct);
    store("v", "t", "ow0 + p");
    ctx.close();
    ctx.close();
  };
  // Channels innermost where rows are narrow and channels many (ResNet-8's 16x16 and 8x8 layers,
  // KWS's 5-column first layer): a row tile would fill only part of a vector there.
  // Also strided layers with few input and 8 output channels (VWW's 3x3 stride-2 first layer):
  // their row tiles need strided loads of every tap's inputs, while channel tiles broadcast one
  // input per 8 channels; they take 16 columns (16 accumulator vectors of 8 channels).
  const bool few_strided = s.weights && s.G == 1 && Mg == 8 && s.sw > 1 && Cg <= 4;
  const bool by_channel = few_strided || (s.weights && Mg >= 16 && Mg % 8 == 0 && B - A < 24);
  if (by_channel) {
    std::vector<double> tv(static_cast<size_t>(s.M * WB));
    size_t o = 0;
    for (int64_t g = 0; g < s.G; ++g)
      for (int64_t c = 0; c < Cg; ++c)
        for (int64_t k = 0; k < KS; ++k)
          for (int64_t m = 0; m < Mg; ++m) tv[o++] = s.weights->get_f64((g * Mg + m) * WB + c * KS + k);
    wt = ctx.const_table("wt", ct == "float" ? ir::DType::F32 : ir::DType::F64, tv);
  }
  // Depthwise, stride 1 and equal input and output widths (`same` padding): output (oh, ow) reads
  // input (oh + k0 * dh - ph, ow + k1 * dw - pw), so over the flattened plane every tap is one
  // constant offset and the interior rows form one contiguous run, however narrow the rows are
  // (KWS's 5-column planes, VWW's 6- and 3-column ones). The run starts at the first interior
  // position and ends at the last, so every read stays inside the channel's plane. Not with a
  // residual: the run's stray writes to border positions could land on the residual's storage.
  const std::pair<int64_t, int64_t> rows_in = convk::interior(s.oh, s.ih, s.kh, s.sh, s.dh, s.ph);
  const int64_t RA = rows_in.first, RB = rows_in.second;
  const bool plane =
      Cg == 1 && Mg == 1 && s.sh == 1 && s.sw == 1 && s.iw == s.ow && !s.residual && RA < RB && A < B;
  auto plane_tile = [&](int64_t nb, int64_t skip) {
    ctx.line("{} acc[{}];", ct, nb);
    ctx.line("const {} bv = {};", ct, bias("0"));
    ctx.line("for (int32_t q = 0; q < {}; ++q) acc[q] = bv;", nb);
    ctx.open("for (int32_t k0 = 0; k0 < {}; ++k0) {{", s.kh);
    ctx.open("for (int32_t k1 = 0; k1 < {}; ++k1) {{", s.kw);
    ctx.line("const {}* xs = xg + {};", ct,
             add_const(add_off(add_off("f0", mul("k0", s.dh * s.iw)), mul("k1", s.dw)), -s.ph * s.iw - s.pw));
    ctx.line("const {} wv = wm[{}];", ct, add_off(mul("k0", s.kw), "k1"));
    accumulate_loop(ctx, nb, "acc[q] += xs[q] * wv");
    ctx.close();
    ctx.close();
    ctx.open("for (int32_t q = {}; q < {}; ++q) {{", skip, nb);
    ctx.line("{} v = acc[q];", ct);
    if (fused) ctx.line("{}", act::c_stmt(fused, "v", dt));
    ctx.line("ym[f0 + q] = v;");
    ctx.close();
  };
  auto channels = [&](int64_t mb) {
    ctx.line("const int32_t m = {};", add_off(mul(s.G > 1 ? "g" : "0", Mg), Mg > 1 ? "mm" : "0"));
    if (!by_channel) ctx.line("const {}* wm = x1 + {};", ct, mul("m", WB));
    if (in_place)
      ctx.line("{}* ym = {};", ct, s.in_place_scratch);
    else
      ctx.line("{}* ym = y0 + {};", ct, add_off(mul("n", s.M * OS), mul("m", OS)));
    if (s.residual) ctx.line("const {}* rm = x3 + {};", ct, add_off(mul("n", s.M * OS), mul("m", OS)));
    // Output rows [lo, hi); with `borders_only` just their border columns.
    auto rows = [&](int64_t lo, int64_t hi, bool borders_only) {
      if (lo >= hi) return;
      ctx.open("for (int32_t oh = {}; oh < {}; ++oh) {{", lo, hi);
      ctx.line("const int32_t i0 = {};", add_const(mul("oh", s.sh), -s.ph));
      convk::emit_tap_range(ctx, "k0lo", "k0hi", "i0", s.ih, s.kh, s.dh);
      if (A >= B) {
        border(mb, 0, s.ow);
      } else {
        border(mb, 0, A);
        if (!borders_only && by_channel)
          col_blocks(ctx, "ow0", A, B, few_strided ? 16 : kChanCols,
                     [&](int64_t nb, int64_t skip) { chan_tile(mb, nb, skip); });
        else if (!borders_only)
          col_blocks(ctx, "ow0", A, B, s.sw == 1 ? kConvCols : kCols,
                     [&](int64_t nb, int64_t skip) { tile(mb, nb, skip); });
        border(mb, B, s.ow);
      }
      ctx.close();
    };
    if (plane) {
      // The interior rows' interior columns as one flattened run (see `plane` below); the run
      // also covers the border columns between rows, which rows() then overwrites with their
      // exact values.
      col_blocks(ctx, "f0", RA * s.ow + A, (RB - 1) * s.ow + B, kCols,
                 [&](int64_t nb, int64_t skip) { plane_tile(nb, skip); });
      rows(0, RA, false);
      rows(RA, RB, true);
      rows(RB, s.oh, false);
    } else {
      rows(0, s.oh, false);
    }
    if (in_place)
      ctx.line("memcpy(y0 + {}, ym, {});", add_off(mul("n", s.M * OS), mul("m", OS)),
               static_cast<size_t>(OS) * ir::dtype_size(dt));
  };
  // The transposed copy replaces x1, which the Cortex-M branch still reads.
  if (by_channel) ctx.line("(void)x1;");
  ctx.open("for (int32_t n = 0; n < {}; ++n) {{", s.N);
  if (s.G > 1) ctx.open("for (int32_t g = 0; g < {}; ++g) {{", s.G);
  ctx.line("const {}* xg = x0 + {};", ct, add_off(mul("n", s.C * IS), mul(s.G > 1 ? "g" : "0", Cg * IS)));
  if (Mg > 1)
    blocks(ctx, "mm", 0, Mg, std::min(by_channel ? kChanRows : kConvRows, Mg), channels);
  else
    channels(1);
  if (s.G > 1) ctx.close();
  ctx.close();
}

}  // namespace tinyaot::codegen::hostk
