// Reader for NumPy .npy files (format versions 1.0, 2.0 and 3.0): the calibration data format of
// `--quantize int8 --calibration FILE.npy`.
#pragma once

#include <string>

#include "compiler/ir.h"

namespace tinyaot {

// Parses an in-memory .npy file. Accepted element types: little-endian float32 ('<f4'), uint8
// ('|u1') and int8 ('|i1'); C order only. Throws CompileError naming `what` (usually the file
// name) for a bad magic, a malformed header, an unsupported dtype, Fortran order, or a payload
// whose size does not match the shape.
ir::Value parse_npy(const std::string& bytes, const std::string& what);
// Reads and parses a file; a missing or unreadable file is a CompileError too.
ir::Value read_npy(const std::string& path);

}  // namespace tinyaot
