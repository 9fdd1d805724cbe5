// The 'lut' family (integer-only ops that lower-qdq creates; tinyaot.QResizeLinear is described at
// its functions below): tinyaot.LookupTable(x: int8|uint8, table: constant [256] int8|uint8) -> y,
// y[i] = table[x[i] - qmin(x)]. lower-qdq produces it for Q(op(DQ(x))) with a unary float op,
// the table being that exact float computation evaluated at compile time for all 256 inputs.
// tinyaot.QSoftmax(x: int8|uint8, exp_table: constant u32[256], y_zero_point) {len, inner,
// out_mult, shift}: integer-only softmax of Q(Softmax(DQ(x))) over rows of `len` elements `inner`
// apart: m = max(row); e_k = exp_table[m - x_k] (= rne(2^24 exp(-x_scale (m - x_k))), so e = 2^24
// at the max); S = sum e_k; y_k = min(floor((e_k * out_mult + S * 2^(shift-1)) / (S * 2^shift))
// + y_zp, qmax) with out_mult = rne(2^shift / y_scale). docs/quantization.md derives the error bound (<= 1
// LSB).
// tinyaot.QSoftmaxTflite(x: int8) {len, inner, mult, left_shift, diff_min} -> int8 (scale 1/256,
// zero point -128): TFLite Micro's int8 softmax bit for bit (--rounding tflite), the fixed-point
// rows of compiler/ops/tflite_softmax.h; lower-qdq derives the attributes from x_scale.
// tinyaot.Requantize(x: int8|uint8) {multiplier, shift, x_zero_point, y_zero_point, to} -> y of type
// `to` (int8|uint8): y = saturate(rescale(x - x_zero_point) + y_zero_point), rescale being
// quant::requantize of the node's rounding mode with (multiplier, shift). merge-requantize makes it
// from Q(DQ(x)) and checks it against that float path for all 256 inputs.
// tinyaot.QLogSoftmax(x, exp_table: u32[256], dist_table: i32[256], y_zero_point) {len, inner,
// ln2_mult}: integer-only Q(LogSoftmax(DQ(x))): per row m = max, S = sum exp_table[m - x_k],
// lg = log2_q24(S) (= log2(S / 2^24) in Q24, quant_math.h), B = (lg * ln2_mult + 2^31) >> 32 with
// ln2_mult = rne(2^24 ln 2 / y_scale), so B = ln(sum exp) / y_scale in Q16; then
// V_k = dist_table[m - x_k] + B with dist_table[d] = min(rne(2^16 x_scale d / y_scale), 2^26),
// y_k = max(y_zp - ((V_k + 2^15) >> 16), qmin). docs/quantization.md derives the bound (<= 1 LSB).
#include <algorithm>

#include "compiler/ops/op_util.h"
#include "compiler/ops/quant_math.h"
#include "compiler/ops/registry.h"
#include "compiler/ops/tflite_softmax.h"

namespace tinyaot {

using ir::DType;

void infer_LookupTable(ir::Node& n) {
  ops::check_arity(n, 2, 2);
  const ir::Tensor& x = ops::input(n, 0);
  const ir::Tensor& t = ops::input(n, 1);
  if (x.dtype != DType::I8 && x.dtype != DType::U8)
    ops::fail(n, "input must be int8 or uint8, got {}", ir::dtype_name(x.dtype));
  if (!t.is_constant() || (t.dtype != DType::I8 && t.dtype != DType::U8) || t.shape != ir::Shape{256})
    ops::fail(n, "table must be a constant int8/uint8 tensor of 256 entries, got {} {}",
              ir::dtype_name(t.dtype), ir::shape_str(t.shape));
  ops::set_output(n, 0, t.dtype, x.shape);
}

void eval_LookupTable(const ir::Node&, const std::vector<const ir::Value*>& in, std::vector<ir::Value>& out) {
  const ir::Value& x = *in[0];
  const ir::Value& t = *in[1];
  const int64_t off = x.dtype == DType::I8 ? 128 : 0;
  const size_t es = ir::dtype_size(t.dtype);
  for (int64_t i = 0; i < x.numel(); ++i)
    std::memcpy(out[0].bytes.data() + static_cast<size_t>(i) * es,
                t.bytes.data() + static_cast<size_t>(x.get_i64(i) + off) * es, es);
}

void infer_QSoftmax(ir::Node& n) {
  ops::check_arity(n, 3, 3);
  const ir::Tensor& x = ops::input(n, 0);
  const ir::Tensor& t = ops::input(n, 1);
  const ir::Tensor& z = ops::input(n, 2);
  if (x.dtype != DType::I8 && x.dtype != DType::U8)
    ops::fail(n, "input must be int8 or uint8, got {}", ir::dtype_name(x.dtype));
  if (!t.is_constant() || t.dtype != DType::U32 || t.shape != ir::Shape{256})
    ops::fail(n, "exp_table must be a constant u32[256]");
  if (!z.is_constant() || (z.dtype != DType::I8 && z.dtype != DType::U8) || z.numel() != 1)
    ops::fail(n, "y_zero_point must be a constant int8/uint8 scalar");
  const int64_t len = n.attrs.get_int("len", 0), inner = n.attrs.get_int("inner", 0);
  const int64_t mult = n.attrs.get_int("out_mult", 0);
  if (len < 1 || len > 4096 || inner < 1 || x.numel() % (len * inner) != 0)
    ops::fail(n, "len {} (1..4096) and inner {} do not tile the input {}", len, inner,
              ir::shape_str(x.shape));
  if (mult < 1 || mult > 0xffffffffLL) ops::fail(n, "out_mult {} is outside [1, 2^32)", mult);
  const int64_t shift = n.attrs.get_int("shift", 0);
  if (shift < 1 || shift > 20) ops::fail(n, "shift {} is outside [1, 20]", shift);
  ops::set_output(n, 0, z.dtype, x.shape);
}

namespace {

// Visits each softmax row of x (len elements, stride inner) with its first index, its maximum m
// and the sum of the exponential table t over the row: the part softmax and log-softmax share.
template <class Fn>
void for_each_softmax_row(const ir::Value& x, const uint32_t* t, int64_t outer, int64_t len, int64_t inner,
                          Fn&& fn) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * len * inner + i;
      int64_t m = x.get_i64(base);
      for (int64_t k = 1; k < len; ++k) m = std::max(m, x.get_i64(base + k * inner));
      uint64_t sum = 0;
      for (int64_t k = 0; k < len; ++k) sum += t[m - x.get_i64(base + k * inner)];
      fn(base, m, sum);
    }
}

}  // namespace

void eval_QSoftmax(const ir::Node& n, const std::vector<const ir::Value*>& in, std::vector<ir::Value>& out) {
  const ir::Value& x = *in[0];
  const uint32_t* t = in[1]->data<uint32_t>();
  const int64_t zy = in[2]->get_i64(0);
  const int64_t qmax = in[2]->dtype == DType::I8 ? 127 : 255;
  const int64_t len = n.attrs.get_int("len", 1), inner = n.attrs.get_int("inner", 1);
  const uint64_t mult = static_cast<uint64_t>(n.attrs.get_int("out_mult", 1));
  const int shift = static_cast<int>(n.attrs.get_int("shift", 20));
  const int64_t outer = x.numel() / (len * inner);
  for_each_softmax_row(x, t, outer, len, inner, [&](int64_t base, int64_t m, uint64_t sum) {
    for (int64_t k = 0; k < len; ++k) {
      const uint64_t e = t[m - x.get_i64(base + k * inner)];
      const int64_t q = static_cast<int64_t>((e * mult + (sum << (shift - 1))) / (sum << shift));
      out[0].set_f64(base + k * inner, static_cast<double>(std::min(q + zy, qmax)));
    }
  });
}

void infer_QSoftmaxTflite(ir::Node& n) {
  ops::check_arity(n, 1, 1);
  const ir::Tensor& x = ops::input(n, 0);
  if (x.dtype != DType::I8) ops::fail(n, "input must be int8, got {}", ir::dtype_name(x.dtype));
  const int64_t len = n.attrs.get_int("len", 0), inner = n.attrs.get_int("inner", 0);
  if (len < 1 || len > 256 || inner < 1 || x.numel() % (len * inner) != 0)
    ops::fail(n, "len {} (1..256) and inner {} do not tile the input {}", len, inner, ir::shape_str(x.shape));
  const int64_t mult = n.attrs.get_int("mult", 0), ls = n.attrs.get_int("left_shift", -1);
  const int64_t dmin = n.attrs.get_int("diff_min", 1);
  if (mult < (int64_t{1} << 30) || mult > INT32_MAX || ls < 0 || ls > 30 || dmin > 0 || dmin < INT32_MIN)
    ops::fail(n, "mult {} / left_shift {} / diff_min {} are not TFLite softmax parameters", mult, ls, dmin);
  ops::set_output(n, 0, DType::I8, x.shape);
}

void eval_QSoftmaxTflite(const ir::Node& n, const std::vector<const ir::Value*>& in,
                         std::vector<ir::Value>& out) {
  const int64_t len = n.attrs.get_int("len", 1), inner = n.attrs.get_int("inner", 1);
  quant::TflSoftmaxParams p;
  p.mult = static_cast<int32_t>(n.attrs.get_int("mult", 0));
  p.left_shift = static_cast<int32_t>(n.attrs.get_int("left_shift", 0));
  p.diff_min = static_cast<int32_t>(n.attrs.get_int("diff_min", 0));
  const int8_t* x = in[0]->data<int8_t>();
  int8_t* y = out[0].data<int8_t>();
  const int64_t outer = in[0]->numel() / (len * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * len * inner + i;
      quant::tfl_softmax_row(x + base, y + base, static_cast<int32_t>(len), static_cast<int32_t>(inner), p);
    }
}

namespace {

void requant_range(const ir::Node& n, int32_t& lo, int32_t& hi) {
  const bool s8 = n.attrs.get_string("to", "int8") == "int8";
  lo = s8 ? -128 : 0;
  hi = s8 ? 127 : 255;
}

}  // namespace

void infer_Requantize(ir::Node& n) {
  ops::check_arity(n, 1, 1);
  const ir::Tensor& x = ops::input(n, 0);
  if (x.dtype != DType::I8 && x.dtype != DType::U8)
    ops::fail(n, "input must be int8 or uint8, got {}", ir::dtype_name(x.dtype));
  const std::string to = n.attrs.get_string("to", "");
  if (to != "int8" && to != "uint8")
    ops::fail(n, "attribute 'to' must be \"int8\" or \"uint8\", got '{}'", to);
  for (const char* a : {"multiplier", "shift", "x_zero_point", "y_zero_point"})
    if (!n.attrs.has(a)) ops::fail(n, "missing attribute '{}'", a);
  const int64_t m = n.attrs.get_int("multiplier", 0), s = n.attrs.get_int("shift", 0);
  if (m <= INT32_MIN || m > INT32_MAX) ops::fail(n, "multiplier {} is outside the int32 range", m);
  if (s < -31 || s > 62) ops::fail(n, "shift {} is outside [-31, 62]", s);
  int32_t lo, hi;
  requant_range(n, lo, hi);
  const int64_t xz = n.attrs.get_int("x_zero_point", 0), yz = n.attrs.get_int("y_zero_point", 0);
  if (xz < (x.dtype == DType::I8 ? -128 : 0) || xz > (x.dtype == DType::I8 ? 127 : 255))
    ops::fail(n, "x_zero_point {} is outside the input type's range", xz);
  if (yz < lo || yz > hi) ops::fail(n, "y_zero_point {} is outside the output type's range", yz);
  ops::set_output(n, 0, to == "int8" ? DType::I8 : DType::U8, x.shape);
}

void eval_Requantize(const ir::Node& n, const std::vector<const ir::Value*>& in,
                     std::vector<ir::Value>& out) {
  int32_t lo, hi;
  requant_range(n, lo, hi);
  quant::Requant q;
  q.mult = static_cast<int32_t>(n.attrs.get_int("multiplier", 0));
  q.shift = static_cast<int32_t>(n.attrs.get_int("shift", 0));
  const int32_t xz = static_cast<int32_t>(n.attrs.get_int("x_zero_point", 0));
  const int32_t yz = static_cast<int32_t>(n.attrs.get_int("y_zero_point", 0));
  const quant::Rounding r = quant::rounding_of(n);
  for (int64_t i = 0; i < in[0]->numel(); ++i)
    out[0].set_f64(i, quant::requantize(static_cast<int32_t>(in[0]->get_i64(i)) - xz, q, yz, lo, hi, r));
}

void infer_QLogSoftmax(ir::Node& n) {
  ops::check_arity(n, 4, 4);
  const ir::Tensor& x = ops::input(n, 0);
  const ir::Tensor& t = ops::input(n, 1);
  const ir::Tensor& dt = ops::input(n, 2);
  const ir::Tensor& z = ops::input(n, 3);
  if (x.dtype != DType::I8 && x.dtype != DType::U8)
    ops::fail(n, "input must be int8 or uint8, got {}", ir::dtype_name(x.dtype));
  if (!t.is_constant() || t.dtype != DType::U32 || t.shape != ir::Shape{256})
    ops::fail(n, "exp_table must be a constant u32[256]");
  if (!dt.is_constant() || dt.dtype != DType::I32 || dt.shape != ir::Shape{256})
    ops::fail(n, "dist_table must be a constant i32[256]");
  for (int64_t d = 0; d < 256; ++d)
    if (dt.value->get_i64(d) < 0 || dt.value->get_i64(d) > (int64_t(1) << 26))
      ops::fail(n, "dist_table[{}] = {} is outside [0, 2^26]", d, dt.value->get_i64(d));
  if (!z.is_constant() || (z.dtype != DType::I8 && z.dtype != DType::U8) || z.numel() != 1)
    ops::fail(n, "y_zero_point must be a constant int8/uint8 scalar");
  const int64_t len = n.attrs.get_int("len", 0), inner = n.attrs.get_int("inner", 0);
  if (len < 1 || len > 4096 || inner < 1 || x.numel() % (len * inner) != 0)
    ops::fail(n, "len {} (1..4096) and inner {} do not tile the input {}", len, inner,
              ir::shape_str(x.shape));
  const int64_t mult = n.attrs.get_int("ln2_mult", 0);
  if (mult < 1 || mult > (int64_t(1) << 35)) ops::fail(n, "ln2_mult {} is outside [1, 2^35]", mult);
  ops::set_output(n, 0, z.dtype, x.shape);
}

void eval_QLogSoftmax(const ir::Node& n, const std::vector<const ir::Value*>& in,
                      std::vector<ir::Value>& out) {
  const ir::Value& x = *in[0];
  const uint32_t* t = in[1]->data<uint32_t>();
  const int32_t* dist = in[2]->data<int32_t>();
  const int64_t zy = in[3]->get_i64(0);
  const int64_t qmin = in[3]->dtype == DType::I8 ? -128 : 0;
  const int64_t len = n.attrs.get_int("len", 1), inner = n.attrs.get_int("inner", 1);
  const int64_t mult = n.attrs.get_int("ln2_mult", 1);
  const int64_t outer = x.numel() / (len * inner);
  for_each_softmax_row(x, t, outer, len, inner, [&](int64_t base, int64_t m, uint64_t sum) {
    // lg < 2^28 (S <= 4096 * 2^24) and mult <= 2^35, so the product fits in int64.
    const int64_t b = (quant::log2_q24(sum) * mult + (int64_t(1) << 31)) >> 32;
    for (int64_t k = 0; k < len; ++k) {
      const int64_t v = dist[m - x.get_i64(base + k * inner)] + b;
      const int64_t q = zy - ((v + 32768) >> 16);
      out[0].set_f64(base + k * inner, static_cast<double>(std::max(q, qmin)));
    }
  });
}

// tinyaot.QResizeLinear(x: int8|uint8 [N,C,H,W], x_zero_point, h_index: i32[OH,2], h_weight:
// i32[OH,2], w_index: i32[OW,2], w_weight: i32[OW,2], y_zero_point) {mult, shift}: integer-only
// Q(Resize_linear(DQ(x))) over H and W (lower-qdq, DQ -> Resize(linear) -> Q). The per-axis source
// indices and Q15 weights (each pair summing to 2^15) come from the float op's own coordinate plan;
// acc = sum_ab hw_a ww_b (x[h_a, w_b] - x_zp) (int64, < 2^38); y = rne(acc * mult / 2^shift) + y_zp
// saturated, with mult * 2^-shift = float32(x_scale / y_scale) * 2^-30 exactly (quant::make_requant).
// docs/quantization.md derives the bound (<= 1 LSB).
void infer_QResizeLinear(ir::Node& n) {
  ops::check_arity(n, 7, 7);
  const ir::Tensor& x = ops::input(n, 0);
  if ((x.dtype != DType::I8 && x.dtype != DType::U8) || x.shape.size() != 4)
    ops::fail(n, "input must be a 4-D int8 or uint8 tensor, got {} {}", ir::dtype_name(x.dtype),
              ir::shape_str(x.shape));
  for (size_t i : {size_t(1), size_t(6)}) {
    const ir::Tensor& z = ops::input(n, i);
    if (!z.is_constant() || (z.dtype != DType::I8 && z.dtype != DType::U8) || z.numel() != 1)
      ops::fail(n, "input {} must be a constant int8/uint8 zero point", i);
  }
  ir::Shape out = x.shape;
  for (size_t i = 2; i <= 5; ++i) {
    const ir::Tensor& t = ops::input(n, i);
    const size_t axis = i < 4 ? 2 : 3;
    if (!t.is_constant() || t.dtype != DType::I32 || t.shape.size() != 2 || t.shape[1] != 2)
      ops::fail(n, "input {} must be a constant i32[n, 2] table", i);
    out[axis] = t.shape[0];
    for (int64_t k = 0; k < t.numel(); ++k) {
      const int64_t v = t.value->get_i64(k);
      const int64_t hi = i % 2 == 0 ? x.shape[axis] - 1 : 32768;
      if (v < 0 || v > hi) ops::fail(n, "input {} entry {} = {} is outside [0, {}]", i, k, v, hi);
    }
  }
  if (ops::input(n, 2).shape != ops::input(n, 3).shape || ops::input(n, 4).shape != ops::input(n, 5).shape)
    ops::fail(n, "index and weight tables differ in shape");
  const int64_t mult = n.attrs.get_int("mult", 0), shift = n.attrs.get_int("shift", 0);
  if (mult < 1 || mult >= (int64_t(1) << 24) || shift < 30 || shift > 62)
    ops::fail(n, "mult {} / shift {} outside [1, 2^24) / [30, 62]", mult, shift);
  ops::set_output(n, 0, ops::input(n, 6).dtype, out);
}

void eval_QResizeLinear(const ir::Node& n, const std::vector<const ir::Value*>& in,
                        std::vector<ir::Value>& out) {
  const ir::Value& x = *in[0];
  const int64_t zx = in[1]->get_i64(0), zy = in[6]->get_i64(0);
  const int32_t *hi = in[2]->data<int32_t>(), *hw = in[3]->data<int32_t>();
  const int32_t *wi = in[4]->data<int32_t>(), *ww = in[5]->data<int32_t>();
  const int64_t qmin = in[6]->dtype == DType::I8 ? -128 : 0, qmax = qmin + 255;
  const int64_t mult = n.attrs.get_int("mult", 1);
  const int shift = static_cast<int>(n.attrs.get_int("shift", 30));
  const int64_t planes = x.shape[0] * x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t OH = in[2]->shape[0], OW = in[4]->shape[0];
  int64_t e = 0;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow, ++e) {
        int64_t acc = 0;
        for (int a = 0; a < 2; ++a)
          for (int b = 0; b < 2; ++b)
            acc += static_cast<int64_t>(hw[oh * 2 + a] * ww[ow * 2 + b]) *
                   (x.get_i64(p * H * W + hi[oh * 2 + a] * W + wi[ow * 2 + b]) - zx);
        int64_t v = acc * mult;
        v = (v + (int64_t(1) << (shift - 1)) - 1 + ((v >> shift) & 1)) >> shift;  // half to even
        out[0].set_f64(e, static_cast<double>(std::min(qmax, std::max(qmin, v + zy))));
      }
}

}  // namespace tinyaot
