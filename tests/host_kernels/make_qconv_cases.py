#!/usr/bin/env python3
# Builds QLinearConv test cases for the host kernels (codegen/kernels/quant_host.cpp) in cases/<case>/:
# shape classes the real models do not cover (odd channel counts, stride 2, asymmetric pads,
# groups, dilation, uint8, 1-D, depthwise, fully connected). Expected outputs come from ONNX Runtime:
#   python3 make_qconv_cases.py models && node ../ms_ops/run_ort.js cases && python3 make_qconv_cases.py outputs
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ms_ops"))
from ort_outputs import write_outputs  # noqa: E402

CASES = os.path.join(HERE, "cases")
RNG = np.random.default_rng(20261122)


def qconv(name, t, C, M, G, spatial, k, strides, pads, dil=None, wt=None, per_channel=True, bias=True):
    wt = wt or t
    npx = np.int8 if t == TensorProto.INT8 else np.uint8
    npw = np.int8 if wt == TensorProto.INT8 else np.uint8
    lo, hi = (-128, 128) if t == TensorProto.INT8 else (0, 256)
    x = RNG.integers(lo, hi, size=[1, C] + spatial).astype(npx)
    wshape = [M, C // G] + k
    if wt == TensorProto.INT8:
        w, wzp = RNG.integers(-127, 128, size=wshape).astype(np.int8), np.zeros(M if per_channel else 1, np.int8)
    else:
        w, wzp = RNG.integers(0, 256, size=wshape).astype(np.uint8), np.full(1, 128, np.uint8)
        per_channel = False
    fan = (C // G) * int(np.prod(k))
    ws = (RNG.uniform(0.5, 1.5, size=M if per_channel else 1) * 0.02).astype(np.float32)
    xzp = np.array(RNG.integers(-20, 20) if t == TensorProto.INT8 else RNG.integers(100, 150), npx)
    yzp = np.array(3 if t == TensorProto.INT8 else 131, npx)
    xs, ys = np.float32(0.05), np.float32(0.05 * 0.02 * 40 * np.sqrt(fan) / 8)
    inits = [numpy_helper.from_array(np.array(xs, np.float32), "xs"), numpy_helper.from_array(xzp, "xzp"),
             numpy_helper.from_array(w, "w"), numpy_helper.from_array(ws if per_channel else ws.reshape([]), "ws"),
             numpy_helper.from_array(wzp if per_channel else wzp.reshape([]), "wzp"),
             numpy_helper.from_array(np.array(ys, np.float32), "ys"), numpy_helper.from_array(yzp, "yzp")]
    ins = ["x", "xs", "xzp", "w", "ws", "wzp", "ys", "yzp"]
    if bias:
        inits.append(numpy_helper.from_array(RNG.integers(-3000, 3000, size=M).astype(np.int32), "b"))
        ins.append("b")
    attrs = {"kernel_shape": k, "strides": strides, "pads": pads, "group": G}
    if dil:
        attrs["dilations"] = dil
    node = helper.make_node("QLinearConv", ins, ["y"], **attrs)
    g = helper.make_graph([node], name, [helper.make_tensor_value_info("x", t, x.shape)],
                          [helper.make_tensor_value_info("y", t, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    d = os.path.join(CASES, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    onnx.save_tensor(numpy_helper.from_array(x, "x"), os.path.join(d, "test_data_set_0", "input_0.pb"))
    raw = os.path.join(d, "in_0.raw")
    x.tofile(raw)
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump({"inputs": [{"name": "x", "dtype": str(x.dtype), "shape": list(x.shape), "raw": raw}],
                   "outputs": ["y"]}, f)


def models():
    S8, U8 = TensorProto.INT8, TensorProto.UINT8
    qconv("odd_channels_s8", S8, 5, 7, 1, [9, 11], [3, 3], [1, 1], [1, 1, 1, 1])
    qconv("stride2_asym_pads_s8", S8, 6, 20, 1, [13, 10], [3, 3], [2, 2], [1, 0, 2, 1])
    qconv("groups_s8", S8, 8, 12, 2, [7, 7], [3, 3], [1, 1], [1, 1, 1, 1])
    qconv("dilation_u8", U8, 3, 17, 1, [12, 9], [5, 3], [1, 1], [2, 1, 2, 1], dil=[2, 2])
    qconv("pointwise_u8_s8w", U8, 16, 33, 1, [5, 7], [1, 1], [1, 1], [0, 0, 0, 0], wt=S8)
    qconv("stride2_k1_s8", S8, 12, 16, 1, [9, 9], [1, 1], [2, 2], [0, 0, 0, 0], bias=False)
    qconv("depthwise_s8", S8, 10, 10, 10, [9, 6], [3, 3], [1, 1], [1, 1, 1, 1])
    qconv("depthwise_stride2_u8", U8, 6, 6, 6, [11, 9], [3, 3], [2, 2], [1, 1, 1, 1])
    qconv("depthwise_k5_dil_s8", S8, 4, 4, 4, [10, 12], [5, 5], [1, 1], [4, 2, 4, 3], dil=[2, 1])
    qconv("fully_connected_s8", S8, 70, 37, 1, [1, 1], [1, 1], [1, 1], [0, 0, 0, 0])
    qconv("conv1d_s8", S8, 4, 9, 1, [23], [5], [2], [2, 2])


def outputs():
    write_outputs(CASES, check=True)


if __name__ == "__main__":
    {"models": models, "outputs": outputs}[sys.argv[1]]()
