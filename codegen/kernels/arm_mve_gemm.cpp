// Cortex-M target kernels of QLinearMatMul and com.microsoft.QGemm (see arm_mve_gemm.h): the
// compile-time plan both bodies share, the MVE/Helium body, and the hooks.
//
// At compile time B is transposed to one row per output column holding b - zb_j (int8), and the A
// zero point becomes a per-column constant: sum_k (a - za)(b - zb) = sum_k a (b - zb) - za * colsum_j.
// The MVE body flips uint8 A to int8 by XOR 0x80 (a' = a - 128, so its constant is
// (128 - za) * colsum_j); the dot products are VMLADAVA.S8 (16 MACs each), 4 columns sharing each
// 16-byte load of an A row, with a VCTP-predicated tail (inactive lanes load zero). All of this is
// arithmetic modulo 2^32 like the generic int32 (or uint32) accumulation, so the accumulators are
// equal; each output is then requantized by the generic kernel's own helper call (rounding mode
// included), about 15-45 instructions per output, which the K MACs before it outweigh.
#include "codegen/kernels/arm_mve_gemm.h"

#include <fmt/format.h>

#include <cstdint>
#include <vector>

#include "codegen/kernels/arm_dsp_matmul.h"
#include "codegen/kernels/arm_mve_conv.h"
#include "codegen/kernels/arm_qconv.h"
#include "codegen/kernels/quant_emit.h"
#include "compiler/ops/quant_math.h"

namespace tinyaot::codegen::arm {

using quant::cval;
using quant::present;

namespace {

bool q8(ir::DType t) {
  return t == ir::DType::I8 || t == ir::DType::U8;
}

// (base - za) * colsum_j modulo 2^32, as the int32 a const_table holds.
std::vector<double> folded(const QGemmPlan& p, int64_t base) {
  std::vector<double> f;
  for (int64_t cs : p.colsum) {
    const uint64_t v = static_cast<uint64_t>((base - p.za) * cs);
    f.push_back(static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(v))));
  }
  return f;
}

// Fills bt and colsum from B (element (k, j) at b_index(k, j)) and the per-column zero points;
// false when some b - zb_j leaves the int8 range.
bool transpose_b(QGemmPlan& p, const ir::Value& B, const std::function<int64_t(int64_t, int64_t)>& b_index,
                 const std::function<int64_t(int64_t)>& zb) {
  p.bt.clear();
  p.colsum.clear();
  for (int64_t j = 0; j < p.N; ++j) {
    int64_t colsum = 0;
    for (int64_t k = 0; k < p.K; ++k) {
      const int64_t v = B.get_i64(b_index(k, j)) - zb(j);
      if (v < -128 || v > 127) return false;
      p.bt.push_back(v);
      colsum += v;
    }
    p.colsum.push_back(colsum);
  }
  return true;
}

}  // namespace

void emit_qgemm_mve_body(KernelCtx& ctx, const QGemmPlan& G) {
  const int64_t rows = G.rows, K = G.K, N = G.N;
  const bool u8a = G.u8a;
  const std::string tb =
      ctx.const_table("mve_bt", ir::DType::I8, std::vector<double>(G.bt.begin(), G.bt.end()));
  const std::string tf = ctx.const_table("mve_fold", ir::DType::I32, folded(G, u8a ? 128 : 0));
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
      ctx.line("yr[j + {}] = {};", t, G.out(fmt::format("a{}", t), fmt::format("j + {}", t)));
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
}

bool plan_qmatmul(KernelCtx& ctx, QGemmPlan& p) {
  const ir::Node& n = ctx.node();
  if (n.op != "QLinearMatMul") return false;
  const ir::DType at = n.inputs[0]->dtype, bt = n.inputs[3]->dtype, yt = n.outputs[0]->dtype;
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
  p.rows = rows, p.K = K, p.N = N, p.u8a = at == ir::DType::U8;
  p.za = present(n, 2) ? cval(n, 2)->get_i64(0) : 0;
  const int64_t zy = present(n, 7) ? cval(n, 7)->get_i64(0) : 0;
  if (!transpose_b(
          p, *B, [&](int64_t k, int64_t j) { return k * N + j; },
          [&](int64_t j) { return present(n, 5) ? cval(n, 5)->get_i64(nbz == 1 ? 0 : j) : int64_t{0}; }))
    return false;
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
  std::string m = std::to_string(static_cast<int64_t>(mt[0])),
              s = std::to_string(static_cast<int64_t>(st[0]));
  if (!uni) {
    m = ctx.const_table("mm_mult", ir::DType::I32, mt);
    s = ctx.const_table("mm_shift", ir::DType::I32, st);
  }
  const std::string yc = ir::dtype_ctype(yt);
  p.y_type = yc;
  p.bias = nullptr;
  p.out = [=](const std::string& acc, const std::string& j) {
    return fmt::format("({}){}({}, {}, {}, {}, {}, {})", yc, rqf, acc, uni ? m : fmt::format("{}[{}]", m, j),
                       uni ? s : fmt::format("{}[{}]", s, j), zy, lo, hi);
  };
  return true;
}

bool plan_qgemm(KernelCtx& ctx, const quant_ms::GemmGeo& g, QGemmPlan& p) {
  const ir::Node& n = ctx.node();
  if (g.trans_a) return false;
  const ir::DType at = n.inputs[0]->dtype, bt = n.inputs[3]->dtype, yt = n.outputs[0]->dtype;
  const ir::Value* B = cval(n, 3);
  if (!q8(at) || !q8(bt) || !B || (!g.float_out && !q8(yt)) || (g.float_out && yt != ir::DType::F32))
    return false;
  const int64_t K = g.K, N = g.N;
  if (B->numel() != K * N || static_cast<int64_t>(g.zb.size()) != N) return false;
  p.rows = g.M, p.K = K, p.N = N, p.u8a = at == ir::DType::U8, p.za = g.za;
  const bool tb = g.trans_b;
  if (!transpose_b(
          p, *B, [&](int64_t k, int64_t j) { return tb ? j * K + k : k * N + j; },
          [&](int64_t j) { return static_cast<int64_t>(g.zb[static_cast<size_t>(j)]); }))
    return false;
  p.bias = nullptr;
  if (!g.c_strides.empty()) {
    const int64_t s0 = g.c_strides[0], s1 = g.c_strides[1];
    p.bias = [=](const std::string& j) { return fmt::format("x6[i * {} + ({}) * {}]", s0, j, s1); };
  }
  p.y_type = ir::dtype_ctype(yt);
  // The generic kernel's output expressions (quant_ms.cpp emit_QGemm): the same scales or
  // requantization helper per column.
  bool uni = true;
  const std::string yc = p.y_type;
  if (g.float_out) {
    for (float s : g.fscale) uni = uni && s == g.fscale[0];
    const std::string sc = uni ? KernelCtx::literal(g.fscale[0], ir::DType::F32)
                               : ctx.const_table("mm_scale", ir::DType::F32,
                                                 std::vector<double>(g.fscale.begin(), g.fscale.end()));
    p.out = [=](const std::string& acc, const std::string& j) {
      return fmt::format("(float){} * {}", acc, uni ? sc : fmt::format("{}[{}]", sc, j));
    };
    return true;
  }
  std::vector<double> mv, sv;
  for (const quant::Requant& q : g.rq) {
    uni = uni && q.mult == g.rq[0].mult && q.shift == g.rq[0].shift;
    mv.push_back(q.mult);
    sv.push_back(q.shift);
  }
  std::string mt = std::to_string(g.rq[0].mult), st = std::to_string(g.rq[0].shift);
  if (!uni)
    mt = ctx.const_table("mm_mult", ir::DType::I32, mv), st = ctx.const_table("mm_shift", ir::DType::I32, sv);
  const int32_t lo = yt == ir::DType::I8 ? -128 : 0, hi = yt == ir::DType::I8 ? 127 : 255;
  const int32_t zy = g.zy;
  const std::string rqf = quant::requant_fn(ctx);
  p.out = [=](const std::string& acc, const std::string& j) {
    return fmt::format("({}){}({}, {}, {}, {}, {}, {})", yc, rqf, acc,
                       uni ? mt : fmt::format("{}[{}]", mt, j), uni ? st : fmt::format("{}[{}]", st, j), zy,
                       lo, hi);
  };
  return true;
}

namespace {

bool emit_target(KernelCtx& ctx, QGemmPlan& p, bool planned) {
  if (!planned) return false;
  const bool mve = has_mve(ctx.target());
  if (mve) emit_qgemm_mve_body(ctx, p);
  emit_qgemm_dsp_body(ctx, p);
  ctx.set_name(ctx.name() + (mve ? "_mve" : "_dsp"));
  return true;
}

}  // namespace

bool emit_qmatmul_target(KernelCtx& ctx) {
  if (!has_dsp(ctx.target())) return false;
  QGemmPlan p;
  return emit_target(ctx, p, plan_qmatmul(ctx, p));
}

bool emit_qgemm_target(KernelCtx& ctx, const quant_ms::GemmGeo& g) {
  if (!has_dsp(ctx.target())) return false;
  QGemmPlan p;
  return emit_target(ctx, p, plan_qgemm(ctx, g, p));
}

}  // namespace tinyaot::codegen::arm
