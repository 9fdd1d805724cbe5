// Calibration for post-training quantization: runs the float graph through the reference
// evaluator on sample inputs and chooses a quantization range for every float activation.
#pragma once

#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "compiler/ir.h"

namespace tinyaot::calib {

enum class Method { MinMax, Percentile, Mse };
// "minmax" | "percentile" | "mse"; throws UsageError otherwise.
Method parse_method(const std::string& s);

// One sample = one value per graph input, in graph input order.
using Sample = std::vector<ir::Value>;

// Splits per-input calibration arrays (first axis = samples) into samples. Array i must be the
// dtype of graph input i with shape [N, ...input shape], or [N, ...input shape without its
// leading 1] when the input's first dimension is 1. Every array must have the same N >= 1.
// Throws CompileError naming the input and the expected shape otherwise.
std::vector<Sample> split_samples(const ir::Graph& g, const std::vector<ir::Value>& arrays,
                                  const std::vector<std::string>& sources);

// The chosen real-valued range of a tensor (always contains 0).
struct Range {
  float lo = 0, hi = 0;
};

// Runs every sample through the float graph and returns a range per float run-time tensor.
// Percentile and MSE make a second run to fill 2048-bin histograms over the min/max range.
// `progress` (may be null) receives a line "calibrating: k/N samples" at most once a second
// on runs longer than a second.
std::map<const ir::Tensor*, Range> calibrate(const ir::Graph& g, const std::vector<Sample>& samples, Method m,
                                             std::ostream* progress);

// Range selection from a histogram (exposed for tests): `counts` over [lo, hi] in equal bins.
Range percentile_range(const std::vector<double>& counts, float lo, float hi, double pct);
Range mse_range(const std::vector<double>& counts, float lo, float hi);

// Asymmetric int8 parameters for a range: scale = (hi - lo) / 255, zero point so that lo maps to
// -128 (rounded, clamped), so that 0 is exactly representable.
void asymmetric_params(Range r, float& scale, int32_t& zero_point);

}  // namespace tinyaot::calib
