// Cortex-M DSP MaxPool body (see arm_dsp_pool.h). Four bytes are compared per SSUB8 (USUB8 for
// uint8), which sets one GE flag per lane, and SEL then picks each lane's larger byte: a 4-lane
// maximum in two instructions. The vertical pass does this over whole words of the window rows;
// the horizontal pass reads words of the bordered row at the output positions for stride 1, and
// for the common 2x2 stride-2 window takes the maximum of a word and itself shifted by one byte
// (lanes 0 and 2 then hold two outputs) and packs two such words into one store. Other strides
// compare bytes in C.
#include "codegen/kernels/arm_dsp_pool.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "codegen/kernels/arm_mve_conv.h"
#include "codegen/kernels/arm_mve_pool.h"
#include "codegen/kernels/arm_qconv.h"

namespace tinyaot::codegen::arm {

namespace {

std::string pool_helpers_text(bool u8) {
  const std::string t = u8 ? "u8" : "s8";
  return fmt::format(
      "#if defined(__ARM_FEATURE_DSP)\n"
      "static inline uint32_t tinyaot_pool_ld4(const void* p) {{\n"
      "  uint32_t v;\n"
      "  memcpy(&v, p, 4);\n"
      "  return v;\n"
      "}}\n"
      "static inline void tinyaot_pool_st4(void* p, uint32_t v) {{\n"
      "  memcpy(p, &v, 4);\n"
      "}}\n"
      "/* Per byte lane the larger of a and b: {1} sets GE where a >= b, SEL picks those lanes of a. */\n"
      "static inline uint32_t tinyaot_dsp_max4_{0}(uint32_t a, uint32_t b) {{\n"
      "  uint32_t r;\n"
      "  __asm__(\"{1} %0, %1, %2\\n\\tsel %0, %1, %2\" : \"=&r\"(r) : \"r\"(a), \"r\"(b) : \"cc\");\n"
      "  return r;\n"
      "}}\n"
      "#endif\n",
      t, u8 ? "usub8" : "ssub8");
}

// C expression of row k's pointer: the fixed rows or the clipped list.
std::string row(const MaxPoolPlan& p, int64_t k) {
  return p.rows_fixed ? fmt::format("r{}", k) : fmt::format("rp[{}]", k);
}

void emit_dsp_body(KernelCtx& ctx, const MaxPoolPlan& p) {
  const std::string T = p.u8 ? "uint8_t" : "int8_t",
                    mx = std::string("tinyaot_dsp_max4_") + (p.u8 ? "u8" : "s8");
  ctx.require_helper(std::string("tinyaot_dsp_pool_") + (p.u8 ? "u8" : "s8"), pool_helpers_text(p.u8));
  ctx.raw("#if defined(__ARM_FEATURE_DSP)\n");
  ctx.open("{{");
  // Outputs o..o+3 from the words a and b of 8 column maxima: the maxima of adjacent byte pairs
  // (lanes 0 and 2 of ma and mb) packed into one store.
  auto store_pair_maxima = [&]() {
    ctx.line("const uint32_t ma = {0}(a, a >> 8), mb = {0}(b, b >> 8);", mx);
    ctx.line(
        "tinyaot_pool_st4(yr + o, (ma & 0xffu) | ((ma >> 8) & 0xff00u) | ((mb & 0xffu) << 16) | ((mb << 8) & "
        "0xff000000u));");
  };
  auto vertical = [&]() {
    const int64_t W4 = p.W / 4 * 4;
    ctx.line("int32_t w = 0;");
    auto rows_max = [&](const std::function<void(const std::string&)>& one) {
      if (p.rows_fixed) {
        for (int64_t k = 1; k < p.KH; ++k) one(row(p, k));
      } else {
        ctx.open("for (int32_t k = 1; k < nv; ++k) {{");
        one("rp[k]");
        ctx.close();
      }
    };
    if (W4 > 0) {
      ctx.open("for (; w < {}; w += 4) {{", W4);
      ctx.line("uint32_t m = tinyaot_pool_ld4({} + w);", row(p, 0));
      rows_max([&](const std::string& r) { ctx.line("m = {}(m, tinyaot_pool_ld4({} + w));", mx, r); });
      ctx.line("tinyaot_pool_st4(bm + w, m);");
      ctx.close();
    }
    if (W4 < p.W) {
      ctx.open("for (; w < {}; ++w) {{", p.W);
      ctx.line("int32_t m = {}[w];", row(p, 0));
      rows_max([&](const std::string& r) { ctx.line("if ({0}[w] > m) m = {0}[w];", r); });
      ctx.line("bm[w] = ({})m;", T);
      ctx.close();
    }
  };
  auto horizontal = [&]() {
    const int64_t OW4 = p.OW / 4 * 4;
    ctx.line("int32_t o = 0;");
    if (p.SW == 1 && OW4 > 0) {
      ctx.open("for (; o < {}; o += 4) {{", OW4);
      ctx.line("uint32_t m = tinyaot_pool_ld4(buf + o);");
      for (int64_t k = 1; k < p.KW; ++k) ctx.line("m = {}(m, tinyaot_pool_ld4(buf + o + {}));", mx, k * p.DW);
      ctx.line("tinyaot_pool_st4(yr + o, m);");
      ctx.close();
    } else if (p.SW == 2 && p.KW == 2 && p.DW == 1 && OW4 > 0) {
      ctx.open("for (; o < {}; o += 4) {{", OW4);
      ctx.line("const uint32_t a = tinyaot_pool_ld4(buf + 2 * o), b = tinyaot_pool_ld4(buf + 2 * o + 4);");
      store_pair_maxima();
      ctx.close();
    }
    ctx.open("for (; o < {}; ++o) {{", p.OW);
    ctx.line("const {}* b = buf + o * {};", T, p.SW);
    ctx.line("int32_t m = b[0];");
    if (p.KW <= 8) {
      for (int64_t k = 1; k < p.KW; ++k) ctx.line("if (b[{0}] > m) m = b[{0}];", k * p.DW);
    } else {
      ctx.line("for (int32_t k = {0}; k < {1}; k += {0}) if (b[k] > m) m = b[k];", p.DW, p.KW * p.DW);
    }
    ctx.line("yr[o] = ({})m;", T);
    ctx.close();
  };
  // 2x2 windows at stride 2 inside the input (no padding, no partial window): both passes in
  // registers, straight from the two input rows (no scratch row).
  const bool direct = p.rows_fixed && p.KH == 2 && p.KW == 2 && p.SW == 2 && p.DH == 1 && p.DW == 1 &&
                      p.PL == 0 && 2 * p.OW <= p.W;
  auto horizontal_direct = [&]() {
    const int64_t OW4 = p.OW / 4 * 4;
    if (OW4 > 0) {
      ctx.open("for (int32_t o = 0; o < {}; o += 4) {{", OW4);
      ctx.line("const uint32_t a = {0}(tinyaot_pool_ld4(r0 + 2 * o), tinyaot_pool_ld4(r1 + 2 * o));", mx);
      ctx.line("const uint32_t b = {0}(tinyaot_pool_ld4(r0 + 2 * o + 4), tinyaot_pool_ld4(r1 + 2 * o + 4));",
               mx);
      store_pair_maxima();
      ctx.close();
    }
    if (p.OW - OW4 >= 2) {  // two more outputs from one word per row (lanes 0 and 2)
      ctx.open("{{");
      ctx.line("const uint32_t a = {0}(tinyaot_pool_ld4(r0 + {1}), tinyaot_pool_ld4(r1 + {1}));", mx,
               2 * OW4);
      ctx.line("const uint32_t ma = {}(a, a >> 8);", mx);
      ctx.line("yr[{}] = ({})ma;", OW4, T);
      ctx.line("yr[{}] = ({})(ma >> 16);", OW4 + 1, T);
      ctx.close();
    }
    if ((p.OW - OW4) % 2) {
      ctx.open("{{");
      ctx.line("const int32_t o = {};", p.OW - 1);
      ctx.line("int32_t m = r0[2 * o];");
      for (const char* e : {"r0[2 * o + 1]", "r1[2 * o]", "r1[2 * o + 1]"})
        ctx.line("if ({0} > m) m = {0};", e);
      ctx.line("yr[o] = ({})m;", T);
      ctx.close();
    }
  };
  if (direct) {
    if (ctx.scratch_bytes() > 0) ctx.line("(void)scratch;");  // the MVE body's
    emit_maxpool_rows(ctx, p, vertical, horizontal_direct, false);
  } else {
    emit_maxpool_rows(ctx, p, vertical, horizontal);
  }
  ctx.line("return;");
  ctx.close();
  if (ctx.scratch_bytes() > 0) {
    ctx.raw("#else\n");
    ctx.line("(void)scratch;");
  }
  ctx.raw("#endif\n");
}

}  // namespace

bool plan_maxpool(const ir::Shape& x, ir::DType t, const std::vector<int64_t>& kernel,
                  const std::vector<int64_t>& strides, const std::vector<int64_t>& dil,
                  const std::vector<int64_t>& pad_begin, const std::vector<int64_t>& out, MaxPoolPlan& p) {
  const size_t r = kernel.size();
  if ((t != ir::DType::I8 && t != ir::DType::U8) || (r != 1 && r != 2) || x.size() != r + 2) return false;
  p.u8 = t == ir::DType::U8;
  p.NC = x[0] * x[1];
  // The vertical dimension's index in the per-dimension vectors (none for 1-D: size 1, stride 1,
  // no padding) and the horizontal one's.
  const size_t dv = r == 2 ? 0 : r, dh = r - 1;
  auto at = [&](const std::vector<int64_t>& v, size_t d, int64_t none) { return d < r ? v[d] : none; };
  p.H = r == 2 ? x[2] : 1, p.W = x[1 + r];
  p.KH = at(kernel, dv, 1), p.KW = kernel[dh];
  p.SH = at(strides, dv, 1), p.SW = strides[dh];
  p.DH = at(dil, dv, 1), p.DW = dil[dh];
  p.PT = at(pad_begin, dv, 0), p.PL = pad_begin[dh];
  p.OH = at(out, dv, 1), p.OW = out[dh];
  if (p.NC < 1 || p.H < 1 || p.W < 1 || p.OH < 1 || p.OW < 1 || p.KH > 16 || p.KW > 64) return false;
  p.Wb = std::max(p.PL + p.W, (p.OW - 1) * p.SW + (p.KW - 1) * p.DW + 1);
  p.rows_fixed = p.PT == 0 && (p.OH - 1) * p.SH + (p.KH - 1) * p.DH < p.H && p.KH <= 8;
  return true;
}

void emit_maxpool_rows(KernelCtx& ctx, const MaxPoolPlan& p, const std::function<void()>& vertical,
                       const std::function<void()>& horizontal, bool bordered_row) {
  const std::string T = p.u8 ? "uint8_t" : "int8_t";
  const int low = p.u8 ? 0 : 0x80;  // memset's byte for the lowest value
  if (bordered_row) {
    ctx.line("{}* buf = {};", T, ctx.scratch(static_cast<size_t>(p.Wb), T));
    if (p.PL > 0) ctx.line("memset(buf, {}, {});", low, p.PL);
    if (p.Wb > p.PL + p.W) ctx.line("memset(buf + {}, {}, {});", p.PL + p.W, low, p.Wb - p.PL - p.W);
    ctx.line("{}* bm = buf + {};", T, p.PL);
  }
  ctx.open("for (int32_t c = 0; c < {}; ++c) {{", p.NC);
  ctx.line("const {}* xc = x0 + c * {};", T, p.H * p.W);
  ctx.open("for (int32_t oh = 0; oh < {}; ++oh) {{", p.OH);
  ctx.line("{}* yr = y0 + (c * {} + oh) * {};", T, p.OH, p.OW);
  if (p.rows_fixed) {
    ctx.line("const {}* r0 = xc + oh * {};", T, p.SH * p.W);
    for (int64_t k = 1; k < p.KH; ++k) ctx.line("const {}* r{} = r0 + {};", T, k, k * p.DH * p.W);
    if (bordered_row) vertical();
  } else {
    ctx.line("const {}* rp[{}];", T, p.KH);
    ctx.line("int32_t nv = 0;");
    ctx.line("const int32_t h0 = oh * {} - {};", p.SH, p.PT);
    ctx.open("for (int32_t k = 0; k < {}; ++k) {{", p.KH);
    ctx.line("const int32_t h = h0 + k * {};", p.DH);
    ctx.line("if (h >= 0 && h < {}) rp[nv++] = xc + h * {};", p.H, p.W);
    ctx.close();
    ctx.line("if (nv == 0) memset(bm, {}, {});", low, p.W);
    ctx.open("if (nv > 0) {{");
    vertical();
    ctx.close();
  }
  horizontal();
  ctx.close();
  ctx.close();
}

bool emit_maxpool_target(KernelCtx& ctx, const MaxPoolPlan& p) {
  if (!has_dsp(ctx.target())) return false;
  const bool mve = has_mve(ctx.target()) && maxpool_mve_supported(p);
  if (mve) emit_maxpool_mve_body(ctx, p);
  emit_dsp_body(ctx, p);
  ctx.set_name(ctx.name() + (mve ? "_mve" : "_dsp"));
  return true;
}

}  // namespace tinyaot::codegen::arm
