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
#include <vector>

#include "codegen/kernels/arm_mve_conv.h"
#include "codegen/kernels/quant_emit.h"
#include "compiler/ops/quant_math.h"

namespace tinyaot::codegen::arm {

using quant::cval;
using quant::present;

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
  const std::string tb = ctx.const_table("mve_bt", ir::DType::I8, bt_rows);
  const std::string tf = ctx.const_table("mve_fold", ir::DType::I32, fold);
  std::string tm, ts;
  if (!uni) {
    tm = ctx.const_table("mve_mult", ir::DType::I32, mt);
    ts = ctx.const_table("mve_shift", ir::DType::I32, st);
  }
  auto rq = [&](const std::string& acc, const std::string& j) {
    const std::string m = uni ? std::to_string(static_cast<int64_t>(mt[0])) : fmt::format("{}[{}]", tm, j);
    const std::string s = uni ? std::to_string(static_cast<int64_t>(st[0])) : fmt::format("{}[{}]", ts, j);
    return fmt::format("({}){}({}, {}, {}, {}, {}, {})", ir::dtype_ctype(yt), rqf, acc, m, s, zy, lo, hi);
  };
  const int64_t K16 = K / 16 * 16, N4 = N / 4 * 4;
  const bool u8a = at == ir::DType::U8;
  ctx.require_helper("tinyaot_mve", mve_helpers_text());
  ctx.raw("#if defined(__ARM_FEATURE_MVE)\n");
  ctx.open("{{");
  ctx.line("const int8_t* ab = (const int8_t*)x0;");
  if (u8a) ctx.line("const int8x16_t flip = vdupq_n_s8(-128);");
  ctx.open("for (int32_t i = 0; i < {}; ++i) {{", rows);
  ctx.line("const int8_t* ar = ab + i * {};", K);
  ctx.line("{}* yr = y0 + i * {};", ir::dtype_ctype(yt), N);
  // One block of nc columns from j: the A vector is loaded once for all of them.
  auto block = [&](int64_t nc) {
    for (int64_t t = 0; t < nc; ++t) {
      ctx.line("const int8_t* b{} = {} + (j + {}) * {};", t, tb, t, K);
      ctx.line("int32_t a{} = {}[j + {}];", t, tf, t);
    }
    auto macs = [&](const std::string& k, bool tail) {
      std::string av = tail ? fmt::format("vldrbq_z_s8(ar + {}, pk)", k) : fmt::format("vldrbq_s8(ar + {})", k);
      if (u8a) av = fmt::format("veorq_s8({}, flip)", av);
      ctx.line("const int8x16_t av = {};", av);
      for (int64_t t = 0; t < nc; ++t)
        ctx.line("a{0} = vmladavaq_s8(a{0}, av, {1}(b{0} + {2}{3}));", t, tail ? "vldrbq_z_s8" : "vldrbq_s8", k,
                 tail ? ", pk" : "");
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
    for (int64_t t = 0; t < nc; ++t) ctx.line("yr[j + {}] = {};", t, rq(fmt::format("a{}", t), fmt::format("j + {}", t)));
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
  return true;
}

}  // namespace tinyaot::codegen::arm
