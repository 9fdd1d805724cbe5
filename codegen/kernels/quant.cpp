// Kernels of the quantization ops, specialised per layer. Integer ops (QLinearConv, ConvInteger,
// QLinearMatMul, MatMulInteger) accumulate exactly in int32 and requantize with integers only:
// the float multiplier x_scale*w_scale/y_scale is turned into (mult, shift) at compile time (or
// once per output channel at run time when the scales are run-time inputs) by the primitives of
// compiler/ops/quant_math.h, whose C twins are emitted as file-level helpers.
// QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear are the float entry/exit conversions
// and use float maths per element, exactly as ONNX specifies (x / scale, round half to even).
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <string>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/arm_dsp_quantize.h"
#include "codegen/kernels/arm_mve_conv.h"
#include "codegen/kernels/arm_mve_eltwise.h"
#include "codegen/kernels/arm_mve_gemm.h"
#include "codegen/kernels/arm_qconv.h"
#include "codegen/kernels/conv_util.h"
#include "codegen/kernels/kernel_util.h"
#include "codegen/kernels/sparse.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/pos_bias.h"
#include "codegen/kernels/quant_emit.h"
#include "codegen/kernels/quant_host.h"
#include "compiler/ops/quant_math.h"
#include "compiler/ops/registry.h"
#include "compiler/ops/residual.h"

namespace tinyaot {

using codegen::KernelCtx;
using ir::DType;
using ir::Node;

namespace {

using quant::cval;
using quant::is_const;
using quant::present;

void qrange(DType t, int32_t& lo, int32_t& hi) {
  if (t == DType::I8)
    lo = -128, hi = 127;
  else
    lo = 0, hi = 255;
}

using namespace codegen::convk;

std::string i32(int64_t v) {
  if (v == INT32_MIN) return "(-2147483647 - 1)";
  return std::to_string(v);
}

// Registers the requantization helper of the node's rounding mode; returns its name.
std::string need_requant(KernelCtx& ctx) {
  return quant::requant_fn(ctx);
}
void need_make_requant(KernelCtx& ctx) {
  ctx.require_helper("tinyaot_make_requant", quant::make_requant_helper_c());
}

// A zero point, scalar or per index: C expression for index `idx` plus setup lines.
// Constant values become literals or a table; run-time ones index the input array.
struct Param {
  bool known = false;      // value(s) known at compile time
  std::vector<int64_t> v;  // known values (size 1 or per index)
  std::string table;       // table name when per index
  int input = -1;          // run-time input index
  bool per_index = false;
  bool all_zero() const {
    if (!known) return false;
    for (int64_t x : v)
      if (x) return false;
    return true;
  }
  int64_t at(int64_t i) const { return v.size() == 1 ? v[0] : v[static_cast<size_t>(i)]; }
  bool uniform() const {
    for (int64_t x : v)
      if (x != v[0]) return false;
    return true;
  }
  std::string expr(const std::string& idx) const {
    if (known) return per_index ? fmt::format("{}[{}]", table, idx) : i32(v[0]);
    return per_index ? fmt::format("(int32_t)x{}[{}]", input, idx) : fmt::format("(int32_t)x{}[0]", input);
  }
};

Param zero_point(const Node& n, size_t i, KernelCtx& ctx, const char* name) {
  Param p;
  if (!present(n, i)) {
    p.known = true;
    p.v = {0};
    return p;
  }
  p.per_index = n.inputs[i]->numel() != 1;
  if (const ir::Value* v = cval(n, i)) {
    p.known = true;
    for (int64_t e = 0; e < v->numel(); ++e) p.v.push_back(v->get_i64(e));
    if (p.uniform()) {
      p.v.resize(1);
      p.per_index = false;
    }
    if (p.per_index) {
      std::vector<double> d(p.v.begin(), p.v.end());
      p.table = ctx.const_table(name, DType::I32, d);
    }
  } else {
    p.input = static_cast<int>(i);
  }
  return p;
}

// Requantization parameters per output channel: literals when uniform, tables when per channel,
// computed once per channel at run time when a scale is a run-time input.
struct RequantParams {
  bool known = false, per = false;
  std::vector<quant::Requant> q;
  std::string mt, st;      // tables
  std::string scale_expr;  // run-time float multiplier expression (uses `idx` placeholder)
};

void qdq_loops(const Node& n, KernelCtx& ctx, int64_t& outer, int64_t& dim, int64_t& inner) {
  const ir::Tensor& x = *n.inputs[0];
  outer = 1, dim = 1, inner = x.numel();
  const ir::Tensor& sc = *n.inputs[1];
  if (sc.numel() == 1 && sc.shape.size() <= 1) return;
  const int64_t axis =
      ops::normalize_axis(n, n.attrs.get_int("axis", 1), static_cast<int64_t>(x.shape.size()));
  dim = x.shape[static_cast<size_t>(axis)];
  inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x.shape[static_cast<size_t>(i)];
  for (size_t i = static_cast<size_t>(axis) + 1; i < x.shape.size(); ++i) inner *= x.shape[i];
  (void)ctx;
}

}  // namespace

// ---------------------------------------------------------------- QuantizeLinear / DequantizeLinear

void emit_QuantizeLinear(const Node& n, KernelCtx& ctx) {
  const DType yt = n.outputs[0]->dtype;
  const std::string yc = ir::dtype_ctype(yt);
  int32_t lo, hi;
  qrange(yt, lo, hi);
  int64_t outer, dim, inner;
  qdq_loops(n, ctx, outer, dim, inner);
  ctx.require_helper("tinyaot_quantize_f32", quant::quantize_helper_c());
  ctx.set_name(fmt::format("quantize_f32_{}{}", ir::dtype_name(yt), dim > 1 ? "_axis" : ""));
  if (dim == 1) codegen::arm::emit_quantize_mve(ctx);  // M55: an MVE block first (arm_mve_eltwise.cpp)
  if (dim == 1) codegen::arm::emit_quantize_dsp(ctx);  // then a DSP/FPU block (arm_dsp_quantize.cpp)
  const std::string xv = n.inputs[0]->dtype == DType::F32 ? "x0[e]" : "(float)x0[e]";
  const Param zp = zero_point(n, 2, ctx, "zp");
  const ir::Value* sv = cval(n, 1);
  if (dim == 1) {
    const std::string sc = sv ? KernelCtx::literal(sv->data<float>()[0], DType::F32) : "x1[0]";
    ctx.line("const int32_t zp = {};", zp.expr("0"));
    ctx.line("for (int32_t e = 0; e < {}; ++e) y0[e] = ({})tinyaot_quantize_f32({}, {}, zp, {}, {});",
             outer * inner, yc, xv, sc, lo, hi);
    return;
  }
  ctx.line("int32_t e = 0;");
  ctx.open("for (int32_t o = 0; o < {}; ++o) {{", outer);
  ctx.open("for (int32_t c = 0; c < {}; ++c) {{", dim);
  ctx.line("const float sc = x1[c];");
  ctx.line("const int32_t zp = {};", zp.expr("c"));
  ctx.line("for (int32_t i = 0; i < {}; ++i, ++e) y0[e] = ({})tinyaot_quantize_f32({}, sc, zp, {}, {});",
           inner, yc, xv, lo, hi);
  ctx.close();
  ctx.close();
}

void emit_DequantizeLinear(const Node& n, KernelCtx& ctx) {
  const DType xt = n.inputs[0]->dtype;
  int64_t outer, dim, inner;
  qdq_loops(n, ctx, outer, dim, inner);
  ctx.set_name(fmt::format("dequantize_{}_f32{}", ir::dtype_name(xt), dim > 1 ? "_axis" : ""));
  const Param zp = zero_point(n, 2, ctx, "zp");
  const ir::Value* sv = cval(n, 1);
  auto conv = [&](const std::string& x, const std::string& z) {
    if (z == "0") return fmt::format("(float){}", x);
    if (xt == DType::I32) return fmt::format("(float)((int64_t){} - {})", x, z);
    return fmt::format("(float)((int32_t){} - {})", x, z);
  };
  if (dim == 1) {
    const std::string sc = sv ? KernelCtx::literal(sv->data<float>()[0], DType::F32) : "x1[0]";
    std::string z = zp.all_zero() ? "0" : "zp";
    if (z != "0") ctx.line("const int32_t zp = {};", zp.expr("0"));
    ctx.line("for (int32_t e = 0; e < {}; ++e) y0[e] = {} * {};", outer * inner, conv("x0[e]", z), sc);
    return;
  }
  ctx.line("int32_t e = 0;");
  ctx.open("for (int32_t o = 0; o < {}; ++o) {{", outer);
  ctx.open("for (int32_t c = 0; c < {}; ++c) {{", dim);
  ctx.line("const float sc = x1[c];");
  std::string z = zp.all_zero() ? "0" : "zp";
  if (z != "0") ctx.line("const int32_t zp = {};", zp.expr("c"));
  ctx.line("for (int32_t i = 0; i < {}; ++i, ++e) y0[e] = {} * sc;", inner, conv("x0[e]", z));
  ctx.close();
  ctx.close();
}

void emit_DynamicQuantizeLinear(const Node& n, KernelCtx& ctx) {
  const int64_t total = n.inputs[0]->numel();
  ctx.require_helper("tinyaot_quantize_f32", quant::quantize_helper_c());
  ctx.set_name("dynamic_quantize_f32_u8");
  ctx.line("float mn = 0.0f, mx = 0.0f;");
  ctx.open("for (int32_t e = 0; e < {}; ++e) {{", total);
  ctx.line("const float v = x0[e];");
  ctx.line("if (v < mn) mn = v;");
  ctx.line("if (v > mx) mx = v;");
  ctx.close();
  ctx.line("const float scale = mx == mn ? 1.0f : (mx - mn) / 255.0f;");
  ctx.line("float izp = 0.0f - mn / scale;");
  ctx.line("izp = izp < 0.0f ? 0.0f : izp > 255.0f ? 255.0f : izp;");
  ctx.line("const float izr = izp + 12582912.0f;");
  ctx.line("const int32_t zp = (int32_t)(izr - 12582912.0f);");
  ctx.line(
      "for (int32_t e = 0; e < {}; ++e) y0[e] = (uint8_t)tinyaot_quantize_f32(x0[e], scale, zp, 0, 255);",
      total);
  if (n.out(1)) ctx.line("y1[0] = scale;");
  if (n.out(2)) ctx.line("y2[0] = (uint8_t)zp;");
}

// ---------------------------------------------------------------- QLinearConv / ConvInteger

namespace {

// host_done: hostq::emit_qconv_host_for_node already wrote the host block.
void emit_qconv(const Node& n, KernelCtx& ctx, bool host_done) {
  const bool qlinear = n.op == "QLinearConv";
  const size_t wi = qlinear ? 3 : 1, xzi = 2, wzi = qlinear ? 5 : 3;
  const quant::ConvGeo g = qconv_geometry(n);
  const DType xt = n.inputs[0]->dtype, wt = n.inputs[wi]->dtype, yt = n.outputs[0]->dtype;
  const std::string yc = ir::dtype_ctype(yt), xc_t = ir::dtype_ctype(xt), wc_t = ir::dtype_ctype(wt);
  const int64_t N = g.N, C = g.C, M = g.M, G = g.G, Cg = C / G, Mg = M / G;
  const auto &in = g.in, &out = g.out, &k = g.k, &s = g.s, &d = g.d, &pb = g.pb;
  const size_t r = in.size();
  int64_t IS = 1, OS = 1, KS = 1;
  for (size_t i = 0; i < r; ++i) IS *= in[i], OS *= out[i], KS *= k[i];
  const int64_t WB = Cg * KS;

  const Param xzp = zero_point(n, xzi, ctx, "xzp");
  const Param wzp = zero_point(n, wzi, ctx, "wzp");
  const ir::Value* wv = cval(n, wi);
  const bool has_bias = qlinear && present(n, 8);
  const ir::Value* bv = has_bias ? cval(n, 8) : nullptr;
  // Folding x_zp into the bias in the interior (every tap valid): acc = sum x*(w-wzp) + bias
  // - xzp * sum(w-wzp), exact in integers. Border positions subtract xzp per tap (padding
  // contributes (xzp - xzp) * w = 0, i.e. it is skipped).
  const bool xz_zero = xzp.all_zero();
  const bool fold = !xz_zero && xzp.known && wv && wzp.known && (!has_bias || bv);
  std::vector<int64_t> bias_b(static_cast<size_t>(M), 0), bias_i(static_cast<size_t>(M), 0);
  // Largest |accumulator| that can occur: |bias| + sum over taps of max|x term| * |w - wzp|.
  const int64_t xraw = xt == DType::U8 ? 255 : 128;
  int64_t bound = 0;
  for (int64_t m = 0; m < M; ++m) {
    if (bv) bias_b[static_cast<size_t>(m)] = bv->get_i64(m);
    int64_t sw = 0, sabs = WB * 255;
    if (wv && wzp.known) {
      sabs = 0;
      for (int64_t e = 0; e < WB; ++e) {
        const int64_t w = wv->get_i64(m * WB + e) - wzp.at(m);
        sw += w;
        sabs += std::abs(w);
      }
    }
    const size_t mi = static_cast<size_t>(m);
    bias_i[mi] = bias_b[mi] - (fold ? xzp.v[0] * sw : 0);
    bound = std::max(bound, std::max(std::abs(bias_b[mi]) + 255 * sabs, std::abs(bias_i[mi]) + xraw * sabs));
  }
  if (has_bias && !bv) bound = INT64_MAX;  // run-time bias: unknown
  const bool wrap = bound > INT32_MAX;
  const std::string at = wrap ? "uint32_t" : "int32_t";
  auto term = [&](const std::string& t) { return wrap ? fmt::format("(uint32_t)({})", t) : t; };

  // Bias expressions per region kind; tables are created on first use only (an unused static
  // table would trip -Wunused-const-variable).
  std::string bias_expr[2];
  bool bias_done[2] = {false, false};
  auto bias_of = [&](bool inner) -> std::string {
    const int b = fold && inner ? 1 : 0;
    if (bias_done[b]) return bias_expr[b];
    bias_done[b] = true;
    if (has_bias && !bv) return bias_expr[b] = "x8[m]";
    // Stored modulo 2^32: exact in int32 mode (the bound guarantees the range), and the wrapping
    // uint32 accumulation is modulo 2^32 anyway.
    std::vector<int64_t> v = b ? bias_i : bias_b;
    for (int64_t& x : v) x = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(x)));
    bool uni = true, zero = true;
    for (int64_t x : v) uni = uni && x == v[0], zero = zero && x == 0;
    if (zero) return bias_expr[b] = "0";
    if (uni) return bias_expr[b] = i32(v[0]);
    std::vector<double> dv(v.begin(), v.end());
    return bias_expr[b] = ctx.const_table(b ? "bias_in" : "bias", DType::I32, dv) + "[m]";
  };

  // Requantization parameters: literals when uniform, tables indexed by channel, or computed
  // once per channel at run time when a scale is a run-time input.
  int32_t lo = 0, hi = 0;
  std::string mult_lit, shift_lit, mult_tab, shift_tab;
  std::vector<int32_t> mult_values, shift_values;  // per output channel (compile-time scales)
  bool rq_runtime = false;
  std::string rqf;
  const quant::Rounding rmode = quant::rounding_of(n);
  if (qlinear) {
    qrange(yt, lo, hi);
    rqf = need_requant(ctx);
    const ir::Value *xs = cval(n, 1), *ws = cval(n, 4), *ys = cval(n, 6);
    if (xs && ws && ys) {
      std::vector<double> mt, st;
      bool uni = true;
      for (int64_t m = 0; m < M; ++m) {
        const float wsm = ws->data<float>()[ws->numel() == 1 ? 0 : m];
        const quant::Requant q =
            quant::make_requant_for(rmode, xs->data<float>()[0], wsm, ys->data<float>()[0]);
        mt.push_back(q.mult);
        st.push_back(q.shift);
        uni = uni && mt.back() == mt[0] && st.back() == st[0];
      }
      mult_values.assign(mt.begin(), mt.end());
      shift_values.assign(st.begin(), st.end());
      if (uni) {
        mult_lit = i32(static_cast<int64_t>(mt[0]));
        shift_lit = i32(static_cast<int64_t>(st[0]));
      } else {
        mult_tab = ctx.const_table("mult", DType::I32, mt);
        shift_tab = ctx.const_table("shift", DType::I32, st);
      }
    } else {
      if (rmode == quant::Rounding::Tflite) ops::fail(n, "--rounding tflite needs constant scales");
      rq_runtime = true;
      need_make_requant(ctx);
    }
  }
  const Param yzp = qlinear ? zero_point(n, 7, ctx, "yzp") : Param();

  std::string name = fmt::format("{}{}d_{}{}_k{}s{}", qlinear ? "qlinearconv" : "convinteger", r,
                                 ir::dtype_name(xt), ir::dtype_name(wt), join_x(k, false), join_x(s, true));
  bool dil = false;
  for (int64_t x : d) dil = dil || x != 1;
  if (dil) name += "d" + join_x(d, true);
  if (Cg == 1 && G > 1)
    name += "_dw";
  else if (G > 1)
    name += fmt::format("_g{}", G);
  // A fused residual QLinearAdd (fuse-residual-add, compiler/ops/residual.h): each requantized
  // value A goes through the same per-element QLinearAdd as the separate op before its store.
  const bool res = qlinear && residual::has(n);
  quant::QAddElement qadd;
  std::string rzb, rzc, rsa, rsb, rsc;
  if (res) {
    const size_t b = residual::kQConvInput;
    const bool known = is_const(n, 6) && is_const(n, 7) && is_const(n, b + 1) && is_const(n, b + 2) &&
                       is_const(n, b + 3) && is_const(n, b + 4);
    auto z = [&](size_t i) { return known ? static_cast<int32_t>(cval(n, i)->get_i64(0)) : 0; };
    auto f = [&](size_t i) { return known ? cval(n, i)->data<float>()[0] : 0.0f; };
    qadd = quant::prepare_qadd_element(ctx, yt, known, f(6), z(7), f(b + 1), z(b + 2), f(b + 3), z(b + 4));
    auto zs = [&](size_t i) {
      return is_const(n, i) ? i32(cval(n, i)->get_i64(0)) : fmt::format("(int32_t)x{}[0]", i);
    };
    auto fs = [&](size_t i) {
      return is_const(n, i) ? KernelCtx::literal(cval(n, i)->data<float>()[0], DType::F32)
                            : fmt::format("x{}[0]", i);
    };
    rzb = zs(b + 2), rzc = zs(b + 4), rsa = fs(6), rsb = fs(b + 1), rsc = fs(b + 3);
    name += "_res";
  }
  ctx.set_name(name);
  // The requantizing store expression of one accumulator, shared by the generic loops below and
  // the Cortex-M DSP kernels (so rounding modes apply to both).
  auto requant_call = [&](const std::string& acc, const std::string& mult, const std::string& shift,
                          const std::string& zp) {
    return fmt::format("({}){}({}, {}, {}, {}, {}, {})", yc, rqf, acc, mult, shift, zp, lo, hi);
  };
  // Per-position bias table of prune-zero-channels (used below; the DSP kernels do not support it).
  const posb::PosBias pos = posb::parse(n, M, n.outputs[0]->shape);
  // Cortex-M targets: a DSP kernel (codegen/kernels/arm_qconv.cpp) for the layers it supports,
  // with the generic body below kept in its #else branch; other layers stay generic.
  bool dsp = false;
  if (qlinear && !rq_runtime && xzp.known && !xzp.per_index && yzp.known && !yzp.per_index && wzp.known &&
      !wrap && (!has_bias || bv) && wt == DType::I8 && !pos && !res && rmode == quant::Rounding::Onnx &&
      codegen::arm::has_dsp(ctx.target())) {
    codegen::arm::QConvLayer L;
    L.N = N, L.C = C, L.M = M, L.G = G;
    L.in = in, L.out = out, L.k = k, L.s = s, L.d = d, L.pb = g.pb, L.pe = g.pe;
    L.xzp = xzp.v[0];
    L.wzp_zero = wzp.all_zero();
    L.bias = has_bias ? "x8" : "";
    L.x_type = xc_t, L.y_type = yc;
    L.yzp_expr = yzp.expr("0");
    L.yzp = yzp.v[0];
    L.requant_call = [&](const std::string& acc, const std::string& mult, const std::string& shift) {
      return requant_call(acc, mult, shift, yzp.expr("0"));
    };
    L.mult = mult_values, L.shift = shift_values;
    L.requant = [&](const std::string& acc, const std::string& ch) {
      return requant_call(acc, mult_tab.empty() ? mult_lit : fmt::format("{}[{}]", mult_tab, ch),
                          mult_tab.empty() ? shift_lit : fmt::format("{}[{}]", shift_tab, ch), yzp.expr("0"));
    };
    // M55: a self-contained MVE block first (codegen/kernels/arm_mve_conv.cpp), then the DSP body.
    const codegen::arm::MveEmit mve = codegen::arm::emit_qconv_mve(ctx, L);
    dsp = codegen::arm::emit_qconv_dsp_begin(ctx, L);
    if (dsp) ctx.set_name(name + "_dsp");
    codegen::arm::finish_qconv_mve(ctx, name, mve);
  }

  // x86-64 target: an AVX-512 VNNI block for host builds ahead of the portable loops, compiled
  // only where the compiler targets such a CPU (codegen/kernels/quant_host.cpp).
  if (!dsp && !host_done && qlinear && !rq_runtime && xzp.known && !xzp.per_index && yzp.known &&
      !yzp.per_index && wv && wzp.known && (!has_bias || bv) && !pos &&
      ctx.target() == codegen::Target::X86_64) {
    std::vector<int64_t> wzp_m;
    for (int64_t m = 0; m < M; ++m) wzp_m.push_back(wzp.at(wzp.v.size() == 1 ? 0 : m));
    (void)codegen::hostq::emit_qconv_host_block(
        ctx, n, g, xt, yt, xzp.v[0], yzp.v[0], wzp_m, mult_values, shift_values, bias_b, rmode, rqf, lo, hi,
        [&](const std::string& qa, const std::string& yi) {
          ctx.open("{{");
          ctx.line("const int32_t q_a = {};", qa);
          ctx.line("const int32_t q_b = (int32_t)x{}[{}];", residual::kQConvInput, yi);
          quant::emit_qadd_element(ctx, qadd, "q_a", "q_b", i32(yzp.v[0]), rzb, rzc, rsa, rsb, rsc,
                                   fmt::format("y0[{}]", yi));
          ctx.close();
        },
        res);
  }

  std::vector<int64_t> istr(r, 1), ostr(r, 1), kstr(r, 1);
  for (size_t i = r - 1; i-- > 0;) {
    istr[i] = istr[i + 1] * in[i + 1];
    ostr[i] = ostr[i + 1] * out[i + 1];
    kstr[i] = kstr[i + 1] * k[i + 1];
  }
  // MB output channels of a group are computed together so each input load feeds MB
  // accumulators; in the interior of the innermost dim PB output positions share each weight load.
  // MB output channels x PBI positions share each load. 2x2 keeps the accumulators, weights and
  // pointers within the Cortex-M register file (4x2 spilled, growing the frame past 256 bytes).
  const int64_t MB = Mg % 2 == 0 ? 2 : 1;
  // A fused residual under TFLite rounding needs more registers in its epilogue (two extra
  // rescales per element): one position at a time keeps the Cortex-M frame under 256 bytes.
  const int64_t PBI = res && rmode == quant::Rounding::Tflite ? 1 : 2;

  // Per-position bias (prune-zero-channels): a [M][row class][column class] table added to the
  // accumulator before requantization, modulo 2^32 like the accumulator itself.
  std::string pos_tab, pos_rows, pos_cols;
  if (pos) {
    pos_tab = ctx.const_table("pos_bias", DType::I32, pos.table);
    pos_rows = ctx.const_table("pos_rows", DType::I32, std::vector<double>(pos.rows.begin(), pos.rows.end()));
    pos_cols = ctx.const_table("pos_cols", DType::I32, std::vector<double>(pos.cols.begin(), pos.cols.end()));
  }
  const std::string W = "x" + std::to_string(wi);
  if (!xzp.known) ctx.line("const int32_t xzp = {};", xzp.expr("0"));
  if (qlinear) ctx.line("const int32_t yzp = {};", yzp.expr("0"));

  ctx.open("for (int32_t n = 0; n < {}; ++n) {{", N);
  if (G > 1) ctx.open("for (int32_t g = 0; g < {}; ++g) {{", G);
  const std::string gv = G > 1 ? "g" : "0";
  ctx.line("const {}* xg = x0 + {};", xc_t, add_off(mul("n", C * IS), mul(gv, Cg * IS)));
  if (Mg > 1) {
    ctx.open("for (int32_t mm = 0; mm < {}; mm += {}) {{", Mg, MB);
    ctx.line("const int32_t m = {};", add_off(mul(gv, Mg), "mm"));
  } else {
    ctx.open("{{");
    ctx.line("const int32_t m = {};", gv);
  }
  ctx.line("const {}* wm = {} + {};", wc_t, W, mul("m", WB));
  ctx.line("{}* ym = y0 + {};", yc, add_off(mul("n", M * OS), mul("m", OS)));
  if (res)
    ctx.line("const {}* resm = x{} + {};", yc, residual::kQConvInput,
             add_off(mul("n", M * OS), mul("m", OS)));
  auto mt_idx = [](int64_t t) { return add_const("m", t); };
  const bool sub_w = !wzp.all_zero();
  for (int64_t t = 0; t < MB; ++t) {
    if (sub_w) ctx.line("const int32_t wzp{} = {};", t, wzp.expr(mt_idx(t)));
    if (!qlinear) continue;
    if (rq_runtime) {
      ctx.line("int32_t rm{0}, rs{0};", t);
      ctx.line("tinyaot_make_requant(x1[0] * x4[{}] / x6[0], &rm{}, &rs{});",
               n.inputs[4]->numel() == 1 ? "0" : mt_idx(t), t, t);
    } else if (!mult_tab.empty()) {
      // Per-channel multipliers are read from their tables at the store (not held in registers
      // across the accumulation loops, which would spill and grow the stack frame).
    } else if (t == 0) {
      ctx.line("const int32_t rm0 = {}, rs0 = {};", mult_lit, shift_lit);
    }
  }
  auto rm = [&](int64_t t) {
    if (!rq_runtime && !mult_tab.empty()) return fmt::format("{}[{}]", mult_tab, mt_idx(t));
    return mult_tab.empty() && !rq_runtime ? std::string("rm0") : fmt::format("rm{}", t);
  };
  auto rs = [&](int64_t t) {
    if (!rq_runtime && !mult_tab.empty()) return fmt::format("{}[{}]", shift_tab, mt_idx(t));
    return mult_tab.empty() && !rq_runtime ? std::string("rs0") : fmt::format("rs{}", t);
  };

  TapBounds tb(r);
  const auto &klo = tb.klo, &khi = tb.khi;
  const auto& bord = tb.border;
  const int64_t& PB = tb.positions;
  const size_t L = r - 1;
  auto body = [&]() {
    bool any_border = false;
    for (size_t i = 0; i < r; ++i) any_border = any_border || bord[i];
    std::string yoff = "0";
    for (size_t i = 0; i < r; ++i) yoff = add_off(yoff, mul("o" + std::to_string(i), ostr[i]));
    auto acc = [&](int64_t t, int64_t p) { return fmt::format("acc{}_{}", t, p); };
    std::string accs;
    for (int64_t t = 0; t < MB; ++t) {
      std::string be = bias_of(!any_border);
      if (be.find("[m]") != std::string::npos) be = be.substr(0, be.size() - 3) + "[" + mt_idx(t) + "]";
      if (wrap && be != "0") be = "(uint32_t)" + be;
      for (int64_t p = 0; p < PB; ++p)
        accs += fmt::format("{}{} = {}", accs.empty() ? "" : ", ", acc(t, p), be);
    }
    ctx.line("{} {};", at, accs);
    std::string xcv = "xg", wcv = "wm";
    if (Cg > 1) {
      ctx.open("for (int32_t c = 0; c < {}; ++c) {{", Cg);
      ctx.line("const {}* xc = xg + {};", xc_t, mul("c", IS));
      ctx.line("const {}* wc = wm + {};", wc_t, mul("c", KS));
      xcv = "xc";
      wcv = "wc";
    }
    const std::string kL = "k" + std::to_string(L);
    const std::string xi = emit_tap_rows(ctx, L, klo, khi, d, istr, kstr, bord[L], xc_t, wc_t, xcv, wcv);
    // x term: raw where the zero point is folded (or zero), else x - xzp.
    const bool sub_x = !xz_zero && !(fold && !any_border);
    auto xterm = [&](int64_t p) {
      const std::string ix = p ? add_const(xi, p * s[L]) : xi;
      if (!sub_x) return fmt::format("(int32_t)xr[{}]", ix);
      if (xzp.known) return add_const(fmt::format("(int32_t)xr[{}]", ix), -xzp.v[0]);
      return fmt::format("(int32_t)xr[{}] - xzp", ix);
    };
    auto wterm = [&](int64_t t) {
      const std::string iw = add_off(kL, std::to_string(t * WB));
      return sub_w ? fmt::format("(int32_t)wr[{}] - wzp{}", iw, t) : fmt::format("(int32_t)wr[{}]", iw);
    };
    if (MB == 1 && PB == 1) {
      ctx.line("for (int32_t {0} = {1}; {0} < {2}; ++{0}) acc0_0 += {3};", kL, klo[L], khi[L],
               term("(" + xterm(0) + ") * (" + wterm(0) + ")"));
    } else {
      ctx.open("for (int32_t {0} = {1}; {0} < {2}; ++{0}) {{", kL, klo[L], khi[L]);
      for (int64_t t = 0; t < MB; ++t) ctx.line("const int32_t wv{} = {};", t, wterm(t));
      for (int64_t p = 0; p < PB; ++p) ctx.line("const int32_t xv{} = {};", p, xterm(p));
      for (int64_t t = 0; t < MB; ++t)
        for (int64_t p = 0; p < PB; ++p)
          ctx.line("{} += {};", acc(t, p), term(fmt::format("xv{} * wv{}", p, t)));
      ctx.close();
    }
    for (size_t i = 0; i < L; ++i) ctx.close();
    if (Cg > 1) ctx.close();
    for (int64_t t = 0; t < MB; ++t)
      for (int64_t p = 0; p < PB; ++p) {
        std::string accv = wrap ? "(int32_t)" + acc(t, p) : acc(t, p);
        if (pos)
          accv = fmt::format("(int32_t)((uint32_t){} + (uint32_t){}[(({}) * {} + {}[o0]) * {} + {}[{}]])",
                             acc(t, p), pos_tab, mt_idx(t), pos.R, pos_rows, pos.Cc, pos_cols,
                             add_const("o1", p));
        const std::string yi = add_off(std::to_string(t * OS + p), yoff);
        if (res) {
          ctx.open("{{");
          ctx.line("const int32_t q_a = {};", requant_call(accv, rm(t), rs(t), "yzp"));
          ctx.line("const int32_t q_b = (int32_t)resm[{}];", yi);
          quant::emit_qadd_element(ctx, qadd, "q_a", "q_b", "yzp", rzb, rzc, rsa, rsb, rsc,
                                   fmt::format("ym[{}]", yi));
          ctx.close();
        } else if (qlinear)
          ctx.line("ym[{}] = {};", yi, requant_call(accv, rm(t), rs(t), "yzp"));
        else
          ctx.line("ym[{}] = {};", yi, accv);
      }
  };
  emit_output_regions(ctx, out, in, k, s, d, pb, PBI, /*one_loop_depth=*/false, tb, body);
  ctx.close();  // m
  if (G > 1) ctx.close();
  ctx.close();  // n
  if (dsp) ctx.raw("#endif\n");
}

// ---------------------------------------------------------------- QLinearMatMul / MatMulInteger

void emit_qmatmul(const Node& n, KernelCtx& ctx) {
  const bool qlinear = n.op == "QLinearMatMul";
  const size_t bi = qlinear ? 3 : 1, azi = 2, bzi = qlinear ? 5 : 3;
  const quant::MatMulGeo g = qmatmul_geometry(n);
  const DType at_ = n.inputs[0]->dtype, bt_ = n.inputs[bi]->dtype, yt = n.outputs[0]->dtype;
  const std::string ac = ir::dtype_ctype(at_), bc = ir::dtype_ctype(bt_), yc = ir::dtype_ctype(yt);
  const int64_t M = g.M, K = g.K, N = g.N, NB = static_cast<int64_t>(g.a_off.size());
  ctx.set_name(fmt::format("{}_{}{}_m{}k{}n{}", qlinear ? "qlinearmatmul" : "matmulinteger",
                           ir::dtype_name(at_), ir::dtype_name(bt_), M, K, N));
  codegen::arm::emit_qmatmul_target(ctx);  // Cortex-M: MVE and DSP blocks first (arm_mve_gemm.cpp)
  const Param azp = zero_point(n, azi, ctx, "azp");
  const Param bzp = zero_point(n, bzi, ctx, "bzp");
  const ir::Value* bv = cval(n, bi);
  bool b_single = true;
  for (int64_t o : g.b_off) b_single = b_single && o == 0;
  // Fold a_zp: acc = sum a*(b-bzp) - azp_i * colsum_j(b - bzp), with colsum known at compile time.
  const bool fold = !azp.all_zero() && azp.known && bv && bzp.known && b_single;
  std::string colsum;
  if (fold) {
    std::vector<double> cs;
    for (int64_t j = 0; j < N; ++j) {
      int64_t sum = 0;
      for (int64_t kk = 0; kk < K; ++kk) sum += bv->get_i64(kk * N + j) - bzp.at(j);
      cs.push_back(static_cast<double>(sum));
    }
    colsum = ctx.const_table("colsum", DType::I32, cs);
  }
  const bool wrap = 2 * K * 255 * 255 > INT32_MAX;
  const std::string at = wrap ? "uint32_t" : "int32_t";
  auto term = [&](const std::string& t) { return wrap ? fmt::format("(uint32_t)({})", t) : t; };

  int32_t lo = 0, hi = 0;
  std::string mult_e, shift_e;
  bool rq_runtime = false;
  std::string rqf;
  if (qlinear) {
    qrange(yt, lo, hi);
    rqf = need_requant(ctx);
    const ir::Value *as = cval(n, 1), *bs = cval(n, 4), *ys = cval(n, 6);
    if (as && bs && ys) {
      const quant::Rounding rmode = quant::rounding_of(n);
      std::vector<double> mt, st;
      bool uni = true;
      for (int64_t j = 0; j < N; ++j) {
        const float bsj = bs->data<float>()[bs->numel() == 1 ? 0 : j];
        const quant::Requant q =
            quant::make_requant_for(rmode, as->data<float>()[0], bsj, ys->data<float>()[0]);
        mt.push_back(q.mult);
        st.push_back(q.shift);
        uni = uni && mt.back() == mt[0] && st.back() == st[0];
      }
      if (uni) {
        mult_e = i32(static_cast<int64_t>(mt[0]));
        shift_e = i32(static_cast<int64_t>(st[0]));
      } else {
        mult_e = ctx.const_table("mult", DType::I32, mt) + "[j]";
        shift_e = ctx.const_table("shift", DType::I32, st) + "[j]";
      }
    } else {
      if (quant::rounding_of(n) == quant::Rounding::Tflite)
        ops::fail(n, "--rounding tflite needs constant scales");
      rq_runtime = true;
      need_make_requant(ctx);
      mult_e = "mult";
      shift_e = "shift";
    }
    ctx.line("const int32_t yzp = {};", zero_point(n, 7, ctx, "yzp").expr("0"));
  }
  const std::string B = "x" + std::to_string(bi);
  std::string aoff_t, boff_t;
  if (NB > 1) {
    aoff_t = ctx.const_table("aoff", DType::I32, std::vector<double>(g.a_off.begin(), g.a_off.end()));
    boff_t = ctx.const_table("boff", DType::I32, std::vector<double>(g.b_off.begin(), g.b_off.end()));
    ctx.open("for (int32_t t = 0; t < {}; ++t) {{", NB);
    ctx.line("const {}* ab = x0 + {}[t];", ac, aoff_t);
    ctx.line("const {}* bb = {} + {}[t];", bc, B, boff_t);
    ctx.line("{}* yb = y0 + t * {};", yc, M * N);
  } else {
    ctx.open("{{");
    ctx.line("const {}* ab = x0;", ac);
    ctx.line("const {}* bb = {};", bc, B);
    ctx.line("{}* yb = y0;", yc);
  }
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", M);
  ctx.line("const {}* ar = ab + i * {};", ac, K);
  const bool sub_a = !azp.all_zero() && !fold;
  if (!azp.all_zero()) ctx.line("const int32_t azp = {};", azp.expr("i"));
  // JB output columns share each load of a.
  const int64_t JB = N % 4 == 0 ? 4 : N % 2 == 0 ? 2 : 1;
  auto jt = [](int64_t t) { return add_const("j", t); };
  auto at_j = [&](const std::string& e, int64_t t) {  // re-index a "[j]" table expression
    return e.size() > 3 && e.compare(e.size() - 3, 3, "[j]") == 0
               ? e.substr(0, e.size() - 3) + "[" + jt(t) + "]"
               : e;
  };
  if (JB == 1)
    ctx.open("for (int32_t j = 0; j < {}; ++j) {{", N);
  else
    ctx.open("for (int32_t j = 0; j < {}; j += {}) {{", N, JB);
  const bool sub_b = !bzp.all_zero();
  for (int64_t t = 0; t < JB; ++t) {
    if (sub_b) ctx.line("const int32_t bzp{} = {};", t, bzp.expr(jt(t)));
    if (rq_runtime) {
      ctx.line("int32_t rm{0}, rs{0};", t);
      ctx.line("tinyaot_make_requant(x1[0] * x4[{}] / x6[0], &rm{}, &rs{});",
               n.inputs[4]->numel() == 1 ? "0" : jt(t), t, t);
    }
  }
  ctx.line("const {}* bc = bb + j;", bc);
  std::string accs;
  for (int64_t t = 0; t < JB; ++t) {
    std::string init = "0";
    if (fold)
      init = wrap ? fmt::format("(uint32_t)0 - (uint32_t)azp * (uint32_t){}[{}]", colsum, jt(t))
                  : fmt::format("-azp * {}[{}]", colsum, jt(t));
    accs += fmt::format("{}acc{} = {}", t ? ", " : "", t, init);
  }
  ctx.line("{} {};", at, accs);
  const std::string aterm = sub_a ? "(int32_t)ar[k] - azp" : "(int32_t)ar[k]";
  auto bterm = [&](int64_t t) {
    const std::string ix = add_const(mul("k", N), t);
    return sub_b ? fmt::format("(int32_t)bc[{}] - bzp{}", ix, t) : fmt::format("(int32_t)bc[{}]", ix);
  };
  if (JB == 1) {
    ctx.line("for (int32_t k = 0; k < {}; ++k) acc0 += {};", K, term("(" + aterm + ") * (" + bterm(0) + ")"));
  } else {
    ctx.open("for (int32_t k = 0; k < {}; ++k) {{", K);
    ctx.line("const int32_t av = {};", aterm);
    for (int64_t t = 0; t < JB; ++t) ctx.line("acc{} += {};", t, term(fmt::format("av * ({})", bterm(t))));
    ctx.close();
  }
  for (int64_t t = 0; t < JB; ++t) {
    const std::string accv = wrap ? fmt::format("(int32_t)acc{}", t) : fmt::format("acc{}", t);
    const std::string yi = add_const(fmt::format("i * {} + j", N), t);
    if (qlinear) {
      const std::string me = rq_runtime ? fmt::format("rm{}", t) : at_j(mult_e, t);
      const std::string se = rq_runtime ? fmt::format("rs{}", t) : at_j(shift_e, t);
      ctx.line("yb[{}] = ({}){}({}, {}, {}, yzp, {}, {});", yi, yc, rqf, accv, me, se, lo, hi);
    } else {
      ctx.line("yb[{}] = {};", yi, accv);
    }
  }
  ctx.close();
  ctx.close();
  ctx.close();
}

}  // namespace

void emit_QLinearConv(const Node& n, KernelCtx& ctx) {
  // Sparse weights where smaller; sparse kernels have no residual epilogue: fused residual convs
  // stay dense (their host block is written inside emit_qconv, with the residual epilogue).
  const bool res = residual::has(n);
  const bool host = !res && codegen::hostq::emit_qconv_host_for_node(n, ctx);
  const size_t host_bytes = ctx.scratch_bytes();
  if (!res && codegen::sparse::emit_conv(n, ctx)) {
    if (host_bytes > ctx.scratch_bytes()) (void)ctx.scratch(host_bytes, "uint8_t");
    return;
  }
  emit_qconv(n, ctx, host);
}
void emit_ConvInteger(const Node& n, KernelCtx& ctx) {
  emit_qconv(n, ctx, false);
}
void emit_QLinearMatMul(const Node& n, KernelCtx& ctx) {
  if (codegen::sparse::emit_qlinearmatmul(n, ctx)) return;
  emit_qmatmul(n, ctx);
}
void emit_MatMulInteger(const Node& n, KernelCtx& ctx) {
  emit_qmatmul(n, ctx);
}

}  // namespace tinyaot
