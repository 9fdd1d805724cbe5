// Cortex-M target kernels of the int8 element-wise layers: QLinearAdd (quant_add.cpp) and the byte
// sums of int8 average pools (pool.cpp, quant_ms.cpp). DSP bodies here, MVE bodies in arm_mve_eltwise.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/quant_emit.h"

namespace tinyaot::codegen::arm {

// QLinearAdd with constant parameters in 32-bit arithmetic: t = a * ma + b * mb + c on the raw
// inputs (zero points, output zero point and the rounding offset folded into c), y = saturate(t >> shift).
// It is chosen at compile time by evaluating all 256 x 256 input pairs against quant::qadd_ref (the
// definition the generic kernel reproduces exactly). Pairs where it differs lie next to a rounding
// boundary: every one satisfies ((uint32_t)t + win) mod 2^shift <= 2 * win, and kernels recompute
// elements passing that test with the generic formula. win < 0: no pair differs, no test.
struct QAdd32Plan {
  bool ok = false;
  int32_t ma = 0, mb = 0, c = 0, shift = 0;
  int64_t win = -1;
  int64_t mismatches = 0;    // pairs that differ (all inside the window)
  int64_t window_pairs = 0;  // pairs inside the window (recomputed at run time)
};
QAdd32Plan make_qadd32_plan(float sa, int32_t za, float sb, int32_t zb, float sy, int32_t zy, bool u8);

// One contiguous run of R output elements of a QLinearAdd: C pointer expressions of its inputs and
// output; a broadcast input (a_scalar / b_scalar) holds one value for the whole run.
struct QAddRun {
  std::string pa, pb, py;
  int64_t R = 0;
  bool a_scalar = false, b_scalar = false;
  bool u8 = false;
  int32_t za = 0, zb = 0, zy = 0;
};

// QLinearAdd hook: for --target cortex-m* and layers the target kernels support, emits the MVE
// block (cortex-m55: `#if defined(__ARM_FEATURE_MVE) { ... return; } #endif`) and
// `#if defined(__ARM_FEATURE_DSP) <DSP body> #else`, renames the kernel `<name>_mve` / `<name>_dsp`
// and returns true; the caller then emits the generic body and closes it with `#endif`.
// Returns false (emitting nothing) otherwise. The node is com.microsoft.QLinearAdd; qe is the
// generic element (used for the few elements next to a rounding boundary).
bool emit_qadd_target_begin(KernelCtx& ctx, const quant::QAddElement& qe);

// Emits statements that add the n bytes at `ptr` (int8_t or uint8_t, per u8) to the int32 lvalue
// `acc` as int32 values minus `zp` each: on targets with the DSP extension an
// `#if MVE / #elif DSP / #else <generic()> #endif` block, elsewhere just generic(). Used by the int8
// average pools, whose window sums are exact in int32 whichever way they are added up.
void emit_byte_sum(KernelCtx& ctx, const std::string& acc, const std::string& ptr, int64_t n, bool u8,
                   int64_t zp, const std::function<void()>& generic);

}  // namespace tinyaot::codegen::arm
