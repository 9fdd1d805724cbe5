// Shared emission helpers.
#include "codegen/kernels/kernel_util.h"

#include "compiler/ops/op_util.h"

namespace tinyaot::codegen {

void emit_broadcast_loop(
    KernelCtx& ctx, const ir::Shape& out, const std::vector<ir::Shape>& ins,
    const std::function<void(const std::string&, const std::vector<std::string>&)>& body) {
  const int64_t total = ir::num_elements(out);
  bool simple = true;
  for (auto& s : ins)
    if (s != out && ir::num_elements(s) != 1 && ir::num_elements(s) != total) simple = false;
  if (simple) {
    std::vector<std::string> idx;
    for (auto& s : ins) idx.push_back(ir::num_elements(s) == 1 && total != 1 ? "0" : "i");
    ctx.open("for (int32_t i = 0; i < {}; ++i) {{", total);
    body("i", idx);
    ctx.close();
    return;
  }
  // General case: one loop per output dimension; inputs use broadcast strides (0 where size 1).
  const size_t rank = out.size();
  std::vector<std::vector<int64_t>> st;
  for (auto& s : ins) st.push_back(ops::broadcast_strides(s, out));
  ctx.line("int32_t o = 0;");
  for (size_t d = 0; d < rank; ++d) ctx.open("for (int32_t d{0} = 0; d{0} < {1}; ++d{0}) {{", d, out[d]);
  std::vector<std::string> idx;
  for (size_t k = 0; k < ins.size(); ++k) {
    std::string e;
    for (size_t d = 0; d < rank; ++d)
      if (st[k][d])
        e += (e.empty() ? "" : " + ") +
             (st[k][d] == 1 ? fmt::format("d{}", d) : fmt::format("d{} * {}", d, st[k][d]));
    idx.push_back(e.empty() ? "0" : e);
  }
  body("o", idx);
  ctx.line("++o;");
  for (size_t d = 0; d < rank; ++d) ctx.close();
}

}  // namespace tinyaot::codegen
