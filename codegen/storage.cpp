// Storage assignment: union of tensors into memory groups (views, in-place ops, output binding).
#include "codegen/storage.h"

#include <algorithm>

#include "compiler/ops/residual.h"

namespace tinyaot::codegen {

bool is_view_op(const ir::Node& n) {
  if (!n.domain.empty()) return false;
  static const std::set<std::string> views = {"Reshape",   "Flatten",  "Squeeze",
                                              "Unsqueeze", "Identity", "Dropout"};
  if (!views.count(n.op)) return false;
  // Dropout's optional mask output is real data; only the plain form is a view.
  return n.outputs.size() == 1 || (n.outputs.size() == 2 && n.outputs[1] == nullptr);
}

bool is_in_place_safe(const ir::Node& n) {
  if (!n.domain.empty()) return false;
  static const std::set<std::string> ops = {
      "Relu", "LeakyRelu", "PRelu", "Elu",   "Selu",     "Celu",     "Sigmoid", "HardSigmoid", "HardSwish",
      "Tanh", "Clip",      "Abs",   "Neg",   "Exp",      "Log",      "Sqrt",    "Reciprocal",  "Floor",
      "Ceil", "Round",     "Sign",  "Erf",   "Softplus", "Softsign", "Sin",     "Cos",         "Not",
      "Add",  "Sub",       "Mul",   "Div",   "Pow",      "Min",      "Max",     "Sum",         "Mean",
      "And",  "Or",        "Xor",   "Where", "Cast"};
  return ops.count(n.op) != 0;
}

StorageMap assign_storage(const ir::Graph& g, bool aliasing, bool io_in_arena, bool in_place,
                          bool dw_in_place) {
  StorageMap m;
  const auto& nodes = g.nodes();
  std::map<const ir::Tensor*, int> last_use;
  for (size_t s = 0; s < nodes.size(); ++s)
    for (const ir::Tensor* t : nodes[s]->inputs)
      if (t) last_use[t] = static_cast<int>(s);

  std::map<const ir::Tensor*, int> first_output_index;
  for (size_t i = g.outputs.size(); i-- > 0;) first_output_index[g.outputs[i]] = static_cast<int>(i);
  auto output_index = [&](const ir::Tensor* t) {
    auto it = first_output_index.find(t);
    return it == first_output_index.end() ? -1 : it->second;
  };
  // What the merge rules ask of a group's members, kept per group as members join, so a long
  // chain of in-place ops costs linear rather than quadratic time: the last step any member is
  // read, whether a member is a graph output, and whether a member sits at an offset.
  struct GroupSummary {
    int last_use = -1;
    bool has_output = false;
    bool has_offset = false;
  };
  std::vector<GroupSummary> summary;
  // Adds t to group gid; t's offset_in_group entry, if any, must already be set.
  auto add_member = [&](int gid, const ir::Tensor* t) {
    m.group_of[t] = gid;
    m.groups[static_cast<size_t>(gid)].members.push_back(t);
    GroupSummary& s = summary[static_cast<size_t>(gid)];
    auto lu = last_use.find(t);
    if (lu != last_use.end()) s.last_use = std::max(s.last_use, lu->second);
    s.has_output |= output_index(t) >= 0;
    s.has_offset |= m.offset_in_group.count(t) != 0;
  };
  auto new_group = [&](const ir::Tensor* t, int step) {
    StorageGroup gr;
    gr.bytes = t->bytes();
    gr.first = step;
    m.groups.push_back(gr);
    summary.emplace_back();
    const int gid = static_cast<int>(m.groups.size()) - 1;
    add_member(gid, t);
    return gid;
  };
  // True when no member of group gid is read after `step` or is a graph output.
  auto members_dead_after = [&](int gid, int step) {
    const GroupSummary& s = summary[static_cast<size_t>(gid)];
    return s.last_use <= step && !s.has_output;
  };
  // Graph inputs: read-only groups in the caller's buffers.
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    int id = new_group(g.inputs[i], 0);
    m.groups[static_cast<size_t>(id)].kind = io_in_arena ? StorageGroup::Arena : StorageGroup::GraphInput;
    m.groups[static_cast<size_t>(id)].io_index = static_cast<int>(i);
  }
  // Binds an arena group to graph output k (its producers then write the caller's buffer).
  auto bind_output = [&](int gid, int k) {
    if (io_in_arena) return;  // outputs stay in the arena; their lifetime is extended below
    StorageGroup& gr = m.groups[static_cast<size_t>(gid)];
    gr.kind = StorageGroup::GraphOutput;
    gr.io_index = k;
  };
  // A group can be bound to an output if it lives in the arena and no other output uses it.
  auto can_bind = [&](int gid) { return m.groups[static_cast<size_t>(gid)].kind == StorageGroup::Arena; };

  std::map<const ir::Tensor*, int> produced_at;
  for (size_t s = 0; s < nodes.size(); ++s)
    for (const ir::Tensor* t : nodes[s]->outputs)
      if (t) produced_at[t] = static_cast<int>(s);
  for (size_t s = 0; s < nodes.size(); ++s) {
    const ir::Node& n = *nodes[s];
    const int step = static_cast<int>(s);
    bool done = false;
    if (aliasing && is_view_op(n) && n.inputs[0] && !n.inputs[0]->is_constant() && n.outputs[0]) {
      const ir::Tensor* in = n.inputs[0];
      const ir::Tensor* out = n.outputs[0];
      int gid = m.group_of.at(in);
      int k = output_index(out);
      // A graph output listed twice, or also a graph input, keeps separate storage.
      bool single_output = k >= 0 && std::count(g.outputs.begin(), g.outputs.end(), out) == 1;
      if (k < 0 && !out->is_graph_input) {
        if (m.offset_in_group.count(in)) m.offset_in_group[out] = m.offset_in_group.at(in);
        add_member(gid, out);
        m.elided.insert(&n);
        done = true;
      } else if (single_output && can_bind(gid) && !m.offset_in_group.count(in)) {
        bind_output(gid, k);
        add_member(gid, out);
        m.elided.insert(&n);
        done = true;
      }
    }
    if (!done && aliasing && in_place && n.domain.empty() && n.op == "Concat" && n.outputs.size() == 1 &&
        n.outputs[0] && !n.outputs[0]->is_graph_input &&
        std::count(g.outputs.begin(), g.outputs.end(), n.outputs[0]) <= 1) {
      // Slices are contiguous when every dimension before the axis is 1. Each input must be a
      // single-member arena group used only by this Concat, so its producer can write the slice.
      const ir::Tensor* out = n.outputs[0];
      const int64_t rank = static_cast<int64_t>(out->shape.size());
      int64_t axis = n.attrs.get_int("axis", 0);
      if (axis < 0) axis += rank;
      bool ok = axis >= 0 && axis < rank;
      for (int64_t d = 0; ok && d < axis; ++d) ok = out->shape[static_cast<size_t>(d)] == 1;
      std::set<const ir::Tensor*> seen;
      for (const ir::Tensor* in : n.inputs) {
        if (!ok) break;
        if (!in || in->is_constant() || !seen.insert(in).second || !m.group_of.count(in)) {
          ok = false;
          break;
        }
        // The input's whole storage group (it may include tensors it was computed in place from)
        // moves into the slice, so every member must be dead after the Concat.
        const int in_gid = m.group_of.at(in);
        const StorageGroup& gr = m.groups[static_cast<size_t>(in_gid)];
        ok = gr.kind == StorageGroup::Arena && gr.bytes == in->bytes() && members_dead_after(in_gid, step) &&
             !summary[static_cast<size_t>(in_gid)].has_offset;
        for (const ir::Tensor* other : n.inputs)
          if (other != in && other && m.group_of.count(other) && m.group_of.at(other) == m.group_of.at(in))
            ok = false;
      }
      if (ok && !n.inputs.empty()) {
        int gid = new_group(out, step);
        int k = output_index(out);
        if (k >= 0) bind_output(gid, k);
        size_t off = 0;
        for (const ir::Tensor* in : n.inputs) {
          const size_t old_gid = static_cast<size_t>(m.group_of.at(in));
          std::vector<const ir::Tensor*> moved;
          moved.swap(m.groups[old_gid].members);
          m.groups[old_gid].bytes = 0;
          summary[old_gid] = GroupSummary();
          for (const ir::Tensor* t : moved) {
            m.offset_in_group[t] = off;
            add_member(gid, t);
            auto pa = produced_at.find(t);
            StorageGroup& ng = m.groups[static_cast<size_t>(gid)];
            ng.first = std::min(ng.first, pa == produced_at.end() ? 0 : pa->second);
          }
          off += in->bytes();
        }
        m.elided.insert(&n);
        done = true;
      }
    }
    if (!done && aliasing && dw_in_place && n.domain.empty() && n.op == "Conv" && n.outputs.size() == 1 &&
        n.outputs[0] && n.inputs.size() >= 2 && n.inputs[0] && n.inputs[1] && !n.inputs[0]->is_constant()) {
      // Depthwise (group == C == M, one input channel per group) with output no larger than input.
      const ir::Tensor* in = n.inputs[0];
      const ir::Tensor* out = n.outputs[0];
      const ir::Tensor* w = n.inputs[1];
      const int64_t C = in->shape.size() > 1 ? in->shape[1] : 0;
      const bool depthwise = n.attrs.get_int("group", 1) == C && C > 1 && w->shape.size() >= 2 &&
                             w->shape[0] == C && w->shape[1] == 1 && in->shape[0] == 1;
      int gid = m.group_of.at(in);
      StorageGroup& gr = m.groups[static_cast<size_t>(gid)];
      const bool ok = depthwise && out->bytes() <= in->bytes() && in->dtype == out->dtype &&
                      gr.kind == StorageGroup::Arena && output_index(out) < 0 && !out->is_graph_input &&
                      members_dead_after(gid, step) && !summary[static_cast<size_t>(gid)].has_offset;
      if (ok) {
        add_member(gid, out);
        m.dw_in_place.insert(&n);
        ++m.in_place;
        done = true;
      }
    }
    // A conv with a fused residual (fuse-residual-add) reads residual element i only just before
    // writing output element i, so its output may overwrite the residual, as long as no other
    // input of the conv shares that storage (the convolution reads its input everywhere).
    const size_t res_in = residual::input_index(n);
    const bool res_ok = res_in < n.inputs.size() && n.inputs[res_in] && !n.inputs[res_in]->is_constant();
    if (!done && aliasing && in_place && (is_in_place_safe(n) || res_ok) && n.outputs.size() == 1 &&
        n.outputs[0]) {
      const ir::Tensor* out = n.outputs[0];
      for (size_t ii = 0; ii < n.inputs.size(); ++ii) {
        const ir::Tensor* in = n.inputs[ii];
        if (!in || in->is_constant() || in->shape != out->shape ||
            ir::dtype_size(in->dtype) != ir::dtype_size(out->dtype))
          continue;
        if (!is_in_place_safe(n)) {
          if (ii != res_in) continue;
          bool shared = false;
          for (size_t jj = 0; jj < n.inputs.size(); ++jj)
            if (jj != ii && n.inputs[jj] && !n.inputs[jj]->is_constant() && m.group_of.count(n.inputs[jj]) &&
                m.group_of.at(n.inputs[jj]) == m.group_of.at(in))
              shared = true;
          if (shared) continue;
        }
        int gid = m.group_of.at(in);
        StorageGroup& gr = m.groups[static_cast<size_t>(gid)];
        if (gr.kind == StorageGroup::GraphInput || m.offset_in_group.count(in)) continue;
        // Every member of the input's group must be dead after this step.
        if (!members_dead_after(gid, step)) continue;
        int k = output_index(out);
        if (k >= 0) {
          if (std::count(g.outputs.begin(), g.outputs.end(), out) != 1 || out->is_graph_input ||
              !can_bind(gid))
            continue;
          bind_output(gid, k);
        }
        add_member(gid, out);
        ++m.in_place;
        done = true;
        break;
      }
    }
    if (!done) {
      for (const ir::Tensor* out : n.outputs) {
        if (!out || m.group_of.count(out)) continue;
        int gid = new_group(out, step);
        int k = output_index(out);
        if (k >= 0 && !out->is_graph_input) bind_output(gid, k);
      }
    }
  }
  // Lifetimes: from the first producer to the last consumer of any member; in io_in_arena
  // mode outputs must survive the whole run (the caller reads them afterwards).
  const int end = std::max(0, static_cast<int>(nodes.size()) - 1);
  for (size_t i = 0; i < m.groups.size(); ++i) {
    StorageGroup& gr = m.groups[i];
    gr.last = std::max(gr.first, summary[i].last_use);
    if (io_in_arena && summary[i].has_output) gr.last = end;
  }
  return m;
}

}  // namespace tinyaot::codegen
