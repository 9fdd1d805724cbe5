// Compile-time plans of the com.microsoft quantized ops (family quant_ms): resolved geometry,
// lookup tables and fixed-point multipliers, shared by the reference evaluation
// (compiler/ops/quant_ms.cpp) and the kernels (codegen/kernels/quant_ms.cpp) so both compute the
// same integers. docs/ops/quant.md defines each op.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/ir.h"
#include "compiler/ops/quant_math.h"

namespace tinyaot::quant_ms {

// A per-tensor scale and zero point read from constant inputs.
struct QParam {
  float scale = 1.f;
  int32_t zp = 0;
};
// Inputs scale_idx / zp_idx of `n` (zp optional); fails naming the node when not constant scalars.
QParam qparam(const ir::Node& n, size_t scale_idx, size_t zp_idx);
using quant::is_q8;
using quant::qrange;

// QLinearSigmoid / QLinearLeakyRelu: y = Q(f(DQ(x))) for each of the 256 inputs, indexed by x - lo.
std::vector<int32_t> unary_lut(const ir::Node& n);
// Requantization of every 8-bit value from `in` to `out` (QLinearConcat inputs), indexed by x - lo.
std::vector<int32_t> requant_lut(QParam in, QParam out, ir::DType t);

// QLinearMul: y = requantize((a - za) * (b - zb), M), M = float32(float32(sa * sb) / sy) (or
// TFLite's multiplier of the double ratio under --rounding tflite).
quant::Requant mul_requant(const ir::Node& n);
// TFLite's rounded average of an int32 sum: half away from zero.
inline int32_t tflite_avg(int32_t sum, int32_t count) {
  return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

// QLinearAveragePool / QLinearGlobalAveragePool geometry (one or two spatial dims, NCHW, or NHWC
// for the global form with channels_last=1).
struct PoolGeo {
  int64_t N = 1, C = 1;
  std::vector<int64_t> in, k, s, pb, pe, out;  // per spatial dim
  bool include_pad = false, channels_last = false;
  // --rounding tflite with equal input/output parameters and no counted padding: TFLite's int8
  // average pool, the raw sum divided by the count with rounding half away from zero.
  bool tflite_avg = false;
  int64_t max_count = 1;                 // largest window count (table size - 1)
  std::vector<quant::Requant> by_count;  // requantization of a window sum, indexed by its count
  int64_t spatial_in() const;
  int64_t spatial_out() const;
};
PoolGeo pool_geometry(const ir::Node& n);

// QGemm: y[m, n] = requantize(sum_k (a - za) * (b - zb_n) + C[m, n], alpha * sa * sb_n / sy), or
// float(acc) * float32(alpha * sa * sb_n) when there is no y_scale (float output).
struct GemmGeo {
  int64_t M = 1, K = 1, N = 1;
  bool trans_a = false, trans_b = false, float_out = false;
  int32_t za = 0;
  std::vector<int32_t> zb;         // per column (size N)
  std::vector<quant::Requant> rq;  // per column, quantized output
  std::vector<float> fscale;       // per column, float output
  int32_t zy = 0;
  std::vector<int64_t> c_strides;  // strides of C over [M, N] (empty without C)
};
GemmGeo gemm_geometry(const ir::Node& n);

// QLinearSoftmax: d = max - x; e[d] = round(exp(-d * sx) * 2^16) (compile-time table); per row
// sum = sum e; y = saturate(floor((2 * e * R + den) / (2 * den)) + zy) with den = sum << k and
// R = round(2^k / sy): the exact rational e / sum / sy with one rounding of R and one of y.
struct SoftmaxPlan {
  std::vector<int64_t> exp_table;  // 256 entries, indexed by d
  int64_t R = 0;
  int32_t k = 0;
  int64_t outer = 1, len = 1, inner = 1;
  int32_t zy = 0;
};
SoftmaxPlan softmax_plan(const ir::Node& n);
int32_t softmax_out(const SoftmaxPlan& p, int64_t e, int64_t sum, int32_t lo, int32_t hi);

}  // namespace tinyaot::quant_ms
