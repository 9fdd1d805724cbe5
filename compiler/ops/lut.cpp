// The 'lut' family: tinyaot.LookupTable(x: int8|uint8, table: constant [256] int8|uint8) -> y,
// y[i] = table[x[i] - qmin(x)]. lower-qdq produces it for Q(op(DQ(x))) with a unary float op,
// the table being that exact float computation evaluated at compile time for all 256 inputs.
// tinyaot.QSoftmax(x: int8|uint8, exp_table: constant u32[256], y_zero_point) {len, inner,
// out_mult, shift}: integer-only softmax of Q(Softmax(DQ(x))) over rows of `len` elements `inner`
// apart: m = max(row); e_k = exp_table[m - x_k] (= rne(2^24 exp(-x_scale (m - x_k))), so e = 2^24
// at the max); S = sum e_k; y_k = min(floor((e_k * out_mult + S * 2^(shift-1)) / (S * 2^shift))
// + y_zp, qmax) with out_mult = rne(2^shift / y_scale). docs/quantization.md derives the error bound (<= 1
// LSB).
// tinyaot.Requantize(x: int8|uint8) {multiplier, shift, x_zero_point, y_zero_point, to} -> y of type
// `to` (int8|uint8): y = saturate(rescale(x - x_zero_point) + y_zero_point), rescale being
// quant::requantize of the node's rounding mode with (multiplier, shift). merge-requantize makes it
// from Q(DQ(x)) and checks it against that float path for all 256 inputs.
#include <algorithm>

#include "compiler/ops/op_util.h"
#include "compiler/ops/quant_math.h"
#include "compiler/ops/registry.h"

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

void eval_QSoftmax(const ir::Node& n, const std::vector<const ir::Value*>& in, std::vector<ir::Value>& out) {
  const ir::Value& x = *in[0];
  const uint32_t* t = in[1]->data<uint32_t>();
  const int64_t zy = in[2]->get_i64(0);
  const int64_t qmax = in[2]->dtype == DType::I8 ? 127 : 255;
  const int64_t len = n.attrs.get_int("len", 1), inner = n.attrs.get_int("inner", 1);
  const uint64_t mult = static_cast<uint64_t>(n.attrs.get_int("out_mult", 1));
  const int shift = static_cast<int>(n.attrs.get_int("shift", 20));
  const int64_t outer = x.numel() / (len * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * len * inner + i;
      int64_t m = x.get_i64(base);
      for (int64_t k = 1; k < len; ++k) m = std::max(m, x.get_i64(base + k * inner));
      uint64_t sum = 0;
      for (int64_t k = 0; k < len; ++k) sum += t[m - x.get_i64(base + k * inner)];
      for (int64_t k = 0; k < len; ++k) {
        const uint64_t e = t[m - x.get_i64(base + k * inner)];
        const int64_t q = static_cast<int64_t>((e * mult + (sum << (shift - 1))) / (sum << shift));
        out[0].set_f64(base + k * inner, static_cast<double>(std::min(q + zy, qmax)));
      }
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

}  // namespace tinyaot
