// Storage assignment before arena planning: which tensors share memory. Views (Reshape, Flatten,
// Squeeze, Unsqueeze, Identity, Dropout) alias their input and emit no code; elementwise ops
// whose input dies at that op write over it in place; chains that end in a graph output are
// computed straight in the caller's output buffer; the inputs of a Concat along its outermost
// non-unit axis are computed straight into their slices of its output (the Concat emits no code).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "compiler/ir.h"

namespace tinyaot::codegen {

struct StorageGroup {
  enum Kind { Arena, GraphInput, GraphOutput } kind = Arena;
  int io_index = -1;  // for GraphInput / GraphOutput
  size_t bytes = 0;
  int first = 0, last = 0;  // schedule steps (node indices) over which the memory is live
  std::vector<const ir::Tensor*> members;
};

struct StorageMap {
  std::map<const ir::Tensor*, int> group_of;            // every non-constant tensor
  std::map<const ir::Tensor*, size_t> offset_in_group;  // bytes; absent = 0 (Concat inputs)
  std::vector<StorageGroup> groups;
  std::set<const ir::Node*> elided;       // view nodes that need no code
  int in_place = 0;                       // number of in-place ops (for reports)
  std::set<const ir::Node*> dw_in_place;  // depthwise convolutions writing over their input
};

// True for ops whose kernel reads and writes element i only when writing element i, so the
// output may overwrite an input of the same shape and element size.
bool is_in_place_safe(const ir::Node& n);
bool is_view_op(const ir::Node& n);

// io_in_arena: graph inputs and outputs get arena storage too (inputs live from step 0, outputs
// to the end) instead of the caller's buffers.
// in_place=false keeps views aliased but gives every op output its own buffer (merging storage
// lengthens lifetimes, which occasionally raises the peak; the driver plans both and keeps the best).
// dw_in_place: depthwise convolutions whose input dies there write over it (needs the kernel's
// in-place variant, which costs a one-channel scratch and a copy per channel).
StorageMap assign_storage(const ir::Graph& g, bool aliasing, bool io_in_arena = false, bool in_place = true,
                          bool dw_in_place = false);

}  // namespace tinyaot::codegen
