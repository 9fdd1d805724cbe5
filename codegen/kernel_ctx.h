// The interface kernel emitters (codegen/kernels/<family>.cpp) use to write one layer's function.
// The driver (codegen/codegen.cpp) owns signatures, call sites, buffers, dedup and file layout.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "compiler/ir.h"

namespace tinyaot::codegen {

// generic: portable C++ only (plus vector-friendly float tiles behind #if SSE2/NEON, which need no
// arena). x86-64: generic plus AVX-512 VNNI int8 kernels for host builds, whose packing scratch
// enlarges the arena, so MCU builds of generic code do not pay for them.
enum class Target { Generic, CortexM4, CortexM7, CortexM33, CortexM55, X86_64 };

// The Cortex-M targets (DSP/MVE kernels, dense weights, no residual fusion by default).
inline bool is_cortex_m(Target t) {
  return t == Target::CortexM4 || t == Target::CortexM7 || t == Target::CortexM33 || t == Target::CortexM55;
}

// Which layers may store their weights in the sparse encoding (codegen/sparse_weights.h) when it
// is smaller than dense: none, int8 layers only (skipping w == zero point is exact), or float
// layers too (skipping w == 0 drops 0 * inf = NaN and the sign of -0, so only with --prune).
enum class SparseWeights { Off, Int8, All };

// Emitted kernels are `static void <name>(const T0* x0, ..., T* y0, ..., uint8_t* scratch)`.
// Parameter xi is node input i (omitted optional inputs still get a slot, passed as a null
// pointer), yi is output i. Constant inputs are passed as pointers to their weight arrays, and
// emitters may also read their values at compile time through node.inputs[i]->value.
// Parameters the body does not mention are left unnamed, so no unused-parameter warnings arise.
class KernelCtx {
 public:
  KernelCtx(const ir::Node& node, Target target) : node_(node), target_(target) {}

  const ir::Node& node() const { return node_; }
  // Set by the driver when output 0 shares memory with input 0 (depthwise convolution in place):
  // the kernel must finish reading each input channel before it writes over it.
  bool in_place_output() const { return in_place_output_; }
  void set_in_place_output(bool v) { in_place_output_ = v; }
  Target target() const { return target_; }
  SparseWeights sparse_weights() const { return sparse_; }
  void set_sparse_weights(SparseWeights s) { sparse_ = s; }
  static std::string in(size_t i) { return "x" + std::to_string(i); }
  static std::string out(size_t i) { return "y" + std::to_string(i); }

  // Names what the kernel is, e.g. "conv2d_f32_k3s1"; the driver prefixes the layer id.
  void set_name(const std::string& n) { name_ = n; }
  const std::string& name() const { return name_; }

  // Appends one line of body code at the current indentation. Use open()/close() for blocks:
  // open("for (int i = 0; i < {}; ++i) {{", n) ... close().
  template <class... A>
  void line(fmt::format_string<A...> f, A&&... args) {
    body_ +=
        std::string(static_cast<size_t>(indent_) * 2, ' ') + fmt::format(f, std::forward<A>(args)...) + "\n";
  }
  template <class... A>
  void open(fmt::format_string<A...> f, A&&... args) {
    line(f, std::forward<A>(args)...);
    ++indent_;
  }
  void close(const char* tail = "}") {
    --indent_;
    line("{}", tail);
  }
  void raw(const std::string& code) { body_ += code; }

  // Requests `bytes` of arena scratch (16-byte aligned) valid only during this kernel; returns an
  // expression of type `ctype*` pointing at it. Call at most once per kernel (carve it up).
  std::string scratch(size_t bytes, const std::string& ctype) {
    scratch_bytes_ = bytes;
    return "((" + ctype + "*)scratch)";
  }
  // Registers a file-level helper (e.g. an erf implementation) emitted once per generated file,
  // before all kernels; `code` must define `name` as a static function.
  void require_helper(const std::string& name, const std::string& code) { helpers_[name] = code; }
  // Adds a kernel-private constant table (e.g. precomputed indices) as a static const array at
  // file scope and returns its name. `values` are printed as C literals of `dtype`.
  std::string const_table(const std::string& base, ir::DType dtype, const std::vector<double>& values);
  // A const_table that holds the layer's weights in another form (the sparse encoding): its bytes
  // count in the weight total, like the weight arrays it replaces.
  std::string weight_table(const std::string& base, ir::DType dtype, const std::vector<double>& values) {
    weight_table_bytes_ += std::max<size_t>(values.size(), 1) * ir::dtype_size(dtype);
    return const_table(base, dtype, values);
  }
  size_t weight_table_bytes() const { return weight_table_bytes_; }

  // Formats a double as a C literal of the given type (exact for float, handles inf/nan).
  static std::string literal(double v, ir::DType t);

  // For the driver.
  const std::string& body() const { return body_; }
  size_t scratch_bytes() const { return scratch_bytes_; }
  const std::map<std::string, std::string>& helpers() const { return helpers_; }
  const std::vector<std::pair<std::string, std::string>>& tables() const { return tables_; }

 private:
  const ir::Node& node_;
  Target target_;
  SparseWeights sparse_ = SparseWeights::Off;
  size_t weight_table_bytes_ = 0;
  bool in_place_output_ = false;
  std::string name_ = "kernel";
  std::string body_;
  int indent_ = 1;
  size_t scratch_bytes_ = 0;
  std::map<std::string, std::string> helpers_;
  std::vector<std::pair<std::string, std::string>> tables_;  // name, full definition
};

}  // namespace tinyaot::codegen
