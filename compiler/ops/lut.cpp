// The 'lut' family: tinyaot.LookupTable(x: int8|uint8, table: constant [256] int8|uint8) -> y,
// y[i] = table[x[i] - qmin(x)]. lower-qdq produces it for Q(op(DQ(x))) with a unary float op,
// the table being that exact float computation evaluated at compile time for all 256 inputs.
#include "compiler/ops/op_util.h"
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

}  // namespace tinyaot
