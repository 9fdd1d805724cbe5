#!/usr/bin/env python3
# Builds the com.microsoft quantized-op test cases in tests/ms_ops/<case>/ (model.onnx and
# test_data_set_0/input_*.pb); expected outputs come from ONNX Runtime via run_ort.js:
#   python3 make_ms_ops.py models        # writes models, inputs and a manifest for node
#   node run_ort.js <dir>                 # onnxruntime-node writes raw outputs next to the manifest
#   python3 make_ms_ops.py outputs        # turns the raw outputs into output_*.pb
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ort_outputs import write_case, write_outputs

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(20261122)
NP = {TensorProto.INT8: np.int8, TensorProto.UINT8: np.uint8, TensorProto.FLOAT: np.float32,
      TensorProto.INT32: np.int32}


def q(t, shape):
    """Random 8-bit tensor covering the whole range of type t."""
    lo, hi = (-128, 128) if t == TensorProto.INT8 else (0, 256)
    return RNG.integers(lo, hi, size=shape).astype(NP[t])


def scalar(name, t, v):
    return helper.make_tensor(name, t, [], [v])


def save(name, nodes, inputs, outputs, inits, feeds):
    """One case: a graph of `nodes` plus the values fed to its inputs."""
    d = os.path.join(HERE, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    g = helper.make_graph(nodes, name, inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    write_case(d, m, inputs, feeds, [o.name for o in outputs])


def tname(t):
    return "s8" if t == TensorProto.INT8 else "u8"


def zp_of(t, signed_v, unsigned_v):
    return signed_v if t == TensorProto.INT8 else unsigned_v


def binary(op, t):
    a, b = q(t, [2, 3, 4]), q(t, [3, 4])
    inits = [scalar("sa", TensorProto.FLOAT, 0.031), scalar("za", t, zp_of(t, -5, 120)),
             scalar("sb", TensorProto.FLOAT, 0.047), scalar("zb", t, zp_of(t, 7, 131)),
             scalar("sy", TensorProto.FLOAT, 0.09 if op == "QLinearMul" else 0.06), scalar("zy", t, zp_of(t, 3, 125))]
    n = helper.make_node(op, ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"], ["y"], domain="com.microsoft")
    save(f"{op.lower()}_{tname(t)}", [n], [helper.make_tensor_value_info("a", t, a.shape),
                                            helper.make_tensor_value_info("b", t, b.shape)],
         [helper.make_tensor_value_info("y", t, None)], inits, [a, b])


def unary(op, t, attrs, case_suffix="", xs=0.05, ys=0.02, yzs=(-128, 0)):
    x = q(t, [2, 3, 5, 5])
    inits = [scalar("sx", TensorProto.FLOAT, xs), scalar("zx", t, zp_of(t, 9, 140)),
             scalar("sy", TensorProto.FLOAT, ys), scalar("zy", t, zp_of(t, *yzs))]
    n = helper.make_node(op, ["x", "sx", "zx", "sy", "zy"], ["y"], domain="com.microsoft", **attrs)
    save(f"{op.lower()}_{tname(t)}{case_suffix}", [n], [helper.make_tensor_value_info("x", t, x.shape)],
         [helper.make_tensor_value_info("y", t, None)], inits, [x])


def gemm(t, per_column, float_out, trans_b, bias):
    M, K, N = 3, 17, 5
    a = q(t, [M, K])
    bw = q(t, [N, K] if trans_b else [K, N])
    inits = [scalar("sa", TensorProto.FLOAT, 0.02), scalar("za", t, zp_of(t, -3, 128)),
             numpy_helper.from_array(bw, "b")]
    if per_column:
        inits += [numpy_helper.from_array(np.linspace(0.004, 0.011, N).astype(np.float32), "sb"),
                  numpy_helper.from_array(np.zeros(N, NP[t]) + zp_of(t, 0, 128), "zb")]
    else:
        inits += [scalar("sb", TensorProto.FLOAT, 0.007), scalar("zb", t, zp_of(t, 0, 127))]
    ins = ["a", "sa", "za", "b", "sb", "zb"]
    if bias:
        inits.append(numpy_helper.from_array(RNG.integers(-4000, 4000, size=[N]).astype(np.int32), "c"))
        ins.append("c")
    elif not float_out:
        ins.append("")
    if not float_out:
        inits += [scalar("sy", TensorProto.FLOAT, 0.11), scalar("zy", t, zp_of(t, 2, 130))]
        ins += ["sy", "zy"]
    n = helper.make_node("QGemm", ins, ["y"], domain="com.microsoft", transB=int(trans_b), alpha=0.75)
    name = f"qgemm_{tname(t)}{'_percol' if per_column else ''}{'_f32' if float_out else ''}{'_tb' if trans_b else ''}"
    save(name, [n], [helper.make_tensor_value_info("a", t, a.shape)],
         [helper.make_tensor_value_info("y", TensorProto.FLOAT if float_out else t, None)], inits, [a])


def concat(t):
    x0, x1 = q(t, [1, 2, 3, 4]), q(t, [1, 3, 3, 4])
    inits = [scalar("sy", TensorProto.FLOAT, 0.05), scalar("zy", t, zp_of(t, -2, 126)),
             scalar("s0", TensorProto.FLOAT, 0.05), scalar("z0", t, zp_of(t, -2, 126)),
             scalar("s1", TensorProto.FLOAT, 0.083), scalar("z1", t, zp_of(t, 11, 100)),
             scalar("s2", TensorProto.FLOAT, 0.021), scalar("z2", t, zp_of(t, -60, 60)),
             numpy_helper.from_array(q(t, [1, 1, 3, 4]), "w")]
    n = helper.make_node("QLinearConcat", ["sy", "zy", "x0", "s0", "z0", "x1", "s1", "z1", "w", "s2", "z2"], ["y"],
                         domain="com.microsoft", axis=1)
    save(f"qlinearconcat_{tname(t)}", [n], [helper.make_tensor_value_info("x0", t, x0.shape),
                                            helper.make_tensor_value_info("x1", t, x1.shape)],
         [helper.make_tensor_value_info("y", t, None)], inits, [x0, x1])


def avgpool(t, attrs, suffix):
    x = q(t, [1, 3, 7, 6])
    inits = [scalar("sx", TensorProto.FLOAT, 0.04), scalar("zx", t, zp_of(t, -7, 133)),
             scalar("sy", TensorProto.FLOAT, 0.03), scalar("zy", t, zp_of(t, 4, 120))]
    n = helper.make_node("QLinearAveragePool", ["x", "sx", "zx", "sy", "zy"], ["y"], domain="com.microsoft", **attrs)
    save(f"qlinearaveragepool_{tname(t)}{suffix}", [n], [helper.make_tensor_value_info("x", t, x.shape)],
         [helper.make_tensor_value_info("y", t, None)], inits, [x])


def gap(t, channels_last):
    x = q(t, [2, 5, 4, 3] if not channels_last else [2, 4, 3, 5])
    inits = [scalar("sx", TensorProto.FLOAT, 0.04), scalar("zx", t, zp_of(t, -7, 133)),
             scalar("sy", TensorProto.FLOAT, 0.013), scalar("zy", t, zp_of(t, 4, 120))]
    n = helper.make_node("QLinearGlobalAveragePool", ["x", "sx", "zx", "sy", "zy"], ["y"], domain="com.microsoft",
                         channels_last=int(channels_last))
    save(f"qlinearglobalaveragepool_{tname(t)}{'_nhwc' if channels_last else ''}", [n],
         [helper.make_tensor_value_info("x", t, x.shape)], [helper.make_tensor_value_info("y", t, None)], inits, [x])


def softmax(t, opset, axis, shape):
    x = q(t, shape)
    inits = [scalar("sx", TensorProto.FLOAT, 0.07), scalar("zx", t, zp_of(t, 5, 130)),
             scalar("sy", TensorProto.FLOAT, 1.0 / 256), scalar("zy", t, zp_of(t, -128, 0))]
    n = helper.make_node("QLinearSoftmax", ["x", "sx", "zx", "sy", "zy"], ["y"], domain="com.microsoft",
                         opset=opset, axis=axis)
    save(f"qlinearsoftmax_{tname(t)}_op{opset}_ax{axis}", [n], [helper.make_tensor_value_info("x", t, x.shape)],
         [helper.make_tensor_value_info("y", t, None)], inits, [x])


def models():
    for t in (TensorProto.INT8, TensorProto.UINT8):
        binary("QLinearMul", t)
        binary("QLinearAdd", t)
        unary("QLinearSigmoid", t, {}, ys=1.0 / 256)
        unary("QLinearLeakyRelu", t, {"alpha": 0.1}, ys=0.03, yzs=(-20, 40))
        gemm(t, False, False, False, True)
        gemm(t, True, False, True, True)
        gemm(t, False, True, False, True)
        concat(t)
        avgpool(t, {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}, "_pad")
        avgpool(t, {"kernel_shape": [3, 2], "strides": [2, 1], "pads": [1, 0, 1, 1], "count_include_pad": 1,
                    "ceil_mode": 1}, "_incl_ceil")
        gap(t, False)
        gap(t, True)
        softmax(t, 13, -1, [2, 3, 10])
        softmax(t, 1, 1, [2, 3, 4])


def outputs():
    write_outputs(HERE)


if __name__ == "__main__":
    {"models": models, "outputs": outputs}[sys.argv[1]]()
