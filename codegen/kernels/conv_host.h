// Wide-tile variants of the float Conv/Gemm/MatMul loops for CPUs with a SIMD unit (x86 SSE2+,
// Arm NEON), emitted next to the scalar register-blocked loops Cortex-M builds keep (see .cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "codegen/kernel_ctx.h"
#include "compiler/ops/activation.h"

namespace tinyaot::codegen::hostk {

// The preprocessor test that selects the wide tiles; the scalar loops follow in its #else.
extern const char* const kSimdIf;

// True when emit_matmul_tiles handles this product (B's rows contiguous, N wide enough to fill a
// vector).
bool matmul_tiles_fit(int64_t N, int64_t sbj);

// Y(i, j) = epi(sum_k A(i, k) * B(k, j)) with the same operands as codegen::emit_matmul (whose
// comment defines them), as MB x NB accumulator tiles whose NB columns are contiguous in B and Y:
// the compiler turns the innermost column loop into vector instructions. Each output is summed in
// k order from zero and then passed through `epi` and the fused activation, exactly as the scalar
// loop does, so both produce bit-identical results.
void emit_matmul_tiles(
    KernelCtx& ctx, const std::string& ct, int64_t M, int64_t N, int64_t K, const std::string& a, int64_t sai,
    int64_t sak, const std::string& b, int64_t sbk, const std::string& y, int64_t syi,
    const std::function<std::string(const std::string&, const std::string&, const std::string&)>& epi,
    const act::Activation& fused);

// One 2-D convolution (NCHW, groups, dilation) as output-row tiles: per output row, the interior
// columns (every tap in bounds) are computed MB channels x NB columns at a time with the columns
// innermost; border columns take a scalar loop over their valid taps. Each output sums bias, then
// taps in (channel, kernel row, kernel column) order, skipping out-of-bounds taps, then the
// residual and the activation: the order of the scalar direct-convolution loop. Layers with many
// output channels and narrow rows (constant weights) put the channels innermost instead, reading a
// copy of the weights transposed at compile time to [group][C/G][kh][kw][M/G].
struct Conv2dShape {
  std::string ct;                          // C element type
  int64_t N, C, M, G;                      // batch, input channels, output channels, groups
  int64_t ih, iw, oh, ow;                  // input and output plane
  int64_t kh, kw, sh, sw, dh, dw, ph, pw;  // kernel, strides, dilations, leading pads
  bool has_bias, residual;                 // x2 bias; x3 residual added before the activation
  std::string in_place_scratch;            // non-empty: each channel goes to this scratch, then memcpy
  const ir::Value* weights;                // constant weights [M][C/G][kh][kw], or null
};
void emit_conv2d_tiles(KernelCtx& ctx, const Conv2dShape& s, const act::Activation& fused);

// AVX-512 hosts (GCC/Clang vector extensions, conv_host_v16.cpp): stride-1 rows whose width is a
// multiple of 16 and equals the input's, as whole 16-lane vectors with the accumulators in
// registers. emit_conv2d_tiles puts them under kV16If ahead of its own loops when they fit.
extern const char* const kV16If;
using MatmulEpilogue = std::function<std::string(const std::string&, const std::string&, const std::string&)>;
bool conv2d_rows_v16_fit(const Conv2dShape& s, const act::Activation& fused);
void emit_conv2d_rows_v16(KernelCtx& ctx, const Conv2dShape& s, const act::Activation& fused);
// The same for emit_matmul_tiles' products (16+ columns, an epilogue that does not depend on the
// column): 8 rows x 2 vectors of accumulators in registers.
bool matmul_v16_fit(const std::string& ct, int64_t N, const act::Activation& fused,
                    const MatmulEpilogue& epi);
void emit_matmul_v16(KernelCtx& ctx, int64_t M, int64_t N, int64_t K, const std::string& a, int64_t sai,
                     int64_t sak, const std::string& b, int64_t sbk, const std::string& y, int64_t syi,
                     const MatmulEpilogue& epi, const act::Activation& fused);
// Pointwise convolutions (group 1, constant weights, M a multiple of 32) over fewer than 48
// pixels: lanes are output channels, weights transposed at compile time. The caller wraps it in
// kV16If around its other bodies and reads `w` no more (it emits `(void)` for that pointer).
bool pointwise_channels_v16_fit(const std::string& ct, int64_t G, int64_t M, int64_t N, const ir::Value* w);
void emit_pointwise_channels_v16(KernelCtx& ctx, int64_t M, int64_t N, int64_t K, const ir::Value& w,
                                 const std::string& x, const std::string& y, const MatmulEpilogue& epi,
                                 const act::Activation& fused);

}  // namespace tinyaot::codegen::hostk
