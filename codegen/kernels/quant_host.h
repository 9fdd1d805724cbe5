// Host (x86-64 AVX-512 VNNI) variants of int8 QLinearConv for `--target x86-64`: a GEMM-shaped
// kernel over an im2col panel for regular and pointwise layers, and a plane kernel for depthwise
// layers. Each is emitted as a self-contained `#if` block ahead of the portable loops, which stay
// unchanged in every other build (Cortex-M, plain x86-64, other compilers).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "codegen/kernel_ctx.h"
#include "compiler/ops/quant_math.h"

namespace tinyaot::codegen::hostq {

// One QLinearConv layer with every quantization parameter known at compile time.
struct HostConvLayer {
  int64_t N = 1, C = 1, M = 1, G = 1;
  std::vector<int64_t> in, out, k, s, d, pb;  // spatial dims (1 or 2)
  bool x_signed = true;                       // int8 input (else uint8)
  bool y_signed = true;                       // int8 output (else uint8)
  int64_t xzp = 0, yzp = 0;
  std::vector<int64_t> w;            // weights minus their zero point, [M][Cg][taps]
  std::vector<int64_t> bias;         // per output channel (zeros when absent)
  std::vector<int32_t> mult, shift;  // requantization per output channel
  bool tflite = false;               // --rounding tflite: scalar helper per element
  std::string rq_fn;                 // requantization helper name (scalar)
  int32_t lo = -128, hi = 127;
  bool in_place = false;
  // Fused residual QLinearAdd: writes the statements of one element (q_a -> dst); null if none.
  std::function<void(const std::string& qa, const std::string& yidx)> residual;
};

// Emits the host block for the layer when a host kernel supports it; returns the scratch bytes it
// needs (the caller reserves at least that much), or 0 when nothing was emitted.
size_t emit_qconv_host(KernelCtx& ctx, const HostConvLayer& L);

// Builds the layer from a QLinearConv node whose quantization parameters were resolved by the
// caller (per output channel: weight zero points, bias, requantization), emits the block and
// reserves its scratch. `residual` (used when `res`) writes the fused QLinearAdd of one element.
// Returns whether a block was emitted.
bool emit_qconv_host_block(KernelCtx& ctx, const ir::Node& n, const quant::ConvGeo& g, ir::DType xt,
                           ir::DType yt, int64_t xzp, int64_t yzp, const std::vector<int64_t>& wzp,
                           const std::vector<int32_t>& mult, const std::vector<int32_t>& shift,
                           const std::vector<int64_t>& bias, quant::Rounding rmode, const std::string& rqf,
                           int32_t lo, int32_t hi,
                           const std::function<void(const std::string&, const std::string&)>& residual,
                           bool res);

// The host block of a QLinearConv without a fused residual, from the node alone: emitted before
// a sparse or portable body, which follows in the same function. Creates no table those bodies
// also create. Returns whether a block was emitted.
bool emit_qconv_host_for_node(const ir::Node& n, KernelCtx& ctx);

}  // namespace tinyaot::codegen::hostq
