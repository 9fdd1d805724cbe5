// The pass table and the default pipelines.
#include "passes/pass.h"

namespace tinyaot::passes {

const std::vector<PassInfo>& all_passes() {
  static const std::vector<PassInfo> passes = {
#define TINYAOT_PASS(ID, NAME, SUMMARY) {NAME, SUMMARY, &ID},
#include "passes/passes.def"
#undef TINYAOT_PASS
  };
  return passes;
}

const PassInfo* find_pass(const std::string& name) {
  for (auto& p : all_passes())
    if (name == p.name) return &p;
  return nullptr;
}

std::vector<std::string> default_pipeline(int opt_level) {
  if (opt_level <= 0) return {};
  return {
      "remove-identity",  // Identity/Dropout only copy data; consumers can read the source.
      "fold-casts",       // Exporters leave same-type and widening Cast chains; each is a full copy.
      "eliminate-common-subexpressions",  // Shared constants/duplicate nodes: less flash, less work.
      "fold-batchnorm",    // BN after Conv/Gemm/MatMul costs a pass over memory; fold it into weights.
      "fold-pad",          // Explicit Pad nodes copy the whole tensor; Conv/Pool pads cost nothing.
      "lower-qdq",         // QDQ groups -> integer QLinear ops: int8 weights, exact integer kernels.
      "fuse-dequantize",   // DQ -> AveragePool groups left float: pool reads int8, no float copy.
      "merge-requantize",  // Q(DQ(x)) left by lowering: one integer rescale instead of a float round trip.
      "collapse-layout-chains",  // Reshape/Squeeze/Transpose chains from exporters: fewer nodes and copies.
      "fold-channel-affine",  // Per-channel Mul/Add after Conv/Gemm (and MatMul + Add) go into weights/bias.
      "fuse-activation",  // After BN folding (Conv-BN-Relu): apply the activation in the producer's store.
      "prune-zero-channels",  // After lowering/fusion: drop input-independent channels (bias folded in).
      "fuse-residual-add",    // After pruning (which sees plain convs): residual Add into the conv's store.
      "fold-constants",       // Rewrites above can expose new all-constant nodes.
      "remove-dead-nodes",    // Drop whatever no longer reaches an output.
      "schedule-memory",      // Last: pick the node order with the lowest peak live memory.
  };
}

}  // namespace tinyaot::passes
