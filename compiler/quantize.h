// Post-training int8 quantization of a float graph (`--quantize int8`): calibrate activation
// ranges, then insert QuantizeLinear/DequantizeLinear pairs (activations per tensor, asymmetric;
// weights per channel, symmetric; int32 biases) so that the lower-qdq pass turns the groups into
// integer kernels. docs/quantization.md describes every decision.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "compiler/calibration.h"
#include "compiler/ir.h"

namespace tinyaot {

struct QuantizeOptions {
  bool int8 = false;  // --quantize int8
  calib::Method method = calib::Method::MinMax;
  std::vector<std::string> calibration_files;  // one .npy per graph input (--calibration)
  std::vector<ir::Value> calibration_arrays;   // or the arrays themselves (verify), same layout
  bool io_int8 = false;                        // --io int8: graph inputs/outputs become int8
  // verify: calibrate on the model folder's test_data_set_*/input_*.pb plus seeded noise copies.
  bool from_test_data = false;
};

// Calibration arrays from the ONNX test cases next to `model_path` (test_data_set_*/input_K.pb):
// every data set, plus for each of them `noisy_copies` copies with seeded Gaussian noise of 5% of
// the input's standard deviation (deterministic). Throws CompileError when there is no data set.
std::vector<ir::Value> test_data_calibration(const ir::Graph& g, const std::string& model_path,
                                             int noisy_copies = 15);

struct QuantizeStats {
  int quantized_tensors = 0;  // activations given a Q/DQ pair
  int quantized_weights = 0;  // constant weight/bias inputs replaced by DQ(int8/int32)
};

// Calibrates on the samples and rewrites `g` in place. Throws CompileError on bad calibration
// data. Progress lines go to `progress` (may be null).
QuantizeStats quantize_graph(ir::Graph& g, const QuantizeOptions& opt, std::ostream* progress);

}  // namespace tinyaot
