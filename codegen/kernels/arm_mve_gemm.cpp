// Cortex-M55 MVE/Helium QLinearMatMul kernel (see arm_mve_gemm.h).
//
// At compile time B is transposed to one int8 row per output column holding b - zb_j, and the A
// zero point becomes a per-column constant: sum_k (a - za)(b - zb) = sum_k a' (b - zb) +
// (off - za) * colsum_j, with a' = a (int8 A) or a - 128 (uint8 A, flipped by XOR 0x80 so it fits
// int8) and off = 0 or 128. The dot products are VMLADAVA.S8 (16 MACs each), 4 columns sharing each
// 16-byte load of an A row, with a VCTP-predicated tail (inactive lanes load zero). All of this is
// arithmetic modulo 2^32 like the generic int32 (or uint32) accumulation, so the accumulators are
// equal; each output is then requantized by the generic kernel's own helper call (rounding mode
// included), about 15-45 instructions per output, which the K MACs before it outweigh.
#include "codegen/kernels/arm_mve_gemm.h"

#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "codegen/kernels/arm_mve_conv.h"
#include "codegen/kernels/quant_emit.h"
#include "compiler/ops/quant_math.h"

namespace tinyaot::codegen::arm {

using quant::cval;
using quant::present;

namespace {

// What the shared MVE body needs: C = rows x N outputs of K-long dot products of the A rows
// (contiguous, int8 or uint8) with the rows of bt (B transposed, zero points taken off, int8),
// starting from fold[j] (+ bias(j), a C expression, when given); out(acc, j) is the stored value.
struct MveGemm {
  int64_t rows = 0, K = 0, N = 0;
  bool u8a = false;
  std::vector<double> bt, fold;
  std::function<std::string(const std::string& j)> bias;
  std::function<std::string(const std::string& acc, const std::string& j)> out;
  std::string y_type;
};

void emit_gemm_body(KernelCtx& ctx, const MveGemm& G) {
  const int64_t rows = G.rows, K = G.K, N = G.N;
  const bool u8a = G.u8a;
  const std::string tb = ctx.const_table("mve_bt", ir::DType::I8, G.bt);
  const std::string tf = ctx.const_table("mve_fold", ir::DType::I32, G.fold);
  auto rq = G.out;
  const int64_t K16 = K / 16 * 16, N4 = N / 4 * 4;
  ctx.require_helper("tinyaot_mve", mve_helpers_text());
  ctx.raw("#if defined(__ARM_FEATURE_MVE)\n");
  ctx.open("{{");
  ctx.line("const int8_t* ab = (const int8_t*)x0;");
  if (u8a) ctx.line("const int8x16_t flip = vdupq_n_s8(-128);");
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", rows);
  ctx.line("const int8_t* ar = ab + i * {};", K);
  ctx.line("{}* yr = y0 + i * {};", G.y_type, N);
  // One block of nc columns from j: the A vector is loaded once for all of them.
  auto block = [&](int64_t nc) {
    for (int64_t t = 0; t < nc; ++t) {
      ctx.line("const int8_t* b{} = {} + (j + {}) * {};", t, tb, t, K);
      if (G.bias)
        ctx.line("int32_t a{} = (int32_t)((uint32_t){}[j + {}] + (uint32_t){});", t, tf, t,
                 G.bias(fmt::format("j + {}", t)));
      else
        ctx.line("int32_t a{} = {}[j + {}];", t, tf, t);
    }
    auto macs = [&](const std::string& k, bool tail) {
      std::string av =
          tail ? fmt::format("vldrbq_z_s8(ar + {}, pk)", k) : fmt::format("vldrbq_s8(ar + {})", k);
      if (u8a) av = fmt::format("veorq_s8({}, flip)", av);
      ctx.line("const int8x16_t av = {};", av);
      for (int64_t t = 0; t < nc; ++t)
        ctx.line("a{0} = vmladavaq_s8(a{0}, av, {1}(b{0} + {2}{3}));", t, tail ? "vldrbq_z_s8" : "vldrbq_s8",
                 k, tail ? ", pk" : "");
    };
    if (K16 > 0) {
      ctx.open("for (int32_t k = 0; k < {}; k += 16) {{", K16);
      macs("k", false);
      ctx.close();
    }
    if (K16 < K) {
      ctx.open("{{");
      ctx.line("const mve_pred16_t pk = vctp8q({});", K - K16);
      macs(std::to_string(K16), true);
      ctx.close();
    }
    for (int64_t t = 0; t < nc; ++t)
      ctx.line("yr[j + {}] = {};", t, rq(fmt::format("a{}", t), fmt::format("j + {}", t)));
  };
  if (N4 > 0) {
    ctx.open("for (int32_t j = 0; j < {}; j += 4) {{", N4);
    block(4);
    ctx.close();
  }
  if (N4 < N) {
    ctx.open("for (int32_t j = {}; j < {}; ++j) {{", N4, N);
    block(1);
    ctx.close();
  }
  ctx.close();
  ctx.line("return;");
  ctx.close();
  ctx.raw("#endif\n");
  ctx.set_name(ctx.name() + "_mve");
}

}  // namespace

bool emit_qmatmul_mve(KernelCtx& ctx) {
  const ir::Node& n = ctx.node();
  if (!has_mve(ctx.target()) || n.op != "QLinearMatMul") return false;
  const ir::DType at = n.inputs[0]->dtype, bt = n.inputs[3]->dtype, yt = n.outputs[0]->dtype;
  auto q8 = [](ir::DType t) { return t == ir::DType::I8 || t == ir::DType::U8; };
  if (!q8(at) || !q8(bt) || !q8(yt)) return false;
  const ir::Value* B = cval(n, 3);
  const ir::Shape& bs = n.inputs[3]->shape;
  if (!B || bs.size() != 2 || n.inputs[0]->shape.empty()) return false;
  const int64_t K = bs[0], N = bs[1];
  if (n.inputs[0]->shape.back() != K || K < 1 || N < 1) return false;
  const int64_t rows = n.inputs[0]->numel() / K;
  if (n.outputs[0]->numel() != rows * N) return false;
  const ir::Value *as = cval(n, 1), *bsc = cval(n, 4), *ys = cval(n, 6);
  if (!as || !bsc || !ys || as->numel() != 1 || ys->numel() != 1 || (bsc->numel() != 1 && bsc->numel() != N))
    return false;
  for (size_t i : {size_t{2}, size_t{5}, size_t{7}})
    if (present(n, i) && !cval(n, i)) return false;
  if (present(n, 2) && cval(n, 2)->numel() != 1) return false;
  if (present(n, 7) && cval(n, 7)->numel() != 1) return false;
  const int64_t nbz = present(n, 5) ? cval(n, 5)->numel() : 1;
  if (nbz != 1 && nbz != N) return false;
  auto bzp = [&](int64_t j) { return present(n, 5) ? cval(n, 5)->get_i64(nbz == 1 ? 0 : j) : int64_t{0}; };
  const int64_t za = present(n, 2) ? cval(n, 2)->get_i64(0) : 0;
  const int64_t zy = present(n, 7) ? cval(n, 7)->get_i64(0) : 0;
  // B transposed, zero point taken off; the A zero point folded per column.
  std::vector<double> bt_rows, fold;
  const int64_t off = at == ir::DType::U8 ? 128 : 0;
  for (int64_t j = 0; j < N; ++j) {
    int64_t colsum = 0;
    for (int64_t k = 0; k < K; ++k) {
      const int64_t v = B->get_i64(k * N + j) - bzp(j);
      if (v < -128 || v > 127) return false;
      bt_rows.push_back(static_cast<double>(v));
      colsum += v;
    }
    const uint64_t f = static_cast<uint64_t>((off - za) * colsum);
    fold.push_back(static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(f))));
  }
  // The generic kernel's multipliers (quant.cpp emit_qmatmul), per column.
  const quant::Rounding rmode = quant::rounding_of(n);
  std::vector<double> mt, st;
  bool uni = true;
  for (int64_t j = 0; j < N; ++j) {
    const float bsj = bsc->data<float>()[bsc->numel() == 1 ? 0 : j];
    const quant::Requant q = quant::make_requant_for(rmode, as->data<float>()[0], bsj, ys->data<float>()[0]);
    mt.push_back(q.mult);
    st.push_back(q.shift);
    uni = uni && mt.back() == mt[0] && st.back() == st[0];
  }
  const int32_t lo = yt == ir::DType::I8 ? -128 : 0, hi = yt == ir::DType::I8 ? 127 : 255;
  const std::string rqf = quant::requant_fn(ctx);
  std::string tm, ts;
  if (!uni) {
    tm = ctx.const_table("mve_mult", ir::DType::I32, mt);
    ts = ctx.const_table("mve_shift", ir::DType::I32, st);
  }
  MveGemm G;
  G.rows = rows, G.K = K, G.N = N, G.u8a = at == ir::DType::U8;
  G.bt = std::move(bt_rows), G.fold = std::move(fold);
  G.y_type = ir::dtype_ctype(yt);
  G.out = [&](const std::string& acc, const std::string& j) {
    const std::string m = uni ? std::to_string(static_cast<int64_t>(mt[0])) : fmt::format("{}[{}]", tm, j);
    const std::string s = uni ? std::to_string(static_cast<int64_t>(st[0])) : fmt::format("{}[{}]", ts, j);
    return fmt::format("({}){}({}, {}, {}, {}, {}, {})", ir::dtype_ctype(yt), rqf, acc, m, s, zy, lo, hi);
  };
  emit_gemm_body(ctx, G);
  return true;
}

bool emit_qgemm_mve(KernelCtx& ctx, const quant_ms::GemmGeo& g) {
  const ir::Node& n = ctx.node();
  if (!has_mve(ctx.target()) || g.trans_a) return false;
  const ir::DType at = n.inputs[0]->dtype, bt = n.inputs[3]->dtype, yt = n.outputs[0]->dtype;
  auto q8 = [](ir::DType t) { return t == ir::DType::I8 || t == ir::DType::U8; };
  const ir::Value* B = cval(n, 3);
  if (!q8(at) || !q8(bt) || !B || (!g.float_out && !q8(yt)) || (g.float_out && yt != ir::DType::F32))
    return false;
  const int64_t K = g.K, N = g.N;
  if (B->numel() != K * N || static_cast<int64_t>(g.zb.size()) != N) return false;
  MveGemm G;
  G.rows = g.M, G.K = K, G.N = N, G.u8a = at == ir::DType::U8;
  const int64_t off = G.u8a ? 128 : 0;
  for (int64_t j = 0; j < N; ++j) {
    int64_t colsum = 0;
    for (int64_t k = 0; k < K; ++k) {
      const int64_t v = B->get_i64(g.trans_b ? j * K + k : k * N + j) - g.zb[static_cast<size_t>(j)];
      if (v < -128 || v > 127) return false;
      G.bt.push_back(static_cast<double>(v));
      colsum += v;
    }
    const uint64_t f = static_cast<uint64_t>((off - g.za) * colsum);
    G.fold.push_back(static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(f))));
  }
  if (!g.c_strides.empty())
    G.bias = [&](const std::string& j) {
      return fmt::format("x6[i * {} + ({}) * {}]", g.c_strides[0], j, g.c_strides[1]);
    };
  G.y_type = ir::dtype_ctype(yt);
  // The generic kernel's output expressions (quant_ms.cpp emit_QGemm): the same scales or
  // requantization helper per column.
  std::string ft, mt, st;
  bool uni = true;
  if (g.float_out) {
    for (float s : g.fscale) uni = uni && s == g.fscale[0];
    if (!uni)
      ft =
          ctx.const_table("mve_scale", ir::DType::F32, std::vector<double>(g.fscale.begin(), g.fscale.end()));
  } else {
    std::vector<double> m, s;
    for (const quant::Requant& q : g.rq) {
      uni = uni && q.mult == g.rq[0].mult && q.shift == g.rq[0].shift;
      m.push_back(q.mult);
      s.push_back(q.shift);
    }
    if (!uni)
      mt = ctx.const_table("mve_mult", ir::DType::I32, m),
      st = ctx.const_table("mve_shift", ir::DType::I32, s);
  }
  const int32_t lo = yt == ir::DType::I8 ? -128 : 0, hi = yt == ir::DType::I8 ? 127 : 255;
  G.out = [&](const std::string& acc, const std::string& j) {
    if (g.float_out)
      return fmt::format(
          "(float){} * {}", acc,
          uni ? KernelCtx::literal(g.fscale[0], ir::DType::F32) : fmt::format("{}[{}]", ft, j));
    const std::string m = uni ? std::to_string(g.rq[0].mult) : fmt::format("{}[{}]", mt, j);
    const std::string s = uni ? std::to_string(g.rq[0].shift) : fmt::format("{}[{}]", st, j);
    return fmt::format("({}){}", ir::dtype_ctype(yt),
                       quant::requant_call(ctx, acc, m, s, std::to_string(g.zy), lo, hi));
  };
  emit_gemm_body(ctx, G);
  return true;
}

}  // namespace tinyaot::codegen::arm
