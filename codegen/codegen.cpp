// Codegen driver: emits every layer's kernel, dedups identical kernels, plans the arena and writes
// the header (API and size macros) and the source (weights, kernels, NAME_run).
#include "codegen/codegen.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>

#include "codegen/storage.h"
#include "compiler/memory_planner.h"
#include "compiler/ops/registry.h"

namespace tinyaot::codegen {

const char* target_name(Target t) {
  switch (t) {
    case Target::Generic: return "generic";
    case Target::CortexM4: return "cortex-m4";
    case Target::CortexM7: return "cortex-m7";
    case Target::CortexM33: return "cortex-m33";
    case Target::CortexM55: return "cortex-m55";
    case Target::X86_64: return "x86-64";
  }
  return "generic";
}

bool parse_target(const std::string& s, Target* t) {
  for (Target c : {Target::Generic, Target::CortexM4, Target::CortexM7, Target::CortexM33, Target::CortexM55,
                   Target::X86_64})
    if (s == target_name(c)) {
      *t = c;
      return true;
    }
  return false;
}

std::string c_identifier(const std::string& s) {
  std::string r;
  for (char c : s) r += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (r.empty() || std::isdigit(static_cast<unsigned char>(r[0]))) r = "m_" + r;
  return r;
}

static int onnx_type_code(ir::DType t) {
  switch (t) {
    case ir::DType::F32: return 1;
    case ir::DType::U8: return 2;
    case ir::DType::I8: return 3;
    case ir::DType::U16: return 4;
    case ir::DType::I16: return 5;
    case ir::DType::I32: return 6;
    case ir::DType::I64: return 7;
    case ir::DType::Bool: return 9;
    case ir::DType::F16: return 10;
    case ir::DType::F64: return 11;
    case ir::DType::U32: return 12;
    case ir::DType::U64: return 13;
    case ir::DType::Undefined: return 0;
  }
  return 0;
}

std::string KernelCtx::literal(double v, ir::DType t) {
  using ir::DType;
  if (t == DType::F32 || t == DType::F64) {
    const char* suffix = t == DType::F32 ? "f" : "";
    if (std::isnan(v)) return "NAN";
    if (std::isinf(v)) return v > 0 ? "INFINITY" : "(-INFINITY)";
    std::string s =
        t == DType::F32 ? fmt::format("{:.9g}", static_cast<float>(v)) : fmt::format("{:.17g}", v);
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    return s + suffix;
  }
  if (t == DType::I64) {
    auto i = static_cast<int64_t>(v);
    if (i == INT64_MIN) return "(-9223372036854775807LL - 1)";
    return fmt::format("{}LL", i);
  }
  if (t == DType::U64) return fmt::format("{}ULL", static_cast<uint64_t>(v));
  if (t == DType::I32 && static_cast<int64_t>(v) == INT32_MIN) return "(-2147483647 - 1)";
  if (t == DType::U32) return fmt::format("{}u", static_cast<uint32_t>(v));
  return fmt::format("{}", static_cast<int64_t>(v));
}

std::string KernelCtx::const_table(const std::string& base, ir::DType dtype,
                                   const std::vector<double>& values) {
  std::string name = fmt::format("t{}_{}", node_.id, base);
  std::string def = fmt::format("TINYAOT_TABLE {} {}[{}] = {{", ir::dtype_ctype(dtype), name,
                                std::max<size_t>(values.size(), 1));
  for (size_t i = 0; i < values.size(); ++i)
    def += (i % 16 ? " " : "\n    ") + literal(values[i], dtype) + ",";
  if (values.empty()) def += "0";
  def += "};\n";
  tables_.push_back({name, def});
  return name;
}

namespace {

// Prints a constant tensor as an aligned static array.
std::string weight_array(const std::string& name, const ir::Value& v) {
  std::string s =
      fmt::format("alignas(16) TINYAOT_TABLE {} {}[{}] = {{", ir::dtype_ctype(v.dtype), name, v.numel());
  const int per_line = v.dtype == ir::DType::F32 || v.dtype == ir::DType::F64 ? 8 : 16;
  for (int64_t i = 0; i < v.numel(); ++i) {
    std::string lit;
    switch (v.dtype) {
      case ir::DType::F32:
      case ir::DType::F64: lit = KernelCtx::literal(v.get_f64(i), v.dtype); break;
      // 64-bit integers do not survive a round trip through double; print them directly.
      case ir::DType::I64:
        lit = v.get_i64(i) == INT64_MIN ? "(-9223372036854775807LL - 1)" : fmt::format("{}LL", v.get_i64(i));
        break;
      case ir::DType::U64: lit = fmt::format("{}ULL", v.data<uint64_t>()[i]); break;
      default: lit = KernelCtx::literal(static_cast<double>(v.get_i64(i)), v.dtype); break;
    }
    s += (i % per_line ? " " : "\n    ") + lit + ",";
  }
  s += "\n};\n";
  return s;
}

bool mentions(const std::string& body, const std::string& ident) {
  std::regex re("\\b" + ident + "\\b");
  return std::regex_search(body, re);
}

struct Layer {
  const ir::Node* node;
  std::string fn;  // function that implements it (possibly shared)
  size_t scratch = 0;
  int scratch_buf = -1;
  int step = 0;                  // index in the schedule
  std::vector<bool> uses_input;  // whether the kernel body reads input i at run time
};

}  // namespace

std::string kernel_prelude_macros() {
  return "#if defined(__GNUC__)\n#define TINYAOT_KERNEL static __attribute__((noinline))\n"
         "#define TINYAOT_TABLE static const __attribute__((unused))\n"
         "#define TINYAOT_HELPER static inline __attribute__((unused))\n#else\n"
         "#define TINYAOT_KERNEL static\n#define TINYAOT_TABLE static const\n"
         "#define TINYAOT_HELPER static inline\n#endif\n";
}

Output generate(const ir::Graph& g, const Options& opt) {
  using ir::Tensor;
  Output out;
  const std::string name = c_identifier(opt.name);
  std::string NAME = name;
  std::transform(NAME.begin(), NAME.end(), NAME.begin(), [](unsigned char c) { return std::toupper(c); });

  // 1. Emit every node's kernel (views too: whether they are elided depends on the storage plan).
  struct Emitted {
    Layer layer;
    std::string text;  // signature + body, name-less: identical texts share one function
    std::string kernel_name;
    std::vector<std::pair<std::string, std::string>> tables;
    size_t weight_table_bytes = 0;  // bytes of `tables` that hold weights (sparse encoding)
  };
  std::vector<Emitted> emitted;
  std::map<std::string, std::string> helpers;
  auto emit_one = [&](const ir::Node& n, int at_step, bool in_place_output) {
    KernelCtx ctx(n, opt.target);
    ctx.set_in_place_output(in_place_output);
    ctx.set_sparse_weights(opt.sparse_weights);
    // A node whose outputs are all empty (a zero dim) computes nothing. Its kernel is left empty
    // rather than handed to emitters whose blocking and tiling assume at least one row and column.
    bool all_empty = !n.outputs.empty();
    for (const ir::Tensor* o : n.outputs) all_empty = all_empty && (!o || o->numel() == 0);
    if (all_empty) {
      std::string op = c_identifier(n.op);
      std::transform(op.begin(), op.end(), op.begin(), [](unsigned char c) { return std::tolower(c); });
      ctx.set_name("empty_" + op);
      ctx.line("/* every output of this {} is empty: nothing to compute */", n.op);
    } else {
      n.info->emit(n, ctx);
    }
    std::string params;
    auto add_param = [&](const std::string& type, const std::string& pname) {
      if (!params.empty()) params += ", ";
      params += type;
      if (mentions(ctx.body(), pname)) params += " " + pname;
    };
    for (size_t i = 0; i < n.inputs.size(); ++i)
      add_param(fmt::format("const {}*", n.inputs[i] ? ir::dtype_ctype(n.inputs[i]->dtype) : "void"),
                KernelCtx::in(i));
    for (size_t i = 0; i < n.outputs.size(); ++i)
      add_param(fmt::format("{}*", n.outputs[i] ? ir::dtype_ctype(n.outputs[i]->dtype) : "void"),
                KernelCtx::out(i));
    if (ctx.scratch_bytes()) add_param("uint8_t*", "scratch");
    Emitted e{Layer{&n, "", ctx.scratch_bytes(), -1, at_step, {}},
              "(" + params + ") {\n" + ctx.body() + "}\n", ctx.name(), ctx.tables(),
              ctx.weight_table_bytes()};
    // Constant inputs a kernel only reads at compile time (shapes, pads, axes) cost no flash.
    for (size_t i = 0; i < n.inputs.size(); ++i)
      e.layer.uses_input.push_back(mentions(ctx.body(), KernelCtx::in(i)));
    for (auto& [k, v] : ctx.helpers()) helpers[k] = v;
    return e;
  };
  int step = -1;
  for (auto& np : g.nodes()) emitted.push_back(emit_one(*np, ++step, false));

  // 2. Storage and arena plan. Candidates: views aliased + ops in place, views only, and (with
  // aliasing off) nothing shared; each is planned by every strategy and the smallest arena wins.
  struct Candidate {
    StorageMap storage;
    std::map<int, Emitted> overrides;  // step -> kernel re-emitted for in-place depthwise
    std::vector<BufferRequest> reqs;
    std::map<int, int> buf_of_group;
    std::map<int, int> scratch_buf;  // step -> request
    std::map<const Tensor*, int> const_out_buf;
    PlanChoice plan;
  };
  auto make_candidate = [&](bool aliasing, bool in_place, bool dw_in_place) {
    Candidate c;
    c.storage = assign_storage(g, aliasing, opt.io_in_arena, in_place, dw_in_place);
    for (auto& e : emitted)
      if (c.storage.dw_in_place.count(e.layer.node))
        c.overrides.emplace(e.layer.step, emit_one(*e.layer.node, e.layer.step, true));
    for (size_t gi = 0; gi < c.storage.groups.size(); ++gi) {
      const StorageGroup& gr = c.storage.groups[gi];
      if (gr.kind != StorageGroup::Arena || gr.members.empty()) continue;
      std::string names;
      for (auto* t : gr.members) names += (names.empty() ? "" : " = ") + t->name;
      c.buf_of_group[static_cast<int>(gi)] = static_cast<int>(c.reqs.size());
      c.reqs.push_back({names, gr.bytes, 16, gr.first, gr.last});
    }
    for (auto& e0 : emitted) {
      auto ov = c.overrides.find(e0.layer.step);
      const Emitted& e = ov == c.overrides.end() ? e0 : ov->second;
      if (e.layer.scratch && !c.storage.elided.count(e.layer.node)) {
        c.scratch_buf[e.layer.step] = static_cast<int>(c.reqs.size());
        c.reqs.push_back({fmt::format("scratch of {}", e.layer.node->label()), e.layer.scratch, 16,
                          e.layer.step, e.layer.step});
      }
    }
    // Constant graph outputs in io_in_arena mode need an arena slot of their own for the whole run.
    if (opt.io_in_arena)
      for (const Tensor* t : g.outputs)
        if (t->is_constant() && !c.const_out_buf.count(t)) {
          c.const_out_buf[t] = static_cast<int>(c.reqs.size());
          c.reqs.push_back({t->name + " (constant output)", t->bytes(), 16, 0, std::max(0, step)});
        }
    c.plan = plan_best(c.reqs);
    return c;
  };
  std::vector<Candidate> candidates;
  if (opt.aliasing) {
    candidates.push_back(make_candidate(true, true, false));
    candidates.push_back(make_candidate(true, false, false));
    candidates.push_back(make_candidate(false, false, false));
    Candidate dw = make_candidate(true, true, true);
    if (!dw.storage.dw_in_place.empty()) candidates.push_back(std::move(dw));
  } else {
    candidates.push_back(make_candidate(false, false, false));
  }
  size_t chosen = 0;
  for (size_t i = 1; i < candidates.size(); ++i)
    if (candidates[i].plan.best->arena_size() < candidates[chosen].plan.best->arena_size()) chosen = i;
  Candidate& cand = candidates[chosen];
  StorageMap& storage = cand.storage;
  std::vector<BufferRequest>& reqs = cand.reqs;
  std::map<int, int>& buf_of_group = cand.buf_of_group;
  std::map<const Tensor*, int>& const_out_buf = cand.const_out_buf;
  PlanChoice& plan = cand.plan;

  // Kernels of the layers that run (elided views have none); identical kernels share a function.
  std::vector<Layer> layers;
  std::map<std::string, std::string> fn_by_text;
  std::string kernels_src, tables_src;
  for (auto& e0 : emitted) {
    auto ov = cand.overrides.find(e0.layer.step);
    const Emitted& e = ov == cand.overrides.end() ? e0 : ov->second;
    if (storage.elided.count(e.layer.node)) continue;
    Layer L = e.layer;
    if (L.scratch) L.scratch_buf = cand.scratch_buf.at(L.step);
    auto it = fn_by_text.find(e.text);
    if (it != fn_by_text.end()) {
      L.fn = it->second;
    } else {
      L.fn = fmt::format("L{}_{}", L.node->id, e.kernel_name);
      fn_by_text[e.text] = L.fn;
      kernels_src += fmt::format("// {}\nTINYAOT_KERNEL void {}{}\n", L.node->label(), L.fn, e.text);
    }
    for (auto& t : e.tables) tables_src += t.second;
    out.weight_bytes += e.weight_table_bytes;
    layers.push_back(L);
  }

  const MemoryPlanner* planner = plan.best.get();
  out.arena_bytes = planner->arena_size();
  out.lower_bound = planner->live_lower_bound();
  for (auto& b : reqs) out.naive_bytes += (b.size + 15) / 16 * 16;
  out.proven_optimal = plan.proven_optimal;
  out.strategy = planner->strategy();
  out.in_place_ops = storage.in_place;
  out.elided_views = static_cast<int>(storage.elided.size());
  out.memory_plan = planner->report();
  out.strategies = plan.tried;
  for (auto& [name, bytes] : plan.tried)
    out.memory_plan += fmt::format("  strategy {:<18} arena {} bytes\n", name, bytes);
  if (candidates.size() > 1)
    out.memory_plan +=
        fmt::format("  storage: views + in place {} B, views only {} B, no sharing {} B -> {}\n",
                    candidates[0].plan.best->arena_size(), candidates[1].plan.best->arena_size(),
                    candidates[2].plan.best->arena_size(),
                    chosen == 0   ? "views + in place"
                    : chosen == 1 ? "views only"
                    : chosen == 2 ? "no sharing"
                                  : "views + in place + depthwise in place");
  if (candidates.size() > 3)
    out.memory_plan +=
        fmt::format("  depthwise in place: {} B ({} convolutions)\n", candidates[3].plan.best->arena_size(),
                    candidates[3].storage.dw_in_place.size());
  out.memory_plan +=
      fmt::format("  {} views aliased (no code), {} ops in place{}\n", storage.elided.size(),
                  storage.in_place, plan.proven_optimal ? ", arena proven optimal for these lifetimes" : "");

  // Per-layer figures for the report.
  {
    std::map<const ir::Node*, const Layer*> layer_of;
    for (auto& L : layers) layer_of[L.node] = &L;
    int st = 0;
    for (auto& np : g.nodes()) {
      LayerInfo li;
      li.op = np->op;
      li.name = np->name;
      auto lit = layer_of.find(np.get());
      li.kernel = lit == layer_of.end() ? "" : lit->second->fn;
      auto desc = [](const Tensor* t) {
        return t ? fmt::format("{}:{}[{}]", t->name, ir::dtype_name(t->dtype), ir::shape_str(t->shape))
                 : std::string("_");
      };
      for (Tensor* t : np->inputs) {
        li.inputs.push_back(desc(t));
        if (t && t->is_constant()) li.param_bytes += t->bytes();
      }
      for (Tensor* t : np->outputs) li.outputs.push_back(desc(t));
      li.macs = node_macs(*np);
      for (auto& b : reqs)
        if (b.first <= st && st <= b.last) li.live_bytes += b.size;
      out.layers.push_back(li);
      ++st;
    }
  }

  // 3. Weights: every constant a layer reads.
  std::map<const Tensor*, std::string> weight_name;
  std::string weights_src;
  std::set<std::string> used_names;
  for (auto& L : layers)
    for (size_t i = 0; i < L.node->inputs.size(); ++i) {
      Tensor* t = L.node->inputs[i];
      if (!t || !t->is_constant() || weight_name.count(t) || t->numel() == 0 || !L.uses_input[i]) continue;
      std::string w = "w_" + c_identifier(t->name);
      while (used_names.count(w)) w += "_";
      used_names.insert(w);
      weight_name[t] = w;
      weights_src += weights_src.empty() ? "" : "\n";
      weights_src += weight_array(w, *t->value);
      out.weight_bytes += t->bytes();
    }
  // Constant graph outputs (e.g. folded) are copied from arrays too.
  for (Tensor* t : g.outputs)
    if (t->is_constant() && !weight_name.count(t) && t->numel()) {
      std::string w = "w_" + c_identifier(t->name);
      while (used_names.count(w)) w += "_";
      used_names.insert(w);
      weight_name[t] = w;
      weights_src += weight_array(w, *t->value);
      out.weight_bytes += t->bytes();
    }

  // 4. Pointer expression of every tensor inside NAME_run.
  auto ptr = [&](const Tensor* t, bool writable) -> std::string {
    if (!t) return "0";
    const char* ct = ir::dtype_ctype(t->dtype);
    if (t->is_constant()) return t->numel() ? weight_name.at(t) : "0";
    auto git = storage.group_of.find(t);
    if (git == storage.group_of.end())
      throw CompileError("internal: tensor '" + t->name + "' has no storage");
    const StorageGroup& gr = storage.groups[static_cast<size_t>(git->second)];
    switch (gr.kind) {
      case StorageGroup::GraphInput: return fmt::format("((const {}*)inputs[{}])", ct, gr.io_index);
      case StorageGroup::GraphOutput: {
        auto off = storage.offset_in_group.find(t);
        if (off != storage.offset_in_group.end() && off->second)
          return fmt::format("(({}*)((uint8_t*)outputs[{}] + {}))", ct, gr.io_index, off->second);
        return fmt::format("(({}*)outputs[{}])", ct, gr.io_index);
      }
      case StorageGroup::Arena: break;
    }
    auto off = storage.offset_in_group.find(t);
    return fmt::format("(({}{}*)(a + {}))", writable ? "" : "const ", ct,
                       planner->offset(buf_of_group.at(git->second)) +
                           (off == storage.offset_in_group.end() ? 0 : off->second));
  };

  // In io_in_arena mode: arena offset of a graph input/output. Outputs that are constants or graph
  // inputs get their own arena slot (see below).
  std::map<const Tensor*, size_t> extra_out_offset;
  for (auto& [t, b] : const_out_buf) extra_out_offset[t] = planner->offset(b);
  auto io_offset = [&](const Tensor* t) -> size_t {
    auto e = extra_out_offset.find(t);
    if (e != extra_out_offset.end()) return e->second;
    return planner->offset(buf_of_group.at(storage.group_of.at(t)));
  };

  std::string run_body;
  for (auto& L : layers) {
    std::string args;
    auto add = [&](const std::string& a) { args += (args.empty() ? "" : ", ") + a; };
    for (size_t i = 0; i < L.node->inputs.size(); ++i)
      add(L.uses_input[i] ? ptr(L.node->inputs[i], false) : "0");
    for (Tensor* t : L.node->outputs) add(ptr(t, true));
    if (L.scratch) add(fmt::format("a + {}", planner->offset(L.scratch_buf)));
    run_body += fmt::format("  {}({});\n", L.fn, args);
  }
  // Outputs not computed in place: constants, graph inputs, and tensors listed as several outputs.
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    const Tensor* t = g.outputs[i];
    if (!t->numel()) continue;
    bool in_place = false;
    if (!t->is_constant()) {
      const StorageGroup& gr = storage.groups[static_cast<size_t>(storage.group_of.at(t))];
      in_place = gr.kind == StorageGroup::GraphOutput && gr.io_index == static_cast<int>(i);
    }
    if (opt.io_in_arena) {
      // The output's own group is in the arena; copy only when it is not that tensor's storage.
      in_place = !t->is_constant();
      if (!in_place)
        run_body += fmt::format("  memcpy(a + {}, {}, {});\n", io_offset(t), ptr(t, false), t->bytes());
      continue;
    }
    if (!in_place) run_body += fmt::format("  memcpy(outputs[{}], {}, {});\n", i, ptr(t, false), t->bytes());
  }
  bool uses_arena = run_body.find("(a + ") != std::string::npos || run_body.find("a + ") != std::string::npos;
  bool uses_in = run_body.find("inputs[") != std::string::npos;
  bool uses_out = run_body.find("outputs[") != std::string::npos;

  // 5. Files.
  std::string banner = fmt::format(
      "/* Generated by tinyaot {} -- do not edit.\n"
      " * command: {}\n"
      " * model sha256: {}\n"
      " * target: {}\n */\n",
      TINYAOT_VERSION, opt.command_line, opt.model_sha256, target_name(opt.target));

  std::string h = banner;
  h += fmt::format("#ifndef {0}_H_\n#define {0}_H_\n\n#include <stddef.h>\n#include <stdint.h>\n\n", NAME);
  h += fmt::format("#define {}_NUM_INPUTS {}\n#define {}_NUM_OUTPUTS {}\n", NAME, g.inputs.size(), NAME,
                   g.outputs.size());
  h += fmt::format("/* Scratch memory the caller provides to {}_run, 16-byte aligned. */\n", name);
  h += fmt::format("#define {}_ARENA_SIZE {}\n", NAME, out.arena_bytes);
  h += fmt::format("/* Bytes of constant weight data in flash. */\n#define {}_WEIGHTS_SIZE {}\n\n", NAME,
                   out.weight_bytes);
  auto io_macros = [&](const char* kind, size_t i, const Tensor* t) {
    std::string dims;
    for (size_t d = 0; d < t->shape.size(); ++d) dims += (d ? ", " : "") + std::to_string(t->shape[d]);
    h += fmt::format(
        "#define {0}_{1}{2}_NAME \"{3}\"\n#define {0}_{1}{2}_SIZE {4}\n"
        "#define {0}_{1}{2}_BYTES {5}\n#define {0}_{1}{2}_RANK {6}\n"
        "#define {0}_{1}{2}_SHAPE {{{7}}}\n#define {0}_{1}{2}_TYPE {8}\n"
        "#define {0}_{1}{2}_ONNX_TYPE {9}\n",
        NAME, kind, i, t->name, t->numel(), t->bytes(), t->shape.size(), dims.empty() ? "1" : dims,
        ir::dtype_ctype(t->dtype), onnx_type_code(t->dtype));
    // Quantized I/O (--quantize int8 --io int8): real value = SCALE * (q - ZERO_POINT).
    if (t->quant && t->quant->scale.size() == 1 && (t->dtype == ir::DType::I8 || t->dtype == ir::DType::U8)) {
      std::string sc = fmt::format("{}", t->quant->scale[0]);
      if (sc.find_first_of(".en") == std::string::npos) sc += ".0";
      h += fmt::format("#define {0}_{1}{2}_SCALE {3}f\n#define {0}_{1}{2}_ZERO_POINT {4}\n", NAME, kind, i,
                       sc, t->quant->zero_point[0]);
    }
  };
  for (size_t i = 0; i < g.inputs.size(); ++i) io_macros("INPUT", i, g.inputs[i]);
  for (size_t i = 0; i < g.outputs.size(); ++i) io_macros("OUTPUT", i, g.outputs[i]);
  if (opt.io_in_arena) {
    // Inputs and outputs live inside the arena: offsets and accessors instead of caller buffers.
    h += fmt::format(
        "\n/* Inputs and outputs live inside the arena (--io-in-arena): total RAM is the arena. */\n"
        "#define {}_IO_IN_ARENA 1\n",
        NAME);
    auto accessor = [&](const char* fn, const char* kind, const std::vector<Tensor*>& ts) {
      for (size_t i = 0; i < ts.size(); ++i)
        h += fmt::format("#define {}_{}{}_OFFSET {}\n", NAME, kind, i, io_offset(ts[i]));
      h += fmt::format("static inline void* {}_{}(void* arena, int i) {{\n  switch (i) {{\n", name, fn);
      for (size_t i = 0; i < ts.size(); ++i)
        h += fmt::format("    case {0}: return (unsigned char*)arena + {1}_{2}{0}_OFFSET;\n", i, NAME, kind);
      h += "    default: return NULL;\n  }\n}\n";
    };
    accessor("input", "INPUT", g.inputs);
    accessor("output", "OUTPUT", g.outputs);
  }
  h += "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  if (opt.io_in_arena)
    h += fmt::format(
        "/* With {0}_IO_IN_ARENA, write inputs to {1}_input(arena, i), call {1}_run(NULL, NULL, arena)\n"
        " * and read outputs from {1}_output(arena, i); the inputs/outputs arguments are ignored. */\n",
        NAME, name);
  h += fmt::format(
      "/* Runs the model. inputs[i] / outputs[i]: dense row-major buffers in graph order with the\n"
      " * types and sizes above; arena: {0}_ARENA_SIZE bytes, 16-byte aligned, contents need not\n"
      " * be preserved between calls. Returns 0 on success. Reentrant: no global state. */\n"
      "int {1}_run(const void* const* inputs, void* const* outputs, void* arena);\n\n",
      NAME, name);
  h += "#ifdef __cplusplus\n}  /* extern \"C\" */\n#endif\n\n";
  h += fmt::format("#endif  /* {}_H_ */\n", NAME);

  std::string c = banner;
  c += fmt::format("#include \"{}.h\"\n\n#include <math.h>\n#include <stdint.h>\n#include <string.h>\n\n",
                   name);
  // Kernels stay separate functions: inlined into NAME_run their locals would pile up in one
  // stack frame (the generated-code rules keep every frame under 256 bytes).
  // Target builds hold two variants of some layers (e.g. DSP and generic) behind #if, and each
  // reads its own tables, so the other variant's tables are unused there; clang (and armclang)
  // warn about that, hence the attribute.
  c += kernel_prelude_macros() + "\n";
  // Helpers keyed "include:..." hold preprocessor lines (an intrinsics header under its #if) that
  // must stay outside the anonymous namespace; they sort before the "tinyaot_" helpers.
  for (auto& [k, v] : helpers)
    if (k.rfind("include:", 0) == 0) c += v + "\n";
  c += "namespace {\n\n";
  if (!weights_src.empty()) c += "// ---- weights ----\n" + weights_src + "\n";
  if (!tables_src.empty()) c += "// ---- tables ----\n" + tables_src + "\n";
  // Helpers are written as "static inline"; the same reason as for tables makes them
  // TINYAOT_HELPER (one variant's helpers are unused in the other's build).
  for (auto& [k, v] : helpers) {
    if (k.rfind("include:", 0) == 0) continue;
    std::string text = v;
    const std::string plain = "static inline ";
    for (size_t at = text.find(plain); at != std::string::npos; at = text.find(plain, at)) {
      if (at == 0 || text[at - 1] == '\n') text.replace(at, plain.size(), "TINYAOT_HELPER ");
      at += 1;
    }
    c += text + "\n";
  }
  c += "// ---- layers ----\n" + kernels_src;
  c += "\n}  // namespace\n\n";
  c += fmt::format("extern \"C\" int {}_run(const void* const* {}, void* const* {}, void* {}) {{\n", name,
                   uses_in ? "inputs" : "", uses_out ? "outputs" : "", uses_arena ? "arena" : "");
  if (uses_arena) c += "  uint8_t* a = static_cast<uint8_t*>(arena);\n";
  c += run_body;
  c += "  return 0;\n}\n";

  out.files.push_back({name + ".h", h});
  out.files.push_back({name + ".cpp", c});
  return out;
}

}  // namespace tinyaot::codegen
