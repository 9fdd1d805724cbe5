// Kernels of Gemm, MatMul and Einsum, specialised per layer. Matrix products go through
// emit_matmul (also used by Conv's pointwise path): each output row is produced in blocks of 4
// columns whose accumulators stay in registers while k runs, so each weight element of a
// constant B is streamed exactly once per output row and each A element is loaded once per
// block. The loop body adapts to B's layout (rows contiguous: 4 adjacent loads per k; B^T
// layout / transB: 4 dot products over contiguous rows).
#include <functional>
#include <string>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/conv_host.h"
#include "codegen/kernels/kernel_util.h"
#include "codegen/kernels/sparse.h"
#include "compiler/ops/gemm.h"
#include "compiler/ops/activation.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

namespace {
std::string mul(const std::string& a, int64_t b) {
  if (b == 0 || a == "0") return "0";
  if (b == 1) return a;
  return fmt::format("{} * {}", a, b);
}
std::string plus(const std::string& p, const std::string& off) {
  return off == "0" ? p : p + " + " + off;
}
}  // namespace

namespace codegen {

// Emits Y(i, j) = epi(sum_k A(i, k) * B(k, j)) for i < M, j < N with
// A(i, k) = a[i*sai + k*sak], B(k, j) = b[k*sbk + j*sbj], Y(i, j) = y[i*syi + j].
// `epi(acc, i, j)` returns the stored expression (i, j are C expressions, parenthesised).
// A fused activation (compiler/ops/activation.h) is applied to the accumulator register after the
// epilogue and before the store: no extra pass over Y.
// Register blocking: MR rows (4, 2 or 1, dividing M) x 4 columns of accumulators; per k step
// MR + 4 loads feed 4*MR multiply-adds. Leftover columns use MR accumulators.
void emit_matmul(
    KernelCtx& ctx, const std::string& ct, int64_t M, int64_t N, int64_t K, const std::string& a, int64_t sai,
    int64_t sak, const std::string& b, int64_t sbk, int64_t sbj, const std::string& y, int64_t syi,
    const std::function<std::string(const std::string&, const std::string&, const std::string&)>& epi,
    const act::Activation& fused) {
  // Hosts with a vector unit get accumulator tiles with contiguous columns (conv_host.h); the
  // loops below stay in the #else branch for Cortex-M. Both sum each output in the same order.
  const bool tiles = (ct == "float" || ct == "double") && hostk::matmul_tiles_fit(N, sbj);
  if (tiles) {
    ctx.raw(hostk::kSimdIf);
    hostk::emit_matmul_tiles(ctx, ct, M, N, K, a, sai, sak, b, sbk, y, syi, epi, fused);
    ctx.raw("#else\n");
  }
  const std::string zero = ct == "float" ? "0.0f" : "0.0";
  const int64_t NB = 4;
  const int64_t MR = M % 4 == 0 ? 4 : M % 2 == 0 ? 2 : 1;
  const int64_t N4 = N / NB * NB;
  const bool rows = sbj == 1;  // B's rows are contiguous
  auto iexpr = [](int64_t r) { return r ? fmt::format("(i + {})", r) : std::string("i"); };
  auto jexpr = [](int64_t t) { return t ? fmt::format("(j + {})", t) : std::string("j"); };
  if (M == 1) {
    ctx.open("{{");
    ctx.line("const int32_t i = 0;");
  } else {
    ctx.open("for (int32_t i = 0; i < {}; i += {}) {{", M, MR);
  }
  for (int64_t r = 0; r < MR; ++r) {
    ctx.line("const {}* ar{} = {};", ct, r, plus(a, mul(iexpr(r), sai)));
    ctx.line("{}* yr{} = {};", ct, r, plus(y, mul(iexpr(r), syi)));
  }
  auto block = [&](int64_t nb) {  // nb columns starting at j
    if (rows) {
      ctx.line("const {}* bj = {} + j;", ct, b);
    } else {
      for (int64_t t = 0; t < nb; ++t) ctx.line("const {}* b{} = {};", ct, t, plus(b, mul(jexpr(t), sbj)));
    }
    std::string decl;
    for (int64_t r = 0; r < MR; ++r)
      for (int64_t t = 0; t < nb; ++t)
        decl += fmt::format("{}c{}{} = {}", decl.empty() ? "" : ", ", r, t, zero);
    ctx.line("{} {};", ct, decl);
    ctx.open("for (int32_t k = 0; k < {}; ++k) {{", K);
    if (rows) ctx.line("const {}* bk = bj + {};", ct, mul("k", sbk));
    for (int64_t t = 0; t < nb; ++t)
      ctx.line("const {} bv{} = {};", ct, t,
               rows ? fmt::format("bk[{}]", t) : fmt::format("b{}[{}]", t, mul("k", sbk)));
    for (int64_t r = 0; r < MR; ++r) {
      ctx.line("const {} av{} = ar{}[{}];", ct, r, r, mul("k", sak));
      for (int64_t t = 0; t < nb; ++t) ctx.line("c{0}{1} += av{0} * bv{1};", r, t);
    }
    ctx.close();
    for (int64_t r = 0; r < MR; ++r)
      for (int64_t t = 0; t < nb; ++t) {
        const std::string c = fmt::format("c{}{}", r, t), e = epi(c, iexpr(r), jexpr(t));
        if (fused) {
          if (e != c) ctx.line("{} = {};", c, e);
          ctx.line("{}", act::c_stmt(fused, c, ct == "float" ? ir::DType::F32 : ir::DType::F64));
          ctx.line("yr{}[{}] = {};", r, t ? fmt::format("j + {}", t) : "j", c);
        } else {
          ctx.line("yr{}[{}] = {};", r, t ? fmt::format("j + {}", t) : "j", e);
        }
      }
  };
  if (N4 > 0) {
    ctx.open("for (int32_t j = 0; j < {}; j += {}) {{", N4, NB);
    block(NB);
    ctx.close();
  }
  if (N4 < N) {
    ctx.open("for (int32_t j = {}; j < {}; ++j) {{", N4, N);
    block(1);
    ctx.close();
  }
  ctx.close();
  if (tiles) ctx.raw("#endif\n");
}

}  // namespace codegen

using codegen::KernelCtx;

void emit_Gemm(const ir::Node& n, KernelCtx& ctx) {
  const ir::DType dt = n.outputs[0]->dtype;
  const std::string ct = ir::dtype_ctype(dt);
  const bool ta = n.attrs.get_int("transA", 0) != 0, tb = n.attrs.get_int("transB", 0) != 0;
  const double alpha = n.attrs.get_float("alpha", 1.0f), beta = n.attrs.get_float("beta", 1.0f);
  const auto& A = n.inputs[0]->shape;
  const auto& B = n.inputs[1]->shape;
  const int64_t M = ta ? A[1] : A[0], K = ta ? A[0] : A[1], N = tb ? B[0] : B[1];
  const act::Activation fused = act::parse(n);
  ctx.set_name(fmt::format("gemm_{}_{}x{}x{}{}{}{}", ir::dtype_name(dt), M, K, N, ta ? "_ta" : "",
                           tb ? "_tb" : "", act::name_suffix(fused)));
  const bool has_c = n.inputs.size() > 2 && n.inputs[2] && beta != 0.0;
  int64_t ci = 0, cj = 0;
  if (has_c) {
    auto st = ops::broadcast_strides(n.inputs[2]->shape, {M, N});
    ci = st[0], cj = st[1];
  }
  const std::string al = KernelCtx::literal(alpha, dt), be = KernelCtx::literal(beta, dt);
  auto epi = [&](const std::string& acc, const std::string& i, const std::string& j) {
    std::string e = alpha == 1.0 ? acc : fmt::format("{} * {}", al, acc);
    if (has_c) {
      std::string idx = mul(i, ci);
      if (cj) idx = idx == "0" ? mul(j, cj) : idx + " + " + mul(j, cj);
      std::string c = fmt::format("x2[{}]", idx);
      e += beta == 1.0 ? " + " + c : fmt::format(" + {} * {}", be, c);
    }
    return e;
  };
  // A constant B may be stored sparse (codegen/kernels/sparse.h) where that is smaller.
  if (n.inputs[1]->is_constant() &&
      codegen::sparse::emit_matmul(ctx, ct, M, N, K, "x0", ta ? 1 : K, ta ? M : 1, *n.inputs[1]->value,
                                   tb ? 1 : N, tb ? K : 1, "y0", N, epi, fused)) {
    ctx.set_name(ctx.name() + "_sparse");
    return;
  }
  codegen::emit_matmul(ctx, ct, M, N, K, "x0", ta ? 1 : K, ta ? M : 1, "x1", tb ? 1 : N, tb ? K : 1, "y0", N,
                       epi, fused);
}

void emit_MatMul(const ir::Node& n, KernelCtx& ctx) {
  const ir::DType dt = n.outputs[0]->dtype;
  const std::string ct = ir::dtype_ctype(dt);
  auto p = matmul_plan(n);
  const int64_t M = p[0][0], K = p[0][1], N = p[0][2];
  const ir::Shape &batch = p[1], &ab = p[2], &bb = p[3];
  std::string name = fmt::format("matmul_{}_{}x{}x{}", ir::dtype_name(dt), M, K, N);
  if (!batch.empty())
    name = fmt::format("matmul_{}_b{}_{}x{}x{}", ir::dtype_name(dt), ir::num_elements(batch), M, K, N);
  const act::Activation fused = act::parse(n);
  ctx.set_name(name + act::name_suffix(fused));
  if (batch.empty() && n.inputs[1]->is_constant() && n.inputs[1]->shape.size() == 2 &&
      codegen::sparse::emit_matmul(
          ctx, ct, M, N, K, "x0", K, 1, *n.inputs[1]->value, N, 1, "y0", N,
          [](const std::string& acc, const std::string&, const std::string&) { return acc; }, fused)) {
    ctx.set_name(ctx.name() + "_sparse");
    return;
  }
  const auto as = ops::broadcast_strides(ab, batch), bs = ops::broadcast_strides(bb, batch);
  std::string aoff = "0", boff = "0", yoff = "0";
  const auto os = ops::strides_of(batch);
  for (size_t d = 0; d < batch.size(); ++d) {
    if (batch[d] == 1) continue;
    const std::string v = fmt::format("bt{}", d);
    ctx.open("for (int32_t {0} = 0; {0} < {1}; ++{0}) {{", v, batch[d]);
    auto acc = [&](std::string& off, int64_t st) {
      if (!st) return;
      off = off == "0" ? mul(v, st) : off + " + " + mul(v, st);
    };
    acc(aoff, as[d] * M * K);
    acc(boff, bs[d] * K * N);
    acc(yoff, os[d] * M * N);
  }
  codegen::emit_matmul(
      ctx, ct, M, N, K, aoff == "0" ? "x0" : "(x0 + " + aoff + ")", K, 1,
      boff == "0" ? "x1" : "(x1 + " + boff + ")", N, 1, yoff == "0" ? "y0" : "(y0 + " + yoff + ")", N,
      [](const std::string& acc, const std::string&, const std::string&) { return acc; }, fused);
  for (size_t d = 0; d < batch.size(); ++d)
    if (batch[d] != 1) ctx.close();
}

void emit_Einsum(const ir::Node& n, KernelCtx& ctx) {
  const ir::DType dt = n.outputs[0]->dtype;
  const std::string ct = ir::dtype_ctype(dt);
  auto p = einsum_plan(n);
  const std::vector<int64_t>& ext = p[0];
  const size_t num_out = static_cast<size_t>(p[1][0]), T = p.size() - 2, L = ext.size();
  ctx.set_name(fmt::format("einsum_{}_{}op", ir::dtype_name(dt), T));
  // Output loops (row-major output, written sequentially), then summed-label loops.
  ctx.line("int32_t o = 0;");
  std::vector<std::string> off(T, "0");
  auto loop = [&](size_t l) {
    if (ext[l] == 1) return false;
    const std::string v = fmt::format("l{}", l);
    ctx.open("for (int32_t {0} = 0; {0} < {1}; ++{0}) {{", v, ext[l]);
    for (size_t t = 0; t < T; ++t) {
      const int64_t st = p[2 + t][l];
      if (st) off[t] = off[t] == "0" ? mul(v, st) : off[t] + " + " + mul(v, st);
    }
    return true;
  };
  size_t opened_out = 0, opened_sum = 0;
  for (size_t l = 0; l < num_out; ++l) opened_out += loop(l);
  ctx.line("{} acc = {};", ct, KernelCtx::literal(0, dt));
  for (size_t l = num_out; l < L; ++l) opened_sum += loop(l);
  std::string prod;
  for (size_t t = 0; t < T; ++t) prod += (t ? " * " : "") + fmt::format("x{}[{}]", t, off[t]);
  ctx.line("acc += {};", prod);
  for (size_t i = 0; i < opened_sum; ++i) ctx.close();
  ctx.line("y0[o++] = acc;");
  for (size_t i = 0; i < opened_out; ++i) ctx.close();
}

}  // namespace tinyaot
