#!/usr/bin/env python3
# Builds the edge-shape int8 QLinearConv cases of the M55 MVE kernels in tests/mcu/mve_cases/<case>/
# (model.onnx, test_data_set_0/input_0.pb and output_0.pb); expected outputs come from ONNX Runtime
# through tests/ms_ops/run_ort.js:
#   python3 make_mve_cases.py models          # models, inputs and a manifest per case
#   node ../../ms_ops/run_ort.js .            # onnxruntime-node writes raw outputs
#   python3 make_mve_cases.py outputs         # raw outputs -> output_0.pb
# Shapes are chosen against the kernels' blocking: channel counts that are not multiples of 16 (or
# of 8, the transposition step), pixel counts that are not multiples of 4, odd widths, asymmetric
# padding, strides, kernels wider than one vector, per-channel scales and power-of-two scales whose
# products land exactly on rounding ties. Case names starting with "fallback_" are layers the MVE
# kernels decline (they must still run correctly through the DSP or generic code).
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "ms_ops"))
from ort_outputs import write_outputs  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(7055)


def conv_case(name, c, m, hw, k, strides=(1, 1), pads=(0, 0, 0, 0), group=1, sx=0.02, sy=0.05,
              sw=None, xzp=-3, yzp=4, y_u8=False, bias=True, wmax=127, xmax=128):
    """One QLinearConv (int8 x, int8 w) on a [1, c, h, w] input with constant parameters."""
    d = os.path.join(HERE, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    h, w_ = hw
    cg = c // group
    w = RNG.integers(-wmax, wmax + 1, size=(m, cg, k[0], k[1])).astype(np.int8)
    if sw is None:
        sw = RNG.uniform(0.002, 0.02, size=m).astype(np.float32)
    sw = np.asarray(sw, dtype=np.float32)
    yt = TensorProto.UINT8 if y_u8 else TensorProto.INT8
    inits = [
        numpy_helper.from_array(np.array(sx, np.float32), "sx"),
        numpy_helper.from_array(np.array(xzp, np.int8), "zx"),
        numpy_helper.from_array(w, "w"),
        numpy_helper.from_array(sw, "sw"),
        numpy_helper.from_array(np.zeros(sw.shape, np.int8), "zw"),
        numpy_helper.from_array(np.array(sy, np.float32), "sy"),
        numpy_helper.from_array(np.array(yzp, np.uint8 if y_u8 else np.int8), "zy"),
    ]
    ins = ["x", "sx", "zx", "w", "sw", "zw", "sy", "zy"]
    if bias:
        bmax = 3000 if wmax == 127 else 64
        inits.append(numpy_helper.from_array(RNG.integers(-bmax, bmax, size=m).astype(np.int32), "b"))
        ins.append("b")
    node = helper.make_node("QLinearConv", ins, ["y"], kernel_shape=list(k), strides=list(strides),
                            pads=list(pads), group=group)
    xi = helper.make_tensor_value_info("x", TensorProto.INT8, [1, c, h, w_])
    yo = helper.make_tensor_value_info("y", yt, None)
    g = helper.make_graph([node], name, [xi], [yo], inits)
    mdl = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    mdl.ir_version = 8
    onnx.save(mdl, os.path.join(d, "model.onnx"))
    x = RNG.integers(-xmax, xmax, size=(1, c, h, w_)).astype(np.int8)
    onnx.save_tensor(numpy_helper.from_array(x, "x"), os.path.join(d, "test_data_set_0", "input_0.pb"))
    raw = os.path.join(d, "in_0.raw")
    x.tofile(raw)
    man = {"inputs": [{"name": "x", "dtype": "int8", "shape": list(x.shape), "raw": raw}], "outputs": ["y"]}
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(man, f)


def models():
    # Pointwise: C not a multiple of 16 (20) nor of 8 (3, 37), P = 13 and 6 pixels (4-pixel tail).
    conv_case("pw_c20_m7_1x13", 20, 7, (1, 13), (1, 1))
    conv_case("pw_c3_m5_2x3", 3, 5, (2, 3), (1, 1), xzp=11)
    conv_case("pw_c37_m9_3x5", 37, 9, (3, 5), (1, 1), yzp=-128)
    # Rounding ties: power-of-two scales, per-channel shifts differ (M = 2^-4, 2^-5, 2^-3 ...).
    conv_case("pw_ties_c24_m6_4x4", 24, 6, (4, 4), (1, 1), sx=0.125, sy=0.25,
              sw=[0.125, 0.0625, 0.25, 0.125, 0.03125, 0.0625], xzp=0, yzp=0)
    # Fully connected as a 1x1 convolution on one pixel: channels are the vector lanes (M % 4 = 2).
    conv_case("fc_c37_m10", 37, 10, (1, 1), (1, 1))
    conv_case("fc_c16_m4_uniform", 16, 4, (1, 1), (1, 1), sw=[0.01] * 4, bias=False)
    conv_case("fc_ties_c40_m7", 40, 7, (1, 1), (1, 1), sx=0.25, sy=0.5, sw=[0.0625] * 7, xzp=1, yzp=-2)
    # Regular convolutions (im2col): odd widths, padding on every side, strides, KW > 16 (scalar gather).
    conv_case("conv3x3_c5_m6_7x9_pad1", 5, 6, (7, 9), (3, 3), pads=(1, 1, 1, 1))
    conv_case("conv3x2_c2_m3_6x5_s2x1_asym", 2, 3, (6, 5), (3, 2), strides=(2, 1), pads=(1, 0, 2, 1), xzp=-100)
    conv_case("conv1x17_c1_m4_3x20", 1, 4, (3, 20), (1, 17), pads=(0, 2, 0, 1))
    conv_case("conv1x1_s2_c18_m5_5x7", 18, 5, (5, 7), (1, 1), strides=(2, 2))
    conv_case("conv3x3_ties_c4_m3_5x5", 4, 3, (5, 5), (3, 3), pads=(1, 1, 1, 1), sx=0.5, sy=0.25,
              sw=[0.0078125, 0.015625, 0.00390625], xzp=2, yzp=-1)
    # Depthwise: odd widths (4-pixel tail), stride 2 (gathers), asymmetric padding, 5x4 kernel.
    conv_case("dw3x3_c6_9x7_pad1", 6, 6, (9, 7), (3, 3), pads=(1, 1, 1, 1), group=6, xzp=-7)
    conv_case("dw3x3_c5_8x11_s2_pad1", 5, 5, (8, 11), (3, 3), strides=(2, 2), pads=(1, 1, 1, 1), group=5)
    conv_case("dw5x4_c3_6x6_pad2_asym", 3, 3, (6, 6), (5, 4), pads=(2, 1, 2, 2), group=3, yzp=100)
    conv_case("dw3x3_ties_c4_6x5", 4, 4, (6, 5), (3, 3), pads=(0, 1, 1, 0), group=4, sx=0.25, sy=0.5,
              sw=[0.0625, 0.125, 0.03125, 0.25], xzp=0, yzp=3)
    # A multiplier >= 2^-2 cannot be brought to the shift >= 33 form in 31 bits: MVE declines it.
    conv_case("fallback_pw_bigscale_c16_m4_2x2", 16, 4, (2, 2), (1, 1), sx=0.5, sy=0.01, sw=[0.25] * 4)
    # Multipliers from 0.25 up (shift 25..32): the shift == 32 form; small weights and inputs keep
    # the outputs off saturation so power-of-two scales give rounding ties.
    conv_case("pw_s32_ties_c8_m5_3x3", 8, 5, (3, 3), (1, 1), sx=0.5, sy=1.0, sw=[0.5, 0.25, 0.125, 0.5, 0.0625],
              xzp=1, yzp=2, wmax=8, xmax=8)
    conv_case("fc_s32_c12_m6", 12, 6, (1, 1), (1, 1), sx=0.5, sy=0.5, sw=[0.25, 0.375, 0.49, 0.3, 0.26, 0.45],
              xzp=0, yzp=-1, wmax=6, xmax=6)
    conv_case("dw3x3_s32_c3_5x6", 3, 3, (5, 6), (3, 3), pads=(1, 1, 1, 1), group=3, sx=0.25, sy=0.25,
              sw=[0.0625, 0.125, 0.25], xzp=0, yzp=0, wmax=5, xmax=6)


def outputs():
    write_outputs(HERE)


if __name__ == "__main__":
    {"models": models, "outputs": outputs}[sys.argv[1]]()
