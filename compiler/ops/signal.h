// Geometry of the signal family (DFT, STFT, window and constant generators), shared by its
// semantics (compiler/ops/signal.cpp) and its kernels (codegen/kernels/signal.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/ir.h"

namespace tinyaot {

// Geometry of a DFT along one axis of a complex-or-real signal tensor, shared with the kernel.
// The input is viewed as [outer, length, inner, comps], the output as [outer, bins, inner, 2].
struct SignalDftGeom {
  int64_t outer = 1, length = 0, inner = 1, comps = 1;
  int64_t n = 0;     // DFT length (input zero-padded / truncated to it)
  int64_t bins = 0;  // output bins: n, or n/2+1 when onesided
  bool inverse = false;
};

// Frame geometry of STFT, shared with the kernel: signal [batch, length, comps] -> output
// [batch, frames, bins, 2]; each frame is frame_length samples starting at f*step.
struct SignalStftGeom {
  int64_t batch = 1, length = 0, comps = 1, step = 1, frame_length = 0, frames = 0, bins = 0;
  bool window = false;
};

SignalDftGeom signal_dft_geom(const ir::Node& n);
SignalStftGeom signal_stft_geom(const ir::Node& n);
std::vector<double> signal_constant_values(const ir::Node& n);

}  // namespace tinyaot
