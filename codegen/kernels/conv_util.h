// Helpers shared by the float (conv.cpp) and integer (quant.cpp) convolution kernels: readable
// index expressions, the interior of an output dimension, and the valid-tap range on borders.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "codegen/kernel_ctx.h"

namespace tinyaot::codegen::convk {

// "a * b" with trivial factors simplified; keeps the emitted code readable.
std::string mul(const std::string& a, int64_t b);
// "a + b" with zero terms dropped.
std::string add_off(const std::string& a, const std::string& b);
// "a + c" / "a - c" with c == 0 dropped.
std::string add_const(const std::string& a, int64_t c);
// "3x3", or "3" when every value is equal and `collapse` is set (kernel names).
std::string join_x(const std::vector<int64_t>& v, bool collapse);
// Interior [lo, hi) of output positions along one dim where every kernel tap is in bounds.
std::pair<int64_t, int64_t> interior(int64_t out, int64_t in, int64_t k, int64_t s, int64_t d, int64_t p);
// Emits `int32_t klo, khi` = valid kernel taps for input origin `i` (a variable) along one dim.
void emit_tap_range(KernelCtx& ctx, const std::string& klo, const std::string& khi, const std::string& i,
                    int64_t in, int64_t k, int64_t d);

// Opens the loops over kernel dims 0..L-1 (bounds klo[i]..khi[i], output origin i<i>) and defines
// `wr` (weights of the current tap row, from `wc`) and `xr` (inputs, from `xc`). Returns the index
// of tap k<L> into xr. On a border row (`border_last`) xr starts at the row start so every pointer
// stays in bounds. The caller emits the innermost tap loop and closes the L loops.
std::string emit_tap_rows(KernelCtx& ctx, size_t L, const std::vector<std::string>& klo,
                          const std::vector<std::string>& khi, const std::vector<int64_t>& d,
                          const std::vector<int64_t>& istr, const std::vector<int64_t>& kstr,
                          bool border_last, const std::string& x_type, const std::string& w_type,
                          const std::string& xc, const std::string& wc);

// What the innermost body of a direct convolution reads while the output loops are open.
struct TapBounds {
  explicit TapBounds(size_t rank) : border(rank, false), klo(rank), khi(rank) {}
  std::vector<bool> border;           // dim i computes its valid tap range per position
  std::vector<std::string> klo, khi;  // tap bounds of dim i (literals in the interior)
  int64_t positions = 1;              // innermost output positions computed together
};

// Emits the loops over the output positions o<i> (with input origins i<i>) of a direct
// convolution and calls `body` inside the innermost one. Each dim splits into a leading border,
// where every position computes its valid tap range, an interior with constant tap bounds and a
// trailing border; the innermost interior runs in blocks of `block` positions. With
// `one_loop_depth`, dims before the last two (3-D depth) stay one loop that computes tap ranges
// only if some position needs them.
void emit_output_regions(KernelCtx& ctx, const std::vector<int64_t>& out, const std::vector<int64_t>& in,
                         const std::vector<int64_t>& k, const std::vector<int64_t>& s,
                         const std::vector<int64_t>& d, const std::vector<int64_t>& pb, int64_t block,
                         bool one_loop_depth, TapBounds& tb, const std::function<void()>& body);

}  // namespace tinyaot::codegen::convk
