// Kernels of normalization ops, specialised per layer (sizes, epsilons and axes are literals).
// BatchNormalization folds constant parameters into per-channel scale/shift tables at compile
// time; Softmax subtracts the row maximum before exponentiating.
#include <cmath>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/kernel_util.h"
#include "compiler/ops/normalization.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using codegen::KernelCtx;
using ir::DType;

namespace {

// Math function name for the element type ("expf" for float, "exp" for double).
std::string mfn(const char* name, DType t) {
  return t == DType::F32 ? std::string(name) + "f" : name;
}
std::string lit(double v, DType t) {
  return KernelCtx::literal(v, t);
}

// Emits `for (int32_t v = 0; v < n; ++v) {` unless n == 1, in which case it declares v = 0.
// Returns whether a block was opened.
bool open_loop(KernelCtx& ctx, const std::string& v, int64_t n) {
  if (n == 1) {
    ctx.line("const int32_t {} = 0;", v);
    return false;
  }
  ctx.open("for (int32_t {0} = 0; {0} < {1}; ++{0}) {{", v, n);
  return true;
}

}  // namespace

// ---------------------------------------------------------------- BatchNormalization

void emit_BatchNormalization(const ir::Node& n, KernelCtx& ctx) {
  const DType t = n.inputs[0]->dtype;
  const char* ct = ir::dtype_ctype(t);
  const ir::Shape& x = n.inputs[0]->shape;
  int64_t params = 0, inner = 0;
  norm_detail::batchnorm_layout(n, x, params, inner);
  const double eps = n.attrs.get_float("epsilon", 1e-5f);
  const int64_t batch = x[0];
  bool constant = true;
  for (size_t i = 1; i <= 4; ++i) constant = constant && n.inputs[i]->is_constant();
  ctx.set_name(fmt::format("batchnorm_{}_c{}", ir::dtype_name(t), params));
  std::string a, b;
  if (constant) {
    // y = x * a + b with a = scale / sqrt(var + eps), b = B - mean * a (computed in double).
    std::vector<double> av(static_cast<size_t>(params)), bv(av.size());
    for (int64_t p = 0; p < params; ++p) {
      const double s = n.inputs[1]->value->get_f64(p) / std::sqrt(n.inputs[4]->value->get_f64(p) + eps);
      av[static_cast<size_t>(p)] = s;
      bv[static_cast<size_t>(p)] = n.inputs[2]->value->get_f64(p) - n.inputs[3]->value->get_f64(p) * s;
    }
    a = ctx.const_table("bn_scale", t, av);
    b = ctx.const_table("bn_shift", t, bv);
  }
  ctx.line("int32_t e = 0;");
  const bool lb = batch > 1;
  if (lb) ctx.open("for (int32_t n = 0; n < {}; ++n) {{", batch);
  ctx.open("for (int32_t c = 0; c < {}; ++c) {{", params);
  if (constant) {
    ctx.line("const {0} a = {1}[c], b = {2}[c];", ct, a, b);
  } else {
    ctx.line("const {0} a = ({0})x1[c] / {1}(({0})x4[c] + {2});", ct, mfn("sqrt", t), lit(eps, t));
    ctx.line("const {0} b = ({0})x2[c] - ({0})x3[c] * a;", ct);
  }
  if (inner == 1) {
    ctx.line("y0[e] = x0[e] * a + b;");
    ctx.line("++e;");
  } else {
    ctx.open("for (int32_t i = 0; i < {}; ++i, ++e) {{", inner);
    ctx.line("y0[e] = x0[e] * a + b;");
    ctx.close();
  }
  ctx.close();
  if (lb) ctx.close();
}

// ---------------------------------------------------------------- InstanceNormalization

void emit_InstanceNormalization(const ir::Node& n, KernelCtx& ctx) {
  const DType t = n.inputs[0]->dtype;
  const char* ct = ir::dtype_ctype(t);
  const ir::Shape& x = n.inputs[0]->shape;
  int64_t s = 1;
  for (size_t d = 2; d < x.size(); ++d) s *= x[d];
  const double eps = n.attrs.get_float("epsilon", 1e-5f);
  ctx.set_name(fmt::format("instancenorm_{}_c{}_n{}", ir::dtype_name(t), x[1], s));
  const bool lb = open_loop(ctx, "n", x[0]);
  ctx.open("for (int32_t c = 0; c < {}; ++c) {{", x[1]);
  ctx.line("const {0}* xc = x0 + (n * {1} + c) * {2};", ct, x[1], s);
  ctx.line("{0}* yc = y0 + (n * {1} + c) * {2};", ct, x[1], s);
  ctx.line("{} m = {};", ct, lit(0, t));
  ctx.line("for (int32_t i = 0; i < {}; ++i) m += xc[i];", s);
  ctx.line("m *= {};", lit(1.0 / static_cast<double>(s), t));
  ctx.line("{} v = {};", ct, lit(0, t));
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", s);
  ctx.line("const {} d = xc[i] - m;", ct);
  ctx.line("v += d * d;");
  ctx.close();
  ctx.line("const {0} a = ({0})x1[c] / {1}(v * {2} + {3});", ct, mfn("sqrt", t),
           lit(1.0 / static_cast<double>(s), t), lit(eps, t));
  ctx.line("const {0} b = ({0})x2[c] - m * a;", ct);
  ctx.line("for (int32_t i = 0; i < {}; ++i) yc[i] = xc[i] * a + b;", s);
  ctx.close();
  if (lb) ctx.close();
}

// ---------------------------------------------------------------- LayerNormalization

void emit_LayerNormalization(const ir::Node& n, KernelCtx& ctx) {
  const DType t = n.inputs[0]->dtype;
  const char* ct = ir::dtype_ctype(t);
  const ir::Shape& x = n.inputs[0]->shape;
  int64_t axis = 0, outer = 0, inner = 0;
  norm_detail::layernorm_layout(n, x, axis, outer, inner);
  const ir::Shape norm(x.begin() + axis, x.end());
  const double eps = n.attrs.get_float("epsilon", 1e-5f);
  ctx.set_name(fmt::format("layernorm_{}_n{}", ir::dtype_name(t), inner));
  // Index of the scale/bias element used at position i of a row.
  auto param_index = [&](size_t k) -> std::string {
    const ir::Tensor* p = n.inputs[k];
    if (p->numel() == inner) return "i";
    if (p->numel() == 1) return "0";
    std::vector<double> idx(static_cast<size_t>(inner));
    ops::for_each_broadcast(norm, {p->shape}, [&](int64_t e, const std::vector<int64_t>& off) {
      idx[static_cast<size_t>(e)] = static_cast<double>(off[0]);
    });
    return ctx.const_table(k == 1 ? "ln_scale_idx" : "ln_bias_idx", DType::I32, idx) + "[i]";
  };
  const std::string si = param_index(1);
  const bool has_b = n.inputs.size() > 2 && n.inputs[2];
  const std::string bi = has_b ? param_index(2) : "";
  const bool lo = open_loop(ctx, "r", outer);
  ctx.line("const {}* xr = x0 + r * {};", ct, inner);
  ctx.line("{}* yr = y0 + r * {};", ct, inner);
  ctx.line("{} m = {};", ct, lit(0, t));
  ctx.line("for (int32_t i = 0; i < {}; ++i) m += xr[i];", inner);
  ctx.line("m *= {};", lit(1.0 / static_cast<double>(inner), t));
  ctx.line("{} v = {};", ct, lit(0, t));
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", inner);
  ctx.line("const {} d = xr[i] - m;", ct);
  ctx.line("v += d * d;");
  ctx.close();
  ctx.line("const {0} inv = {1} / {2}(v * {3} + {4});", ct, lit(1, t), mfn("sqrt", t),
           lit(1.0 / static_cast<double>(inner), t), lit(eps, t));
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", inner);
  if (has_b)
    ctx.line("yr[i] = (xr[i] - m) * inv * ({0})x1[{1}] + ({0})x2[{2}];", ct, si, bi);
  else
    ctx.line("yr[i] = (xr[i] - m) * inv * ({0})x1[{1}];", ct, si);
  ctx.close();
  for (size_t k = 1; k < 3; ++k)
    if (n.outputs.size() > k && n.outputs[k])
      ctx.line("y{}[r] = ({}){};", k, ir::dtype_ctype(n.outputs[k]->dtype), k == 1 ? "m" : "inv");
  if (lo) ctx.close();
}

// ---------------------------------------------------------------- LRN

void emit_LRN(const ir::Node& n, KernelCtx& ctx) {
  const DType t = n.inputs[0]->dtype;
  const char* ct = ir::dtype_ctype(t);
  const ir::Shape& x = n.inputs[0]->shape;
  const int64_t size = n.attrs.get_int("size", 1);
  const double alpha = n.attrs.get_float("alpha", 1e-4f), beta = n.attrs.get_float("beta", 0.75f),
               bias = n.attrs.get_float("bias", 1.0f);
  int64_t s = 1;
  for (size_t d = 2; d < x.size(); ++d) s *= x[d];
  const int64_t C = x[1];
  const int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  ctx.set_name(fmt::format("lrn_{}_size{}", ir::dtype_name(t), size));
  const bool lb = open_loop(ctx, "n", x[0]);
  ctx.line("const {}* xn = x0 + n * {};", ct, C * s);
  ctx.line("{}* yn = y0 + n * {};", ct, C * s);
  ctx.open("for (int32_t c = 0; c < {}; ++c) {{", C);
  ctx.line("const int32_t c0 = c < {0} ? 0 : c - {0};", lo);
  ctx.line("const int32_t c1 = c + {0} > {1} ? {1} : c + {0};", hi, C - 1);
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", s);
  ctx.line("{} sq = {};", ct, lit(0, t));
  ctx.open("for (int32_t k = c0; k <= c1; ++k) {{");
  ctx.line("const {} v = xn[k * {} + i];", ct, s);
  ctx.line("sq += v * v;");
  ctx.close();
  ctx.line("const {} d = {} + {} * sq;", ct, lit(bias, t), lit(alpha / static_cast<double>(size), t));
  // x / d^beta, with cheap forms for the common betas.
  std::string sq = mfn("sqrt", t);
  std::string scale;
  if (static_cast<float>(beta) == 0.75f)
    scale = fmt::format("{} / {}(d * {}(d))", lit(1, t), sq, sq);
  else if (static_cast<float>(beta) == 0.5f)
    scale = fmt::format("{} / {}(d)", lit(1, t), sq);
  else if (static_cast<float>(beta) == 1.0f)
    scale = fmt::format("{} / d", lit(1, t));
  else
    scale = fmt::format("{}(d, {})", mfn("pow", t), lit(-beta, t));
  ctx.line("yn[c * {0} + i] = xn[c * {0} + i] * ({1});", s, scale);
  ctx.close();
  ctx.close();
  if (lb) ctx.close();
}

// ---------------------------------------------------------------- MeanVarianceNormalization

void emit_MeanVarianceNormalization(const ir::Node& n, KernelCtx& ctx) {
  const DType t = n.inputs[0]->dtype;
  const char* ct = ir::dtype_ctype(t);
  const ir::Shape& x = n.inputs[0]->shape;
  const std::vector<int64_t> axes = norm_detail::mvn_axes(n, x);
  ir::Shape kept = x;
  int64_t count = 1;
  for (int64_t a : axes) {
    count *= x[static_cast<size_t>(a)];
    kept[static_cast<size_t>(a)] = 1;
  }
  const int64_t groups = ir::num_elements(kept);
  const std::vector<int64_t> gst = ops::broadcast_strides(kept, x);
  ctx.set_name(fmt::format("mvn_{}_g{}_n{}", ir::dtype_name(t), groups, count));
  const std::string mean = ctx.scratch(static_cast<size_t>(2 * groups) * ir::dtype_size(t), ct);
  ctx.line("{}* mean = {};", ct, mean);
  ctx.line("{}* rsd = mean + {};", ct, groups);
  ctx.line("for (int32_t g = 0; g < {}; ++g) mean[g] = rsd[g] = {};", groups, lit(0, t));
  std::string g;
  for (size_t d = 0; d < x.size(); ++d)
    if (gst[d])
      g += (g.empty() ? "" : " + ") +
           (gst[d] == 1 ? fmt::format("d{}", d) : fmt::format("d{} * {}", d, gst[d]));
  if (g.empty()) g = "0";
  // One pass over every element in row-major order with its statistics group.
  auto pass = [&](const std::function<void()>& body) {
    ctx.open("{{");
    ctx.line("int32_t e = 0;");
    for (size_t d = 0; d < x.size(); ++d) ctx.open("for (int32_t d{0} = 0; d{0} < {1}; ++d{0}) {{", d, x[d]);
    ctx.line("const int32_t g = {};", g);
    body();
    ctx.line("++e;");
    for (size_t d = 0; d < x.size(); ++d) ctx.close();
    ctx.close();
  };
  pass([&] { ctx.line("mean[g] += x0[e];"); });
  ctx.line("for (int32_t g = 0; g < {}; ++g) mean[g] *= {};", groups,
           lit(1.0 / static_cast<double>(count), t));
  pass([&] {
    ctx.line("const {} d = x0[e] - mean[g];", ct);
    ctx.line("rsd[g] += d * d;");
  });
  // ONNX's function body: (X - mean) / (sqrt(var) + 1e-9).
  ctx.line("for (int32_t g = 0; g < {}; ++g) rsd[g] = {} / ({}(rsd[g] * {}) + {});", groups, lit(1, t),
           mfn("sqrt", t), lit(1.0 / static_cast<double>(count), t), lit(1e-9, t));
  pass([&] { ctx.line("y0[e] = (x0[e] - mean[g]) * rsd[g];"); });
}

// ---------------------------------------------------------------- Softmax, LogSoftmax, Hardmax

namespace {

enum class SoftKind { Soft, LogSoft, Hard };

void emit_softmax_like(const ir::Node& n, KernelCtx& ctx, SoftKind k) {
  const DType t = n.inputs[0]->dtype;
  const char* ct = ir::dtype_ctype(t);
  int64_t outer = 0, len = 0, inner = 0;
  norm_detail::softmax_dims(n, n.inputs[0]->shape, outer, len, inner);
  const char* base = k == SoftKind::Soft ? "softmax" : k == SoftKind::LogSoft ? "logsoftmax" : "hardmax";
  ctx.set_name(inner == 1 ? fmt::format("{}_{}_n{}", base, ir::dtype_name(t), len)
                          : fmt::format("{}_{}_n{}_stride{}", base, ir::dtype_name(t), len, inner));
  const bool lo = open_loop(ctx, "o", outer);
  const bool li = open_loop(ctx, "i", inner);
  ctx.line("const {}* xr = x0 + o * {} + i;", ct, len * inner);
  ctx.line("{}* yr = y0 + o * {} + i;", ct, len * inner);
  const std::string J = inner == 1 ? "j" : fmt::format("j * {}", inner);
  ctx.line("{} m = xr[0];", ct);
  if (k == SoftKind::Hard) {
    ctx.line("int32_t mj = 0;");
    ctx.line("for (int32_t j = 1; j < {0}; ++j) if (xr[{1}] > m) {{ m = xr[{1}]; mj = j; }}", len, J);
    ctx.line("for (int32_t j = 0; j < {}; ++j) yr[{}] = j == mj ? {} : {};", len, J, lit(1, t), lit(0, t));
  } else {
    ctx.line("for (int32_t j = 1; j < {0}; ++j) if (xr[{1}] > m) m = xr[{1}];", len, J);
    ctx.line("{} s = {};", ct, lit(0, t));
    const std::string ex = mfn("exp", t);
    if (k == SoftKind::Soft) {
      ctx.open("for (int32_t j = 0; j < {}; ++j) {{", len);
      ctx.line("const {} e = {}(xr[{}] - m);", ct, ex, J);
      ctx.line("yr[{}] = e;", J);
      ctx.line("s += e;");
      ctx.close();
      ctx.line("const {} inv = {} / s;", ct, lit(1, t));
      ctx.line("for (int32_t j = 0; j < {}; ++j) yr[{}] *= inv;", len, J);
    } else {
      ctx.line("for (int32_t j = 0; j < {}; ++j) s += {}(xr[{}] - m);", len, ex, J);
      ctx.line("const {} ls = {}(s);", ct, mfn("log", t));
      ctx.line("for (int32_t j = 0; j < {0}; ++j) yr[{1}] = (xr[{1}] - m) - ls;", len, J);
    }
  }
  if (li) ctx.close();
  if (lo) ctx.close();
}

}  // namespace

void emit_Softmax(const ir::Node& n, KernelCtx& ctx) {
  emit_softmax_like(n, ctx, SoftKind::Soft);
}
void emit_LogSoftmax(const ir::Node& n, KernelCtx& ctx) {
  emit_softmax_like(n, ctx, SoftKind::LogSoft);
}
void emit_Hardmax(const ir::Node& n, KernelCtx& ctx) {
  emit_softmax_like(n, ctx, SoftKind::Hard);
}

}  // namespace tinyaot
