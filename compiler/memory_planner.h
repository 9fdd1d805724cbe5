// Static memory planning: buffers with size and lifetime get offsets in one arena.
// Strategies sit behind one small interface so they can be swapped and unit-tested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tinyaot {

struct BufferRequest {
  std::string name;   // for reports
  size_t size = 0;    // bytes
  size_t align = 16;  // bytes, power of two
  int first = 0;      // first schedule step that writes or reads it
  int last = 0;       // last schedule step that reads it (inclusive)
};

class MemoryPlanner {
 public:
  virtual ~MemoryPlanner() = default;
  virtual const char* strategy() const = 0;
  // Returns the buffer's id (0, 1, ... in call order).
  int add_buffer(const BufferRequest& b) {
    bufs_.push_back(b);
    return static_cast<int>(bufs_.size()) - 1;
  }
  // Assigns offsets; call once after all buffers are added.
  virtual void plan() = 0;
  size_t offset(int id) const { return offsets_.at(static_cast<size_t>(id)); }
  size_t arena_size() const { return arena_; }
  const std::vector<BufferRequest>& buffers() const { return bufs_; }
  // Max over steps of the bytes live at that step, each buffer rounded up to its alignment (a
  // lower bound for any aligned offset assignment and 16-byte rounded arena).
  size_t live_lower_bound() const;
  // True when the strategy proved its arena minimal for these lifetimes.
  virtual bool proven_optimal() const { return false; }
  // One line per buffer (size, offset, lifetime) followed by an ASCII timeline of arena use.
  std::string report() const;

 protected:
  std::vector<BufferRequest> bufs_;
  std::vector<size_t> offsets_;
  size_t arena_ = 0;
};

// Largest buffer first, each placed at the lowest offset that does not overlap any already
// placed buffer whose lifetime intersects its own.
std::unique_ptr<MemoryPlanner> make_greedy_by_size_planner();
// Buffers of the most crowded steps first (ordered by the peak live bytes over their lifetime,
// then by size), each placed at the lowest fitting offset.
std::unique_ptr<MemoryPlanner> make_greedy_by_breadth_planner();
// Buffers in order of first use (schedule order), each at the lowest fitting offset.
std::unique_ptr<MemoryPlanner> make_greedy_by_start_planner();
// Branch and bound over placement orders (each buffer at the lowest offset that fits): every
// optimal packing is reachable this way, so when the search finishes within `node_budget`
// expansions the result is a proven optimum for the given lifetimes (`proven_optimal()`).
std::unique_ptr<MemoryPlanner> make_exact_planner(uint64_t node_budget = 2000000);

// Runs every strategy and keeps the smallest arena (ties: the first in the list above).
struct PlanChoice {
  std::unique_ptr<MemoryPlanner> best;
  bool proven_optimal = false;                        // the exact search finished
  std::vector<std::pair<std::string, size_t>> tried;  // strategy -> arena bytes
};
PlanChoice plan_best(const std::vector<BufferRequest>& buffers);

}  // namespace tinyaot
