// Cortex-M DSP int8 GEMM kernels with inline-assembly hot loops: the register-blocked core of
// pointwise and im2col convolutions, and the per-channel requantization records they share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/arm_qconv.h"

namespace tinyaot::codegen::arm {

// Per output channel requantization that the DSP kernels evaluate as SMLAL + ASR + SSAT:
// y = sat(floor((acc * mult + 2^(S-1) + zp * 2^S) / 2^S)) with S = 32 + sh, sh in [1, 22].
// That is the generic kernels' round-half-to-even exactly when no tie can occur, which
// rq_records proves per channel from the accumulator bound; channels where it cannot (or whose
// multiplier does not fit) get sh = -shift - 1 and the generic rounding at run time.
struct RqRecord {
  int32_t bias = 0, mult = 0, sh = 0;
  int32_t b = 0;  // rq_records with scale_weights: the weights and the bias are scaled by 2^b
};

// The record of one channel with multiplier mult * 2^-shift (quant::Requant) whose accumulator
// satisfies |acc| <= bound (bias not included in the record).
RqRecord rq_record_for(int32_t mult, int32_t shift, int64_t bound);

// Records for channels 0..M-1 of layer L (bias values, weights and zero points read from the
// node); empty when the layer's parameters are not all compile-time constants. With scale_weights
// (kernels that read int16 weights), a channel whose multiplier is too large for a tie-free record
// (real multiplier >= 1/4, as in VWW's last convolution) gets one for acc * 2^b and shift + b
// instead, b in [1, 8], when its int16 weights and int32 sums allow: the same rational number.
std::vector<RqRecord> rq_records(const KernelCtx& ctx, const QConvLayer& L, bool scale_weights = false);

// Records of 4 int32 per output channel for the DSP GEMM and fully connected bodies: bias with the
// input zero point folded in, multiplier, sh (RqRecord) and the high word of the SMLAL addend
// 2^(31+sh) + y_zp * 2^(32+sh); channels M..M2-1 are padding. *all_fast: every sh > 0.
// With wshift (int16-weight kernels): records from rq_records(scale_weights = true), the folded
// bias scaled by 2^b, and *wshift the b of each channel (the caller scales that channel's weights).
std::vector<double> folded_rq_table(const KernelCtx& ctx, const QConvLayer& L, int64_t M2, bool* all_fast,
                                    std::vector<int32_t>* wshift = nullptr);

// Whether the 2x2 GEMM kernel handles the layer (pointwise or regular 2D convolution with constant
// int8 weights and at least two output pixels).
bool gemm2x2_supported(const KernelCtx& ctx, const QConvLayer& L, bool im2col);

// Emits the DSP body of a pointwise (im2col = false) or regular 2D convolution (im2col = true).
void emit_gemm2x2(KernelCtx& ctx, const QConvLayer& L, bool im2col);

// The file-level requantization helper text for the records above (shared with depthwise):
// `tinyaot_dsp_rq_<s8|u8>(acc, rec, zp)`; registers it and returns its name.
std::string require_rq_helper(KernelCtx& ctx, const std::string& y_type);

}  // namespace tinyaot::codegen::arm
