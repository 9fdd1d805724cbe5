// ONNX model import: parse, check, version-convert, shape-infer, map nodes through the registry,
// then infer our own static shapes node by node and fold constant subgraphs.
#include "frontend/onnx_import.h"

#include <fmt/format.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

#include <sys/wait.h>
#include <csignal>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <new>
#include <stdexcept>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "compiler/evaluator.h"
#include "compiler/ops/registry.h"
#include "frontend/external_data.h"
#include "frontend/tensor_proto.h"

namespace tinyaot::frontend {

namespace {

// Oldest default-domain opset our op implementations accept; older models are upgraded.
constexpr int kMinOpset = 7;
// Largest single dimension accepted anywhere (also in empty tensors), far from int64 overflow.
constexpr int64_t kMaxDim = int64_t(1) << 31;

// True if a tensor of this type and shape would take more than max_bytes with its zero dims
// counted as 1. An empty tensor such as [0, 65536, 2^31] holds no data, but shape inference,
// kernel emitters and the planner still loop over its other dims, so it is bounded like a full
// one. Dims must already be within [0, kMaxDim].
bool extent_exceeds(ir::DType t, const ir::Shape& shape, uint64_t max_bytes) {
  uint64_t bytes = ir::dtype_size(t);
  for (int64_t d : shape) {
    const uint64_t e = d > 1 ? static_cast<uint64_t>(d) : 1;
    if (bytes > max_bytes / e) return true;
    bytes *= e;
  }
  return false;
}

ir::Attribute convert_attribute(const onnx::AttributeProto& a, const std::string& where) {
  ir::Attribute r;
  using A = onnx::AttributeProto;
  switch (a.type()) {
    case A::INT:
      r.kind = ir::Attribute::Kind::Int;
      r.i = a.i();
      break;
    case A::FLOAT:
      r.kind = ir::Attribute::Kind::Float;
      r.f = a.f();
      break;
    case A::STRING:
      r.kind = ir::Attribute::Kind::String;
      r.s = a.s();
      break;
    case A::INTS:
      r.kind = ir::Attribute::Kind::Ints;
      r.ints.assign(a.ints().begin(), a.ints().end());
      break;
    case A::FLOATS:
      r.kind = ir::Attribute::Kind::Floats;
      r.floats.assign(a.floats().begin(), a.floats().end());
      break;
    case A::STRINGS:
      r.kind = ir::Attribute::Kind::Strings;
      r.strings.assign(a.strings().begin(), a.strings().end());
      break;
    case A::TENSOR:
      r.kind = ir::Attribute::Kind::Tensor;
      r.t = std::make_shared<ir::Value>(value_from_proto(a.t(), where + " attribute '" + a.name() + "'"));
      break;
    case A::GRAPH:
    case A::GRAPHS:
      throw CompileError(
          fmt::format("{}: attribute '{}' is a subgraph; control flow (If/Loop/Scan bodies) is not supported",
                      where, a.name()));
    default:
      throw CompileError(fmt::format("{}: attribute '{}' has an unsupported kind ({})", where, a.name(),
                                     static_cast<int>(a.type())));
  }
  return r;
}

std::unique_ptr<ir::Graph> build_graph(const onnx::ModelProto& model, const ImportOptions& opt,
                                       Diagnostics& diag) {
  auto g = std::make_unique<ir::Graph>();
  const onnx::GraphProto& gp = model.graph();
  g->name = gp.name();
  for (auto& op : model.opset_import())
    g->opset_imports[op.domain() == "ai.onnx" ? "" : op.domain()] = static_cast<int>(op.version());

  // Initializers become constants.
  std::set<std::string> init_names;
  for (auto& init : gp.initializer()) {
    ir::Tensor* t = g->add_tensor(init.name());
    auto v = std::make_shared<ir::Value>(value_from_proto(init, "initializer '" + init.name() + "'"));
    for (int64_t d : v->shape)
      if (d > kMaxDim)
        throw CompileError(fmt::format("initializer '{}': dimension {} is too large", init.name(), d));
    if (v->bytes.size() > opt.max_tensor_bytes || extent_exceeds(v->dtype, v->shape, opt.max_tensor_bytes))
      throw CompileError(
          fmt::format("initializer '{}' is too large ({} bytes)", init.name(), v->bytes.size()));
    t->dtype = v->dtype;
    t->shape = v->shape;
    t->shaped = true;
    t->value = v;
    init_names.insert(init.name());
  }
  if (gp.sparse_initializer_size() > 0) throw CompileError("sparse initializers are not supported");

  // Graph inputs that are not initializers; their free dims come from --input-shape or default.
  std::set<std::string> used_shape_overrides;
  size_t input_pos = 0;  // position among the non-initializer inputs (test data file index)
  std::vector<std::string> defaulted;
  for (auto& in : gp.input()) {
    // An initializer listed as an input is a constant below IR 4; from IR 4 on, ONNX makes it the
    // overridable default of that input. An ahead-of-time build has no caller to override it, so
    // it stays a constant (smaller API, foldable) and the user is told once which inputs vanished.
    if (init_names.count(in.name())) {
      if (model.ir_version() >= 4) defaulted.push_back(in.name());
      continue;
    }
    const size_t pos = input_pos++;
    auto frozen = opt.const_inputs.find(in.name());
    if (frozen != opt.const_inputs.end()) {
      ir::Tensor* t = g->add_tensor(in.name());
      t->dtype = frozen->second.dtype;
      t->shape = frozen->second.shape;
      t->shaped = true;
      t->value = std::make_shared<ir::Value>(frozen->second);
      if (in.type().has_tensor_type() &&
          dtype_from_onnx(in.type().tensor_type().elem_type(), "graph input '" + in.name() + "'") != t->dtype)
        throw UsageError(fmt::format("constant for input '{}' has the wrong element type", in.name()));
      used_shape_overrides.insert(in.name());
      continue;
    }
    if (!in.type().has_tensor_type())
      throw CompileError(fmt::format(
          "graph input '{}' is not a tensor (sequence/map/optional inputs are not supported)", in.name()));
    ir::Tensor* t = g->add_tensor(in.name());
    t->is_graph_input = true;
    t->dtype = dtype_from_onnx(in.type().tensor_type().elem_type(), "graph input '" + in.name() + "'");
    auto ov = opt.input_shapes.find(in.name());
    bool dynamic = !in.type().tensor_type().has_shape();
    if (!dynamic)
      for (auto& d : in.type().tensor_type().shape().dim())
        dynamic |= !d.has_dim_value() || d.dim_value() < 0;
    if (ov == opt.input_shapes.end() && dynamic && pos < opt.fallback_input_shapes.size()) {
      t->shape = opt.fallback_input_shapes[pos];
    } else if (ov != opt.input_shapes.end()) {
      t->shape = ov->second;
      used_shape_overrides.insert(in.name());
    } else {
      if (!in.type().tensor_type().has_shape())
        throw CompileError(fmt::format("graph input '{}' has no shape; pass --input-shape {}=D0xD1x...",
                                       in.name(), in.name()));
      const auto& dims = in.type().tensor_type().shape().dim();
      for (int d = 0; d < dims.size(); ++d) {
        if (dims[d].has_dim_value() && dims[d].dim_value() >= 0) {
          t->shape.push_back(dims[d].dim_value());
        } else if (dims[d].has_dim_value()) {
          throw CompileError(fmt::format("graph input '{}': dimension {} is negative ({})", in.name(), d,
                                         dims[d].dim_value()));
        } else if (d == 0) {
          diag.warn(fmt::format(
              "graph input '{}': batch dimension '{}' is symbolic; using 1 (override with --input-shape)",
              in.name(), dims[d].dim_param()));
          t->shape.push_back(1);
        } else {
          throw CompileError(
              fmt::format("graph input '{}': dimension {} ('{}') is not static; pass --input-shape {}=...",
                          in.name(), d, dims[d].dim_param(), in.name()));
        }
      }
    }
    for (int64_t d : t->shape) {
      if (d < 0) throw CompileError(fmt::format("graph input '{}' has a negative dimension", in.name()));
      if (d > kMaxDim)
        throw CompileError(fmt::format("graph input '{}': dimension {} is too large", in.name(), d));
    }
    if (extent_exceeds(t->dtype, t->shape, opt.max_tensor_bytes))
      throw CompileError(
          fmt::format("graph input '{}' is too large ({})", in.name(), ir::shape_str(t->shape)));
    t->shaped = true;
    g->inputs.push_back(t);
  }
  if (!defaulted.empty())
    diag.warn(fmt::format(
        "{} graph input{} ('{}'{}) also {} an initializer; compiled as constant{} (ONNX "
        "makes it a default value; tinyaot does not expose it as an input)",
        defaulted.size(), defaulted.size() == 1 ? "" : "s", defaulted[0], defaulted.size() > 1 ? ", ..." : "",
        defaulted.size() == 1 ? "has" : "have", defaulted.size() == 1 ? "" : "s"));
  for (auto& [name, s] : opt.input_shapes)
    if (!used_shape_overrides.count(name))
      throw UsageError(fmt::format("--input-shape names '{}', which is not a graph input", name));
  for (auto& [name, v] : opt.const_inputs)
    if (!used_shape_overrides.count(name))
      throw UsageError(fmt::format("--const-input names '{}', which is not a graph input", name));

  // Nodes: look every op up in the registry and collect all unsupported ones in one report.
  std::vector<std::string> unsupported;
  int index = 0;
  for (auto& np : gp.node()) {
    const std::string domain = np.domain() == "ai.onnx" ? "" : np.domain();
    const OpInfo* info = find_op(domain, np.op_type());
    auto opset_it = g->opset_imports.find(domain);
    int opset = opset_it == g->opset_imports.end() ? 0 : opset_it->second;
    std::string label =
        np.name().empty() ? fmt::format("#{}", index) : fmt::format("'{}' (#{})", np.name(), index);
    std::string full = domain.empty() ? np.op_type() : domain + "." + np.op_type();
    if (!info) {
      unsupported.push_back(fmt::format("node {}: op {} is not supported", label, full));
    } else if (opset < info->since_opset || opset > info->max_opset) {
      unsupported.push_back(fmt::format("node {}: op {} at opset {} is not supported (supported: {}..{})",
                                        label, full, opset, info->since_opset, info->max_opset));
    }
    ir::Node* n = g->add_node(np.op_type(), np.name());
    n->domain = domain;
    n->opset = opset;
    n->info = info;
    // Attributes of unsupported ops (e.g. If/Loop subgraphs) are not converted: the op itself is
    // the error reported below, together with every other unsupported node.
    if (info)
      for (auto& a : np.attribute()) n->attrs.set(a.name(), convert_attribute(a, "node " + label));
    for (auto& in : np.input()) {
      if (in.empty()) {
        n->inputs.push_back(nullptr);
        continue;
      }
      ir::Tensor* t = g->find_tensor(in);
      if (!t) t = g->add_tensor(in);  // produced later (file order need not be topological)
      n->inputs.push_back(t);
    }
    for (auto& o : np.output()) {
      if (o.empty()) {
        n->outputs.push_back(nullptr);
        continue;
      }
      ir::Tensor* t = g->find_tensor(o);
      if (t && (t->producer || t->is_constant() || t->is_graph_input))
        throw CompileError(fmt::format("node {}: output '{}' is already defined elsewhere", label, o));
      if (!t) t = g->add_tensor(o);
      t->producer = n;
      n->outputs.push_back(t);
    }
    ++index;
  }
  if (!unsupported.empty())
    throw CompileError(fmt::format("{} unsupported op{} in the model", unsupported.size(),
                                   unsupported.size() == 1 ? "" : "s"),
                       unsupported);
  for (auto& n : g->nodes())
    for (ir::Tensor* t : n->inputs)
      if (t && !t->producer && !t->is_constant() && !t->is_graph_input)
        throw CompileError(fmt::format(
            "{}: input '{}' is not produced by any node, initializer or graph input", n->label(), t->name));
  for (auto& o : gp.output()) {
    ir::Tensor* t = g->find_tensor(o.name());
    if (!t) throw CompileError(fmt::format("graph output '{}' is not produced by any node", o.name()));
    t->is_graph_output = true;
    g->outputs.push_back(t);
  }
  if (g->outputs.empty()) throw CompileError("the graph has no outputs");
  g->topo_sort();
  return g;
}

// Nodes in a graph and every subgraph below it (If/Loop/Scan bodies).
uint64_t count_nodes(const onnx::GraphProto& g) {
  uint64_t n = 0;
  for (auto& node : g.node()) {
    ++n;
    for (auto& a : node.attribute()) {
      if (a.has_g()) n += count_nodes(a.g());
      for (auto& sub : a.graphs()) n += count_nodes(sub);
    }
  }
  return n;
}

// Stored payload bytes of an initializer from its declared dims (saturating, never overflowing);
// external data counts with its declared length when present.
uint64_t declared_bytes(const onnx::TensorProto& t) {
  constexpr uint64_t kSat = ~uint64_t(0);
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    for (auto& kv : t.external_data())
      if (kv.key() == "length") return std::strtoull(kv.value().c_str(), nullptr, 10);
  uint64_t bytes = 4;  // element size is not known for invalid types; 4 keeps the bound useful
  if (t.data_type() == onnx::TensorProto::DOUBLE || t.data_type() == onnx::TensorProto::INT64 ||
      t.data_type() == onnx::TensorProto::UINT64)
    bytes = 8;
  else if (t.data_type() == onnx::TensorProto::INT8 || t.data_type() == onnx::TensorProto::UINT8 ||
           t.data_type() == onnx::TensorProto::BOOL)
    bytes = 1;
  else if (t.data_type() == onnx::TensorProto::INT16 || t.data_type() == onnx::TensorProto::UINT16 ||
           t.data_type() == onnx::TensorProto::FLOAT16)
    bytes = 2;
  for (int64_t d : t.dims()) {
    if (d <= 0) return d == 0 ? 0 : bytes;  // negative dims are reported by the tensor decoder
    if (bytes > kSat / static_cast<uint64_t>(d)) return kSat;
    bytes *= static_cast<uint64_t>(d);
  }
  return bytes;
}

void check_model_limits(const onnx::ModelProto& model, const ImportOptions& opt) {
  // Declared dims are bounded above before any ONNX library code sees them: the opset converter's
  // shape inference loops for minutes over a Conv input declared [1, 1, 2^62 + 1, 5]. Negative
  // dims are left to build_graph (exporters write -1 for a free dim).
  const onnx::GraphProto& gp = model.graph();
  for (const onnx::ValueInfoProto& in : gp.input())
    for (const auto& d : in.type().tensor_type().shape().dim())
      if (d.has_dim_value() && d.dim_value() > kMaxDim)
        throw CompileError(
            fmt::format("graph input '{}': dimension {} is too large", in.name(), d.dim_value()));
  for (const onnx::TensorProto& t : gp.initializer())
    for (int64_t d : t.dims())
      if (d > kMaxDim)
        throw CompileError(fmt::format("initializer '{}': dimension {} is too large", t.name(), d));
  if (opt.max_nodes) {
    const uint64_t nodes = count_nodes(model.graph());
    if (nodes > opt.max_nodes)
      throw CompileError(fmt::format("the model has {} nodes (subgraphs included), more than --max-nodes {}",
                                     nodes, opt.max_nodes));
  }
  if (opt.max_weights_bytes) {
    uint64_t total = 0;
    for (auto& t : model.graph().initializer()) {
      const uint64_t b = declared_bytes(t);
      total = b > ~uint64_t(0) - total ? ~uint64_t(0) : total + b;
    }
    if (total > opt.max_weights_bytes)
      throw CompileError(fmt::format(
          "the model stores {} bytes of weights, more than --max-weights-bytes {} (use 0 for no limit)",
          total == ~uint64_t(0) ? std::string("more than 2^64") : std::to_string(total),
          opt.max_weights_bytes));
  }
}

extern "C" void __sanitizer_set_death_callback(void (*)(void)) __attribute__((weak));
void child_sanitizer_death() {
  _exit(3);
}

// Runs `fn` (ONNX library code that has crashed on hostile models: shape inference divides by
// unchecked attributes and dereferences missing shapes) in a child process, so a crash or hang
// there becomes a CompileError instead of killing the compiler. Returns what `fn` returned;
// exceptions thrown by `fn` become CompileErrors with their message.
std::string run_isolated(const std::string& what, const std::function<std::string()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) throw CompileError(what + ": cannot create a pipe");
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    throw CompileError(what + ": cannot fork");
  }
  if (pid == 0) {
    close(fds[0]);
    // Default actions for crash signals, so the child dies by the signal (reported by the parent)
    // instead of running handlers installed by sanitizers or libFuzzer in the parent.
    for (int sig : {SIGSEGV, SIGFPE, SIGBUS, SIGILL, SIGABRT}) signal(sig, SIG_DFL);
    // Under a sanitizer (the fuzz build) a sanitizer report in the child must end the child
    // only, not run the parent's libFuzzer crash handler.
    if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(child_sanitizer_death);
    alarm(120);  // a hang in the library ends the child, and the parent reports it
    std::string out;
    try {
      out = "O" + fn();
    } catch (const std::bad_alloc&) {
      out = "E" + what + " failed in the ONNX library: it ran out of memory; the model is malformed";
    } catch (const std::length_error& e) {
      out = "E" + what + " failed in the ONNX library: it tried to build an impossibly large object (" +
            e.what() + "); the model is malformed";
    } catch (const std::exception& e) {
      out = std::string("E") + e.what();
    }
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t w = write(fds[1], out.data() + done, out.size() - done);
      if (w <= 0) break;
      done += static_cast<size_t>(w);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string in;
  char buf[65536];
  for (;;) {
    const ssize_t r = read(fds[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    in.append(buf, static_cast<size_t>(r));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status))
    throw CompileError(fmt::format("{} crashed in the ONNX library (signal {}); the model is malformed", what,
                                   WTERMSIG(status)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || in.empty())
    throw CompileError(fmt::format("{} failed in the ONNX library (exit status {}); the model is malformed",
                                   what, WIFEXITED(status) ? WEXITSTATUS(status) : status));
  if (in[0] == 'E') throw CompileError(in.substr(1));
  return in.substr(1);
}

// Every node input and graph output must name a graph input, an initializer or a node output.
// Checked before the ONNX checker and version converter: for IR 3 models the checker lets an
// unproduced graph output through, and the opset converter then dereferences a null producer.
void check_edges(const onnx::GraphProto& g) {
  std::set<std::string> defined;
  for (auto& i : g.input()) defined.insert(i.name());
  for (auto& i : g.initializer()) defined.insert(i.name());
  for (auto& n : g.node())
    for (auto& o : n.output()) defined.insert(o);
  for (auto& n : g.node())
    for (auto& i : n.input())
      if (!i.empty() && !defined.count(i))
        throw CompileError(
            fmt::format("node '{}' ({}): input '{}' is not produced by any node, initializer or "
                        "graph input",
                        n.name(), n.op_type(), i));
  for (auto& o : g.output())
    if (!defined.count(o.name()))
      throw CompileError(fmt::format("graph output '{}' is not produced by any node", o.name()));
}

// A graph output's declared element type is the caller's interface (it becomes the type in the
// generated header), so one that differs from what the graph computes is an error, as in ONNX
// Runtime. Declared shapes are not checked: exporters often leave stale or symbolic dims there.
void check_declared_output_types(const onnx::GraphProto& gp, const ir::Graph& g) {
  for (int i = 0; i < gp.output_size() && i < static_cast<int>(g.outputs.size()); ++i) {
    const onnx::ValueInfoProto& o = gp.output(i);
    if (!o.type().has_tensor_type() || o.type().tensor_type().elem_type() == 0) continue;
    const ir::Tensor* t = g.outputs[static_cast<size_t>(i)];
    const ir::DType declared =
        dtype_from_onnx(o.type().tensor_type().elem_type(), "graph output '" + o.name() + "'");
    if (declared == t->dtype) continue;
    throw CompileError(
        fmt::format("graph output '{}' is declared {} but {} produces {}", o.name(), ir::dtype_name(declared),
                    t->producer ? t->producer->label() : std::string("the graph"), ir::dtype_name(t->dtype)));
  }
}

}  // namespace

void infer_and_fold(ir::Graph& g, Diagnostics& diag, uint64_t max_tensor_bytes) {
  (void)diag;
  std::vector<ir::Node*> folded;
  for (auto& np : g.mutable_nodes()) {
    ir::Node& n = *np;
    for (ir::Tensor* t : n.inputs)
      if (t && !t->shaped)
        throw CompileError(fmt::format("{}: input '{}' has no known shape", n.label(), t->name));
    n.info->infer(n);
    bool all_const = true;
    for (ir::Tensor* o : n.outputs) {
      if (!o) continue;
      if (!o->shaped)
        throw CompileError(fmt::format("{}: output '{}' shape could not be inferred", n.label(), o->name));
      for (int64_t d : o->shape) {
        if (d < 0)
          throw CompileError(fmt::format("{}: output '{}' has a negative dimension", n.label(), o->name));
        if (d > kMaxDim)
          throw CompileError(fmt::format("{}: output '{}' dimension {} is too large", n.label(), o->name, d));
      }
      if (extent_exceeds(o->dtype, o->shape, max_tensor_bytes))
        throw CompileError(fmt::format("{}: output '{}' is too large ({} {})", n.label(), o->name,
                                       ir::dtype_name(o->dtype), ir::shape_str(o->shape)));
    }
    // Shape and Size only need the input's static shape, so they always fold.
    const bool shape_only = n.domain.empty() && (n.op == "Shape" || n.op == "Size" || n.op == "EyeLike");
    std::vector<ir::Value> holders;
    holders.reserve(n.inputs.size());
    std::vector<const ir::Value*> in;
    for (ir::Tensor* t : n.inputs) {
      if (!t) {
        in.push_back(nullptr);
      } else if (t->is_constant()) {
        in.push_back(t->value.get());
      } else if (shape_only) {
        holders.emplace_back();
        holders.back().dtype = t->dtype;
        holders.back().shape = t->shape;
        in.push_back(&holders.back());
      } else {
        all_const = false;
      }
    }
    if (!all_const) continue;
    // Folding large outputs (e.g. an Expand to megabytes) would trade RAM for flash badly.
    size_t out_bytes = 0;
    for (ir::Tensor* o : n.outputs) out_bytes += o ? o->bytes() : 0;
    if (out_bytes > (size_t(1) << 20)) continue;
    auto vals = evaluate_node(n, in);
    for (size_t i = 0; i < vals.size(); ++i)
      if (n.outputs[i]) n.outputs[i]->value = std::make_shared<ir::Value>(std::move(vals[i]));
    folded.push_back(&n);
  }
  for (ir::Node* n : folded) g.remove_node(n);
  g.remove_unused_tensors();
}

std::unique_ptr<ir::Graph> import_model_bytes(const std::string& bytes, const ImportOptions& opt,
                                              Diagnostics& diag) {
  onnx::ModelProto model;
  if (bytes.empty()) throw CompileError("the model file is empty");
  if (!model.ParseFromString(bytes))
    throw CompileError(
        "the file is not a valid ONNX model (protobuf parsing failed: truncated, corrupted, nested more "
        "than 100 messages deep, or not a .onnx file)");
  if (!model.has_graph()) throw CompileError("the model has no graph");
  check_model_limits(model, opt);
  check_edges(model.graph());
  // External payloads are read (confined to the model's folder) before the checker runs, so the
  // checker and everything after it see ordinary tensors.
  load_external_data(model, opt.model_dir, opt.max_tensor_bytes);
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw CompileError(fmt::format("the ONNX checker rejected the model: {}", e.what()));
  }
  int opset = -1;
  for (auto& op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") opset = static_cast<int>(op.version());
  if (opset >= 0 && opset < kMinOpset) {
    const std::string what = fmt::format("upgrading the model from opset {} to opset {}", opset, kMinOpset);
    const std::string upgraded = run_isolated(what, [&] {
      // The converter's adapters need shapes (e.g. for broadcasting rules): infer them first.
      onnx::ModelProto m = model;
      onnx::ShapeInferenceOptions so;
      onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(), so);
      return onnx::version_conversion::ConvertVersion(m, kMinOpset).SerializeAsString();
    });
    if (!model.ParseFromString(upgraded)) throw CompileError(what + " produced an unreadable model");
  }
  auto g = build_graph(model, opt, diag);
  infer_and_fold(*g, diag, opt.max_tensor_bytes);
  g->verify();
  check_declared_output_types(model.graph(), *g);
  // ONNX's shape inference is only a cross-check, and it runs after ours on purpose: ONNX 1.12
  // divides by attribute values it never validated (Conv strides of 0 raise SIGFPE), while our
  // per-op inference above rejects such nodes with a message first.
  try {
    run_isolated("ONNX shape inference", [&] {
      onnx::ModelProto m = model;
      onnx::ShapeInferenceOptions so;  // non-strict: node-level inference errors are not fatal
      onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(), so);
      return std::string();
    });
  } catch (const CompileError& e) {
    // tinyaot's own per-op inference is authoritative (it also checks every node); ONNX 1.12's
    // inference lags newer rules (e.g. pooling with ceil_mode), so a disagreement is a warning.
    diag.warn(fmt::format(
        "ONNX shape inference disagrees with the model ({}); using tinyaot's own shape inference", e.what()));
  }
  return g;
}

std::vector<std::string> graph_input_names(const std::string& model_path) {
  std::ifstream f(model_path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  onnx::ModelProto model;
  std::vector<std::string> names;
  if (!model.ParseFromString(ss.str())) return names;
  std::set<std::string> inits;
  for (auto& i : model.graph().initializer()) inits.insert(i.name());
  for (auto& in : model.graph().input())
    if (!inits.count(in.name())) names.push_back(in.name());
  return names;
}

std::unique_ptr<ir::Graph> import_model_file(const std::string& path, const ImportOptions& opt,
                                             Diagnostics& diag) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UsageError(fmt::format("cannot open model file '{}'", path));
  std::stringstream ss;
  ss << f.rdbuf();
  ImportOptions o = opt;
  if (o.model_dir.empty()) {
    const std::string dir = std::filesystem::path(path).parent_path().string();
    o.model_dir = dir.empty() ? "." : dir;
  }
  return import_model_bytes(ss.str(), o, diag);
}

}  // namespace tinyaot::frontend
