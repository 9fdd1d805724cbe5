// Attribute parsing of the sampling family (GridSample, RoiAlign, MaxUnpool), shared by its
// semantics (compiler/ops/sampling.cpp) and its kernels (codegen/kernels/sampling.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/ir.h"

namespace tinyaot {

// Parsed GridSample attributes, shared with the kernel.
struct SamplingGridParams {
  int mode = 0;     // 0 bilinear, 1 nearest, 2 bicubic
  int padding = 0;  // 0 zeros, 1 border, 2 reflection
  bool align_corners = false;
};
// Parsed RoiAlign attributes, shared with the kernel.
struct SamplingRoiParams {
  bool max_mode = false;
  bool half_pixel = false;
  int64_t out_h = 1, out_w = 1, sampling_ratio = 0;
  float spatial_scale = 1.0f;
};

SamplingGridParams sampling_grid_params(const ir::Node& n);
SamplingRoiParams sampling_roi_params(const ir::Node& n);
ir::Shape sampling_unpool_default_shape(const ir::Node& n);

}  // namespace tinyaot
