// Cortex-M55 MVE/Helium MaxPool body (see arm_mve_pool.h): the row walk of arm_dsp_pool.cpp with
// 16 byte lanes per VMAX. Loads are VCTP-predicated for the row and output tails (inactive lanes
// read nothing), so the scratch row needs no slack; strided outputs gather their taps with byte
// offsets 0, SW, 2 SW, ... (VIDUP times SW), which is why strides above 17 are left to the DSP body.
#include "codegen/kernels/arm_mve_pool.h"

#include <fmt/format.h>

#include <string>

#include "codegen/kernels/arm_mve_conv.h"

namespace tinyaot::codegen::arm {

bool maxpool_mve_supported(const MaxPoolPlan& p) {
  return p.SW <= 17;
}

void emit_maxpool_mve_body(KernelCtx& ctx, const MaxPoolPlan& p) {
  const std::string s = p.u8 ? "u8" : "s8", V = p.u8 ? "uint8x16_t" : "int8x16_t";
  ctx.require_helper("tinyaot_mve", mve_helpers_text());
  ctx.raw("#if defined(__ARM_FEATURE_MVE)\n");
  ctx.open("{{");
  if (p.SW > 1) ctx.line("const uint8x16_t off = vmulq_n_u8(vidupq_n_u8(0, 1), {});", p.SW);
  auto vertical = [&]() {
    ctx.open("for (int32_t w = 0; w < {}; w += 16) {{", p.W);
    ctx.line("const mve_pred16_t pw = vctp8q({} - w);", p.W);
    ctx.line("{} m = vldrbq_z_{}({} + w, pw);", V, s, p.rows_fixed ? "r0" : "rp[0]");
    if (p.rows_fixed) {
      for (int64_t k = 1; k < p.KH; ++k) ctx.line("m = vmaxq_{0}(m, vldrbq_z_{0}(r{1} + w, pw));", s, k);
    } else {
      ctx.line("for (int32_t k = 1; k < nv; ++k) m = vmaxq_{0}(m, vldrbq_z_{0}(rp[k] + w, pw));", s);
    }
    ctx.line("vstrbq_p_{}(bm + w, m, pw);", s);
    ctx.close();
  };
  auto horizontal = [&]() {
    ctx.open("for (int32_t o = 0; o < {}; o += 16) {{", p.OW);
    ctx.line("const mve_pred16_t po = vctp8q({} - o);", p.OW);
    auto tap = [&](int64_t k) {
      if (p.SW == 1) return fmt::format("vldrbq_z_{}(buf + o + {}, po)", s, k * p.DW);
      return fmt::format("vldrbq_gather_offset_z_{}(buf + o * {} + {}, off, po)", s, p.SW, k * p.DW);
    };
    ctx.line("{} m = {};", V, tap(0));
    for (int64_t k = 1; k < p.KW; ++k) ctx.line("m = vmaxq_{}(m, {});", s, tap(k));
    ctx.line("vstrbq_p_{}(yr + o, m, po);", s);
    ctx.close();
  };
  emit_maxpool_rows(ctx, p, vertical, horizontal);
  ctx.line("return;");
  ctx.close();
  ctx.raw("#endif\n");
}

}  // namespace tinyaot::codegen::arm
