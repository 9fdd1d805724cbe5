// Helpers of the prune-zero-channels pass: a uniform view of Conv / QLinearConv layers, the exact
// compile-time contribution of a known input channel to a consumer, and the channel-removal rewrite.
#pragma once

#include <map>
#include <set>
#include <utility>
#include <vector>

#include "compiler/ir.h"

namespace tinyaot::passes::prune {

// A 2-D convolution with constant weights (and bias, scales, zero points), batch 1.
struct ConvInfo {
  ir::Node* n = nullptr;
  bool q = false;         // QLinearConv (integer) rather than float Conv
  size_t wi = 1, bi = 2;  // weight and bias input indices
  int64_t C = 0, M = 0, G = 1, Cg = 0, Mg = 0;
  int64_t H = 0, W = 0, OH = 0, OW = 0, KH = 0, KW = 0, SH = 1, SW = 1, DH = 1, DW = 1, PT = 0, PL = 0;
  const ir::Value* w = nullptr;
  const ir::Value* b = nullptr;  // null when the layer has no bias
  int64_t xzp = 0;               // input zero point (0 for float)
  std::vector<int64_t> wzp;      // weight zero point per output channel (0 for float)

  int64_t in_hw() const { return H * W; }
  int64_t out_hw() const { return OH * OW; }
  // Whether every weight of output channel m on input channel cg (within its group) is zero.
  bool weights_zero(int64_t m, int64_t cg) const;
};

// Fills `ci` when `n` is a Conv (float32) or QLinearConv this pass can rewrite.
bool conv_info(ir::Node& n, ConvInfo& ci);

// Contribution of one known input channel to every output position of a regular (group 1) conv:
// `sum over valid taps (x - xzp) * (w - wzp)` (float: x * w), exact in int64 for integers.
struct Contrib {
  bool uniform = true;      // the same value at every output position, per output channel
  std::vector<double> map;  // [M][OH*OW]
};

class ContribCache {
 public:
  const Contrib& get(const ConvInfo& ci, int64_t c, const std::vector<double>& map);

 private:
  std::map<std::pair<const ir::Node*, int64_t>, Contrib> cache_;
};

// Whether the bias of `ci` stays representable (int32) after folding the channels `s` into it.
bool bias_fits(const ConvInfo& ci, const std::set<int64_t>& s,
               const std::map<int64_t, std::vector<double>>& kin, ContribCache& contrib);

// Removes input channels `rin` (folding their contributions, from the known maps `kin`, into the
// bias) and output channels `rout` of the layer. Shapes are re-inferred by the caller.
void rewrite_conv(ir::Graph& g, const ConvInfo& ci, const std::set<int64_t>& rin,
                  const std::set<int64_t>& rout, const std::map<int64_t, std::vector<double>>* kin,
                  ContribCache& contrib);

}  // namespace tinyaot::passes::prune
