// Cortex-M target kernels of 8-bit MaxPool (1-D and 2-D, NCHW, no indices output): the shared
// plan and row walk, the DSP body, and the hook codegen/kernels/pool.cpp calls in front of the
// generic loops (the MVE body is in arm_mve_pool.cpp).
#pragma once

#include <cstdint>
#include <functional>

#include "codegen/kernel_ctx.h"

namespace tinyaot::codegen::arm {

// One int8/uint8 MaxPool layer as planes of H x W (a 1-D pool is H = KH = 1). Per output row the
// kernels first take the maximum over the window's valid input rows for every column into a
// scratch row of Wb bytes that holds PL lowest values (-128 or 0) in front of those W maxima and
// lowest values behind them; an output is then the maximum over KW taps of that row starting at
// ow * SW. The lowest value is the generic kernel's starting value and padding taps are skipped
// there, so both give the same bytes.
struct MaxPoolPlan {
  bool u8 = false;
  int64_t NC = 0, H = 0, W = 0, OH = 0, OW = 0, KH = 0, KW = 0, SH = 1, SW = 1, DH = 1, DW = 1, PT = 0,
          PL = 0;
  int64_t Wb = 0;
  bool rows_fixed = false;  // every window has all KH rows inside the input (no clipping test)
};

// Builds the plan from pool.cpp's geometry (kernel, strides, dilations, begin pads and output
// sizes per spatial dimension of x's shape); false for layers the target kernels do not take.
bool plan_maxpool(const ir::Shape& x, ir::DType t, const std::vector<int64_t>& kernel,
                  const std::vector<int64_t>& strides, const std::vector<int64_t>& dil,
                  const std::vector<int64_t>& pad_begin, const std::vector<int64_t>& out, MaxPoolPlan& p);

// Emits the channel and output-row loops of a body and, per output row, calls vertical() (fill
// bm[0..W) with the column maxima of the rows: `r0`..`r<KH-1>` when rows_fixed, else the `nv` >= 1
// pointers `rp[0..nv)`) and then horizontal() (write yr[0..OW) from buf). `T` is the element type.
// Without `bordered_row` there is no scratch row (vertical() is not called; horizontal() reads the
// fixed rows directly).
void emit_maxpool_rows(KernelCtx& ctx, const MaxPoolPlan& p, const std::function<void()>& vertical,
                       const std::function<void()>& horizontal, bool bordered_row = true);

// Hook: for --target cortex-m* emits the MVE block (cortex-m55, when arm_mve_pool.h takes the
// layer) and `#if defined(__ARM_FEATURE_DSP) { ... return; } #else (void)scratch; #endif`, renames
// the kernel `<name>_mve` / `<name>_dsp` and returns true; the caller's generic loops follow.
// Returns false, emitting nothing, for other targets.
bool emit_maxpool_target(KernelCtx& ctx, const MaxPoolPlan& p);

}  // namespace tinyaot::codegen::arm
