// Pieces shared by the x86-64 host variants of int8 QLinearConv (quant_host.cpp: AVX-512 VNNI,
// quant_host_avx2.cpp: AVX2 / AVX-VNNI): per-channel constants and the AVX2 kernel's plan.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "codegen/kernels/quant_host.h"

namespace tinyaot::codegen::hostq {

// An int32 value as a C literal (INT32_MIN spelled so that it stays an int).
std::string i32s(int64_t v);

// A per-channel int32 value: a literal when uniform, else a table indexed by `idx`.
struct PerChannel {
  std::string lit, tab;
  std::string at(const std::string& idx) const { return tab.empty() ? lit : tab + "[" + idx + "]"; }
};
// Creates the table "<base>" (when the values are not uniform); bases must be unique per layer.
PerChannel per_channel(KernelCtx& ctx, const std::string& base, const std::vector<int64_t>& v);

// Full register blocks, then the remainder: `block(B, "<var>")` inside `for (var = 0; var <
// n / B * B; var += B)` and, when n % B != 0, `block(n % B, "<n / B * B>")` in its own scope.
void emit_blocks(KernelCtx& ctx, const std::string& var, int64_t n, int64_t B,
                 const std::function<void(int64_t, const std::string&)>& block);

// The requantizing store of accumulator vector j of a fully connected block starting at vector
// v0 of group g: lane l holds output channel (v0 + j) * lanes + l (lanes past Mg are skipped).
// `spill` stores the vector into `int32_t tq[lanes]`.
void emit_fc_lane_stores(KernelCtx& ctx, const HostConvLayer& L, int64_t lanes, const std::string& spill,
                         const std::string& v0, int64_t j, int64_t Mg, const PerChannel& mult,
                         const PerChannel& shift);

// The AVX2 variant of one layer: its kind, the tables it reads (created by plan_avx2, before any
// code is emitted, so that the other branches of the `#if` chain can mark them used) and the
// arena scratch it needs.
struct Avx2Plan {
  enum Kind { FullyConnected, Gemm, Depthwise } kind = Gemm;
  std::string w, bvec;           // packed weights; fully connected: bias per 8-lane vector
  PerChannel bias, mult, shift;  // per output channel
  size_t bytes = 0;
};
Avx2Plan plan_avx2(KernelCtx& ctx, const HostConvLayer& L, bool depthwise);
void emit_avx2(KernelCtx& ctx, const HostConvLayer& L, const Avx2Plan& p);

// The AVX2 helpers (requantization of 8 lanes, dot step, stores, tap spans), guarded by
// TINYAOT_X86_AVX2.
extern const char* const kAvx2Helpers;

}  // namespace tinyaot::codegen::hostq
