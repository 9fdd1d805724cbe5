// Sparse weight encoding (bitmap + non-zero values) for layers whose weights are mostly zero
// (`--prune magnitude:<s>`, or int8 weights equal to their zero point); docs/passes/prune.md.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace tinyaot::codegen::sparse {

// A weight matrix seen as `rows` output rows, each made of `segments` segments of `seg_len`
// columns. A convolution row is one output channel, a segment one kernel tap and a column one
// input channel; a fully connected row is one output column with a single segment of K inputs.
// Per row and segment, `seg_bytes()` bitmap bytes mark the non-zero columns (bit b of byte j is
// column 8j + b, least significant bit first); the non-zero values follow in the same order.
struct Encoded {
  int64_t rows = 0, segments = 0, seg_len = 0;
  std::vector<uint8_t> bitmap;  // rows * segments * seg_bytes()
  std::vector<double> values;   // the non-zero values, row by row, segment by segment
  int64_t seg_bytes() const { return (seg_len + 7) / 8; }
  // Flash bytes of the encoding with values of `value_size` bytes.
  int64_t bytes(int64_t value_size) const {
    return static_cast<int64_t>(bitmap.size()) + static_cast<int64_t>(values.size()) * value_size;
  }
};

// Element (row, segment, column) of a dense matrix, and the value that counts as zero in a row
// (0 for float; the row's weight zero point for int8).
using DenseAt = std::function<double(int64_t row, int64_t segment, int64_t column)>;
using ZeroOf = std::function<double(int64_t row)>;

Encoded encode(int64_t rows, int64_t segments, int64_t seg_len, const DenseAt& at, const ZeroOf& zero);

// The dense matrix [rows][segments][seg_len] an encoding stands for (zeros filled in); used by the
// tests to check the round trip. Throws std::invalid_argument on an inconsistent encoding.
std::vector<double> decode(const Encoded& e, const ZeroOf& zero);

}  // namespace tinyaot::codegen::sparse
