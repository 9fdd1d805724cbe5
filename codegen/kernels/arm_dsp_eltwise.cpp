// Cortex-M DSP kernels of the int8 element-wise layers (see arm_dsp_eltwise.h) and the hooks that
// put them, and the MVE ones of arm_mve_eltwise, in front of the generic bodies.
//
// QLinearAdd. The generic kernel computes (a - za) * ma + (b - zb) * mb in int64 with a shift near
// 30, rounds half to even and patches the few pairs where that differs from the float32
// definition (about 29 instructions per element on Cortex-M4). Here the multipliers are scaled down
// so that the whole sum, zero points and rounding offset included, fits in int32: one MLA per
// input and an SSAT/USAT with an arithmetic shift. Which constants to use is decided by trying all
// 65,536 input pairs at compile time (make_qadd32_plan), so the kernel is exact by construction:
// where the 32-bit sum lands within `win` of a rounding boundary, the element is recomputed with
// the generic formula (on ResNet-8's layers that test never fires or fires on a fraction of a
// percent of the elements; see docs/generated-code.md).
//
// Average pools. The window sum of int8 values: USADA8 adds four bytes per instruction (int8
// inputs are flipped to uint8 by XOR 0x80, which adds 128 to every value; the total offset is
// subtracted once).
#include "codegen/kernels/arm_dsp_eltwise.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "codegen/kernels/arm_mve_conv.h"
#include "codegen/kernels/arm_mve_eltwise.h"
#include "codegen/kernels/arm_qconv.h"
#include "compiler/ops/op_util.h"

namespace tinyaot::codegen::arm {

namespace {

using quant::cval;
using quant::present;

struct Candidate {
  int64_t ma, mb, c;
};

// Window of a candidate over all pairs (win < 0: exact everywhere); false when it cannot be used
// (an int32 overflow, or a differing pair far from any rounding boundary).
bool evaluate(const Candidate& k, int32_t shift, int32_t lo, int32_t hi, const std::vector<int32_t>& want,
              QAdd32Plan& out) {
  const int64_t one = int64_t{1} << shift, mask = one - 1;
  auto t_of = [&](int64_t a, int64_t b) { return a * k.ma + b * k.mb + k.c; };
  for (int64_t a : {lo, hi})
    for (int64_t b : {lo, hi})
      if (t_of(a, b) > INT32_MAX || t_of(a, b) < INT32_MIN) return false;
  if (k.c > INT32_MAX || k.c < INT32_MIN || std::llabs(k.ma) > INT32_MAX || std::llabs(k.mb) > INT32_MAX)
    return false;
  int64_t win = -1, count = 0;
  size_t i = 0;
  for (int32_t a = lo; a <= hi; ++a)
    for (int32_t b = lo; b <= hi; ++b, ++i) {
      const int64_t t = t_of(a, b);
      int64_t y = t >> shift;  // floor
      y = y < lo ? lo : y > hi ? hi : y;
      if (y == want[i]) continue;
      const int64_t d = t & mask;
      win = std::max(win, std::min(d, one - d));
      ++count;
    }
  if (win >= one / 4) return false;
  int64_t hits = 0;
  if (win >= 0)
    for (int64_t a = lo; a <= hi; ++a)
      for (int64_t b = lo; b <= hi; ++b) hits += ((t_of(a, b) + win) & mask) <= 2 * win;
  out.window_pairs = hits;
  out.ok = true;
  out.ma = static_cast<int32_t>(k.ma), out.mb = static_cast<int32_t>(k.mb), out.c = static_cast<int32_t>(k.c);
  out.shift = shift, out.win = win, out.mismatches = count;
  return true;
}

}  // namespace

QAdd32Plan make_qadd32_plan(float sa, int32_t za, float sb, int32_t zb, float sy, int32_t zy, bool u8) {
  QAdd32Plan best;
  const double ra = static_cast<double>(sa) / sy, rb = static_cast<double>(sb) / sy;
  if (!(std::isfinite(ra) && std::isfinite(rb)) || std::fabs(ra) > 1e4 || std::fabs(rb) > 1e4) return best;
  const int32_t lo = u8 ? 0 : -128, hi = u8 ? 255 : 127;
  std::vector<int32_t> want;
  want.reserve(65536);
  for (int32_t a = lo; a <= hi; ++a)
    for (int32_t b = lo; b <= hi; ++b) want.push_back(quant::qadd_ref(a, b, sa, za, sb, zb, sy, zy, lo, hi));
  // The largest shift whose sums fit in int32 resolves the rational multipliers best; around the
  // rounded multipliers, the candidate with the narrowest window (ideally none) wins.
  for (int32_t shift = 30; shift >= 8; --shift) {
    const int64_t ma0 = std::llround(std::ldexp(ra, shift)), mb0 = std::llround(std::ldexp(rb, shift));
    bool any = false;
    for (int64_t da : {0, -1, 1})
      for (int64_t db : {0, -1, 1}) {
        Candidate k{ma0 + da, mb0 + db, 0};
        k.c = static_cast<int64_t>(zy) * (int64_t{1} << shift) + (int64_t{1} << (shift - 1)) - za * k.ma -
              zb * k.mb;
        QAdd32Plan p;
        if (!evaluate(k, shift, lo, hi, want, p)) continue;
        any = true;
        if (!best.ok || (p.win < best.win)) best = p;
      }
    if (any) return best;
  }
  return best;
}

namespace {

// The DSP body of one run: per element two MLAs (the constant is the first one's addend) and a
// saturating shift, two elements per loop iteration.
void emit_qadd_run_dsp(KernelCtx& ctx, const QAdd32Plan& p, const quant::QAddElement& qe, const QAddRun& r) {
  const std::string sat = r.u8 ? "__builtin_arm_usat" : "__builtin_arm_ssat";
  const std::string ct = r.u8 ? "uint8_t" : "int8_t";
  // A broadcast input's product joins the constant (c plus one product is a t of an input pair
  // with a zero in it, so it fits in int32 too).
  std::string c = std::to_string(p.c);
  if (r.a_scalar || r.b_scalar) {
    ctx.line("const int32_t c0 = {} + (int32_t){}[0] * {};", p.c, r.a_scalar ? r.pa : r.pb,
             r.a_scalar ? p.ma : p.mb);
    c = "c0";
  }
  auto elem = [&](const std::string& i) {
    ctx.open("{{");
    if (r.a_scalar)
      ctx.line("const int32_t t = (int32_t){}[{}] * {} + {};", r.pb, i, p.mb, c);
    else if (r.b_scalar)
      ctx.line("const int32_t t = (int32_t){}[{}] * {} + {};", r.pa, i, p.ma, c);
    else
      ctx.line("const int32_t t = (int32_t){}[{}] * {} + ((int32_t){}[{}] * {} + {});", r.pa, i, p.ma, r.pb,
               i, p.mb, c);
    if (p.win >= 0) {
      ctx.open("if ((((uint32_t)t + {}u) & {}u) <= {}u) {{", p.win, (int64_t{1} << p.shift) - 1, 2 * p.win);
      ctx.line("const int32_t a = (int32_t){}[{}], b = (int32_t){}[{}];", r.pa, r.a_scalar ? "0" : i, r.pb,
               r.b_scalar ? "0" : i);
      quant::emit_qadd_element(ctx, qe, "a", "b", std::to_string(r.za), std::to_string(r.zb),
                               std::to_string(r.zy), "", "", "", fmt::format("{}[{}]", r.py, i));
      ctx.close();
      ctx.open("else {{");
    }
    ctx.line("{}[{}] = ({}){}(t >> {}, 8);", r.py, i, ct, sat, p.shift);
    if (p.win >= 0) ctx.close();
    ctx.close();
  };
  const int64_t R2 = r.R / 2 * 2;
  ctx.open("for (int32_t i = 0; i < {}; i += 2) {{", R2);
  elem("i");
  elem("i + 1");
  ctx.close();
  if (R2 < r.R) elem(std::to_string(R2));
}

// Splits the output into runs: the longest suffix of dimensions over which each input is either
// contiguous like the output or one broadcast value; the dimensions before it become loops.
// Calls body once, inside those loops, with the run's pointer expressions.
bool emit_runs(KernelCtx& ctx, const ir::Node& n, QAddRun proto,
               const std::function<void(const QAddRun&)>& body, bool dry) {
  const ir::Shape& ys = n.outputs[0]->shape;
  const size_t rank = ys.size();
  const std::vector<int64_t> sa = ops::broadcast_strides(n.inputs[0]->shape, ys);
  const std::vector<int64_t> sb = ops::broadcast_strides(n.inputs[3]->shape, ys);
  // Row-major strides of the output; a suffix [k, rank) is usable when each input's strides over
  // it are all equal to these (contiguous) or all zero (broadcast).
  std::vector<int64_t> os(rank, 1);
  for (size_t d = rank; d-- > 1;) os[d - 1] = os[d] * ys[d];
  auto kind = [&](const std::vector<int64_t>& s, size_t k) {  // 1 contiguous, 2 scalar, 0 neither
    bool cont = true, zero = true;
    for (size_t d = k; d < rank; ++d) {
      if (ys[d] == 1) continue;
      cont = cont && s[d] == os[d];
      zero = zero && s[d] == 0;
    }
    return zero ? 2 : cont ? 1 : 0;
  };
  size_t k = rank;
  while (k > 0 && kind(sa, k - 1) && kind(sb, k - 1)) --k;
  int64_t R = 1;
  for (size_t d = k; d < rank; ++d) R *= ys[d];
  const bool as = kind(sa, k) == 2, bs = kind(sb, k) == 2;
  if (R < 4 || (as && bs)) return false;
  if (dry) return true;
  QAddRun r = proto;
  r.R = R, r.a_scalar = as, r.b_scalar = bs;
  if (k == 0) {
    r.pa = "x0", r.pb = "x3", r.py = "y0";
    ctx.open("{{");
    body(r);
    ctx.close();
    return true;
  }
  for (size_t d = 0; d < k; ++d) ctx.open("for (int32_t i{0} = 0; i{0} < {1}; ++i{0}) {{", d, ys[d]);
  std::string ia, ib, iy;
  for (size_t d = 0; d < k; ++d) {
    if (sa[d]) ia += fmt::format(" + i{} * {}", d, sa[d]);
    if (sb[d]) ib += fmt::format(" + i{} * {}", d, sb[d]);
    iy += fmt::format(" + i{} * {}", d, os[d]);
  }
  ctx.line("const {0}* pa = x0{1};", r.u8 ? "uint8_t" : "int8_t", ia);
  ctx.line("const {0}* pb = x3{1};", r.u8 ? "uint8_t" : "int8_t", ib);
  ctx.line("{0}* py = y0{1};", r.u8 ? "uint8_t" : "int8_t", iy);
  r.pa = "pa", r.pb = "pb", r.py = "py";
  body(r);
  for (size_t d = 0; d < k; ++d) ctx.close();
  return true;
}

}  // namespace

bool emit_qadd_target_begin(KernelCtx& ctx, const quant::QAddElement& qe) {
  const ir::Node& n = ctx.node();
  if (!has_dsp(ctx.target()) || qe.tflite || !qe.plan.ok) return false;
  const ir::DType t = n.outputs[0]->dtype;
  if ((t != ir::DType::I8 && t != ir::DType::U8) || n.inputs[0]->dtype != t || n.inputs[3]->dtype != t)
    return false;
  auto s = [&](size_t i) { return cval(n, i)->data<float>()[0]; };
  auto z = [&](size_t i) { return present(n, i) ? static_cast<int32_t>(cval(n, i)->get_i64(0)) : 0; };
  QAddRun proto;
  proto.u8 = t == ir::DType::U8;
  proto.za = z(2), proto.zb = z(5), proto.zy = z(7);
  if (!emit_runs(ctx, n, proto, nullptr, true)) return false;
  const QAdd32Plan p = make_qadd32_plan(s(1), proto.za, s(4), proto.zb, s(6), proto.zy, proto.u8);
  if (!p.ok) return false;
  const std::string name = ctx.name();
  // The MVE body recomputes all 4 lanes of a vector when one lies in the window: with more than
  // 1 in 32 input pairs there (power-of-two scales put every other pair on a tie), that costs more
  // than it saves and the M55 runs the DSP body instead.
  const bool mve = has_mve(ctx.target()) && p.window_pairs * 32 <= 65536;
  if (mve) {
    ctx.require_helper("tinyaot_mve", mve_helpers_text());
    ctx.raw("#if defined(__ARM_FEATURE_MVE)\n");
    ctx.open("{{");
    emit_runs(
        ctx, n, proto, [&](const QAddRun& r) { emit_qadd_run_mve(ctx, p, qe, r); }, false);
    ctx.line("return;");
    ctx.close();
    ctx.raw("#endif\n");
  }
  ctx.raw("#if defined(__ARM_FEATURE_DSP)\n");
  emit_runs(
      ctx, n, proto, [&](const QAddRun& r) { emit_qadd_run_dsp(ctx, p, qe, r); }, false);
  ctx.raw("#else\n");
  ctx.set_name(name + (mve ? "_mve" : "_dsp"));
  return true;
}

void emit_byte_sum(KernelCtx& ctx, const std::string& acc, const std::string& ptr, int64_t n, bool u8,
                   int64_t zp, const std::function<void()>& generic) {
  if (!has_dsp(ctx.target()) || n < 8) {
    generic();
    return;
  }
  const int64_t n4 = n / 4 * 4;
  if (has_mve(ctx.target())) {
    ctx.require_helper("tinyaot_mve", mve_helpers_text());
    ctx.raw("#if defined(__ARM_FEATURE_MVE)\n");
    emit_byte_sum_mve(ctx, acc, ptr, n, u8, zp);
    ctx.raw("#elif defined(__ARM_FEATURE_DSP)\n");
  } else {
    ctx.raw("#if defined(__ARM_FEATURE_DSP)\n");
  }
  ctx.require_helper("tinyaot_dsp", dsp_helpers_text());
  // USADA8 against 0 adds the four unsigned bytes of a word; the offsets (128 per int8 value, and
  // the zero point) are taken off once at the end, in int32 like the generic sum.
  ctx.open("{{");
  ctx.line("uint32_t su = 0;");
  ctx.line("for (int32_t i = 0; i < {}; i += 4) su = __builtin_arm_usada8(tinyaot_ld32({} + i){}, 0u, su);",
           n4, ptr, u8 ? "" : " ^ 0x80808080u");
  for (int64_t i = n4; i < n; ++i)
    ctx.line("su += (uint32_t)(uint8_t)({}[{}]{});", ptr, i, u8 ? "" : " ^ 0x80");
  const int64_t off = n * ((u8 ? 0 : 128) + zp);
  if (off)
    ctx.line("{} += (int32_t)su {} {};", acc, off > 0 ? "-" : "+", off > 0 ? off : -off);
  else
    ctx.line("{} += (int32_t)su;", acc);
  ctx.close();
  ctx.raw("#else\n");
  generic();
  ctx.raw("#endif\n");
  ctx.set_name(ctx.name() + (has_mve(ctx.target()) ? "_mve" : "_dsp"));
}

}  // namespace tinyaot::codegen::arm
