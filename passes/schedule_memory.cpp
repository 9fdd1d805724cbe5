// schedule-memory: reorder nodes to minimise the peak bytes of live intermediate tensors.
// Exact for graphs with few enough ready-set states (dynamic programming over the executed
// "downsets", memoised); otherwise a greedy choice of the ready node that frees the most memory.
// The file order is kept unless a strictly lower peak is found, so plain chains never change.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "passes/pass.h"

namespace tinyaot::passes {

namespace {

constexpr size_t kMaxStates = 200000;
// The memo stores one bit per node for every state it visits; this caps its size on long graphs
// (the search then gives up early and the greedy order is used).
constexpr size_t kMaxMemoBits = size_t{1} << 31;
// The search recurses once per scheduled node; deeper than this it gives up (greedy order) so
// very long graphs cannot overflow the stack.
constexpr size_t kMaxDepth = 16384;

struct Problem {
  size_t n = 0;
  std::vector<std::vector<size_t>> succs;  // node -> consumer nodes, once per input slot
  std::vector<size_t> pred_count;          // node -> input slots fed by a node
  std::vector<std::vector<size_t>> outs;   // node -> tensor ids it produces
  std::vector<std::vector<size_t>> ins;    // node -> tensor ids of its produced inputs, once per slot
  std::vector<size_t> bytes;               // tensor id -> arena bytes
  std::vector<size_t> consumer_slots;      // tensor id -> input slots reading it
};

// Bytes that live in the arena (constants and graph inputs/outputs live elsewhere).
size_t arena_bytes(const ir::Tensor* t) {
  return t->is_constant() || t->is_graph_input || t->is_graph_output ? 0 : t->bytes();
}

using Set = std::vector<bool>;

struct SetHash {
  size_t operator()(const Set& s) const { return std::hash<std::vector<bool>>()(s); }
};

// The executed set with everything derived from it kept up to date as nodes run and are undone,
// so each step costs the node's degree instead of a pass over the whole graph.
struct State {
  const Problem& p;
  Set done;
  std::vector<size_t> missing;  // node -> input slots whose producer has not run
  std::vector<size_t> pending;  // tensor id -> input slots that have not read it yet
  std::set<size_t> ready;       // nodes not run whose producers all ran, in file order
  size_t live = 0;              // arena bytes produced and still awaited by some consumer

  explicit State(const Problem& prob)
      : p(prob), done(prob.n, false), missing(prob.pred_count), pending(prob.consumer_slots) {
    for (size_t v = 0; v < p.n; ++v)
      if (missing[v] == 0) ready.insert(v);
  }
  // Peak while executing v next: everything live plus v's outputs.
  size_t step_peak(size_t v) const {
    size_t m = live;
    for (size_t t : p.outs[v]) m += p.bytes[t];
    return m;
  }
  void run(size_t v) {
    done[v] = true;
    ready.erase(v);
    for (size_t w : p.succs[v])
      if (--missing[w] == 0) ready.insert(w);
    for (size_t t : p.outs[v])
      if (pending[t] > 0) live += p.bytes[t];
    for (size_t t : p.ins[v])
      if (--pending[t] == 0) live -= p.bytes[t];
  }
  void undo(size_t v) {
    for (size_t t : p.ins[v])
      if (pending[t]++ == 0) live += p.bytes[t];
    for (size_t t : p.outs[v])
      if (pending[t] > 0) live -= p.bytes[t];
    for (size_t w : p.succs[v])
      if (missing[w]++ == 0) ready.erase(w);
    ready.insert(v);
    done[v] = false;
  }
};

struct Solver {
  State& st;
  size_t max_states;
  std::unordered_map<Set, std::pair<size_t, size_t>, SetHash> memo;  // peak, best next node
  bool overflow = false;

  size_t solve(size_t count) {
    if (count == st.p.n) return 0;
    auto it = memo.find(st.done);
    if (it != memo.end()) return it->second.first;
    if (memo.size() >= max_states || count >= kMaxDepth) {
      overflow = true;
      return 0;
    }
    size_t best = SIZE_MAX, best_v = 0;
    const std::vector<size_t> candidates(st.ready.begin(), st.ready.end());
    for (size_t v : candidates) {
      if (overflow) break;
      size_t here = st.step_peak(v);
      if (here >= best) continue;
      st.run(v);
      size_t rest = solve(count + 1);
      st.undo(v);
      size_t peak = std::max(here, rest);
      if (peak < best) best = peak, best_v = v;
    }
    memo[st.done] = {best, best_v};
    return best;
  }
};

size_t order_peak(const Problem& p, const std::vector<size_t>& order) {
  State st(p);
  size_t peak = 0;
  for (size_t v : order) {
    peak = std::max(peak, st.step_peak(v));
    st.run(v);
  }
  return peak;
}

}  // namespace

bool schedule_memory(ir::Graph& g, const PassContext& ctx) {
  auto& nodes = g.mutable_nodes();
  Problem p;
  p.n = nodes.size();
  if (p.n < 3) return false;
  std::unordered_map<const ir::Node*, size_t> index;
  for (size_t i = 0; i < p.n; ++i) index[nodes[i].get()] = i;
  // Tensor ids for the outputs of graph nodes; other run-time tensors (graph inputs) take no
  // arena bytes, so they need no bookkeeping.
  std::unordered_map<const ir::Tensor*, size_t> tensor_id;
  p.outs.resize(p.n);
  for (size_t i = 0; i < p.n; ++i)
    for (ir::Tensor* t : nodes[i]->outputs)
      if (t && !tensor_id.count(t)) {
        tensor_id[t] = p.bytes.size();
        p.bytes.push_back(arena_bytes(t));
        p.outs[i].push_back(tensor_id[t]);
      }
  p.consumer_slots.assign(p.bytes.size(), 0);
  p.succs.resize(p.n);
  p.pred_count.assign(p.n, 0);
  p.ins.resize(p.n);
  for (size_t i = 0; i < p.n; ++i)
    for (ir::Tensor* t : nodes[i]->inputs) {
      if (!t || t->is_constant()) continue;
      auto id = tensor_id.find(t);
      if (id != tensor_id.end()) {
        p.ins[i].push_back(id->second);
        ++p.consumer_slots[id->second];
      }
      if (t->producer && index.count(t->producer)) {
        p.succs[index[t->producer]].push_back(i);
        ++p.pred_count[i];
      }
    }
  std::vector<size_t> current(p.n);
  for (size_t i = 0; i < p.n; ++i) current[i] = i;
  const size_t current_peak = order_peak(p, current);

  std::vector<size_t> order;
  State st(p);
  Solver s{st, std::min(kMaxStates, kMaxMemoBits / p.n), {}, false};
  s.solve(0);
  if (!s.overflow) {
    State d(p);
    for (size_t k = 0; k < p.n; ++k) {
      size_t v = s.memo.at(d.done).second;
      order.push_back(v);
      d.run(v);
    }
  } else {
    // Greedy: among ready nodes, run the one with the smallest step peak (ties: file order).
    State d(p);
    for (size_t k = 0; k < p.n; ++k) {
      size_t best = SIZE_MAX, best_v = 0;
      for (size_t v : d.ready) {
        size_t m = d.step_peak(v);
        if (m < best) best = m, best_v = v;
      }
      order.push_back(best_v);
      d.run(best_v);
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
