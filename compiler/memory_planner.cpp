// Memory planner strategies and the shared reporting code.
#include "compiler/memory_planner.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace tinyaot {

static size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

size_t MemoryPlanner::live_lower_bound() const {
  int steps = 0;
  for (auto& b : bufs_) steps = std::max(steps, b.last + 1);
  size_t best = 0;
  for (int s = 0; s < steps; ++s) {
    size_t live = 0;
    for (auto& b : bufs_)
      if (b.first <= s && s <= b.last) live += b.size;
    best = std::max(best, live);
  }
  return best;
}

std::string MemoryPlanner::report() const {
  std::string r = fmt::format("memory plan ({}): arena {} bytes, live lower bound {} bytes\n",
                              strategy(), arena_, live_lower_bound());
  int steps = 0;
  for (auto& b : bufs_) steps = std::max(steps, b.last + 1);
  for (size_t i = 0; i < bufs_.size(); ++i)
    r += fmt::format("  {:>8} B @ {:>8}  steps {:>3}..{:<3} {}\n", bufs_[i].size,
                     offsets_.empty() ? 0 : offsets_[i], bufs_[i].first, bufs_[i].last,
                     bufs_[i].name);
  // Timeline: one row per step, bar length proportional to the highest used byte at that step.
  r += "  timeline (step: arena bytes in use, '#' = 1/40 of the arena)\n";
  for (int s = 0; s < steps; ++s) {
    size_t top = 0, live = 0;
    for (size_t i = 0; i < bufs_.size(); ++i)
      if (bufs_[i].first <= s && s <= bufs_[i].last) {
        top = std::max(top, offsets_[i] + bufs_[i].size);
        live += bufs_[i].size;
      }
    size_t bar = arena_ ? top * 40 / arena_ : 0;
    r += fmt::format("  {:>4}: {:<40} live {} B, top {} B\n", s, std::string(bar, '#'), live, top);
  }
  return r;
}

namespace {

class GreedyBySize : public MemoryPlanner {
 public:
  const char* strategy() const override { return "greedy-by-size"; }
  void plan() override {
    std::vector<size_t> order(bufs_.size());
    std::iota(order.begin(), order.end(), 0);
    // Ties broken by id so the plan (and the generated code) is deterministic.
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return bufs_[a].size > bufs_[b].size; });
    offsets_.assign(bufs_.size(), 0);
    std::vector<size_t> placed;
    arena_ = 0;
    for (size_t id : order) {
      const BufferRequest& b = bufs_[id];
      // Collect the intervals of conflicting placed buffers, sorted by offset, and take the
      // first gap large enough.
      std::vector<std::pair<size_t, size_t>> busy;
      for (size_t p : placed) {
        const BufferRequest& o = bufs_[p];
        if (o.first <= b.last && b.first <= o.last) busy.push_back({offsets_[p], offsets_[p] + o.size});
      }
      std::sort(busy.begin(), busy.end());
      size_t off = 0;
      for (auto& [lo, hi] : busy) {
        if (align_up(off, b.align) + b.size <= lo) break;
        off = std::max(off, hi);
      }
      off = align_up(off, b.align);
      offsets_[id] = off;
      arena_ = std::max(arena_, off + b.size);
      placed.push_back(id);
    }
    arena_ = align_up(arena_, 16);
  }
};

}  // namespace

std::unique_ptr<MemoryPlanner> make_greedy_by_size_planner() { return std::make_unique<GreedyBySize>(); }

}  // namespace tinyaot
