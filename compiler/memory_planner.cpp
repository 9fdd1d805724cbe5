// Memory planner strategies and the shared reporting code.
#include "compiler/memory_planner.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace tinyaot {

static size_t align_up(size_t v, size_t a) {
  return (v + a - 1) / a * a;
}

size_t MemoryPlanner::live_lower_bound() const {
  int steps = 0;
  for (auto& b : bufs_) steps = std::max(steps, b.last + 1);
  // Offsets are aligned and the arena is rounded up to 16, so every live buffer costs at least
  // its size rounded up to its alignment. A difference array keeps this linear in buffers + steps.
  std::vector<size_t> delta(static_cast<size_t>(steps) + 1, 0);
  std::vector<size_t> ends(static_cast<size_t>(steps) + 1, 0);
  for (auto& b : bufs_) {
    if (b.first > b.last || b.first < 0) continue;
    const size_t cost = align_up(b.size, std::max<size_t>(b.align, 1));
    delta[static_cast<size_t>(b.first)] += cost;
    ends[static_cast<size_t>(b.last) + 1] += cost;
  }
  size_t best = 0, live = 0;
  for (size_t s = 0; s < static_cast<size_t>(steps); ++s) {
    live = live + delta[s] - ends[s];
    best = std::max(best, live);
  }
  return best;
}

std::string MemoryPlanner::report() const {
  std::string r = fmt::format("memory plan ({}): arena {} bytes, live lower bound {} bytes\n", strategy(),
                              arena_, live_lower_bound());
  int steps = 0;
  for (auto& b : bufs_) steps = std::max(steps, b.last + 1);
  for (size_t i = 0; i < bufs_.size(); ++i)
    r += fmt::format("  {:>8} B @ {:>8}  steps {:>3}..{:<3} {}\n", bufs_[i].size,
                     offsets_.empty() ? 0 : offsets_[i], bufs_[i].first, bufs_[i].last, bufs_[i].name);
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

// Lowest offset >= 0 at which `b` fits next to the already placed, time-overlapping buffers.
size_t lowest_fit_linear(const std::vector<BufferRequest>& bufs, const std::vector<size_t>& offsets,
                         const std::vector<size_t>& placed, size_t id) {
  const BufferRequest& b = bufs[id];
  std::vector<std::pair<size_t, size_t>> busy;
  for (size_t p : placed) {
    const BufferRequest& o = bufs[p];
    if (o.first <= b.last && b.first <= o.last && o.size) busy.push_back({offsets[p], offsets[p] + o.size});
  }
  std::sort(busy.begin(), busy.end());
  size_t off = 0;
  for (auto& [lo, hi] : busy) {
    if (align_up(off, b.align) + b.size <= lo) break;
    off = std::max(off, hi);
  }
  return align_up(off, b.align);
}

// The same placement as lowest_fit_linear over all placed buffers, but it finds the time-overlapping
// ones through per-step lists when that touches fewer entries, so long chains of short-lived
// buffers place in linear rather than quadratic time.
class Occupancy {
 public:
  explicit Occupancy(const std::vector<BufferRequest>& bufs) : bufs_(bufs), seen_(bufs.size(), 0) {
    int steps = 0;
    for (auto& b : bufs) steps = std::max(steps, b.last + 1);
    at_step_.resize(static_cast<size_t>(steps));
  }
  size_t lowest_fit(const std::vector<size_t>& offsets, size_t id) {
    const BufferRequest& b = bufs_[id];
    size_t listed = 0;
    for (int s = std::max(b.first, 0); s <= b.last; ++s) listed += at_step_[static_cast<size_t>(s)].size();
    if (listed >= placed_.size()) return lowest_fit_linear(bufs_, offsets, placed_, id);
    ++stamp_;
    std::vector<size_t> overlapping;
    for (int s = std::max(b.first, 0); s <= b.last; ++s)
      for (size_t p : at_step_[static_cast<size_t>(s)])
        if (seen_[p] != stamp_) seen_[p] = stamp_, overlapping.push_back(p);
    return lowest_fit_linear(bufs_, offsets, overlapping, id);
  }
  void add(size_t id) {
    placed_.push_back(id);
    const BufferRequest& b = bufs_[id];
    for (int s = std::max(b.first, 0); s <= b.last; ++s) at_step_[static_cast<size_t>(s)].push_back(id);
  }

 private:
  const std::vector<BufferRequest>& bufs_;
  std::vector<std::vector<size_t>> at_step_;
  std::vector<size_t> placed_;
  std::vector<uint64_t> seen_;
  uint64_t stamp_ = 0;
};

// Places buffers in `order` at their lowest fitting offsets.
size_t place_in_order(const std::vector<BufferRequest>& bufs, const std::vector<size_t>& order,
                      std::vector<size_t>& offsets) {
  offsets.assign(bufs.size(), 0);
  Occupancy occ(bufs);
  size_t arena = 0;
  for (size_t id : order) {
    offsets[id] = occ.lowest_fit(offsets, id);
    arena = std::max(arena, offsets[id] + bufs[id].size);
    occ.add(id);
  }
  return align_up(arena, 16);
}

class GreedyBySize : public MemoryPlanner {
 public:
  const char* strategy() const override { return "greedy-by-size"; }
  void plan() override {
    std::vector<size_t> order(bufs_.size());
    std::iota(order.begin(), order.end(), 0);
    // Ties broken by id so the plan (and the generated code) is deterministic.
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return bufs_[a].size > bufs_[b].size; });
    arena_ = place_in_order(bufs_, order, offsets_);
  }
};

class GreedyByBreadth : public MemoryPlanner {
 public:
  const char* strategy() const override { return "greedy-by-breadth"; }
  void plan() override {
    int steps = 0;
    for (auto& b : bufs_) steps = std::max(steps, b.last + 1);
    std::vector<size_t> live(static_cast<size_t>(steps), 0);
    for (auto& b : bufs_)
      for (int s = b.first; s <= b.last; ++s) live[static_cast<size_t>(s)] += b.size;
    std::vector<size_t> peak(bufs_.size(), 0);
    for (size_t i = 0; i < bufs_.size(); ++i)
      for (int s = bufs_[i].first; s <= bufs_[i].last; ++s)
        peak[i] = std::max(peak[i], live[static_cast<size_t>(s)]);
    std::vector<size_t> order(bufs_.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (peak[a] != peak[b]) return peak[a] > peak[b];
      return bufs_[a].size > bufs_[b].size;
    });
    arena_ = place_in_order(bufs_, order, offsets_);
  }
};

class GreedyByStart : public MemoryPlanner {
 public:
  const char* strategy() const override { return "greedy-by-start"; }
  void plan() override {
    // Chronological: buffers in order of first use (larger first on ties), each at the lowest
    // fitting offset; this follows the schedule, which suits chains with short-lived side buffers.
    std::vector<size_t> order(bufs_.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (bufs_[a].first != bufs_[b].first) return bufs_[a].first < bufs_[b].first;
      return bufs_[a].size > bufs_[b].size;
    });
    arena_ = place_in_order(bufs_, order, offsets_);
  }
};

class Exact : public MemoryPlanner {
 public:
  explicit Exact(uint64_t budget) : budget_(budget) {}
  const char* strategy() const override { return "exact"; }
  bool proven_optimal() const override { return proven_; }
  void plan() override {
    const size_t n = bufs_.size();
    // Start from the better greedy solution so pruning bites from the first node.
    GreedyBySize g1;
    GreedyByBreadth g2;
    GreedyByStart g3;
    for (auto& b : bufs_) g1.add_buffer(b), g2.add_buffer(b), g3.add_buffer(b);
    g1.plan();
    g2.plan();
    g3.plan();
    const MemoryPlanner* seedp = &g1;
    if (g2.arena_size() < seedp->arena_size()) seedp = &g2;
    if (g3.arena_size() < seedp->arena_size()) seedp = &g3;
    const MemoryPlanner& seed = *seedp;
    best_ = seed.arena_size();
    best_offsets_.resize(n);
    for (size_t i = 0; i < n; ++i) best_offsets_[i] = seed.offset(static_cast<int>(i));
    bound_ = align_up(live_lower_bound(), 16);
    // Randomised restarts of lowest-fit placement (fixed seed, so plans are reproducible) often
    // reach the bound quickly where the systematic search below would wander.
    std::mt19937 rng(12345);
    std::vector<size_t> order(n), offs;
    std::iota(order.begin(), order.end(), 0);
    // Both searches cost about n per step. Real models have at most a few hundred buffers; on
    // larger graphs the budgets shrink (restarts with n, search nodes with n^2) so compile time
    // and the search's recursion depth stay bounded.
    const size_t restarts = n <= 256 ? 2000 : std::max<size_t>(1, 2000 * 256 / n);
    const uint64_t node_budget =
        n <= 256 ? budget_ : std::max<uint64_t>(1000, budget_ * 65536 / (static_cast<uint64_t>(n) * n));
    for (size_t r = 0; r < restarts && best_ > bound_; ++r) {
      std::shuffle(order.begin(), order.end(), rng);
      size_t a = place_in_order(bufs_, order, offs);
      if (a < best_) best_ = a, best_offsets_ = offs;
    }
    nodes_ = 0;
    node_budget_ = node_budget;
    aborted_ = false;
    if (best_ > bound_ && n > 0) {
      std::vector<size_t> offsets(n, 0), placed;
      std::vector<bool> used(n, false);
      search(offsets, placed, used, 0);
    }
    proven_ = !aborted_;
    offsets_ = best_offsets_;
    arena_ = best_;
  }

 private:
  void search(std::vector<size_t>& offsets, std::vector<size_t>& placed, std::vector<bool>& used,
              size_t top) {
    if (aborted_ || best_ <= bound_) return;
    if (++nodes_ > node_budget_) {
      aborted_ = true;
      return;
    }
    if (placed.size() == bufs_.size()) {
      size_t a = align_up(top, 16);
      if (a < best_) {
        best_ = a;
        best_offsets_ = offsets;
      }
      return;
    }
    // Children in decreasing size order: large buffers first find good packings early.
    std::vector<size_t> cand;
    for (size_t i = 0; i < bufs_.size(); ++i)
      if (!used[i]) cand.push_back(i);
    std::stable_sort(cand.begin(), cand.end(),
                     [&](size_t a, size_t b) { return bufs_[a].size > bufs_[b].size; });
    std::vector<size_t> seen_sizes;  // identical (size, lifetime) buffers are interchangeable
    for (size_t id : cand) {
      bool dup = false;
      for (size_t s : seen_sizes)
        if (bufs_[s].size == bufs_[id].size && bufs_[s].first == bufs_[id].first &&
            bufs_[s].last == bufs_[id].last)
          dup = true;
      if (dup) continue;
      seen_sizes.push_back(id);
      size_t off = lowest_fit_linear(bufs_, offsets, placed, id);
      size_t new_top = std::max(top, off + bufs_[id].size);
      if (align_up(new_top, 16) >= best_) continue;
      offsets[id] = off;
      used[id] = true;
      placed.push_back(id);
      search(offsets, placed, used, new_top);
      placed.pop_back();
      used[id] = false;
      if (aborted_ || best_ <= bound_) return;
    }
  }

  uint64_t budget_, node_budget_ = 0;
  uint64_t nodes_ = 0;
  bool aborted_ = false, proven_ = false;
  size_t best_ = 0, bound_ = 0;
  std::vector<size_t> best_offsets_;
};

}  // namespace

std::unique_ptr<MemoryPlanner> make_greedy_by_size_planner() {
  return std::make_unique<GreedyBySize>();
}
std::unique_ptr<MemoryPlanner> make_greedy_by_breadth_planner() {
  return std::make_unique<GreedyByBreadth>();
}
std::unique_ptr<MemoryPlanner> make_greedy_by_start_planner() {
  return std::make_unique<GreedyByStart>();
}
std::unique_ptr<MemoryPlanner> make_exact_planner(uint64_t budget) {
  return std::make_unique<Exact>(budget);
}

PlanChoice plan_best(const std::vector<BufferRequest>& buffers) {
  PlanChoice c;
  std::vector<std::unique_ptr<MemoryPlanner>> all;
  all.push_back(make_greedy_by_size_planner());
  all.push_back(make_greedy_by_breadth_planner());
  all.push_back(make_greedy_by_start_planner());
  all.push_back(make_exact_planner());
  for (auto& p : all) {
    for (auto& b : buffers) p->add_buffer(b);
    p->plan();
    c.tried.push_back({p->strategy(), p->arena_size()});
    if (p->proven_optimal()) c.proven_optimal = true;
  }
  size_t best = 0;
  for (size_t i = 1; i < all.size(); ++i)
    if (all[i]->arena_size() < all[best]->arena_size()) best = i;
  c.best = std::move(all[best]);
  return c;
}

}  // namespace tinyaot
