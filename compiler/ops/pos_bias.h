// The per-position bias of a 2-D Conv / QLinearConv, set by the prune-zero-channels pass when a
// removed input channel contributed differently at the borders (where padding drops taps):
//   tinyaot_pos_rows = class of each output row (OH ints), tinyaot_pos_cols = class of each output
//   column (OW ints), tinyaot_pos_bias = table [M, rows classes, column classes] (ints for
//   QLinearConv, floats for Conv), added to the accumulator before requantization / activation.
// The evaluators (compiler/ops/conv.cpp, quant.cpp) and kernels read it through this header.
#pragma once

#include <algorithm>
#include <vector>

#include "compiler/ir.h"
#include "compiler/ops/op_util.h"

namespace tinyaot::posb {

struct PosBias {
  int64_t R = 0, Cc = 0;  // number of row and column classes
  std::vector<int64_t> rows, cols;
  std::vector<double> table;  // [M][R][Cc]
  explicit operator bool() const { return !table.empty(); }
  double at(int64_t m, int64_t oh, int64_t ow) const {
    return table[static_cast<size_t>((m * R + rows[static_cast<size_t>(oh)]) * Cc +
                                     cols[static_cast<size_t>(ow)])];
  }
};

// Reads and validates the attributes for a layer with M output channels and an output of shape
// `out` (N, M, spatial...). Empty when absent; throws CompileError naming the node when malformed.
inline PosBias parse(const ir::Node& n, int64_t M, const ir::Shape& out) {
  PosBias p;
  if (!n.attrs.has("tinyaot_pos_bias") && !n.attrs.has("tinyaot_pos_rows") &&
      !n.attrs.has("tinyaot_pos_cols"))
    return p;
  if (out.size() != 4) ops::fail(n, "tinyaot_pos_bias needs a 2-D convolution");
  p.rows = n.attrs.get_ints("tinyaot_pos_rows");
  p.cols = n.attrs.get_ints("tinyaot_pos_cols");
  if (static_cast<int64_t>(p.rows.size()) != out[2] || static_cast<int64_t>(p.cols.size()) != out[3])
    ops::fail(n, "tinyaot_pos_rows/cols must have {} and {} entries", out[2], out[3]);
  for (int64_t v : p.rows) {
    if (v < 0) ops::fail(n, "negative class in tinyaot_pos_rows");
    p.R = std::max(p.R, v + 1);
  }
  for (int64_t v : p.cols) {
    if (v < 0) ops::fail(n, "negative class in tinyaot_pos_cols");
    p.Cc = std::max(p.Cc, v + 1);
  }
  const ir::Attribute* a = n.attrs.find("tinyaot_pos_bias");
  if (!a) ops::fail(n, "tinyaot_pos_rows/cols without tinyaot_pos_bias");
  if (a->kind == ir::Attribute::Kind::Ints)
    p.table.assign(a->ints.begin(), a->ints.end());
  else if (a->kind == ir::Attribute::Kind::Floats)
    p.table.assign(a->floats.begin(), a->floats.end());
  else
    ops::fail(n, "tinyaot_pos_bias must be a list of ints or floats");
  if (static_cast<int64_t>(p.table.size()) != M * p.R * p.Cc)
    ops::fail(n, "tinyaot_pos_bias has {} values, expected {}", p.table.size(), M * p.R * p.Cc);
  return p;
}

}  // namespace tinyaot::posb
