// Cortex-M55 MVE/Helium int8 QLinearConv kernels (see arm_mve_conv.h): pointwise and fully
// connected layers (1x1, stride 1), regular 2D convolutions through an im2col buffer, and
// depthwise 2D convolutions, each with a vectorised requantization epilogue.
//
// Zero points: the input zero point is folded into a per-channel bias at compile time
// (bias - x_zp * sum(w)), so the MAC loops multiply raw int8 inputs by raw int8 weights
// (VMLADAVA.S8: 16 MACs into a 32-bit accumulator) and padding taps hold x_zp, which the folded
// bias cancels exactly. The emitter only accepts layers whose accumulator provably fits in int32
// (quant.cpp's `!wrap`), so the folded sums equal the generic kernels' accumulators.
//
// Requantization (exact, same result as tinyaot_requant): every channel's (mult, shift) is
// rewritten at compile time to (mult * 2^k, shift + k) with shift + k >= 33, the same rational
// multiplier. Then with P = acc * mult, H = P >> 32 (VMULH) and L = P mod 2^32 (VMUL):
// round_half_up(P / 2^shift) = (H + 2^(shift-33)) >> (shift - 32) (VRSHL), and P / 2^shift is a
// tie exactly when L == 0 and the low shift-32 bits of H are 100...0; on a tie, half-up is one
// above half-to-even when it is odd. Layers with a multiplier too large for that form (about
// 0.25 and above) use shift == 32 instead: half-up is VRMULH, a tie is L == 2^31. Larger
// multipliers (shift < 25) are declined and keep the DSP or generic kernel. Lanes are 4 output pixels of one
// channel, or 4 channels of a fully connected layer (then multipliers are loaded from per-channel tables).
#include "codegen/kernels/arm_mve_conv.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <vector>

namespace tinyaot::codegen::arm {

bool has_mve(Target t) {
  return t == Target::CortexM55;
}

namespace {

// File-level helpers, compiled only where MVE exists. GCC's first instruction scheduling pass
// (on by default at -O2 for Arm) hoists the vector loads of a kernel's unrolled taps to the top of
// each block, which overflows the eight Q registers and pushes kernel stack frames past the
// project's 256-byte limit (measured on KWS: 352 bytes with it, 176 without), so builds with MVE
// turn it off for the rest of the file. The helpers are written to keep few vector
// registers live (Cortex-M55 has eight): shift amounts and the zero point are scalar operands, the
// tie test needs no constant vector (VCLZ of a zero lane is 32, so VCLZ >> 5 is the tie flag), and
// the saturation to the int8/uint8 range is two saturating narrows. Plain arithmetic instead of
// predicates also avoids an internal compiler error of GCC 12.2 (trunc_int_for_mode) that the
// predicated form (vcmpeqq + vsubq_m) hit once inlined into a kernel.
//   tinyaot_mve_rq_s: one multiplier / shift for all lanes (lanes are pixels of one channel);
//   tinyaot_mve_rq_v: per-lane multipliers and shifts (lanes are channels);
// both return round_half_even(acc * mult / 2^shift) + zp before saturation, given rsh = 32 - shift
// (shift >= 33). The rq32 forms are the same for shift == 32, where VRMULH rounds half up directly
// and a tie is a low product word of exactly 2^31. A kernel uses some of them; `unused` keeps
// clang's -Wunused-function quiet about the others.
const char* kMveHelpers =
    "#if defined(__ARM_FEATURE_MVE)\n"
    "#include <arm_mve.h>\n"
    "#if defined(__GNUC__) && !defined(__clang__)\n"
    "#pragma GCC optimize(\"no-schedule-insns\")\n"
    "#endif\n"
    "__attribute__((unused)) static inline int32x4_t tinyaot_mve_rq_fix(int32x4_t r, int32x4_t t, int32_t "
    "zp) {\n"
    "  const int32x4_t tie = vreinterpretq_s32_u32(vshrq_n_u32(vclzq_u32(vreinterpretq_u32_s32(t)), 5));\n"
    "  return vaddq_n_s32(vsubq_s32(r, vandq_s32(r, tie)), zp);\n"
    "}\n"
    "__attribute__((unused)) static inline int32x4_t tinyaot_mve_rq_s(int32x4_t acc, int32_t mult, int32_t "
    "rsh, int32_t zp) {\n"
    "  const int32x4_t h = vmulhq_s32(acc, vdupq_n_s32(mult));\n"
    "  const int32x4_t t = vorrq_s32(vaddq_n_s32(vshlq_r_s32(h, rsh + 32), (int32_t)0x80000000), "
    "vmulq_n_s32(acc, mult));\n"
    "  return tinyaot_mve_rq_fix(vrshlq_n_s32(h, rsh), t, zp);\n"
    "}\n"
    "__attribute__((unused)) static inline int32x4_t tinyaot_mve_rq_v(int32x4_t acc, int32x4_t mult, "
    "int32x4_t rsh, int32_t zp) {\n"
    "  const int32x4_t h = vmulhq_s32(acc, mult);\n"
    "  const int32x4_t t = vorrq_s32(vaddq_n_s32(vshlq_s32(h, vaddq_n_s32(rsh, 32)), (int32_t)0x80000000), "
    "vmulq_s32(acc, mult));\n"
    "  return tinyaot_mve_rq_fix(vrshlq_s32(h, rsh), t, zp);\n"
    "}\n"
    "__attribute__((unused)) static inline int32x4_t tinyaot_mve_rq32_s(int32x4_t acc, int32_t mult, int32_t "
    "zp) {\n"
    "  const int32x4_t t = vaddq_n_s32(vmulq_n_s32(acc, mult), (int32_t)0x80000000);\n"
    "  return tinyaot_mve_rq_fix(vrmulhq_s32(acc, vdupq_n_s32(mult)), t, zp);\n"
    "}\n"
    "__attribute__((unused)) static inline int32x4_t tinyaot_mve_rq32_v(int32x4_t acc, int32x4_t mult, "
    "int32_t zp) {\n"
    "  const int32x4_t t = vaddq_n_s32(vmulq_s32(acc, mult), (int32_t)0x80000000);\n"
    "  return tinyaot_mve_rq_fix(vrmulhq_s32(acc, mult), t, zp);\n"
    "}\n"
    "__attribute__((unused)) static inline int32x4_t tinyaot_mve_sat_s8(int32x4_t v) {\n"
    "  return vreinterpretq_s32_s8(vqmovnbq_s16(vuninitializedq_s8(), vqmovnbq_s32(vuninitializedq_s16(), "
    "v)));\n"
    "}\n"
    "__attribute__((unused)) static inline int32x4_t tinyaot_mve_sat_u8(int32x4_t v) {\n"
    "  return vreinterpretq_s32_u8(vqmovunbq_s16(vuninitializedq_u8(), vqmovnbq_s32(vuninitializedq_s16(), "
    "v)));\n"
    "}\n"
    "__attribute__((unused)) static inline int32x4_t tinyaot_mve_lanes(int32_t a, int32_t b, int32_t c, "
    "int32_t d) {\n"
    "  int32x4_t v = vdupq_n_s32(a);\n"
    "  v = vsetq_lane_s32(b, v, 1);\n"
    "  v = vsetq_lane_s32(c, v, 2);\n"
    "  return vsetq_lane_s32(d, v, 3);\n"
    "}\n"
    "#endif\n";

// Output channels per block when the lanes are 4 pixels (see emit_dot).
constexpr int64_t kPixelBlockChannels = 1;

int64_t round_up(int64_t v, int64_t m) {
  return (v + m - 1) / m * m;
}

// Per-layer constants of the MVE path, resolved at compile time.
struct MvePlan {
  std::vector<double> mult, rsh;  // per channel, in the shift >= 33 form (or shift == 32 when s32)
  bool s32 = false;
  bool uniform = true;
  std::string zp, qmin, qmax;  // the generic requantization call's literal arguments
  std::vector<int64_t> bias;   // folded bias per channel (int32 values)
  bool bias_uniform = true;
  std::string mult_t, rsh_t, bias_t;  // table names (when not uniform)
};

// The generic requantization call is "(T)tinyaot_requant(acc, mult, shift, zp, qmin, qmax)";
// its last three arguments are reused so the two paths cannot disagree on them.
bool parse_requant_tail(const QConvLayer& L, MvePlan& p) {
  if (!L.requant_call) return false;
  const std::string s = L.requant_call("ACC", "MULT", "SHIFT");
  const std::string head = "tinyaot_requant(ACC, MULT, SHIFT, ";
  const size_t at = s.find(head);
  if (at == std::string::npos || s.back() != ')') return false;
  std::string rest = s.substr(at + head.size(), s.size() - at - head.size() - 1);
  std::vector<std::string> parts;
  size_t b = 0;
  for (size_t e; (e = rest.find(", ", b)) != std::string::npos; b = e + 2)
    parts.push_back(rest.substr(b, e - b));
  parts.push_back(rest.substr(b));
  if (parts.size() != 3) return false;
  for (const std::string& v : parts) {
    size_t used = 0;
    try {
      (void)std::stoll(v, &used);
    } catch (...) {
      return false;
    }
    if (used != v.size()) return false;
  }
  p.zp = parts[0], p.qmin = parts[1], p.qmax = parts[2];
  return true;
}

bool make_plan(const KernelCtx& ctx, const QConvLayer& L, int64_t taps, MvePlan& p) {
  if (L.mult.size() != static_cast<size_t>(L.M) || L.shift.size() != L.mult.size()) return false;
  // The shift >= 33 form for every channel if possible, else shift == 32 for every channel (a
  // 24-bit multiplier reaches it from shift 25 on, i.e. multipliers below about 0.5).
  for (const int64_t target : {int64_t{33}, int64_t{32}}) {
    p.mult.clear(), p.rsh.clear(), p.uniform = true;
    bool ok = true;
    for (size_t i = 0; i < L.mult.size() && ok; ++i) {
      int64_t m = L.mult[i], sh = L.shift[i];
      if (m == 0) sh = target;
      if (target == 32 && sh > 32) ok = false;
      for (; ok && sh < target; ++sh) {
        m *= 2;
        ok = m <= INT32_MAX && m >= -INT32_MAX;
      }
      if (sh > 56) ok = false;
      p.mult.push_back(static_cast<double>(m));
      p.rsh.push_back(static_cast<double>(32 - sh));
      p.uniform = p.uniform && p.mult.back() == p.mult[0] && p.rsh.back() == p.rsh[0];
    }
    if (ok) {
      p.s32 = target == 32;
      break;
    }
    if (target == 32) return false;
  }
  if (!parse_requant_tail(L, p)) return false;
  // Folded bias: needs the weights (and the bias, if any) at compile time.
  const ir::Node& n = ctx.node();
  if (n.inputs.size() < 4 || !n.inputs[3] || !n.inputs[3]->value) return false;
  const ir::Value& w = *n.inputs[3]->value;
  const ir::Value* bv = nullptr;
  if (!L.bias.empty()) {
    if (n.inputs.size() < 9 || !n.inputs[8] || !n.inputs[8]->value) return false;
    bv = n.inputs[8]->value.get();
  }
  if (w.numel() != L.M * taps) return false;
  for (int64_t m = 0; m < L.M; ++m) {
    int64_t sw = 0;
    for (int64_t k = 0; k < taps; ++k) sw += w.get_i64(m * taps + k);
    const int64_t v = (bv ? bv->get_i64(m) : 0) - L.xzp * sw;
    p.bias.push_back(static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v))));
    p.bias_uniform = p.bias_uniform && p.bias.back() == p.bias[0];
  }
  return true;
}

// Tables are padded to a multiple of 4 (repeating the last value) so 4-lane loads at any
// channel block stay inside them.
void make_tables(KernelCtx& ctx, MvePlan& p, bool channel_lanes) {
  auto padded = [&](std::vector<double> v) {
    if (channel_lanes)
      while (v.size() % 4) v.push_back(v.back());
    return v;
  };
  if (!p.uniform) {
    p.mult_t = ctx.const_table("mve_mult", ir::DType::I32, padded(p.mult));
    if (!p.s32) p.rsh_t = ctx.const_table("mve_rsh", ir::DType::I32, padded(p.rsh));
  }
  if (!p.bias_uniform) p.bias_t = ctx.const_table("mve_bias", ir::DType::I32, {p.bias.begin(), p.bias.end()});
}

std::string bias_of(const MvePlan& p, const std::string& ch) {
  return p.bias_uniform ? std::to_string(p.bias[0]) : fmt::format("{}[{}]", p.bias_t, ch);
}

// The requantized, saturated lane vector of accumulators `acc`: lanes are pixels of channel `ch`,
// or (channel_lanes) channels ch..ch+3.
std::string requant(const MvePlan& p, const QConvLayer& L, const std::string& acc, const std::string& ch,
                    bool channel_lanes) {
  std::string v;
  auto i64 = [](double d) { return std::to_string(static_cast<int64_t>(d)); };
  if (p.s32) {
    if (p.uniform)
      v = fmt::format("tinyaot_mve_rq32_s({}, {}, {})", acc, i64(p.mult[0]), p.zp);
    else if (channel_lanes)
      v = fmt::format("tinyaot_mve_rq32_v({}, vldrwq_s32({} + {}), {})", acc, p.mult_t, ch, p.zp);
    else
      v = fmt::format("tinyaot_mve_rq32_s({}, {}[{}], {})", acc, p.mult_t, ch, p.zp);
  } else if (p.uniform) {
    v = fmt::format("tinyaot_mve_rq_s({}, {}, {}, {})", acc, i64(p.mult[0]), i64(p.rsh[0]), p.zp);
  } else if (channel_lanes) {
    v = fmt::format("tinyaot_mve_rq_v({0}, vldrwq_s32({1} + {3}), vldrwq_s32({2} + {3}), {4})", acc, p.mult_t,
                    p.rsh_t, ch, p.zp);
  } else {
    v = fmt::format("tinyaot_mve_rq_s({0}, {1}[{3}], {2}[{3}], {4})", acc, p.mult_t, p.rsh_t, ch, p.zp);
  }
  const bool u8 = L.y_type == "uint8_t";
  if (p.qmin == (u8 ? "0" : "-128") && p.qmax == (u8 ? "255" : "127"))
    return fmt::format("tinyaot_mve_sat_{}({})", u8 ? "u8" : "s8", v);
  return fmt::format("vminq_s32(vmaxq_s32({}, vdupq_n_s32({})), vdupq_n_s32({}))", v, p.qmin, p.qmax);
}

// Stores the low bytes of `lanes` lanes of vector expression `v` at `ptr`.
void store(KernelCtx& ctx, const QConvLayer& L, const std::string& ptr, const std::string& v, int64_t lanes) {
  const bool u8 = L.y_type == "uint8_t";
  const std::string val = u8 ? fmt::format("vreinterpretq_u32_s32({})", v) : v;
  if (lanes == 4)
    ctx.line("vstrbq_{}({}, {});", u8 ? "u32" : "s32", ptr, val);
  else
    ctx.line("vstrbq_p_{}({}, {}, vctp32q({}));", u8 ? "u32" : "s32", ptr, val, lanes);
}

int64_t product(const std::vector<int64_t>& v) {
  int64_t r = 1;
  for (int64_t x : v) r *= x;
  return r;
}

bool is_pointwise(const QConvLayer& L) {
  for (size_t i = 0; i < L.k.size(); ++i)
    if (L.k[i] != 1 || L.s[i] != 1 || L.pb[i] != 0 || L.pe[i] != 0 || L.out[i] != L.in[i]) return false;
  return true;
}

bool plain_2d(const QConvLayer& L) {
  if (L.in.size() != 2) return false;
  for (size_t i = 0; i < 2; ++i)
    if (L.d[i] != 1 || L.pb[i] < 0 || L.pe[i] < 0 || L.s[i] < 1) return false;
  return true;
}

// Pointwise / fully connected (im2col = false) and regular 2D convolution (im2col = true):
// every output is a dot product of K = C * KH * KW int8 taps with one weight row. The taps of 4
// output pixels are laid out contiguously in scratch (a transposition for pointwise layers, an
// im2col gather otherwise), then each output channel runs 4 VMLADAVA (one per pixel) per 16 taps
// (one weight load, four tap loads). Blocking two channels saves a load per 16 taps but, measured
// on KWS, spills more than it saves (1.912M against 1.905M instructions).
// Fully connected layers (one pixel) read the input directly and block 4 channels as lanes.
// Returns the scratch bytes used.
size_t emit_dot(KernelCtx& ctx, const QConvLayer& L, MvePlan& rp, bool im2col) {
  const int64_t P = product(L.out), IS = product(L.in);
  const int64_t K = im2col ? L.C * L.k[0] * L.k[1] : L.C, K16 = round_up(K, 16), Kf = K / 16 * 16;
  const bool direct = P == 1 && !im2col;  // the single input column is already contiguous
  const int64_t M = L.M;
  make_tables(ctx, rp, direct);
  const std::string W = "x3";
  if (!direct) ctx.line("int8_t* xs = (int8_t*)scratch;");
  if (!direct && !im2col) ctx.line("const uint16x8_t goff = vmulq_n_u16(vidupq_n_u16(0, 1), {});", P);
  const int64_t KH = im2col ? L.k[0] : 1, KW = im2col ? L.k[1] : 1;
  const bool row_copy = im2col && KW <= 16 && L.in[0] >= KH && L.in[1] >= KW;
  if (row_copy) ctx.line("const mve_pred16_t prow = vctp8q({});", KW);

  // Transposes np pixel columns (from p) into xs[q * K16 + c].
  auto transpose = [&](int64_t np) {
    const int64_t K8 = K / 8 * 8;
    if (K8 > 0) {
      ctx.open("for (int32_t c = 0; c < {}; c += 8) {{", K8);
      ctx.line("const int8_t* xc = x0 + c * {} + p;", P);
      for (int64_t q = 0; q < np; ++q)
        ctx.line("vstrbq_s16(xs + {} + c, vldrbq_gather_offset_s16(xc{}, goff));", q * K16,
                 q ? fmt::format(" + {}", q) : "");
      ctx.close();
    }
    if (K8 < K) {
      ctx.open("{{");
      ctx.line("const mve_pred16_t pt = vctp16q({});", K - K8);
      ctx.line("const int8_t* xc = x0 + {} + p;", K8 * P);
      for (int64_t q = 0; q < np; ++q)
        ctx.line("vstrbq_s16(xs + {}, vldrbq_gather_offset_z_s16(xc{}, goff, pt));", q * K16 + K8,
                 q ? fmt::format(" + {}", q) : "");
      ctx.close();
    }
  };
  // Gathers the K taps of output pixels p..p+np-1 into xs[q * K16 + (c * KH + kh) * KW + kw];
  // taps in the padding hold x_zp. Windows fully inside the input copy one predicated vector per
  // kernel row.
  auto gather = [&](int64_t np) {
    const int64_t H = L.in[0], Wd = L.in[1], OW = L.out[1];
    ctx.open("for (int32_t q = 0; q < {}; ++q) {{", np);
    ctx.line("const int32_t oy = (p + q) / {}, ox = (p + q) % {};", OW, OW);
    ctx.line("const int32_t iy = oy * {} - {}, ix = ox * {} - {};", L.s[0], L.pb[0], L.s[1], L.pb[1]);
    ctx.line("int8_t* s = xs + q * {};", K16);
    if (row_copy) {
      ctx.open("if ((uint32_t)iy <= {}u && (uint32_t)ix <= {}u) {{", H - KH, Wd - KW);
      ctx.line("const int8_t* xr = x0 + iy * {} + ix;", Wd);
      ctx.open("for (int32_t r = 0; r < {}; ++r) {{", L.C * KH);
      ctx.line("vstrbq_p_s8(s + r * {}, vldrbq_z_s8(xr + (r / {}) * {} + (r % {}) * {}, prow), prow);", KW,
               KH, IS, KH, Wd);
      ctx.close();
      ctx.line("continue;");
      ctx.close();
    }
    ctx.line("int32_t k = 0;");
    ctx.open("for (int32_t c = 0; c < {}; ++c) {{", L.C);
    ctx.open("for (int32_t kh = 0; kh < {}; ++kh) {{", KH);
    ctx.line("const int32_t y = iy + kh;");
    ctx.line("const int8_t* xr = x0 + c * {} + y * {};", IS, Wd);
    ctx.line(
        "for (int32_t kw = 0; kw < {}; ++kw, ++k) s[k] = (uint32_t)y < {}u && (uint32_t)(ix + kw) < {}u ? "
        "xr[ix + "
        "kw] : (int8_t){};",
        KW, H, Wd, L.xzp);
    ctx.close();
    ctx.close();
    ctx.close();
  };
  // One block of mb output channels (from m) x np pixels (from p, or lanes = channels when direct).
  auto block = [&](int64_t mb, int64_t np) {
    ctx.open("{{");
    for (int64_t t = 0; t < mb; ++t) {
      ctx.line("const int8_t* w{} = {} + {};", t, W,
               t ? fmt::format("(m + {}) * {}", t, K) : fmt::format("m * {}", K));
      for (int64_t q = 0; q < np; ++q)
        ctx.line("int32_t a{}{} = {};", t, q, bias_of(rp, t ? fmt::format("m + {}", t) : "m"));
    }
    auto xsrc = [&](int64_t q, const std::string& c) {
      return direct ? fmt::format("x0 + {}", c)
                    : fmt::format("xs + {}{}", q ? std::to_string(q * K16) + " + " : "", c);
    };
    auto macs = [&](const std::string& c, bool tail) {
      for (int64_t t = 0; t < mb; ++t)
        ctx.line("const int8x16_t wv{0} = {1}(w{0} + {2}{3});", t, tail ? "vldrbq_z_s8" : "vldrbq_s8", c,
                 tail ? ", pk" : "");
      for (int64_t q = 0; q < np; ++q)
        ctx.line("const int8x16_t xv{} = {}({}{});", q, tail && direct ? "vldrbq_z_s8" : "vldrbq_s8",
                 xsrc(q, c), tail && direct ? ", pk" : "");
      for (int64_t t = 0; t < mb; ++t)
        for (int64_t q = 0; q < np; ++q) ctx.line("a{0}{1} = vmladavaq_s8(a{0}{1}, wv{0}, xv{1});", t, q);
    };
    if (Kf == 16) {
      ctx.open("{{");
      macs("0", false);
      ctx.close();
    } else if (Kf > 0) {
      ctx.open("for (int32_t c = 0; c < {}; c += 16) {{", Kf);
      macs("c", false);
      ctx.close();
    }
    if (Kf < K) {
      ctx.open("{{");
      ctx.line("const mve_pred16_t pk = vctp8q({});", K - Kf);
      macs(std::to_string(Kf), true);
      ctx.close();
    }
    auto lanes = [&](const std::vector<std::string>& a) {
      std::vector<std::string> v = a;
      while (v.size() < 4) v.push_back("0");
      return fmt::format("tinyaot_mve_lanes({}, {}, {}, {})", v[0], v[1], v[2], v[3]);
    };
    if (direct) {
      std::vector<std::string> a;
      for (int64_t t = 0; t < mb; ++t) a.push_back(fmt::format("a{}0", t));
      store(ctx, L, "y0 + m", requant(rp, L, lanes(a), "m", true), mb);
    } else {
      for (int64_t t = 0; t < mb; ++t) {
        std::vector<std::string> a;
        for (int64_t q = 0; q < np; ++q) a.push_back(fmt::format("a{}{}", t, q));
        const std::string ch = t ? fmt::format("m + {}", t) : "m";
        store(ctx, L, fmt::format("y0 + ({}) * {} + p", ch, P), requant(rp, L, lanes(a), ch, false), np);
      }
    }
    ctx.close();
  };
  auto channels = [&](int64_t np) {
    const int64_t MB = direct ? 4 : kPixelBlockChannels, Mb = M / MB * MB;
    if (Mb > 0) {
      ctx.open("for (int32_t m = 0; m < {}; m += {}) {{", Mb, MB);
      block(MB, np);
      ctx.close();
    }
    if (Mb < M) {
      ctx.open("{{");
      ctx.line("const int32_t m = {};", Mb);
      block(M - Mb, np);
      ctx.close();
    }
  };
  if (direct) {
    channels(1);
    return 0;
  }
  auto fill = [&](int64_t np) { im2col ? gather(np) : transpose(np); };
  const int64_t P4 = P / 4 * 4;
  if (P4 > 0) {
    ctx.open("for (int32_t p = 0; p < {}; p += 4) {{", P4);
    fill(4);
    channels(4);
    ctx.close();
  }
  if (P4 < P) {
    ctx.open("{{");
    ctx.line("const int32_t p = {};", P4);
    fill(P - P4);
    channels(P - P4);
    ctx.close();
  }
  return static_cast<size_t>(4 * K16);
}

// Depthwise 2D convolution: per channel, the input plane is copied into a scratch plane bordered
// with x_zp (so padding cancels against the folded bias and no output needs border checks), then
// 4 adjacent outputs of a row are one int32 vector: each tap is a widening 4-byte load (a gather
// for strides > 1) and one VMLA by the weight held in a core register.
size_t emit_depthwise(KernelCtx& ctx, const QConvLayer& L, MvePlan& rp) {
  const int64_t H = L.in[0], Wd = L.in[1], OH = L.out[0], OW = L.out[1], KH = L.k[0], KW = L.k[1];
  const int64_t SH = L.s[0], SW = L.s[1], PT = L.pb[0], PL = L.pb[1];
  const int64_t OW4 = round_up(OW, 4);
  const int64_t Hp = std::max(H + PT + L.pe[0], (OH - 1) * SH + KH);
  const int64_t Wp = std::max(Wd + PL + L.pe[1], (OW4 - 1) * SW + KW);
  make_tables(ctx, rp, false);
  ctx.line("int8_t* xp = (int8_t*)scratch;");
  ctx.line("memset(xp, {}, {});", L.xzp, Hp * Wp);
  if (SW > 1) ctx.line("const uint32x4_t goff = vmulq_n_u32(vidupq_n_u32(0, 1), {});", SW);
  ctx.open("for (int32_t m = 0; m < {}; ++m) {{", L.C);
  ctx.line("const int8_t* xm = x0 + m * {};", H * Wd);
  ctx.open("for (int32_t iy = 0; iy < {}; ++iy) {{", H);
  ctx.line("int8_t* r = xp + {};", fmt::format("(iy + {}) * {} + {}", PT, Wp, PL));
  ctx.line("const int8_t* xr = xm + iy * {};", Wd);
  ctx.open("for (int32_t ix = 0; ix < {}; ix += 16) {{", Wd);
  ctx.line("const mve_pred16_t pc = vctp8q((uint32_t)({} - ix));", Wd);
  ctx.line("vstrbq_p_s8(r + ix, vldrbq_z_s8(xr + ix, pc), pc);");
  ctx.close();
  ctx.close();
  ctx.line("const int8_t* wm = x3 + m * {};", KH * KW);
  for (int64_t e = 0; e < KH * KW; ++e) ctx.line("const int32_t k{} = wm[{}];", e, e);
  ctx.line("const int32_t b = {};", bias_of(rp, "m"));
  ctx.line("{}* ym = y0 + m * {};", L.y_type, OH * OW);
  ctx.open("for (int32_t oy = 0; oy < {}; ++oy) {{", OH);
  ctx.line("const int8_t* row = xp + oy * {};", SH * Wp);
  auto one = [&](const std::string& ox, int64_t lanes) {
    ctx.line("const int8_t* q = row + {};", SW == 1 ? ox : fmt::format("{} * {}", ox, SW));
    ctx.line("int32x4_t acc = vdupq_n_s32(b);");
    for (int64_t r = 0; r < KH; ++r)
      for (int64_t c = 0; c < KW; ++c) {
        const int64_t off = r * Wp + c;
        const std::string ld = SW == 1 ? fmt::format("vldrbq_s32(q + {})", off)
                                       : fmt::format("vldrbq_gather_offset_s32(q + {}, goff)", off);
        ctx.line("acc = vmlaq_n_s32(acc, {}, k{});", ld, r * KW + c);
      }
    store(ctx, L, fmt::format("ym + oy * {} + {}", OW, ox), requant(rp, L, "acc", "m", false), lanes);
  };
  const int64_t OWf = OW / 4 * 4;
  if (OWf > 0) {
    ctx.open("for (int32_t ox = 0; ox < {}; ox += 4) {{", OWf);
    one("ox", 4);
    ctx.close();
  }
  if (OWf < OW) {
    ctx.open("{{");
    one(std::to_string(OWf), OW - OWf);
    ctx.close();
  }
  ctx.close();
  ctx.close();
  return static_cast<size_t>(Hp * Wp);
}

}  // namespace

const char* mve_helpers_text() {
  return kMveHelpers;
}

MveEmit emit_qconv_mve(KernelCtx& ctx, const QConvLayer& L1) {
  MveEmit r;
  // A 1D convolution is the 2D one with a height of 1 (same weight and activation layouts).
  QConvLayer L = L1;
  if (L.in.size() == 1 && L.out.size() == 1 && L.k.size() == 1 && L.s.size() == 1 && L.d.size() == 1 &&
      L.pb.size() == 1 && L.pe.size() == 1) {
    L.in.insert(L.in.begin(), 1);
    L.out.insert(L.out.begin(), 1);
    L.k.insert(L.k.begin(), 1);
    L.s.insert(L.s.begin(), 1);
    L.d.insert(L.d.begin(), 1);
    L.pb.insert(L.pb.begin(), 0);
    L.pe.insert(L.pe.begin(), 0);
  }
  if (!has_mve(ctx.target()) || L.x_type != "int8_t" || L.N != 1 || !L.wzp_zero) return r;
  if (L.y_type != "int8_t" && L.y_type != "uint8_t") return r;
  const bool pw = L.G == 1 && is_pointwise(L) && product(L.out) * 7 <= 65535;
  // The planner only runs float depthwise convolutions in place; should it ever pass an int8 one,
  // the generic kernel decides.
  const bool dw = !pw && L.G == L.C && L.M == L.C && L.G >= 2 && plain_2d(L) && !ctx.in_place_output();
  const bool reg = !pw && !dw && L.G == 1 && plain_2d(L);
  if (!pw && !dw && !reg) return r;
  const int64_t taps = (L.C / L.G) * product(L.k);
  MvePlan rp;
  if (!make_plan(ctx, L, taps, rp)) return r;
  const size_t tables_before = ctx.tables().size();
  ctx.require_helper("tinyaot_mve", mve_helpers_text());
  ctx.raw("#if defined(__ARM_FEATURE_MVE)\n");
  ctx.open("{{");
  const size_t bytes = dw ? emit_depthwise(ctx, L, rp) : emit_dot(ctx, L, rp, reg);
  ctx.line("return;");
  ctx.close();
  ctx.raw("#else\n");
  // Names only the MVE block uses, so builds without MVE do not warn about them.
  if (bytes > 0) ctx.line("(void)scratch;");
  for (size_t i = tables_before; i < ctx.tables().size(); ++i) ctx.line("(void){};", ctx.tables()[i].first);
  ctx.raw("#endif\n");
  r.emitted = true;
  r.scratch_bytes = bytes;
  return r;
}

void finish_qconv_mve(KernelCtx& ctx, const std::string& name, const MveEmit& mve) {
  if (!mve.emitted) return;
  ctx.set_name(name + "_mve");
  if (mve.scratch_bytes > ctx.scratch_bytes()) (void)ctx.scratch(mve.scratch_bytes, "int8_t");
}

}  // namespace tinyaot::codegen::arm
