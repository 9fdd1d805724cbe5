// The reference evaluator: runs a graph node by node through each op's eval function.
// Used for constant folding, calibration and pass-equivalence tests, and by `verify --reference`.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/ir.h"

namespace tinyaot {

// Evaluates one node given its input values (null for omitted inputs); returns its outputs
// allocated with the inferred dtypes and shapes.
std::vector<ir::Value> evaluate_node(const ir::Node& n, const std::vector<const ir::Value*>& in);

// Runs the whole graph on `inputs` (graph input order) and returns the graph outputs.
std::vector<ir::Value> evaluate_graph(const ir::Graph& g, const std::vector<ir::Value>& inputs);

}  // namespace tinyaot
