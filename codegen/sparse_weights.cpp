// Sparse weight encoding: bitmap per row and segment, then the non-zero values (sparse_weights.h).
#include "codegen/sparse_weights.h"

#include <stdexcept>

namespace tinyaot::codegen::sparse {

Encoded encode(int64_t rows, int64_t segments, int64_t seg_len, const DenseAt& at, const ZeroOf& zero) {
  Encoded e;
  e.rows = rows, e.segments = segments, e.seg_len = seg_len;
  const int64_t sb = e.seg_bytes();
  e.bitmap.assign(static_cast<size_t>(rows * segments * sb), 0);
  for (int64_t r = 0; r < rows; ++r) {
    const double z = zero(r);
    for (int64_t s = 0; s < segments; ++s)
      for (int64_t c = 0; c < seg_len; ++c) {
        const double v = at(r, s, c);
        if (v == z) continue;
        e.bitmap[static_cast<size_t>((r * segments + s) * sb + c / 8)] |= static_cast<uint8_t>(1u << (c % 8));
        e.values.push_back(v);
      }
  }
  return e;
}

std::vector<double> decode(const Encoded& e, const ZeroOf& zero) {
  const int64_t sb = e.seg_bytes();
  if (static_cast<int64_t>(e.bitmap.size()) != e.rows * e.segments * sb)
    throw std::invalid_argument("sparse decode: bitmap size does not match the shape");
  std::vector<double> dense(static_cast<size_t>(e.rows * e.segments * e.seg_len));
  size_t vi = 0;
  for (int64_t r = 0; r < e.rows; ++r)
    for (int64_t s = 0; s < e.segments; ++s)
      for (int64_t c = 0; c < sb * 8; ++c) {
        const bool set = (e.bitmap[static_cast<size_t>((r * e.segments + s) * sb + c / 8)] >> (c % 8)) & 1u;
        if (c >= e.seg_len) {
          if (set) throw std::invalid_argument("sparse decode: bit set past the segment end");
          continue;
        }
        double v = zero(r);
        if (set) {
          if (vi >= e.values.size()) throw std::invalid_argument("sparse decode: too few values");
          v = e.values[vi++];
        }
        dense[static_cast<size_t>((r * e.segments + s) * e.seg_len + c)] = v;
      }
  if (vi != e.values.size()) throw std::invalid_argument("sparse decode: values left over");
  return dense;
}

}  // namespace tinyaot::codegen::sparse
