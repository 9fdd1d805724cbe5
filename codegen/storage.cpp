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

  auto new_group = [&](const ir::Tensor* t, int step) {
    StorageGroup gr;
    gr.bytes = t->bytes();
    gr.first = step;
    gr.members.push_back(t);
    m.groups.push_back(gr);
    m.group_of[t] = static_cast<int>(m.groups.size()) - 1;
    return static_cast<int>(m.groups.size()) - 1;
  };
  auto output_index = [&](const ir::Tensor* t) {
    for (size_t i = 0; i < g.outputs.size(); ++i)
      if (g.outputs[i] == t) return static_cast<int>(i);
    return -1;
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
        m.group_of[out] = gid;
        m.groups[static_cast<size_t>(gid)].members.push_back(out);
        m.elided.insert(&n);
        done = true;
      } else if (single_output && can_bind(gid) && !m.offset_in_group.count(in)) {
        bind_output(gid, k);
        m.group_of[out] = gid;
        m.groups[static_cast<size_t>(gid)].members.push_back(out);
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
        const StorageGroup& gr = m.groups[static_cast<size_t>(m.group_of.at(in))];
        ok = gr.kind == StorageGroup::Arena && gr.bytes == in->bytes();
        for (const ir::Tensor* t : gr.members) {
          auto lu = last_use.find(t);
          if (output_index(t) >= 0 || m.offset_in_group.count(t) ||
              (lu != last_use.end() && lu->second > step))
            ok = false;
        }
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
          StorageGroup& old = m.groups[static_cast<size_t>(m.group_of.at(in))];
          StorageGroup& ng = m.groups[static_cast<size_t>(gid)];
          for (const ir::Tensor* t : old.members) {
            m.group_of[t] = gid;
            m.offset_in_group[t] = off;
            ng.members.push_back(t);
            auto pa = produced_at.find(t);
            ng.first = std::min(ng.first, pa == produced_at.end() ? 0 : pa->second);
          }
          old.members.clear();
          old.bytes = 0;
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
      bool ok = depthwise && out->bytes() <= in->bytes() && in->dtype == out->dtype &&
                gr.kind == StorageGroup::Arena && output_index(out) < 0 && !out->is_graph_input;
      for (const ir::Tensor* t : gr.members) {
        auto it = last_use.find(t);
        if ((it != last_use.end() && it->second > step) || output_index(t) >= 0 || m.offset_in_group.count(t))
          ok = false;
      }
      if (ok) {
        m.group_of[out] = gid;
        gr.members.push_back(out);
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
        bool dies = true;
        for (const ir::Tensor* t : gr.members) {
          auto it = last_use.find(t);
          if ((it != last_use.end() && it->second > step) || output_index(t) >= 0) dies = false;
        }
        if (!dies) continue;
        int k = output_index(out);
        if (k >= 0) {
          if (std::count(g.outputs.begin(), g.outputs.end(), out) != 1 || out->is_graph_input ||
              !can_bind(gid))
            continue;
          bind_output(gid, k);
        }
        m.group_of[out] = gid;
        gr.members.push_back(out);
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
  for (auto& gr : m.groups) {
    gr.last = gr.first;
    for (const ir::Tensor* t : gr.members) {
      auto it = last_use.find(t);
      if (it != last_use.end()) gr.last = std::max(gr.last, it->second);
      if (io_in_arena && output_index(t) >= 0) gr.last = end;
    }
  }
  return m;
}

}  // namespace tinyaot::codegen
