// Kernels of the recurrent ops RNN, GRU and LSTM: one function per layer with sequence length,
// batch, input and hidden sizes, strides (layout 0/1) and activations baked in. Batch entries are
// processed one after another (each has its own sequence length), so the arena scratch holds only
// the hidden/cell state of one entry and the gate pre-activations of one step.
#include <cctype>
#include <tuple>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/kernel_util.h"
#include "compiler/ops/rnn.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

using codegen::KernelCtx;
using ir::DType;

namespace {

enum class Kind { RNN, GRU, LSTM };

// "a * 6 + b * 2" from (variable, stride) pairs; variables that are the literal "0" drop out.
std::string offset(const std::vector<std::pair<std::string, int64_t>>& terms) {
  std::string r;
  for (auto& [v, st] : terms) {
    if (v == "0" || st == 0) continue;
    r += (r.empty() ? "" : " + ") + (st == 1 ? v : fmt::format("{} * {}", v, st));
  }
  return r.empty() ? "0" : r;
}

struct Emitter {
  const ir::Node& n;
  KernelCtx& ctx;
  Kind k;
  DType dt;
  std::string ct, sfx;
  int64_t S, N, I, H, D, G, GH, layout;
  bool has_B, has_h0, has_c0, has_P, dyn_len, has_clip, input_forget, lbr;
  double clip = 0;
  const ir::Tensor *Y, *Yh, *Yc;

  std::string lit(double v) const { return KernelCtx::literal(v, dt); }

  // Applies activation `a` to variable `v` in place.
  void act(const std::string& v, const rnn::Activation& a) {
    const std::string& f = std::get<0>(a);
    const std::string al = lit(std::get<1>(a)), be = lit(std::get<2>(a)), one = lit(1), zero = lit(0);
    if (f == "sigmoid")
      ctx.line("{0} = {1} / ({1} + exp{2}(-{0}));", v, one, sfx);
    else if (f == "tanh")
      ctx.line("{0} = tanh{1}({0});", v, sfx);
    else if (f == "relu")
      ctx.line("{0} = {0} > {1} ? {0} : {1};", v, zero);
    else if (f == "affine")
      ctx.line("{0} = {1} * {0} + {2};", v, al, be);
    else if (f == "leakyrelu")
      ctx.line("{0} = {0} >= {1} ? {0} : {2} * {0};", v, zero, al);
    else if (f == "thresholdedrelu")
      ctx.line("{0} = {0} > {1} ? {0} : {2};", v, al, zero);
    else if (f == "scaledtanh")
      ctx.line("{0} = {1} * tanh{3}({2} * {0});", v, al, be, sfx);
    else if (f == "hardsigmoid") {
      ctx.line("{0} = {1} * {0} + {2};", v, al, be);
      ctx.line("{0} = {0} < {1} ? {1} : ({0} > {2} ? {2} : {0});", v, zero, one);
    } else if (f == "elu")
      ctx.line("{0} = {0} >= {1} ? {0} : {2} * (exp{4}({0}) - {3});", v, zero, al, one, sfx);
    else if (f == "softsign")
      ctx.line("{0} = {0} / ({1} + fabs{2}({0}));", v, one, sfx);
    else if (f == "softplus")
      ctx.line("{0} = log{2}({1} + exp{2}({0}));", v, one, sfx);
    else
      ops::fail(n, "internal: activation '{}' has no kernel", f);
  }
  void clamp(const std::string& v) {
    if (!has_clip) return;
    ctx.line("{0} = {0} < {1} ? {1} : ({0} > {2} ? {2} : {0});", v, lit(-clip), lit(clip));
  }
  // Clip then activation: the pre-activation of one gate.
  void gate(const std::string& v, const rnn::Activation& a) {
    clamp(v);
    act(v, a);
  }

  // One direction: `d` is "d" inside the direction loop or a literal; `rev` is a C condition.
  void direction(const std::string& d, const std::string& rev, const rnn::Activation* a) {
    const int64_t XT = layout ? I : N * I, XB = layout ? S * I : I;
    const int64_t YT = layout ? D * H : D * N * H, YD = layout ? H : N * H, YB = layout ? S * D * H : H;
    const int64_t SD = layout ? H : N * H, SB = layout ? D * H : H;
    const std::string zero = lit(0), one = lit(1);
    ctx.line("const {}* W = x1 + {};", ct, offset({{d, GH * I}}));
    ctx.line("const {}* R = x2 + {};", ct, offset({{d, GH * H}}));
    if (has_B) ctx.line("const {}* B = x3 + {};  // Wb then Rb", ct, offset({{d, 2 * GH}}));
    if (has_P) ctx.line("const {}* P = x7 + {};  // peepholes i, o, f", ct, offset({{d, 3 * H}}));
    ctx.open("for (int32_t b = 0; b < {}; ++b) {{", N);
    if (dyn_len) {
      ctx.line("int32_t len = (int32_t)x4[b];");
      ctx.line("if (len > {0}) len = {0};", S);
      ctx.line("if (len < 0) len = 0;");
    } else {
      ctx.line("const int32_t len = {};", S);
    }
    const std::string st = offset({{d, SD}, {"b", SB}});
    ctx.open("for (int32_t j = 0; j < {}; ++j) {{", H);
    ctx.line("h[j] = {};", has_h0 ? fmt::format("x5[{} + j]", st) : zero);
    if (k == Kind::LSTM) ctx.line("c[j] = {};", has_c0 ? fmt::format("x6[{} + j]", st) : zero);
    ctx.close();
    ctx.open("for (int32_t s = 0; s < len; ++s) {{");
    const std::string t = rev == "0" ? "s" : rev == "1" ? "len - 1 - s" : rev + " ? len - 1 - s : s";
    ctx.line("const int32_t t = {};", t);
    ctx.line("const {}* xt = x0 + {};", ct, offset({{"t", XT}, {"b", XB}}));
    // Gate pre-activations: bias + W x_t + R h (GRU's h gate gets its recurrence later).
    const int64_t RG = k == Kind::GRU ? 2 * H : GH;
    ctx.open("for (int32_t q = 0; q < {}; ++q) {{", RG);
    ctx.line("const {}* wq = W + q * {};", ct, I);
    ctx.line("const {}* rq = R + q * {};", ct, H);
    ctx.line("{} acc = {};", ct, has_B ? fmt::format("B[q] + B[{} + q]", GH) : zero);
    ctx.line("for (int32_t i = 0; i < {}; ++i) acc += wq[i] * xt[i];", I);
    ctx.line("for (int32_t i = 0; i < {}; ++i) acc += rq[i] * h[i];", H);
    ctx.line("g[q] = acc;");
    ctx.close();
    if (k == Kind::GRU) {
      const bool b = has_B;
      ctx.open("for (int32_t q = {}; q < {}; ++q) {{", 2 * H, GH);
      ctx.line("const {}* wq = W + q * {};", ct, I);
      ctx.line("{} acc = {};", ct, b ? "B[q]" : zero);
      ctx.line("for (int32_t i = 0; i < {}; ++i) acc += wq[i] * xt[i];", I);
      ctx.line("g[q] = acc;");
      if (lbr) {  // e = Rh h + Rbh, scaled by r below
        ctx.line("const {}* rq = R + q * {};", ct, H);
        ctx.line("{} rec = {};", ct, b ? fmt::format("B[{} + q]", GH) : zero);
        ctx.line("for (int32_t i = 0; i < {}; ++i) rec += rq[i] * h[i];", H);
        ctx.line("e[q - {}] = rec;", 2 * H);
      }
      ctx.close();
      ctx.open("for (int32_t j = 0; j < {}; ++j) {{", H);
      ctx.line("{} z = g[j];", ct);
      gate("z", a[0]);
      ctx.line("g[j] = z;");
      ctx.line("{} r = g[{} + j];", ct, H);
      gate("r", a[0]);
      if (lbr)
        ctx.line("g[{} + j] = r;", H);
      else
        ctx.line("e[j] = r * h[j];");
      ctx.close();
      ctx.open("for (int32_t j = 0; j < {}; ++j) {{", H);
      if (lbr) {
        ctx.line("{} v = g[{} + j] + g[{} + j] * e[j];", ct, 2 * H, H);
      } else {
        ctx.line("const {}* rq = R + ({} + j) * {};", ct, 2 * H, H);
        ctx.line("{} v = {};", ct, b ? fmt::format("B[{} + j]", GH + 2 * H) : zero);
        ctx.line("for (int32_t i = 0; i < {}; ++i) v += rq[i] * e[i];", H);
        ctx.line("v += g[{} + j];", 2 * H);
      }
      gate("v", a[1]);
      ctx.line("const {} z = g[j];", ct);
      ctx.line("h[j] = ({} - z) * v + z * h[j];", one);
      ctx.close();
    } else if (k == Kind::LSTM) {  // gates i, o, f, c
      ctx.open("for (int32_t j = 0; j < {}; ++j) {{", H);
      ctx.line("{} ig = g[j]{};", ct, has_P ? " + P[j] * c[j]" : "");
      gate("ig", a[0]);
      if (input_forget) {
        ctx.line("const {} fg = {} - ig;", ct, one);
      } else {
        ctx.line("{} fg = g[{} + j]{};", ct, 2 * H, has_P ? fmt::format(" + P[{} + j] * c[j]", 2 * H) : "");
        gate("fg", a[0]);
      }
      ctx.line("{} cg = g[{} + j];", ct, 3 * H);
      gate("cg", a[1]);
      ctx.line("const {} cn = fg * c[j] + ig * cg;", ct);
      ctx.line("{} og = g[{} + j]{};", ct, H, has_P ? fmt::format(" + P[{} + j] * cn", H) : "");
      gate("og", a[0]);
      ctx.line("{} hc = cn;", ct);
      act("hc", a[2]);
      ctx.line("c[j] = cn;");
      ctx.line("h[j] = og * hc;");
      ctx.close();
    } else {
      ctx.open("for (int32_t j = 0; j < {}; ++j) {{", H);
      ctx.line("{} v = g[j];", ct);
      gate("v", a[0]);
      ctx.line("h[j] = v;");
      ctx.close();
    }
    if (Y) {
      ctx.line("{}* yt = y0 + {};", ct, offset({{"t", YT}, {d, YD}, {"b", YB}}));
      ctx.line("for (int32_t j = 0; j < {}; ++j) yt[j] = h[j];", H);
    }
    ctx.close();  // steps
    if (Y && dyn_len) {
      ctx.open("for (int32_t t = len; t < {}; ++t) {{", S);
      ctx.line("{}* yt = y0 + {};", ct, offset({{"t", YT}, {d, YD}, {"b", YB}}));
      ctx.line("for (int32_t j = 0; j < {}; ++j) yt[j] = {};", H, zero);
      ctx.close();
    }
    // A zero-length sequence yields zero final states.
    const std::string hv = dyn_len ? fmt::format("len ? h[j] : {}", zero) : "h[j]";
    const std::string cv = dyn_len ? fmt::format("len ? c[j] : {}", zero) : "c[j]";
    if (Yh) ctx.line("for (int32_t j = 0; j < {}; ++j) y1[{} + j] = {};", H, st, hv);
    if (Yc) ctx.line("for (int32_t j = 0; j < {}; ++j) y2[{} + j] = {};", H, st, cv);
    ctx.close();  // batch
  }

  void run() {
    const ir::Tensor& X = *n.inputs[0];
    const ir::Tensor& Rt = *n.inputs[2];
    dt = X.dtype;
    ct = ir::dtype_ctype(dt);
    sfx = dt == DType::F32 ? "f" : "";
    layout = n.attrs.get_int("layout", 0);
    S = layout ? X.shape[1] : X.shape[0];
    N = layout ? X.shape[0] : X.shape[1];
    I = X.shape[2];
    D = Rt.shape[0];
    H = Rt.shape[2];
    G = k == Kind::LSTM ? 4 : k == Kind::GRU ? 3 : 1;
    GH = G * H;
    has_B = ops::has_input(n, 3);
    has_h0 = ops::has_input(n, 5);
    has_c0 = k == Kind::LSTM && ops::has_input(n, 6);
    has_P = k == Kind::LSTM && ops::has_input(n, 7);
    dyn_len = false;
    if (ops::has_input(n, 4)) {
      const ir::Tensor& sl = *n.inputs[4];
      if (!sl.is_constant()) {
        dyn_len = true;
      } else {
        for (int64_t v : sl.value->to_i64_vector())
          if (v != S) dyn_len = true;
      }
    }
    has_clip = n.attrs.has("clip");
    clip = has_clip ? n.attrs.get_float("clip", 0) : 0;
    input_forget = k == Kind::LSTM && n.attrs.get_int("input_forget", 0) != 0;
    lbr = k == Kind::GRU && n.attrs.get_int("linear_before_reset", 0) != 0;
    Y = n.out(0);
    Yh = n.out(1);
    Yc = k == Kind::LSTM ? n.out(2) : nullptr;
    const std::vector<rnn::Activation> acts = rnn::activations(n);
    const size_t na = k == Kind::LSTM ? 3 : k == Kind::GRU ? 2 : 1;
    const std::string dir = n.attrs.get_string("direction", "forward");

    std::string op = n.op;
    for (char& c : op) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ctx.set_name(fmt::format("{}_{}_{}_s{}_h{}{}", op, ir::dtype_name(dt),
                             dir == "bidirectional" ? "bidir"
                             : dir == "reverse"     ? "rev"
                                                    : "fwd",
                             S, H, layout ? "_bsl" : ""));

    // Scratch: h[H], c[H] (LSTM), gate pre-activations g[G*H], e[H] (GRU).
    const int64_t floats = H + (k == Kind::LSTM ? H : 0) + GH + (k == Kind::GRU ? H : 0);
    ctx.line("{}* h = {};", ct, ctx.scratch(static_cast<size_t>(floats) * ir::dtype_size(dt), ct));
    if (k == Kind::LSTM) ctx.line("{}* c = h + {};", ct, H);
    ctx.line("{}* g = h + {};", ct, k == Kind::LSTM ? 2 * H : H);
    if (k == Kind::GRU) ctx.line("{}* e = g + {};", ct, GH);

    if (D == 1) {
      direction("0", dir == "reverse" ? "1" : "0", acts.data());
    } else {
      bool same = true;
      for (size_t i = 0; i < na; ++i) same = same && acts[i] == acts[na + i];
      if (same) {
        ctx.open("for (int32_t d = 0; d < 2; ++d) {{  // forward, then reverse");
        direction("d", "d", acts.data());
        ctx.close();
      } else {
        ctx.open("{{  // forward");
        direction("0", "0", acts.data());
        ctx.close();
        ctx.open("{{  // reverse");
        direction("1", "1", acts.data() + na);
        ctx.close();
      }
    }
  }
};

void emit_rnn(const ir::Node& n, KernelCtx& ctx, Kind k) {
  Emitter e{n, ctx,   k,     DType::F32, "",    "",    0,     0,     0,     0, 0,       0,       0,
            0, false, false, false,      false, false, false, false, false, 0, nullptr, nullptr, nullptr};
  e.run();
}

}  // namespace

void emit_RNN(const ir::Node& n, KernelCtx& ctx) {
  emit_rnn(n, ctx, Kind::RNN);
}
void emit_GRU(const ir::Node& n, KernelCtx& ctx) {
  emit_rnn(n, ctx, Kind::GRU);
}
void emit_LSTM(const ir::Node& n, KernelCtx& ctx) {
  emit_rnn(n, ctx, Kind::LSTM);
}

}  // namespace tinyaot
