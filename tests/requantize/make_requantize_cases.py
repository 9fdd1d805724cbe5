#!/usr/bin/env python3
"""Writes the merge-requantize test cases: QuantizeLinear(DequantizeLinear(x)) on all 256 values of an
8-bit input, with reference outputs computed by numpy in float32 exactly as the ONNX definitions say
(DequantizeLinear: (x - zp) * scale in float32; QuantizeLinear: x / scale in float32, round half to
even, + zp, saturate). Run from this folder: python3 make_requantize_cases.py"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CASES = [
    # name, x type, x scale, x zp, y type, y scale, y zp
    ("rq_s8_s8_half", np.int8, 0.25, 3, np.int8, 0.5, -2),
    ("rq_u8_s8_up", np.uint8, 0.5, 128, np.int8, 0.125, 0),
    ("rq_s8_s8_mixed", np.int8, 0.0471, -5, np.int8, 0.0313, 7),
    ("rq_s8_u8_mixed", np.int8, 0.0123, 10, np.uint8, 0.0456, 128),
]
ONNX_TYPE = {np.int8: TensorProto.INT8, np.uint8: TensorProto.UINT8}

for name, xt, xs, xz, yt, ys, yz in CASES:
    info = np.iinfo(xt)
    x = np.arange(info.min, info.max + 1).astype(xt).reshape(1, 256)
    f = (x.astype(np.int32) - xz).astype(np.float32) * np.float32(xs)
    yi = np.iinfo(yt)
    y = np.clip(np.rint(f / np.float32(ys)) + yz, yi.min, yi.max).astype(yt)
    inits = [numpy_helper.from_array(np.array(xs, np.float32), "xs"),
             numpy_helper.from_array(np.array(xz, xt), "xz"),
             numpy_helper.from_array(np.array(ys, np.float32), "ys"),
             numpy_helper.from_array(np.array(yz, yt), "yz")]
    nodes = [helper.make_node("DequantizeLinear", ["x", "xs", "xz"], ["f"]),
             helper.make_node("QuantizeLinear", ["f", "ys", "yz"], ["y"])]
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", ONNX_TYPE[xt], [1, 256])],
                          [helper.make_tensor_value_info("y", ONNX_TYPE[yt], [1, 256])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(m)
    os.makedirs(os.path.join(name, "test_data_set_0"), exist_ok=True)
    onnx.save(m, os.path.join(name, "model.onnx"))
    for kind, arr, n in (("input", x, "x"), ("output", y, "y")):
        with open(os.path.join(name, "test_data_set_0", kind + "_0.pb"), "wb") as fh:
            fh.write(numpy_helper.from_array(arr, n).SerializeToString())
