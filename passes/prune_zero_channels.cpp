// prune-zero-channels: structured pruning of convolution output channels that do not depend on the
// input (all weights zero / equal to the weight zero point, or fed only by such channels). Their
// compile-time value is folded into every consumer's bias and the channels disappear from producer
// and consumers. Exact for int8 (bit-identical), float within rounding; see docs/passes/prune.md.
#include <algorithm>
#include <map>
#include <set>

#include "compiler/evaluator.h"
#include "compiler/ops/registry.h"
#include "passes/pass.h"
#include "passes/prune_util.h"

namespace tinyaot::passes {

namespace {

using prune::ConvInfo;
using KnownMaps = std::map<int64_t, std::vector<double>>;  // channel -> per-position value (N = 1)

// Output channels of `ci` whose value is known at compile time, given the known input channels.
// A channel is known when each input channel of its group either carries only zero weights or is
// itself known. Their maps come from the reference evaluator run on an input holding the known
// maps (every other channel at the zero point, which the known channels never read).
KnownMaps known_outputs(const ConvInfo& ci, const KnownMaps& kin) {
  KnownMaps r;
  std::vector<int64_t> ch;
  bool any_input = false;
  for (int64_t m = 0; m < ci.M; ++m) {
    const int64_t g = m / ci.Mg;
    bool ok = true, reads = false;
    for (int64_t cg = 0; cg < ci.Cg && ok; ++cg) {
      if (ci.weights_zero(m, cg)) continue;
      reads = true;
      ok = kin.count(g * ci.Cg + cg) != 0;
    }
    if (!ok) continue;
    ch.push_back(m);
    any_input = any_input || reads;
  }
  if (ch.empty()) return r;
  const ir::Tensor* X = ci.n->inputs[0];
  ir::Value x(X->dtype, X->shape);
  const int64_t HW = ci.in_hw();
  for (int64_t e = 0; e < x.numel(); ++e) x.set_f64(e, static_cast<double>(ci.xzp));
  if (any_input)
    for (auto& kv : kin)
      for (int64_t p = 0; p < HW; ++p) x.set_f64(kv.first * HW + p, kv.second[static_cast<size_t>(p)]);
  std::vector<const ir::Value*> in;
  for (size_t i = 0; i < ci.n->inputs.size(); ++i)
    in.push_back(i == 0 ? &x : ci.n->inputs[i] ? ci.n->inputs[i]->value.get() : nullptr);
  std::vector<ir::Value> out = evaluate_node(*ci.n, in);
  const int64_t OHW = ci.out_hw();
  for (int64_t m : ch) {
    std::vector<double> v(static_cast<size_t>(OHW));
    for (int64_t p = 0; p < OHW; ++p) v[static_cast<size_t>(p)] = out[0].get_f64(m * OHW + p);
    r[m] = std::move(v);
  }
  return r;
}

}  // namespace

bool prune_zero_channels(ir::Graph& g, const PassContext&) {
  // 1. Forward: which channels of which tensors are known at compile time.
  std::map<const ir::Tensor*, KnownMaps> known;
  std::map<const ir::Node*, ConvInfo> convs;
  for (auto& np : g.nodes()) {
    ConvInfo ci;
    if (!prune::conv_info(*np, ci)) continue;
    convs[np.get()] = ci;
    const ir::Tensor* X = np->inputs[0];
    static const KnownMaps none;
    auto it = known.find(X);
    KnownMaps k = known_outputs(ci, it == known.end() ? none : it->second);
    if (!k.empty()) known[np->outputs[0]] = std::move(k);
  }
  if (known.empty()) return false;

  // 2. Fixed point: a known channel is removed only if its producer and every consumer can drop it.
  std::map<const ir::Tensor*, std::set<int64_t>> cand;
  for (auto& kv : known)
    for (auto& c : kv.second) cand[kv.first].insert(c.first);
  prune::ContribCache contrib;
  bool changed = true;
  while (changed) {
    changed = false;
    auto drop = [&](const ir::Tensor* t, int64_t c) {
      if (cand[t].erase(c)) changed = true;
    };
    for (auto& kv : cand) {
      const ir::Tensor* T = kv.first;
      std::set<int64_t>& s = kv.second;
      if (s.empty()) continue;
      if (T->is_graph_output) {
        s.clear();
        changed = true;
        continue;
      }
      for (ir::Node* u : g.consumers(T)) {
        auto cit = convs.find(u);
        bool other_use = false;
        for (size_t i = 1; i < u->inputs.size(); ++i) other_use = other_use || u->inputs[i] == T;
        if (cit == convs.end() || u->inputs[0] != T || other_use ||
            (cit->second.G > 1 && cit->second.Cg > 1)) {
          if (!s.empty()) changed = true;
          s.clear();
          break;
        }
        const ConvInfo& ci = cit->second;
        const ir::Tensor* Y = u->outputs[0];
        if (ci.Cg == 1 && ci.G > 1) {
          // Depthwise (or channel multiplier): input c and outputs c*Mg.. go together.
          std::set<int64_t>& so = cand[Y];
          for (int64_t c : std::vector<int64_t>(s.begin(), s.end()))
            for (int64_t t = 0; t < ci.Mg; ++t)
              if (!so.count(c * ci.Mg + t)) drop(T, c);
          for (int64_t o : std::vector<int64_t>(so.begin(), so.end()))
            if (!s.count(o / ci.Mg)) drop(Y, o);
        } else {
          // Regular convolution: the contribution must be representable as a bias change
          // (per channel, or per position class when padding makes borders differ).
          if (!prune::bias_fits(ci, s, known.at(T), contrib)) {
            s.clear();
            changed = true;
          }
        }
        if (s.empty()) break;
      }
      // Keep at least one channel so that no tensor becomes empty.
      if (!s.empty() && static_cast<int64_t>(s.size()) == T->shape[1]) drop(T, *s.begin());
    }
  }

  // 3. Rewrite every affected conv: drop input channels (folding their contribution into the bias)
  //    and output channels; then re-infer shapes in order.
  size_t removed = 0;
  std::vector<ir::Node*> touched;
  for (auto& np : g.nodes()) {
    auto cit = convs.find(np.get());
    if (cit == convs.end()) continue;
    const ConvInfo& ci = cit->second;
    static const std::set<int64_t> none;
    auto ri = cand.find(np->inputs[0]);
    auto ro = cand.find(np->outputs[0]);
    const std::set<int64_t>& rin = ri == cand.end() ? none : ri->second;
    const std::set<int64_t>& rout = ro == cand.end() ? none : ro->second;
    if (rin.empty() && rout.empty()) continue;
    prune::rewrite_conv(g, ci, rin, rout, rin.empty() ? nullptr : &known.at(np->inputs[0]), contrib);
    removed += rout.size();
    touched.push_back(np.get());
  }
  if (touched.empty()) return false;
  for (auto& np : g.nodes())
    if (std::find(touched.begin(), touched.end(), np.get()) != touched.end()) np->info->infer(*np);
  g.remove_unused_tensors();
  (void)removed;
  return true;
}

}  // namespace tinyaot::passes
