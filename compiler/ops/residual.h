// Residual additions fused into a convolution's epilogue (fuse-residual-add pass). A Conv or
// QLinearConv carrying the attribute tinyaot_residual=1 has extra inputs after its ONNX ones:
//   Conv:        [3] R                       out = act((conv + bias) + R), one float rounding each
//   QLinearConv: [9] B, [10] B_scale, [11] B_zero_point, [12] C_scale, [13] C_zero_point
//                out = QLinearAdd(A = the requantized conv output with (y_scale, y_zero_point),
//                                 B, C) with the QLinearAdd arithmetic of the node's rounding mode.
// R / B has the output's shape and type, so the kernel reads element i of it just before writing
// element i of the output, which lets the memory planner put the output over R in place.
#pragma once

#include "compiler/ir.h"

namespace tinyaot::residual {

constexpr size_t kConvInput = 3;   // Conv: the residual tensor
constexpr size_t kQConvInput = 9;  // QLinearConv: B, then B_scale, B_zp, C_scale, C_zp
constexpr size_t kQConvArity = 14;

inline bool has(const ir::Node& n) {
  return n.attrs.has("tinyaot_residual") && n.attrs.get_int("tinyaot_residual", 0) != 0;
}

// Index of the residual tensor input of a fused node (npos when not fused).
inline size_t input_index(const ir::Node& n) {
  if (!has(n)) return static_cast<size_t>(-1);
  return n.op == "QLinearConv" ? kQConvInput : kConvInput;
}

}  // namespace tinyaot::residual
