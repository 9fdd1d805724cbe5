// Kernels of data-movement ops, specialised per layer: every shape, stride and offset is a literal.
// Copies are planned as nested loops over (size, input stride, output stride) levels; levels that
// stay adjacent in both tensors are merged and contiguous innermost runs become memcpy calls.
// Run-time indices (Gather*, Scatter*, ReverseSequence lengths) are wrapped when negative and then
// clamped into range, so generated code never reads or writes out of bounds on bad input.
#include <algorithm>
#include <array>

#include "codegen/kernel_ctx.h"
#include "codegen/kernels/kernel_util.h"
#include "compiler/ops/op_util.h"
#include "compiler/ops/layout.h"
#include "compiler/ops/registry.h"

namespace tinyaot {

// Shared with compiler/ops/layout.cpp (defined there).
using codegen::KernelCtx;
using ir::DType;
using ir::Node;
using namespace layout_detail;

namespace {

// "v * s" with the trivial cases folded.
std::string mul(const std::string& v, int64_t s) {
  if (s == 0) return "0";
  if (s == 1) return v;
  if (s == -1) return "-" + v;
  if (s < 0) return fmt::format("{} * ({})", v, s);
  return fmt::format("{} * {}", v, s);
}

// "p + off" with the trivial cases folded.
std::string add(const std::string& p, const std::string& off) {
  if (off == "0" || off.empty()) return p;
  return p + " + " + off;
}
std::string add(const std::string& p, int64_t off) {
  if (off == 0) return p;
  if (off < 0) return fmt::format("{} - {}", p, -off);
  return fmt::format("{} + {}", p, off);
}

std::string bytes_expr(int64_t count, const char* ct) {
  return fmt::format("{} * sizeof({})", count, ct);
}

// Exact C literal of element 0 of a constant (integers are printed without going through double).
std::string scalar_literal(const ir::Value& v) {
  switch (v.dtype) {
    case DType::F32:
    case DType::F64: return KernelCtx::literal(v.get_f64(0), v.dtype);
    case DType::I64: {
      int64_t i = v.get_i64(0);
      return i == INT64_MIN ? "(-9223372036854775807LL - 1)" : fmt::format("{}LL", i);
    }
    case DType::U64: return fmt::format("{}ULL", v.data<uint64_t>()[0]);
    case DType::U32: return fmt::format("{}u", v.data<uint32_t>()[0]);
    case DType::I32: return v.get_i64(0) == INT32_MIN ? "(-2147483647 - 1)" : fmt::format("{}", v.get_i64(0));
    default: return fmt::format("{}", v.get_i64(0));
  }
}

// Emits a strided copy from `src` to `dst` (pointer expressions of C type `ct`).
void emit_walk(KernelCtx& ctx, const std::string& src, const std::string& dst, const char* ct, int64_t ibase,
               int64_t obase, Dims dims, const std::string& tag = "") {
  simplify(dims);
  if (!dims.empty() && dims[0][0] == 0) return;
  int64_t run = 0;
  if (!dims.empty() && dims.back()[1] == 1 && dims.back()[2] == 1) {
    run = dims.back()[0];
    dims.pop_back();
  }
  if (dims.empty()) {
    if (run > 1)
      ctx.line("memcpy({}, {}, {});", add(dst, obase), add(src, ibase), bytes_expr(run, ct));
    else
      ctx.line("{}[{}] = {}[{}];", dst, obase, src, ibase);
    return;
  }
  // Element loop on the innermost level when it is not contiguous in both tensors.
  const size_t loops = run ? dims.size() : dims.size() - 1;
  std::string s = add(src, ibase), d = add(dst, obase);
  for (size_t l = 0; l < loops; ++l) {
    const std::string i = fmt::format("i{}{}", tag, l);
    ctx.open("for (int32_t {0} = 0; {0} < {1}; ++{0}) {{", i, dims[l][0]);
    const std::string sn = fmt::format("s{}{}", tag, l), dn = fmt::format("d{}{}", tag, l);
    ctx.line("const {}* {} = {};", ct, sn, add(s, mul(i, dims[l][1])));
    ctx.line("{}* {} = {};", ct, dn, add(d, mul(i, dims[l][2])));
    s = sn;
    d = dn;
  }
  if (run) {
    if (run > 1)
      ctx.line("memcpy({}, {}, {});", d, s, bytes_expr(run, ct));
    else
      ctx.line("*{} = *{};", d, s);
  } else {
    const auto& L = dims.back();
    const std::string j = "j" + tag;
    auto paren = [](const std::string& p) { return p.find(' ') == std::string::npos ? p : "(" + p + ")"; };
    ctx.line("for (int32_t {0} = 0; {0} < {1}; ++{0}) {2}[{3}] = {4}[{5}];", j, L[0], paren(d), mul(j, L[2]),
             paren(s), mul(j, L[1]));
  }
  for (size_t l = 0; l < loops; ++l) ctx.close();
}

// Declares `int32_t var` = index expression `expr` (int32/int64 source) wrapped and clamped to
// [0, extent).
void emit_index(KernelCtx& ctx, const std::string& var, const std::string& expr, DType itype,
                int64_t extent) {
  const char* it = itype == DType::I64 ? "int64_t" : "int32_t";
  ctx.line("{0} {1}_ = {2};", it, var, expr);
  ctx.line("if ({0}_ < 0) {0}_ += {1};", var, extent);
  ctx.line("const int32_t {0} = {0}_ < 0 ? 0 : ({0}_ >= {1} ? {2} : (int32_t){0}_);", var, extent,
           extent - 1);
}

// Statement applying a scatter reduction: lhs = reduce(lhs, rhs).
std::string reduce_stmt(int red, DType t, const std::string& lhs, const std::string& rhs) {
  const char* ct = ir::dtype_ctype(t);
  const char* ut = ir::dtype_size(t) == 8 ? "uint64_t" : "uint32_t";
  const bool fl = ir::dtype_is_float(t);
  switch (red) {
    case 1:
      return fl ? fmt::format("{} += {};", lhs, rhs)
                : fmt::format("{0} = ({1})(({2}){0} + ({2}){3});", lhs, ct, ut, rhs);
    case 2:
      return fl ? fmt::format("{} *= {};", lhs, rhs)
                : fmt::format("{0} = ({1})(({2}){0} * ({2}){3});", lhs, ct, ut, rhs);
    case 3: return fmt::format("if ({1} > {0}) {0} = {1};", lhs, rhs);
    case 4: return fmt::format("if ({1} < {0}) {0} = {1};", lhs, rhs);
    default: return fmt::format("{} = {};", lhs, rhs);
  }
}

const char* red_name(int red) {
  static const char* names[] = {"", "_add", "_mul", "_max", "_min"};
  return names[red];
}

void emit_strided_op(const Node& n, KernelCtx& ctx) {
  int64_t ib, ob;
  Dims dims;
  strided_plan(n, ib, ob, dims);
  emit_walk(ctx, "x0", "y0", ir::dtype_ctype(n.outputs[0]->dtype), ib, ob, dims);
}

// Shared by GatherElements and ScatterElements: loops over the indices' shape; the innermost body
// receives the data pointer for the current non-axis position, the wrapped index and the flat
// position `e` in indices/updates.
void emit_elements_loop(KernelCtx& ctx, const Node& n, const std::string& data, bool write,
                        const std::function<void(const std::string& p, const std::string& idx)>& body) {
  const auto& dshape = n.inputs[0]->shape;
  const auto& ishape = n.inputs[1]->shape;
  const int64_t rank = static_cast<int64_t>(dshape.size());
  const int64_t axis = axis_attr(n, rank, 0);
  const std::vector<int64_t> dst = ops::strides_of(dshape);
  const char* ct = ir::dtype_ctype(n.inputs[0]->dtype);
  ctx.line("int32_t e = 0;");
  std::string cur = data;
  for (int64_t d = 0; d < rank; ++d) {
    ctx.open("for (int32_t i{0} = 0; i{0} < {1}; ++i{0}) {{", d, ishape[d]);
    if (d != axis && ishape[d] > 1) {
      std::string p = fmt::format("p{}", d);
      ctx.line("{}{}* {} = {};", write ? "" : "const ", ct, p, add(cur, mul(fmt::format("i{}", d), dst[d])));
      cur = p;
    }
  }
  emit_index(ctx, "k", "x1[e]", n.inputs[1]->dtype, dshape[axis]);
  body(cur, mul("k", dst[axis]));
  ctx.line("++e;");
  for (int64_t d = 0; d < rank; ++d) ctx.close();
}

void emit_scatter_elements(const Node& n, KernelCtx& ctx) {
  const DType t = n.outputs[0]->dtype;
  const char* ct = ir::dtype_ctype(t);
  const int red = n.op == "Scatter" ? 0 : scatter_reduction(n);
  const int64_t axis = axis_attr(n, static_cast<int64_t>(n.inputs[0]->shape.size()), 0);
  ctx.set_name(fmt::format("scatter_elements_{}_axis{}{}", ir::dtype_name(t), axis, red_name(red)));
  if (n.outputs[0]->numel() == 0) return;
  ctx.line("memcpy(y0, x0, {});", bytes_expr(n.outputs[0]->numel(), ct));
  if (n.inputs[1]->numel() == 0) return;
  emit_elements_loop(ctx, n, "y0", true, [&](const std::string& p, const std::string& idx) {
    ctx.line("{}", reduce_stmt(red, t, fmt::format("{}[{}]", p, idx), "x2[e]"));
  });
}

}  // namespace

void emit_Transpose(const Node& n, KernelCtx& ctx) {
  std::vector<int64_t> perm = n.attrs.get_ints("perm");
  if (perm.empty())
    for (size_t d = n.inputs[0]->shape.size(); d-- > 0;) perm.push_back(static_cast<int64_t>(d));
  std::string p;
  for (int64_t v : perm) p += std::to_string(v);
  ctx.set_name(fmt::format("transpose_{}_perm{}", ir::dtype_name(n.outputs[0]->dtype), p));
  emit_strided_op(n, ctx);
}

void emit_Concat(const Node& n, KernelCtx& ctx) {
  const DType t = n.outputs[0]->dtype;
  const char* ct = ir::dtype_ctype(t);
  const ir::Shape& os = n.outputs[0]->shape;
  const int64_t axis = axis_attr(n, static_cast<int64_t>(os.size()), 0);
  ctx.set_name(fmt::format("concat_{}_axis{}", ir::dtype_name(t), axis));
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= os[d];
  for (size_t d = axis + 1; d < os.size(); ++d) inner *= os[d];
  int64_t off = 0;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const int64_t blk = n.inputs[i]->shape[axis] * inner;
    emit_walk(ctx, KernelCtx::in(i), "y0", ct, 0, off, {{outer, blk, os[axis] * inner}, {blk, 1, 1}});
    off += blk;
  }
}

void emit_Split(const Node& n, KernelCtx& ctx) {
  const ir::Shape& is = n.inputs[0]->shape;
  const DType t = n.inputs[0]->dtype;
  const char* ct = ir::dtype_ctype(t);
  const int64_t axis = axis_attr(n, static_cast<int64_t>(is.size()), 0);
  ctx.set_name(fmt::format("split_{}_axis{}", ir::dtype_name(t), axis));
  const std::vector<int64_t> sizes = split_sizes(n);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= is[d];
  for (size_t d = axis + 1; d < is.size(); ++d) inner *= is[d];
  int64_t off = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const int64_t blk = sizes[i] * inner;
    if (n.outputs[i])
      emit_walk(ctx, "x0", KernelCtx::out(i), ct, off, 0, {{outer, is[axis] * inner, blk}, {blk, 1, 1}});
    off += blk;
  }
}

void emit_Slice(const Node& n, KernelCtx& ctx) {
  ctx.set_name(fmt::format("slice_{}", ir::dtype_name(n.outputs[0]->dtype)));
  emit_strided_op(n, ctx);
}

void emit_DepthToSpace(const Node& n, KernelCtx& ctx) {
  const bool crd = n.opset >= 11 && n.attrs.get_string("mode", "DCR") == "CRD";
  ctx.set_name(fmt::format("depth_to_space_{}_b{}_{}", ir::dtype_name(n.outputs[0]->dtype),
                           n.attrs.get_int("blocksize", 0), crd ? "crd" : "dcr"));
  emit_strided_op(n, ctx);
}

void emit_SpaceToDepth(const Node& n, KernelCtx& ctx) {
  ctx.set_name(fmt::format("space_to_depth_{}_b{}", ir::dtype_name(n.outputs[0]->dtype),
                           n.attrs.get_int("blocksize", 0)));
  emit_strided_op(n, ctx);
}

void emit_Gather(const Node& n, KernelCtx& ctx) {
  const ir::Shape& ds = n.inputs[0]->shape;
  const ir::Tensor& idx = *n.inputs[1];
  const DType t = n.outputs[0]->dtype;
  const char* ct = ir::dtype_ctype(t);
  const int64_t axis = axis_attr(n, static_cast<int64_t>(ds.size()), 0);
  ctx.set_name(fmt::format("gather_{}_axis{}", ir::dtype_name(t), axis));
  if (n.outputs[0]->numel() == 0) return;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= ds[d];
  for (size_t d = axis + 1; d < ds.size(); ++d) inner *= ds[d];
  const int64_t D = ds[axis], N = idx.numel();
  if (idx.is_constant() && N == 1) {  // a slice at a fixed position
    int64_t j = idx.value->get_i64(0);
    if (j < 0) j += D;
    emit_walk(ctx, "x0", "y0", ct, j * inner, 0, {{outer, D * inner, inner}, {inner, 1, 1}});
    return;
  }
  std::string dst = "y0", src = "x0";
  if (outer > 1) {
    ctx.open("for (int32_t o = 0; o < {}; ++o) {{", outer);
    ctx.line("const {}* src = x0 + {};", ct, mul("o", D * inner));
    ctx.line("{}* dst = y0 + {};", ct, mul("o", N * inner));
    dst = "dst";
    src = "src";
  }
  ctx.open("for (int32_t k = 0; k < {}; ++k) {{", N);
  if (idx.is_constant()) {
    std::vector<double> offs;
    for (int64_t k = 0; k < N; ++k) {
      int64_t j = idx.value->get_i64(k);
      offs.push_back(static_cast<double>((j < 0 ? j + D : j) * inner));
    }
    std::string tab = ctx.const_table("gather_offsets", DType::I32, offs);
    ctx.line("const int32_t j = {}[k];", tab);
  } else {
    emit_index(ctx, "v", "x1[k]", idx.dtype, D);
    ctx.line("const int32_t j = {};", mul("v", inner));
  }
  if (inner == 1)
    ctx.line("{}[k] = {}[j];", dst, src);
  else
    ctx.line("memcpy({} + {}, {} + j, {});", dst, mul("k", inner), src, bytes_expr(inner, ct));
  ctx.close();
  if (outer > 1) ctx.close();
}

void emit_GatherElements(const Node& n, KernelCtx& ctx) {
  const DType t = n.outputs[0]->dtype;
  const int64_t axis = axis_attr(n, static_cast<int64_t>(n.inputs[0]->shape.size()), 0);
  ctx.set_name(fmt::format("gather_elements_{}_axis{}", ir::dtype_name(t), axis));
  if (n.outputs[0]->numel() == 0) return;
  emit_elements_loop(ctx, n, "x0", false,
                     [&](const std::string& p, const std::string& i) { ctx.line("y0[e] = {}[{}];", p, i); });
}

void emit_GatherND(const Node& n, KernelCtx& ctx) {
  const ir::Shape& ds = n.inputs[0]->shape;
  const ir::Shape& is = n.inputs[1]->shape;
  const DType t = n.outputs[0]->dtype;
  const char* ct = ir::dtype_ctype(t);
  const int64_t b = n.attrs.get_int("batch_dims", 0);
  const int64_t k = is.back();
  ctx.set_name(fmt::format("gathernd_{}_b{}k{}", ir::dtype_name(t), b, k));
  if (n.outputs[0]->numel() == 0) return;
  const std::vector<int64_t> dst = ops::strides_of(ds);
  int64_t B = 1, M = 1, S = 1;
  for (int64_t d = 0; d < b; ++d) B *= ds[d];
  for (size_t d = b; d + 1 < is.size(); ++d) M *= is[d];
  for (size_t d = b + k; d < ds.size(); ++d) S *= ds[d];
  const int64_t batch_stride = b > 0 ? dst[b - 1] : 0;
  ctx.line("int32_t t = 0;");
  ctx.open("for (int32_t bi = 0; bi < {}; ++bi) {{", B);
  ctx.line("const {}* src = {};", ct, add("x0", mul("bi", batch_stride)));
  ctx.open("for (int32_t m = 0; m < {}; ++m, ++t) {{", M);
  std::string off;
  for (int64_t j = 0; j < k; ++j) {
    emit_index(ctx, fmt::format("c{}", j), fmt::format("x1[{}]", add(mul("t", k), j)), n.inputs[1]->dtype,
               ds[b + j]);
    off += (off.empty() ? "" : " + ") + mul(fmt::format("c{}", j), dst[b + j]);
  }
  if (S == 1)
    ctx.line("y0[t] = src[{}];", off);
  else
    ctx.line("memcpy(y0 + {}, src + {}, {});", mul("t", S), off, bytes_expr(S, ct));
  ctx.close();
  ctx.close();
}

void emit_Scatter(const Node& n, KernelCtx& ctx) {
  emit_scatter_elements(n, ctx);
}
void emit_ScatterElements(const Node& n, KernelCtx& ctx) {
  emit_scatter_elements(n, ctx);
}

void emit_ScatterND(const Node& n, KernelCtx& ctx) {
  const ir::Shape& ds = n.inputs[0]->shape;
  const ir::Shape& is = n.inputs[1]->shape;
  const DType t = n.outputs[0]->dtype;
  const char* ct = ir::dtype_ctype(t);
  const int red = scatter_reduction(n);
  const int64_t k = is.back();
  ctx.set_name(fmt::format("scatternd_{}_k{}{}", ir::dtype_name(t), k, red_name(red)));
  if (n.outputs[0]->numel() == 0) return;
  ctx.line("memcpy(y0, x0, {});", bytes_expr(n.outputs[0]->numel(), ct));
  const std::vector<int64_t> dst = ops::strides_of(ds);
  const int64_t M = n.inputs[1]->numel() / k;
  int64_t S = 1;
  for (size_t d = k; d < ds.size(); ++d) S *= ds[d];
  if (M == 0 || S == 0) return;
  ctx.open("for (int32_t m = 0; m < {}; ++m) {{", M);
  std::string off;
  for (int64_t j = 0; j < k; ++j) {
    emit_index(ctx, fmt::format("c{}", j), fmt::format("x1[{}]", add(mul("m", k), j)), n.inputs[1]->dtype,
               ds[j]);
    off += (off.empty() ? "" : " + ") + mul(fmt::format("c{}", j), dst[j]);
  }
  if (red == 0 && S > 1) {
    ctx.line("memcpy(y0 + {}, x2 + {}, {});", off, mul("m", S), bytes_expr(S, ct));
  } else if (S == 1) {
    ctx.line("{}", reduce_stmt(red, t, fmt::format("y0[{}]", off), "x2[m]"));
  } else {
    ctx.line("{}* p = y0 + {};", ct, off);
    ctx.line("const {}* u = x2 + {};", ct, mul("m", S));
    ctx.line("for (int32_t s = 0; s < {}; ++s) {}", S, reduce_stmt(red, t, "p[s]", "u[s]"));
  }
  ctx.close();
}

// One pass over the output: outer dimensions walk rows (padded ones through a table of source
// offsets, -1 marking a constant row), each innermost row is left pad, a memcpy'd middle and
// right pad. Unpadded outer dimensions are merged.
void emit_Pad(const Node& n, KernelCtx& ctx) {
  const ir::Shape& xs = n.inputs[0]->shape;
  const ir::Shape& ys = n.outputs[0]->shape;
  const DType t = n.outputs[0]->dtype;
  const char* ct = ir::dtype_ctype(t);
  const int mode = pad_mode(n);
  static const char* mode_names[] = {"constant", "reflect", "edge"};
  ctx.set_name(fmt::format("pad_{}_{}", ir::dtype_name(t), mode_names[mode]));
  const int64_t total = n.outputs[0]->numel();
  if (total == 0) return;
  const std::vector<int64_t> pads = pad_amounts(n);
  const size_t rank = xs.size();
  if (rank == 0) {
    ctx.line("y0[0] = x0[0];");
    return;
  }
  auto paren = [](const std::string& p) { return p.find(' ') == std::string::npos ? p : "(" + p + ")"; };
  // The constant (mode constant only): a literal, or x2[0] when it is a run-time scalar.
  std::string v;
  bool zero = false;
  if (mode == 0) {
    if (n.opset < 11) {
      ir::Value c(t, {});
      c.set_f64(0, n.attrs.get_float("value", 0.0f));
      v = scalar_literal(c);
      zero = std::all_of(c.bytes.begin(), c.bytes.end(), [](uint8_t b) { return b == 0; });
    } else if (!ops::has_input(n, 2)) {
      zero = true;
    } else if (n.inputs[2]->is_constant()) {
      const ir::Value& c = *n.inputs[2]->value;
      v = scalar_literal(c);
      zero = std::all_of(c.bytes.begin(), c.bytes.end(), [](uint8_t b) { return b == 0; });
    } else {
      v = "x2[0]";
    }
  }
  bool declared = false;
  auto fill = [&](const std::string& d, int64_t from, int64_t cnt) {
    if (cnt <= 0) return;
    if (zero) {
      ctx.line("memset({}, 0, {});", add(d, from), bytes_expr(cnt, ct));
      return;
    }
    if (!declared) throw CompileError("internal: pad constant used before declaration");
    if (cnt == 1)
      ctx.line("{}[{}] = v;", paren(d), from);
    else
      ctx.line("for (int32_t j = {}; j < {}; ++j) {}[j] = v;", from, from + cnt, paren(d));
  };
  if (mode == 0 && !zero) {
    ctx.line("const {} v = {};", ct, v);
    declared = true;
  }
  // Every kept extent empty in some dimension: the output is all constant.
  for (size_t l = 0; l < rank; ++l)
    if (xs[l] - std::max<int64_t>(0, -pads[l]) - std::max<int64_t>(0, -pads[l + rank]) <= 0) {
      fill("y0", 0, total);
      return;
    }
  const std::vector<int64_t> xst = ops::strides_of(xs), yst = ops::strides_of(ys);
  // Outer levels: {output size, input stride, output stride, padded dimension index or -1}.
  std::vector<std::array<int64_t, 4>> levels;
  int64_t sbase = 0;
  for (size_t l = 0; l + 1 < rank; ++l) {
    const bool padded = pads[l] != 0 || pads[l + rank] != 0;
    if (ys[l] == 1) {  // no loop: a fixed source row (kept extent is non-empty, so not constant)
      sbase += padded ? pad_source(0, pads[l], pads[l + rank], xs[l], mode) * xst[l] : 0;
      continue;
    }
    if (!padded && !levels.empty() && levels.back()[3] < 0 && levels.back()[1] == xst[l] * xs[l] &&
        levels.back()[2] == yst[l] * ys[l]) {
      levels.back() = {levels.back()[0] * ys[l], xst[l], yst[l], -1};
      continue;
    }
    levels.push_back({ys[l], xst[l], yst[l], padded ? static_cast<int64_t>(l) : -1});
  }
  std::string s = add("x0", sbase), d = "y0";
  for (size_t q = 0; q < levels.size(); ++q) {
    const auto& L = levels[q];
    const std::string i = fmt::format("i{}", q);
    ctx.open("for (int32_t {0} = 0; {0} < {1}; ++{0}) {{", i, L[0]);
    const std::string dn = fmt::format("d{}", q);
    ctx.line("{}* {} = {};", ct, dn, add(d, mul(i, L[2])));
    std::string src_off;
    if (L[3] < 0) {
      src_off = mul(i, L[1]);
    } else {
      const size_t l = static_cast<size_t>(L[3]);
      std::vector<double> tab;
      bool constant_rows = false;
      for (int64_t j = 0; j < ys[l]; ++j) {
        const int64_t src = pad_source(j, pads[l], pads[l + rank], xs[l], mode);
        constant_rows = constant_rows || src < 0;
        tab.push_back(static_cast<double>(src < 0 ? -1 : src * xst[l]));
      }
      const std::string tn = ctx.const_table(fmt::format("pad_rows{}", l), DType::I32, tab);
      if (constant_rows) {
        ctx.line("const int32_t r{} = {}[{}];", q, tn, i);
        ctx.open("if (r{} < 0) {{", q);
        fill(dn, 0, L[2]);
        ctx.line("continue;");
        ctx.close();
        src_off = fmt::format("r{}", q);
      } else {
        src_off = fmt::format("{}[{}]", tn, i);
      }
    }
    ctx.line("const {}* s{} = {};", ct, q, add(s, src_off));
    s = fmt::format("s{}", q);
    d = dn;
  }
  const size_t l = rank - 1;
  const int64_t pb = pads[l], pe = pads[l + rank], W = ys[l];
  const int64_t left = std::max<int64_t>(0, pb), right = std::max<int64_t>(0, pe);
  const int64_t c0 = std::max<int64_t>(0, -pb), mid = W - left - right;
  if (mode == 0) {
    fill(d, 0, left);
    fill(d, left + mid, right);
  } else if (mode == 2) {
    auto edge = [&](int64_t from, int64_t cnt, int64_t src) {
      if (cnt == 1)
        ctx.line("{}[{}] = {}[{}];", paren(d), from, paren(s), src);
      else if (cnt > 1)
        ctx.line("for (int32_t j = {}; j < {}; ++j) {}[j] = {}[{}];", from, from + cnt, paren(d), paren(s),
                 src);
    };
    edge(0, left, c0);
    edge(left + mid, right, c0 + mid - 1);
  } else if (left + right <= 4) {
    for (int64_t j = 0; j < W; ++j)
      if (j < left || j >= left + mid)
        ctx.line("{}[{}] = {}[{}];", paren(d), j, paren(s), pad_source(j, pb, pe, xs[l], mode));
  } else {
    std::vector<double> tab;
    for (int64_t j = 0; j < left; ++j) tab.push_back(static_cast<double>(pad_source(j, pb, pe, xs[l], mode)));
    for (int64_t j = left + mid; j < W; ++j)
      tab.push_back(static_cast<double>(pad_source(j, pb, pe, xs[l], mode)));
    std::string tn = ctx.const_table("pad_cols", DType::I32, tab);
    if (left) ctx.line("for (int32_t j = 0; j < {}; ++j) {}[j] = {}[{}[j]];", left, paren(d), paren(s), tn);
    if (right)
      ctx.line("for (int32_t j = 0; j < {}; ++j) {}[{}] = {}[{}[{}]];", right, paren(d), add("j", left + mid),
               paren(s), tn, add("j", left));
  }
  if (mid > 1)
    ctx.line("memcpy({}, {}, {});", add(d, left), add(s, c0), bytes_expr(mid, ct));
  else if (mid == 1)
    ctx.line("{}[{}] = {}[{}];", paren(d), left, paren(s), c0);
  for (size_t q = 0; q < levels.size(); ++q) ctx.close();
}

void emit_ReverseSequence(const Node& n, KernelCtx& ctx) {
  const ir::Shape& xs = n.inputs[0]->shape;
  const DType t = n.outputs[0]->dtype;
  const char* ct = ir::dtype_ctype(t);
  const int64_t ba = n.attrs.get_int("batch_axis", 1);
  ctx.set_name(fmt::format("reverse_sequence_{}_batch{}", ir::dtype_name(t), ba));
  if (n.outputs[0]->numel() == 0) return;
  const int64_t B = xs[ba], T = xs[1 - ba];
  int64_t inner = 1;
  for (size_t d = 2; d < xs.size(); ++d) inner *= xs[d];
  const int64_t bs = ba == 0 ? T * inner : inner, ts = ba == 0 ? inner : B * inner;
  ctx.open("for (int32_t b = 0; b < {}; ++b) {{", B);
  // Lengths outside [0, T] are clamped.
  const char* it = n.inputs[1]->dtype == DType::I64 ? "int64_t" : "int32_t";
  ctx.line("const {} n_ = x1[b];", it);
  ctx.line("const int32_t len = n_ < 0 ? 0 : (n_ > {0} ? {0} : (int32_t)n_);", T);
  ctx.line("const {}* src = {};", ct, add("x0", mul("b", bs)));
  ctx.line("{}* dst = {};", ct, add("y0", mul("b", bs)));
  ctx.open("for (int32_t t = 0; t < {}; ++t) {{", T);
  ctx.line("const int32_t from = t < len ? len - 1 - t : t;");
  if (inner == 1)
    ctx.line("dst[{}] = src[{}];", mul("t", ts), mul("from", ts));
  else
    ctx.line("memcpy(dst + {}, src + {}, {});", mul("t", ts), mul("from", ts), bytes_expr(inner, ct));
  ctx.close();
  ctx.close();
}

}  // namespace tinyaot
