// schedule-memory: reorder nodes to minimise the peak bytes of live intermediate tensors.
// Exact for graphs with few enough ready-set states (dynamic programming over the executed
// "downsets", memoised); otherwise a greedy choice of the ready node that frees the most memory.
// The file order is kept unless a strictly lower peak is found, so plain chains never change.
#include <algorithm>
#include <map>
#include <unordered_map>

#include "passes/pass.h"

namespace tinyaot::passes {

namespace {

constexpr size_t kMaxStates = 200000;

struct Problem {
  size_t n = 0;
  std::vector<std::vector<size_t>> preds;            // node -> producer nodes of its inputs
  std::vector<std::vector<const ir::Tensor*>> outs;  // node -> its run-time outputs
  std::vector<std::vector<const ir::Tensor*>> ins;   // node -> its run-time inputs
  std::map<const ir::Tensor*, std::vector<size_t>> consumers;
};

// Bytes that live in the arena (constants and graph inputs/outputs live elsewhere).
size_t arena_bytes(const ir::Tensor* t) {
  return t->is_constant() || t->is_graph_input || t->is_graph_output ? 0 : t->bytes();
}

using Set = std::vector<bool>;

struct SetHash {
  size_t operator()(const Set& s) const { return std::hash<std::vector<bool>>()(s); }
};

// Live bytes after executing exactly the nodes in `done`.
size_t live_after(const Problem& p, const Set& done) {
  size_t live = 0;
  for (size_t v = 0; v < p.n; ++v) {
    if (!done[v]) continue;
    for (const ir::Tensor* t : p.outs[v]) {
      auto it = p.consumers.find(t);
      bool pending = false;
      if (it != p.consumers.end())
        for (size_t c : it->second) pending |= !done[c];
      if (pending) live += arena_bytes(t);
    }
  }
  return live;
}

// Peak while executing v after `done`: everything live plus v's outputs.
size_t step_peak(const Problem& p, const Set& done, size_t v) {
  size_t m = live_after(p, done);
  for (const ir::Tensor* t : p.outs[v]) m += arena_bytes(t);
  return m;
}

bool ready(const Problem& p, const Set& done, size_t v) {
  if (done[v]) return false;
  for (size_t q : p.preds[v])
    if (!done[q]) return false;
  return true;
}

struct Solver {
  const Problem& p;
  std::unordered_map<Set, std::pair<size_t, size_t>, SetHash> memo;  // peak, best next node
  bool overflow = false;

  size_t solve(Set& done, size_t count) {
    if (count == p.n) return 0;
    auto it = memo.find(done);
    if (it != memo.end()) return it->second.first;
    if (memo.size() >= kMaxStates) {
      overflow = true;
      return 0;
    }
    size_t best = SIZE_MAX, best_v = 0;
    for (size_t v = 0; v < p.n && !overflow; ++v) {
      if (!ready(p, done, v)) continue;
      size_t here = step_peak(p, done, v);
      if (here >= best) continue;
      done[v] = true;
      size_t rest = solve(done, count + 1);
      done[v] = false;
      size_t peak = std::max(here, rest);
      if (peak < best) best = peak, best_v = v;
    }
    memo[done] = {best, best_v};
    return best;
  }
};

size_t order_peak(const Problem& p, const std::vector<size_t>& order) {
  Set done(p.n, false);
  size_t peak = 0;
  for (size_t v : order) {
    peak = std::max(peak, step_peak(p, done, v));
    done[v] = true;
  }
  return peak;
}

}  // namespace

bool schedule_memory(ir::Graph& g, const PassContext& ctx) {
  auto& nodes = g.mutable_nodes();
  Problem p;
  p.n = nodes.size();
  if (p.n < 3) return false;
  std::map<const ir::Node*, size_t> index;
  for (size_t i = 0; i < p.n; ++i) index[nodes[i].get()] = i;
  p.preds.resize(p.n);
  p.outs.resize(p.n);
  p.ins.resize(p.n);
  for (size_t i = 0; i < p.n; ++i) {
    for (ir::Tensor* t : nodes[i]->inputs) {
      if (!t || t->is_constant()) continue;
      p.ins[i].push_back(t);
      p.consumers[t].push_back(i);
      if (t->producer && index.count(t->producer)) p.preds[i].push_back(index[t->producer]);
    }
    for (ir::Tensor* t : nodes[i]->outputs)
      if (t) p.outs[i].push_back(t);
  }
  std::vector<size_t> current(p.n);
  for (size_t i = 0; i < p.n; ++i) current[i] = i;
  const size_t current_peak = order_peak(p, current);

  std::vector<size_t> order;
  Solver s{p, {}, false};
  Set done(p.n, false);
  s.solve(done, 0);
  if (!s.overflow) {
    Set d(p.n, false);
    for (size_t k = 0; k < p.n; ++k) {
      size_t v = s.memo.at(d).second;
      order.push_back(v);
      d[v] = true;
    }
  } else {
    // Greedy: among ready nodes, run the one with the smallest step peak (ties: file order).
    Set d(p.n, false);
    for (size_t k = 0; k < p.n; ++k) {
      size_t best = SIZE_MAX, best_v = 0;
      for (size_t v = 0; v < p.n; ++v)
        if (ready(p, d, v)) {
          size_t m = step_peak(p, d, v);
          if (m < best) best = m, best_v = v;
        }
      order.push_back(best_v);
      d[best_v] = true;
    }
  }
  const size_t new_peak = order_peak(p, order);
  if (new_peak >= current_peak) return false;
  ctx.count("peak_live_bytes_saved", static_cast<int64_t>(current_peak - new_peak));
  std::vector<std::unique_ptr<ir::Node>> reordered;
  for (size_t v : order) reordered.push_back(std::move(nodes[v]));
  nodes = std::move(reordered);
  return true;
}

}  // namespace tinyaot::passes
