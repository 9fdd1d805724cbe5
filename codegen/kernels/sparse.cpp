// Sparse-weight kernels (see sparse.h): per output row the kernel walks the bitmap of its
// non-zero weights, finds each set bit with a count-trailing-zeros, and multiplies only those
// weights. Convolutions are output-stationary like the dense kernels, with the bitmap ordered
// tap by tap (a segment is one kernel tap, its columns the input channels), so a tap that falls
// on padding is skipped with one bounds check for all its channels. Integer kernels accumulate
// the same terms (x - x_zp) * (w - w_zp) as the dense ones, only without the zero terms, so the
// int32 accumulator and the requantized output are bit-identical. Float kernels add the same
// products in another order (taps outside, channels inside), so they agree with dense code to
// float rounding.
#include "codegen/kernels/sparse.h"

#include <cstdlib>
#include <map>

#include "codegen/kernels/conv_util.h"
#include "codegen/kernels/quant_emit.h"
#include "codegen/sparse_weights.h"
#include "compiler/ops/conv.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/pos_bias.h"
#include "compiler/ops/quant_math.h"

namespace tinyaot {

namespace codegen::sparse {

namespace {

using ir::DType;
using ir::Node;

// Index of the lowest set bit of a non-zero byte: a builtin where the compiler has one (Cortex-M:
// RBIT + CLZ), a loop elsewhere.
const char* kCtzHelper =
    "static inline int32_t tinyaot_ctz(uint32_t b) {\n"
    "#if defined(__GNUC__) || defined(__clang__)\n"
    "  return (int32_t)__builtin_ctz(b);\n"
    "#else\n"
    "  int32_t n = 0;\n"
    "  while (!(b & 1u)) {\n"
    "    b >>= 1;\n"
    "    ++n;\n"
    "  }\n"
    "  return n;\n"
    "#endif\n"
    "}\n";

bool enabled(const KernelCtx& ctx, bool integer) {
  const SparseWeights s = ctx.sparse_weights();
  return s == SparseWeights::All || (integer && s == SparseWeights::Int8);
}

const ir::Value* const_input(const Node& n, size_t i) {
  return ops::has_input(n, i) && n.inputs[i]->is_constant() ? n.inputs[i]->value.get() : nullptr;
}

// The bitmap and value tables of an encoding; returns {bitmap name, values name}.
std::pair<std::string, std::string> tables(KernelCtx& ctx, const Encoded& e, DType value_type) {
  std::vector<double> bits(e.bitmap.begin(), e.bitmap.end());
  return {ctx.weight_table("sp_bits", DType::U8, bits), ctx.weight_table("sp_vals", value_type, e.values)};
}

// The loop over the set bits of `seg_bytes` bitmap bytes at `bp`: for each non-zero column c of
// the segment, `use(base, idx)` emits the statements for the input element `base[idx]` (they
// consume `*vp++`). With `skip`, only the value pointer advances (a tap on padding).
void emit_bit_loop(KernelCtx& ctx, int64_t seg_bytes, const std::string& xbase, int64_t col_stride, bool skip,
                   const std::function<void(const std::string&, const std::string&)>& use) {
  auto one = [&](const std::string& byte, const std::string& base) {
    ctx.line("uint32_t b = {};", byte);
    if (skip) {
      ctx.line("while (b) {{ b &= b - 1u; ++vp; }}");
      return;
    }
    ctx.open("while (b) {{");
    ctx.line("const int32_t c = tinyaot_ctz(b);");
    ctx.line("b &= b - 1u;");
    use(base, convk::mul("c", col_stride));
    ctx.close();
  };
  if (seg_bytes == 1) {
    ctx.open("{{");
    one("bp[0]", xbase);
    ctx.close();
    return;
  }
  ctx.open("for (int32_t sb = 0; sb < {}; ++sb) {{", seg_bytes);
  if (!skip) ctx.line("const auto xs = {} + sb * {};", xbase, 8 * col_stride);
  one("bp[sb]", "xs");
  ctx.close();
}

// One convolution in the form the emitter needs (float or integer alike).
struct ConvSpec {
  int64_t N, C, M;
  std::vector<int64_t> in, out, k, s, d, pb;
  DType x_type, w_type;
  const ir::Value* w;
  std::function<double(int64_t)> wzero;  // per output channel
};

// Encodes the weights tap by tap and returns false when dense is not larger.
bool encode_conv(const ConvSpec& c, Encoded& e) {
  const int64_t KS = c.k[0] * c.k[1];
  e = encode(
      c.M, KS, c.C, [&](int64_t m, int64_t t, int64_t ch) { return c.w->get_f64((m * c.C + ch) * KS + t); },
      [&](int64_t m) { return c.wzero(m); });
  const int64_t vs = static_cast<int64_t>(ir::dtype_size(c.w_type));
  return e.bytes(vs) < c.w->numel() * vs;
}

// The output-stationary loops shared by the float and integer convolutions. In the columns where
// every tap is inside the input, kBlock adjacent output positions share each bitmap decode and value
// load. `acc_decl(PB)` declares acc0..acc{PB-1} for channel m, `wdecl` is the statement that
// declares `wv` from `*vp++`, `mac(x, p)` the statement adding input element x times wv to acc{p},
// and `store(dst, p)` writes acc{p} (at output column o1 + p).
const int64_t kBlock = 4;  // output columns per bitmap decode in the interior

void emit_conv_loops(KernelCtx& ctx, const ConvSpec& c, const std::string& bits, const std::string& vals,
                     int64_t seg_bytes, const std::function<void(int64_t)>& acc_decl,
                     const std::string& wdecl,
                     const std::function<std::string(const std::string&, int64_t)>& mac,
                     const std::function<void(const std::string&, int64_t)>& store) {
  const std::string xt = ir::dtype_ctype(c.x_type), yt = xt, wt = ir::dtype_ctype(c.w_type);
  const int64_t IS = c.in[0] * c.in[1], OS = c.out[0] * c.out[1], KS = c.k[0] * c.k[1];
  // Whether some tap of some output position falls outside the input along each dim.
  bool check[2];
  for (size_t i = 0; i < 2; ++i)
    check[i] = c.pb[i] > 0 || (c.out[i] - 1) * c.s[i] - c.pb[i] + (c.k[i] - 1) * c.d[i] >= c.in[i];
  ctx.require_helper("tinyaot_ctz", kCtzHelper);
  ctx.open("for (int32_t n = 0; n < {}; ++n) {{", c.N);
  ctx.line("const {}* xn = x0 + {};", xt, convk::mul("n", c.C * IS));
  ctx.line("const uint8_t* bm = {};", bits);
  ctx.line("const {}* vm = {};", wt, vals);
  ctx.open("for (int32_t m = 0; m < {}; ++m) {{", c.M);
  ctx.line("{}* ym = y0 + {};", yt, convk::add_off(convk::mul("n", c.M * OS), convk::mul("m", OS)));
  ctx.line("const {}* vp = vm;", wt);
  ctx.open("for (int32_t o0 = 0; o0 < {}; ++o0) {{", c.out[0]);
  ctx.line("const int32_t i0 = {};", convk::add_const(convk::mul("o0", c.s[0]), -c.pb[0]));
  // Output columns [lo, hi) in steps of PB, with or without the column bounds check.
  auto region = [&](int64_t lo, int64_t hi, int64_t PB, bool wcheck) {
    if (lo >= hi) return;
    if (PB == 1)
      ctx.open("for (int32_t o1 = {}; o1 < {}; ++o1) {{", lo, hi);
    else
      ctx.open("for (int32_t o1 = {}; o1 < {}; o1 += {}) {{", lo, hi, PB);
    ctx.line("const int32_t i1 = {};", convk::add_const(convk::mul("o1", c.s[1]), -c.pb[1]));
    acc_decl(PB);
    ctx.line("const uint8_t* bp = bm;");
    ctx.line("vp = vm;");
    if (KS > 1) {
      ctx.open("for (int32_t k0 = 0; k0 < {}; ++k0) {{", c.k[0]);
      ctx.line("const int32_t h = {};", convk::add_off("i0", convk::mul("k0", c.d[0])));
      ctx.open("for (int32_t k1 = 0; k1 < {}; ++k1) {{", c.k[1]);
      ctx.line("const int32_t w = {};", convk::add_off("i1", convk::mul("k1", c.d[1])));
    } else {
      ctx.line("const int32_t h = i0, w = i1;");
    }
    auto use = [&](const std::string& base, const std::string& idx) {
      ctx.line("{}", wdecl);
      for (int64_t p = 0; p < PB; ++p)
        ctx.line("{}", mac(fmt::format("{}[{}]", base, p ? convk::add_const(idx, p * c.s[1]) : idx), p));
    };
    std::string cond;
    if (check[0]) cond = fmt::format("(uint32_t)h < {}u", c.in[0]);
    if (wcheck) cond += fmt::format("{}(uint32_t)w < {}u", cond.empty() ? "" : " && ", c.in[1]);
    if (!cond.empty()) {
      ctx.open("if ({}) {{", cond);
      ctx.line("const {}* xt = xn + {};", xt, convk::add_off(convk::mul("h", c.in[1]), "w"));
      emit_bit_loop(ctx, seg_bytes, "xt", IS, false, use);
      ctx.close();
      ctx.open("else {{");
      emit_bit_loop(ctx, seg_bytes, "", IS, true, use);
      ctx.close();
    } else {
      ctx.line("const {}* xt = xn + {};", xt, convk::add_off(convk::mul("h", c.in[1]), "w"));
      emit_bit_loop(ctx, seg_bytes, "xt", IS, false, use);
    }
    if (KS > 1) {
      ctx.line("bp += {};", seg_bytes);
      ctx.close();
      ctx.close();
    }
    for (int64_t p = 0; p < PB; ++p)
      store(fmt::format("ym[{}]", convk::add_const(convk::add_off(convk::mul("o0", c.out[1]), "o1"), p)), p);
    ctx.close();  // o1
  };
  // Columns whose taps are all inside the input: [A, B).
  auto [A, B] = convk::interior(c.out[1], c.in[1], c.k[1], c.s[1], c.d[1], c.pb[1]);
  if (!check[1]) A = 0, B = c.out[1];
  if (A >= B) {
    region(0, c.out[1], 1, true);
  } else {
    const int64_t Bp = A + (B - A) / kBlock * kBlock;
    region(0, A, 1, true);
    region(A, Bp, kBlock, false);
    region(Bp, B, 1, false);
    region(B, c.out[1], 1, true);
  }
  ctx.close();  // o0
  ctx.line("bm += {};", KS * seg_bytes);
  ctx.line("vm = vp;");
  ctx.close();  // m
  ctx.close();  // n
}

bool conv_shape_ok(const std::vector<int64_t>& in, int64_t G, KernelCtx& ctx) {
  return in.size() == 2 && G == 1 && !ctx.in_place_output();
}

// The per-position bias of prune-zero-channels (compiler/ops/pos_bias.h) at channel m and output
// position (o0, o1) as a C expression over kernel-private tables; empty when the node has none.
std::string pos_bias_term(const Node& n, KernelCtx& ctx, int64_t M, DType table_type) {
  const posb::PosBias pos = posb::parse(n, M, n.outputs[0]->shape);
  if (!pos) return "";
  const std::string tab = ctx.const_table("pos_bias", table_type, pos.table);
  const std::string rows =
      ctx.const_table("pos_rows", DType::I32, std::vector<double>(pos.rows.begin(), pos.rows.end()));
  const std::string cols =
      ctx.const_table("pos_cols", DType::I32, std::vector<double>(pos.cols.begin(), pos.cols.end()));
  return fmt::format("{}[(m * {} + {}[o0]) * {} + {}[o1]]", tab, pos.R, rows, pos.Cc, cols);
}

// A per-position bias term at output column o1 + p.
std::string at_column(const std::string& pos, int64_t p) {
  if (!p) return pos;
  const size_t i = pos.rfind("[o1]");
  return pos.substr(0, i) + fmt::format("[o1 + {}]", p) + pos.substr(i + 4);
}

bool emit_float_conv(const Node& n, KernelCtx& ctx) {
  const ir::Value* w = const_input(n, 1);
  const DType dt = n.outputs[0]->dtype;
  if (!w || !enabled(ctx, false) || (dt != DType::F32 && dt != DType::F64)) return false;
  auto g = conv_geometry(n);
  if (!conv_shape_ok(g["in"], g["dims"][3], ctx)) return false;
  ConvSpec c{g["dims"][0],
             g["dims"][1],
             g["dims"][2],
             g["in"],
             g["out"],
             g["kernel"],
             g["strides"],
             g["dilations"],
             g["pads_begin"],
             dt,
             dt,
             w,
             [](int64_t) { return 0.0; }};
  Encoded e;
  if (!encode_conv(c, e)) return false;
  const std::string ct = ir::dtype_ctype(dt);
  const act::Activation fused = act::parse(n);
  ctx.set_name(fmt::format("conv2d_{}_k{}s{}_sparse{}", ir::dtype_name(dt), convk::join_x(c.k, false),
                           convk::join_x(c.s, true), act::name_suffix(fused)));
  auto [bits, vals] = tables(ctx, e, dt);
  const bool has_bias = ops::has_input(n, 2);
  const std::string pos = pos_bias_term(n, ctx, c.M, dt);
  emit_conv_loops(
      ctx, c, bits, vals, e.seg_bytes(),
      [&](int64_t PB) {
        for (int64_t p = 0; p < PB; ++p)
          ctx.line("{} acc{} = {};", ct, p, has_bias ? "x2[m]" : KernelCtx::literal(0, dt));
      },
      fmt::format("const {} wv = *vp++;", ct),
      [&](const std::string& x, int64_t p) { return fmt::format("acc{} += wv * {};", p, x); },
      [&](const std::string& dst, int64_t p) {
        const std::string acc = fmt::format("acc{}", p);
        if (!pos.empty()) ctx.line("{} += {};", acc, at_column(pos, p));
        if (fused) ctx.line("{}", act::c_stmt(fused, acc, dt));
        ctx.line("{} = {};", dst, acc);
      });
  return true;
}

using quant::qrange;

std::string i32(int64_t v) {
  return v == INT32_MIN ? "(-2147483647 - 1)" : std::to_string(v);
}

// Per-index integer values as a literal (uniform) or a table indexed by `idx`.
std::string per_index(KernelCtx& ctx, const std::string& base, const std::vector<int64_t>& v,
                      const std::string& idx) {
  bool uni = true;
  for (int64_t x : v) uni = uni && x == v[0];
  if (uni) return i32(v[0]);
  return ctx.const_table(base, DType::I32, std::vector<double>(v.begin(), v.end())) + "[" + idx + "]";
}

// Requantization of an int8 layer with constant scales: mult/shift per output index.
bool requant_params(const Node& n, int64_t count, std::vector<int64_t>& mult, std::vector<int64_t>& shift) {
  const ir::Value *xs = const_input(n, 1), *ws = const_input(n, 4), *ys = const_input(n, 6);
  if (!xs || !ws || !ys) return false;
  const quant::Rounding rmode = quant::rounding_of(n);
  for (int64_t i = 0; i < count; ++i) {
    const quant::Requant q = quant::make_requant_for(
        rmode, xs->data<float>()[0], ws->data<float>()[ws->numel() == 1 ? 0 : i], ys->data<float>()[0]);
    mult.push_back(q.mult);
    shift.push_back(q.shift);
  }
  return true;
}

// A zero point input that is constant and scalar (absent = 0); false otherwise.
bool scalar_zp(const Node& n, size_t i, int64_t& v) {
  v = 0;
  if (!ops::has_input(n, i)) return true;
  const ir::Value* z = const_input(n, i);
  if (!z) return false;
  for (int64_t e = 0; e < z->numel(); ++e)
    if (z->get_i64(e) != z->get_i64(0)) return false;
  v = z->numel() ? z->get_i64(0) : 0;
  return true;
}

// Per-index constant zero points (absent = 0) resized to `count`; false when run-time.
bool vector_zp(const Node& n, size_t i, int64_t count, std::vector<int64_t>& v) {
  v.assign(static_cast<size_t>(count), 0);
  if (!ops::has_input(n, i)) return true;
  const ir::Value* z = const_input(n, i);
  if (!z || (z->numel() != 1 && z->numel() != count)) return false;
  for (int64_t e = 0; e < count; ++e) v[static_cast<size_t>(e)] = z->get_i64(z->numel() == 1 ? 0 : e);
  return true;
}

bool emit_qlinear_conv(const Node& n, KernelCtx& ctx) {
  const ir::Value* w = const_input(n, 3);
  if (!w || !enabled(ctx, true)) return false;
  const quant::ConvGeo g = qconv_geometry(n);
  if (!conv_shape_ok(g.in, g.G, ctx)) return false;
  int64_t xzp = 0, yzp = 0;
  std::vector<int64_t> wzp, mult, shift;
  if (!scalar_zp(n, 2, xzp) || !scalar_zp(n, 7, yzp) || !vector_zp(n, 5, g.M, wzp) ||
      !requant_params(n, g.M, mult, shift))
    return false;
  const DType xt = n.inputs[0]->dtype, wt = n.inputs[3]->dtype, yt = n.outputs[0]->dtype;
  ConvSpec c{g.N, g.C, g.M, g.in, g.out, g.k, g.s, g.d, g.pb, xt, wt, w, [&](int64_t m) {
               return static_cast<double>(wzp[static_cast<size_t>(m)]);
             }};
  Encoded e;
  if (!encode_conv(c, e)) return false;
  // Largest |accumulator|: |bias| + 255 * sum |w - wzp| (|x - xzp| <= 255). Beyond int32 the sum
  // wraps modulo 2^32 in uint32_t, as in the dense kernel.
  const ir::Value* bv = const_input(n, 8);
  const bool has_bias = ops::has_input(n, 8);
  const int64_t WB = w->numel() / g.M;
  int64_t bound = has_bias && !bv ? INT64_MAX : 0;
  for (int64_t m = 0; m < g.M && bound != INT64_MAX; ++m) {
    int64_t sabs = 0;
    for (int64_t i = 0; i < WB; ++i) sabs += std::abs(w->get_i64(m * WB + i) - wzp[static_cast<size_t>(m)]);
    bound = std::max(bound, (bv ? std::abs(bv->get_i64(m)) : 0) + 255 * sabs);
  }
  const bool wrap = bound > INT32_MAX;
  ctx.set_name(fmt::format("qlinearconv2d_{}{}_k{}s{}_sparse", ir::dtype_name(xt), ir::dtype_name(wt),
                           convk::join_x(c.k, false), convk::join_x(c.s, true)));
  auto [bits, vals] = tables(ctx, e, wt);
  const std::string rqf = quant::requant_fn(ctx);
  const std::string wz = per_index(ctx, "wzp", wzp, "m");
  const std::string me = per_index(ctx, "mult", mult, "m"), se = per_index(ctx, "shift", shift, "m");
  int32_t lo = 0, hi = 0;
  qrange(yt, lo, hi);
  const std::string at = wrap ? "uint32_t" : "int32_t";
  // A constant bias becomes a kernel-private table (or a literal), as in the dense kernel, so
  // that the weight totals of both compare only the weights. Stored modulo 2^32.
  std::string bias = has_bias ? "x8[m]" : "0";
  if (bv) {
    std::vector<int64_t> b;
    for (int64_t m = 0; m < g.M; ++m)
      b.push_back(static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(bv->get_i64(m)))));
    bias = per_index(ctx, "bias", b, "m");
  }
  if (wrap && bias != "0") bias = "(uint32_t)" + bias;
  // Added modulo 2^32, like the accumulator.
  const std::string pos = pos_bias_term(n, ctx, g.M, DType::I32);
  emit_conv_loops(
      ctx, c, bits, vals, e.seg_bytes(),
      [&](int64_t PB) {
        if (wz != "0" && wz.find('[') != std::string::npos) ctx.line("const int32_t wzp = {};", wz);
        for (int64_t p = 0; p < PB; ++p) ctx.line("{} acc{} = {};", at, p, bias);
      },
      fmt::format("const int32_t wv = {};",
                  wz == "0"
                      ? "(int32_t)*vp++"
                      : fmt::format("(int32_t)*vp++ - {}", wz.find('[') != std::string::npos ? "wzp" : wz)),
      [&](const std::string& x, int64_t p) {
        const std::string xterm = xzp ? "(" + convk::add_const("(int32_t)" + x, -xzp) + ")" : "(int32_t)" + x;
        return wrap ? fmt::format("acc{} += (uint32_t)({} * wv);", p, xterm)
                    : fmt::format("acc{} += {} * wv;", p, xterm);
      },
      [&](const std::string& dst, int64_t p) {
        const std::string acc = fmt::format("acc{}", p);
        if (!pos.empty()) ctx.line("{0} = ({1})((uint32_t){0} + (uint32_t){2});", acc, at, at_column(pos, p));
        ctx.line("{} = ({}){}({}, {}, {}, {}, {}, {});", dst, ir::dtype_ctype(yt), rqf,
                 wrap ? "(int32_t)" + acc : acc, me, se, yzp, lo, hi);
      });
  return true;
}

}  // namespace

bool emit_conv(const Node& n, KernelCtx& ctx) {
  if (n.op == "Conv") return emit_float_conv(n, ctx);
  if (n.op == "QLinearConv") return emit_qlinear_conv(n, ctx);
  return false;
}

bool emit_qlinearmatmul(const Node& n, KernelCtx& ctx) {
  const ir::Value* b = const_input(n, 3);
  if (!b || !enabled(ctx, true) || b->shape.size() != 2) return false;
  const quant::MatMulGeo g = qmatmul_geometry(n);
  for (int64_t o : g.b_off)
    if (o != 0) return false;
  const int64_t M = g.M, K = g.K, N = g.N, NB = static_cast<int64_t>(g.a_off.size());
  int64_t azp = 0, yzp = 0;
  std::vector<int64_t> bzp, mult, shift;
  if (!scalar_zp(n, 2, azp) || !scalar_zp(n, 7, yzp) || !vector_zp(n, 5, N, bzp) ||
      !requant_params(n, N, mult, shift))
    return false;
  // One row per output column j, one segment of K inputs.
  const Encoded e = encode(
      N, 1, K, [&](int64_t j, int64_t, int64_t k) { return b->get_f64(k * N + j); },
      [&](int64_t j) { return static_cast<double>(bzp[static_cast<size_t>(j)]); });
  const DType at_ = n.inputs[0]->dtype, bt = n.inputs[3]->dtype, yt = n.outputs[0]->dtype;
  const int64_t vs = static_cast<int64_t>(ir::dtype_size(bt));
  if (e.bytes(vs) >= b->numel() * vs) return false;
  const bool wrap = 2 * K * 255 * 255 > INT32_MAX;
  ctx.set_name(
      fmt::format("qlinearmatmul_{}{}_m{}k{}n{}_sparse", ir::dtype_name(at_), ir::dtype_name(bt), M, K, N));
  auto [bits, vals] = tables(ctx, e, bt);
  const std::string rqf = quant::requant_fn(ctx);
  const std::string bz = per_index(ctx, "bzp", bzp, "j");
  const std::string me = per_index(ctx, "mult", mult, "j"), se = per_index(ctx, "shift", shift, "j");
  int32_t lo = 0, hi = 0;
  qrange(yt, lo, hi);
  const std::string ac = ir::dtype_ctype(at_), bc = ir::dtype_ctype(bt), yc = ir::dtype_ctype(yt);
  ctx.require_helper("tinyaot_ctz", kCtzHelper);
  ctx.open("for (int32_t t = 0; t < {}; ++t) {{", NB);
  if (NB > 1) {
    const std::string aoff =
        ctx.const_table("aoff", DType::I32, std::vector<double>(g.a_off.begin(), g.a_off.end()));
    ctx.line("const {}* ab = x0 + {}[t];", ac, aoff);
  } else {
    ctx.line("const {}* ab = x0;", ac);
  }
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", M);
  ctx.line("const {}* ar = ab + {};", ac, convk::mul("i", K));
  ctx.line("const uint8_t* bp = {};", bits);
  ctx.line("const {}* vp = {};", bc, vals);
  ctx.open("for (int32_t j = 0; j < {}; ++j) {{", N);
  if (bz != "0") ctx.line("const int32_t wzp = {};", bz);
  ctx.line("{} acc = 0;", wrap ? "uint32_t" : "int32_t");
  emit_bit_loop(ctx, e.seg_bytes(), "ar", 1, false, [&](const std::string& base, const std::string& idx) {
    const std::string x = fmt::format("{}[{}]", base, idx);
    const std::string xterm = azp ? "(" + convk::add_const("(int32_t)" + x, -azp) + ")" : "(int32_t)" + x;
    const std::string wterm = bz != "0" ? "((int32_t)*vp++ - wzp)" : "(int32_t)*vp++";
    ctx.line("{}", wrap ? fmt::format("acc += (uint32_t)({} * {});", xterm, wterm)
                        : fmt::format("acc += {} * {};", xterm, wterm));
  });
  ctx.line("bp += {};", e.seg_bytes());
  ctx.line("y0[{}] = ({}){}({}, {}, {}, {}, {}, {});",
           convk::add_off(convk::add_off(convk::mul("t", M * N), convk::mul("i", N)), "j"), yc, rqf,
           wrap ? "(int32_t)acc" : "acc", me, se, yzp, lo, hi);
  ctx.close();
  ctx.close();
  ctx.close();
  return true;
}

bool emit_matmul(
    KernelCtx& ctx, const std::string& ct, int64_t M, int64_t N, int64_t K, const std::string& a, int64_t sai,
    int64_t sak, const ir::Value& b, int64_t sbk, int64_t sbj, const std::string& y, int64_t syi,
    const std::function<std::string(const std::string&, const std::string&, const std::string&)>& epi,
    const act::Activation& fused) {
  if (!enabled(ctx, false) || (b.dtype != DType::F32 && b.dtype != DType::F64)) return false;
  const Encoded e = encode(
      N, 1, K, [&](int64_t j, int64_t, int64_t k) { return b.get_f64(k * sbk + j * sbj); },
      [](int64_t) { return 0.0; });
  const int64_t vs = static_cast<int64_t>(ir::dtype_size(b.dtype));
  if (e.bytes(vs) >= b.numel() * vs) return false;
  auto [bits, vals] = tables(ctx, e, b.dtype);
  ctx.require_helper("tinyaot_ctz", kCtzHelper);
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", M);
  ctx.line("const {}* ar = {};", ct, convk::add_off(a, convk::mul("i", sai)));
  ctx.line("{}* yr = {};", ct, convk::add_off(y, convk::mul("i", syi)));
  ctx.line("const uint8_t* bp = {};", bits);
  ctx.line("const {}* vp = {};", ct, vals);
  ctx.open("for (int32_t j = 0; j < {}; ++j) {{", N);
  ctx.line("{} acc = {};", ct, KernelCtx::literal(0, b.dtype));
  emit_bit_loop(ctx, e.seg_bytes(), "ar", sak, false, [&](const std::string& base, const std::string& idx) {
    ctx.line("acc += *vp++ * {}[{}];", base, idx);
  });
  ctx.line("bp += {};", e.seg_bytes());
  const std::string ex = epi("acc", "i", "j");
  if (fused) {
    if (ex != "acc") ctx.line("acc = {};", ex);
    ctx.line("{}", act::c_stmt(fused, "acc", b.dtype));
    ctx.line("yr[j] = acc;");
  } else {
    ctx.line("yr[j] = {};", ex);
  }
  ctx.close();
  ctx.close();
  return true;
}

}  // namespace codegen::sparse
}  // namespace tinyaot
