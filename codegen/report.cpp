// The --report JSON: per-layer op, shapes, MACs, parameter and live bytes; totals and the plan.
#include <fmt/format.h>

#include "codegen/codegen.h"

namespace tinyaot::codegen {

int64_t node_macs(const ir::Node& n) {
  if (!n.domain.empty()) return 0;
  auto in = [&](size_t i) -> const ir::Tensor* { return i < n.inputs.size() ? n.inputs[i] : nullptr; };
  auto outn = [&](size_t i) -> int64_t {
    return i < n.outputs.size() && n.outputs[i] ? n.outputs[i]->numel() : 0;
  };
  if ((n.op == "Conv" || n.op == "ConvTranspose") && in(1)) {
    // Each output (Conv) or input (ConvTranspose) element meets Cin/group * kernel weights.
    const ir::Shape& w = in(1)->shape;
    int64_t k = 1;
    for (size_t d = 1; d < w.size(); ++d) k *= w[d];
    if (n.op == "Conv") return outn(0) * k;
    int64_t per_in = w.size() > 1 ? w[1] : 1;
    for (size_t d = 2; d < w.size(); ++d) per_in *= w[d];
    return in(0) ? in(0)->numel() * per_in : 0;
  }
  if ((n.op == "QLinearConv" || n.op == "ConvInteger") && in(n.op == "QLinearConv" ? 3 : 1)) {
    // Integer convolutions count like Conv: Cin/group * kernel weights per output element.
    const ir::Shape& w = in(n.op == "QLinearConv" ? 3 : 1)->shape;
    int64_t k = 1;
    for (size_t d = 1; d < w.size(); ++d) k *= w[d];
    return outn(0) * k;
  }
  if ((n.op == "QLinearMatMul" || n.op == "MatMulInteger") && in(0)) {
    const ir::Shape& a = in(0)->shape;
    return outn(0) * (a.empty() ? 1 : a.back());
  }
  if ((n.op == "Gemm" || n.op == "MatMul") && in(0)) {
    const ir::Shape& a = in(0)->shape;
    int64_t k = a.empty() ? 1 : a.back();
    if (n.op == "Gemm" && n.attrs.get_int("transA", 0) && a.size() == 2) k = a[0];
    return outn(0) * k;
  }
  if ((n.op == "LSTM" || n.op == "GRU" || n.op == "RNN") && in(1) && in(2) && in(0)) {
    const ir::Shape& x = in(0)->shape;  // [seq, batch, input] (layout 0)
    int64_t steps = x.size() == 3 ? x[0] * x[1] : 1;
    return steps * (in(1)->numel() + in(2)->numel());
  }
  return 0;
}

static std::string esc(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      r += fmt::format("\\u{:04x}", c);
      continue;
    }
    r += c;
  }
  return r;
}

std::string report_json(const Output& out, const std::string& model_path, const std::string& passes_json,
                        const std::vector<std::string>& warnings) {
  std::string r = "{\n";
  r += fmt::format("  \"model\": \"{}\",\n", esc(model_path));
  if (!passes_json.empty()) r += "  \"passes\": " + passes_json + ",\n";
  r += "  \"warnings\": [";
  for (size_t i = 0; i < warnings.size(); ++i)
    r += fmt::format("{}\n    \"{}\"", i ? "," : "", esc(warnings[i]));
  r += warnings.empty() ? "],\n" : "\n  ],\n";
  int64_t macs = 0;
  size_t params = 0;
  r += "  \"layers\": [\n";
  for (size_t i = 0; i < out.layers.size(); ++i) {
    const LayerInfo& l = out.layers[i];
    macs += l.macs;
    params += l.param_bytes;
    auto list = [](const std::vector<std::string>& v) {
      std::string s;
      for (auto& x : v) s += (s.empty() ? "" : ", ") + ("\"" + esc(x) + "\"");
      return "[" + s + "]";
    };
    r += fmt::format(
        "    {{\"index\": {}, \"op\": \"{}\", \"name\": \"{}\", \"kernel\": \"{}\", \"inputs\": {}, "
        "\"outputs\": {}, "
        "\"macs\": {}, \"param_bytes\": {}, \"live_bytes\": {}}}{}\n",
        i, esc(l.op), esc(l.name), esc(l.kernel), list(l.inputs), list(l.outputs), l.macs, l.param_bytes,
        l.live_bytes, i + 1 < out.layers.size() ? "," : "");
  }
  r += "  ],\n  \"strategies\": {";
  for (size_t i = 0; i < out.strategies.size(); ++i)
    r += fmt::format("{}\"{}\": {}", i ? ", " : "", out.strategies[i].first, out.strategies[i].second);
  r += "},\n";
  r += fmt::format(
      "  \"totals\": {{\"arena_bytes\": {}, \"weight_bytes\": {}, \"lower_bound_bytes\": {}, \"strategy\": "
      "\"{}\", "
      "\"proven_optimal\": {}, \"macs\": {}, \"param_bytes\": {}, \"views_aliased\": {}, \"ops_in_place\": "
      "{}}}\n",
      out.arena_bytes, out.weight_bytes, out.lower_bound, out.strategy, out.proven_optimal ? "true" : "false",
      macs, params, out.elided_views, out.in_place_ops);
  r += "}\n";
  return r;
}

}  // namespace tinyaot::codegen
