// Helpers of the rnn family (RNN, GRU, LSTM) shared by its semantics (rnn.cpp) and its kernels
// (codegen/kernels/rnn.cpp).
#pragma once

#include <string>
#include <tuple>
#include <vector>

#include "compiler/ir.h"

namespace tinyaot {
namespace rnn {

using Activation = std::tuple<std::string, float, float>;  // lower-case name, alpha, beta

// The node's activations with alpha/beta, per_direction x directions entries (defaults filled
// in, a one-direction list reused for both); errors name the node.
std::vector<Activation> activations(const ir::Node& n);
// Reference value of activation `a` at x.
double apply_activation(const Activation& a, double x);

}  // namespace rnn
}  // namespace tinyaot
