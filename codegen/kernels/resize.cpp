// Kernels of Resize / Upsample. All coordinate maths happens here at compile time: per resized
// axis, constant tables hold the source offsets (index * input stride) and, for linear / cubic,
// the interpolation weights of every output coordinate. The run-time loop only gathers and
// blends: nearest is a pure gather; linear / cubic blend axis by axis, innermost axis first, like
// the ONNX reference. Axes the resize leaves unchanged use their index directly.
#include "codegen/kernel_ctx.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

namespace resize_detail {
// compiler/ops/resize.cpp
void axis_plan(const ir::Node& n, size_t d, int& taps, std::vector<int64_t>& idx, std::vector<double>& w,
               std::vector<uint8_t>& valid);
double extrapolation_value(const ir::Node& n);
}  // namespace resize_detail

using codegen::KernelCtx;
using ir::DType;

namespace {

std::string plus(const std::string& a, const std::string& b) {
  if (a == "0") return b;
  if (b == "0") return a;
  return a + " + " + b;
}

void emit_resize(const ir::Node& n, KernelCtx& ctx) {
  const ir::Tensor& x = *n.inputs[0];
  const ir::Tensor& y = *n.outputs[0];
  const DType t = x.dtype;
  const std::string ct = ir::dtype_ctype(t);
  const size_t rank = x.shape.size();
  const std::vector<int64_t> st = ops::strides_of(x.shape);

  struct Axis {
    int taps = 1;
    std::vector<int64_t> idx;
    std::vector<double> w;
    std::vector<uint8_t> valid;
    bool identity = true, extrap = false;
  };
  std::vector<Axis> ax(rank);
  for (size_t d = 0; d < rank; ++d) {
    Axis& a = ax[d];
    resize_detail::axis_plan(n, d, a.taps, a.idx, a.w, a.valid);
    const int64_t M = y.shape[d];
    if (M != x.shape[d]) a.identity = false;
    for (int64_t o = 0; o < M && a.identity; ++o) {
      if (!a.valid[static_cast<size_t>(o)]) a.identity = false;
      int ones = 0;
      for (int k = 0; k < a.taps; ++k) {
        const size_t i = static_cast<size_t>(o * a.taps + k);
        if (a.w[i] == 1 && a.idx[i] == o)
          ++ones;
        else if (a.w[i] != 0)
          a.identity = false;
      }
      if (ones != 1) a.identity = false;
    }
    for (uint8_t v : a.valid) a.extrap |= v == 0;
  }
  const bool nearest = ax.empty() || ax[0].taps == 1;
  const char* mode = nearest ? "nearest" : ax[0].taps == 2 ? "linear" : "cubic";
  ctx.set_name(fmt::format("resize_{}_{}", mode, ir::dtype_name(t)));
  if (y.numel() == 0) return;
  if (x.numel() == 0) return;  // cannot happen: inference rejects resizing an empty axis to non-empty

  // Loops over the output; `base` is the input offset contributed by identity / nearest axes.
  int loops = 0;
  for (size_t d = 0; d < rank; ++d) loops += y.shape[d] > 1;
  const std::string oidx_counter = "o";
  if (loops > 1) ctx.line("int32_t o = 0;");
  // The last-but-one output axis with more than one coordinate, and the output row it repeats.
  size_t row_axis = rank;
  int64_t row_len = 1;
  {
    int seen = 0;
    for (size_t d = rank; d-- > 0;) {
      if (y.shape[d] <= 1) continue;
      if (++seen == 2) {
        row_axis = d;
        break;
      }
    }
    if (row_axis < rank)
      for (size_t d = row_axis + 1; d < rank; ++d) row_len *= y.shape[d];
  }
  std::string base = "0", oidx = "0", cond;
  std::vector<size_t> blended;  // non-identity axes of a linear / cubic resize
  for (size_t d = 0; d < rank; ++d) {
    const Axis& a = ax[d];
    const int64_t M = y.shape[d];
    std::string v = "0";
    if (M > 1) {
      v = fmt::format("i{}", d);
      ctx.open("for (int32_t {0} = 0; {0} < {1}; ++{0}) {{", v, M);
      if (loops == 1) oidx = v;
    }
    if (a.extrap) {
      std::vector<double> vals(a.valid.begin(), a.valid.end());
      std::string tv = ctx.const_table(fmt::format("valid{}", d), DType::U8, vals);
      cond += (cond.empty() ? "" : " && ") + fmt::format("{}[{}]", tv, v);
    }
    std::string contrib;
    if (a.identity) {
      contrib = v == "0" || st[d] == 0 ? "0" : st[d] == 1 ? v : fmt::format("{} * {}", v, st[d]);
    } else if (nearest) {
      if (M == 1) {
        contrib = std::to_string(a.idx[0] * st[d]);
      } else {
        std::vector<double> offs;
        for (int64_t i : a.idx) offs.push_back(static_cast<double>(i * st[d]));
        contrib = fmt::format("{}[{}]", ctx.const_table(fmt::format("src{}", d), DType::I32, offs), v);
      }
    } else {
      std::vector<double> offs;
      for (int64_t i : a.idx) offs.push_back(static_cast<double>(i * st[d]));
      std::string ti = ctx.const_table(fmt::format("src{}", d), DType::I32, offs);
      std::string tw = ctx.const_table(fmt::format("w{}", d), t, a.w);
      const std::string row = v == "0" ? "" : fmt::format(" + {} * {}", v, a.taps);
      ctx.line("const int32_t* p{} = {}{};", d, ti, row);
      ctx.line("const {}* q{} = {}{};", ct, d, tw, row);
      blended.push_back(d);
      contrib = "0";
    }
    base = plus(base, contrib);
    if (M > 1 && base.find(' ') != std::string::npos) {
      // Name compound offsets so inner loops reuse them.
      ctx.line("const int32_t b{} = {};", d, base);
      base = fmt::format("b{}", d);
    }
    // Nearest upsampling repeats whole rows: when this axis is the last but one loop and its
    // source index equals the previous coordinate's, copy the previous output row instead.
    if (nearest && d == row_axis && !a.identity) {
      std::vector<double> dup(static_cast<size_t>(M), 0.0);
      bool any = false;
      for (int64_t i = 1; i < M; ++i)
        if (a.idx[static_cast<size_t>(i)] == a.idx[static_cast<size_t>(i - 1)] &&
            a.valid[static_cast<size_t>(i)] && a.valid[static_cast<size_t>(i - 1)]) {
          dup[static_cast<size_t>(i)] = 1;
          any = true;
        }
      if (any) {
        const std::string td = ctx.const_table(fmt::format("dup{}", d), DType::U8, dup);
        ctx.open("if ({}[{}]) {{", td, v);
        ctx.line("memcpy(y0 + o, y0 + o - {0}, {1});", row_len,
                 row_len * static_cast<int64_t>(ir::dtype_size(t)));
        ctx.line("o += {};", row_len);
        ctx.line("continue;");
        ctx.close();
      }
    }
  }
  if (loops > 1) oidx = oidx_counter;

  auto body = [&]() {
    if (nearest || blended.empty()) {
      ctx.line("y0[{}] = x0[{}];", oidx, base);
      return;
    }
    // Blend: s_k accumulates axis blended[k]; the innermost axis is summed first.
    ctx.line("{} s0 = {};", ct, KernelCtx::literal(0, t));
    std::string off = base;
    for (size_t k = 0; k < blended.size(); ++k) {
      const size_t d = blended[k];
      ctx.open("for (int32_t a{0} = 0; a{0} < {1}; ++a{0}) {{", d, ax[d].taps);
      if (k + 1 == blended.size()) {
        ctx.line("s{} += q{}[a{}] * x0[{}];", k, d, d, plus(off, fmt::format("p{}[a{}]", d, d)));
      } else {
        ctx.line("const int32_t c{} = {};", d, plus(off, fmt::format("p{}[a{}]", d, d)));
        off = fmt::format("c{}", d);
        ctx.line("{} s{} = {};", ct, k + 1, KernelCtx::literal(0, t));
      }
    }
    for (size_t k = blended.size(); k-- > 0;) {
      ctx.close();
      if (k > 0) ctx.line("s{} += q{}[a{}] * s{};", k - 1, blended[k - 1], blended[k - 1], k);
    }
    ctx.line("y0[{}] = s0;", oidx);
  };
  if (!cond.empty()) {
    ctx.open("if ({}) {{", cond);
    body();
    ctx.close("} else {");
    ctx.line("  y0[{}] = {};", oidx, KernelCtx::literal(resize_detail::extrapolation_value(n), t));
    ctx.line("}}");
  } else {
    body();
  }
  if (loops > 1) ctx.line("++o;");
  for (size_t d = 0; d < rank; ++d)
    if (y.shape[d] > 1) ctx.close();
}

}  // namespace

void emit_Resize(const ir::Node& n, KernelCtx& ctx) {
  emit_resize(n, ctx);
}
void emit_Upsample(const ir::Node& n, KernelCtx& ctx) {
  emit_resize(n, ctx);
}

}  // namespace tinyaot
