#!/usr/bin/env python3
# Builds the edge-shape cases of the Cortex-M element-wise int8 kernels (codegen/kernels/
# arm_dsp_eltwise.cpp, arm_mve_eltwise.cpp) and of the M55 QLinearMatMul kernel (arm_mve_gemm.cpp)
# in tests/mcu/eltwise_cases/<case>/: QDQ Add (lowered to QLinearAdd), int8 average pools,
# QuantizeLinear, QLinearMatMul with a constant B. Expected outputs come from ONNX Runtime
# (float emulation of the QDQ graphs, optimizations off), except quantize_*_specials, whose inputs
# (inf, NaN, denormals) ONNX leaves open: its expected output is the formula tinyaot implements
# (saturate(round_half_even(x / scale) + zp), NaN -> zp) computed with numpy float32 below.
#   python3 make_eltwise_cases.py models      # models, inputs and a manifest per case
#   node ../../ms_ops/run_ort.js .            # onnxruntime-node writes raw outputs
#   python3 make_eltwise_cases.py outputs     # raw outputs -> output_0.pb
# Lengths are not multiples of 4 or 16 (vector tails), Adds broadcast per channel, per row and from
# a scalar, power-of-two scales put QLinearAdd pairs and QuantizeLinear inputs exactly on rounding
# ties. Cases named "fallback_*" get no MVE kernel (tests/mcu/mve_tests.sh kernels checks it): a
# 3-element Add (no target kernel at all) and Adds with ties for every other pair (M55 runs the DSP
# body, whose per-element window test is cheap, instead of the MVE one).
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "ms_ops"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "qdq_ops"))
import make_qdq_ops as q  # noqa: E402
from ort_outputs import write_outputs  # noqa: E402

q.HERE = HERE  # Case.save writes into this folder
q.RNG = np.random.default_rng(7072026)
S8, U8 = q.S8, q.U8


def add_case(name, t, sa_shape, sb_shape, sa, za, sb, zb, sy, zy, b_every7=None):
    c = q.Case(name)
    a = c.dq(c.input(t, sa_shape), sa, np.asarray(za, q.NP[t]))
    b = c.dq(c.input(t, sb_shape), sb, np.asarray(zb, q.NP[t]))
    if b_every7 is not None:  # a value on a tie at every 7th element (and so in the vector tail)
        c.feeds[1].reshape(-1)[::7] = b_every7
    c.save([c.q(c.op("Add", [a, b]), t, sy, zy)])


def quantize_case(name, t, x, scale, z, manifest=True):
    """float32 x -> QuantizeLinear -> y (graph input and output)."""
    d = os.path.join(HERE, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    inits = [numpy_helper.from_array(np.array(scale, np.float32), "s"),
             numpy_helper.from_array(np.array(z, q.NP[t]), "z")]
    node = helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"])
    g = helper.make_graph([node], name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
                          [helper.make_tensor_value_info("y", t, list(x.shape))], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, os.path.join(d, "model.onnx"))
    onnx.save_tensor(numpy_helper.from_array(x, "x"), os.path.join(d, "test_data_set_0", "input_0.pb"))
    if not manifest:
        # tinyaot's definition, in numpy float32: the quotient rounded once, then half to even.
        lo, hi = (-128, 127) if t == S8 else (0, 255)
        with np.errstate(all="ignore"):
            v = x / np.float32(scale)
            r = np.clip(np.rint(np.nan_to_num(v, nan=0.0, posinf=hi - z, neginf=lo - z)), lo - z, hi - z) + z
        y = r.astype(q.NP[t])
        onnx.save_tensor(numpy_helper.from_array(y, "y"), os.path.join(d, "test_data_set_0", "output_0.pb"))
        return
    raw = os.path.join(d, "in_0.raw")
    x.tofile(raw)
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump({"inputs": [{"name": "x", "dtype": "float32", "shape": list(x.shape), "raw": raw}],
                   "outputs": ["y"]}, f)


def qmatmul_case(name, at, bt, yt, a_shape, K, N, sa, za, sb, zb, sy, zy, bmax=127):
    """QLinearMatMul of a run-time A by a constant B [K, N] (scales / zero points per tensor or per column)."""
    d = os.path.join(HERE, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    rng = q.RNG
    lo, hi = (-bmax, bmax + 1) if bt == S8 else (128 - bmax, 128 + bmax)
    b = rng.integers(lo, hi, size=(K, N)).astype(q.NP[bt])
    inits = [numpy_helper.from_array(np.array(sa, np.float32), "sa"),
             numpy_helper.from_array(np.array(za, q.NP[at]), "za"),
             numpy_helper.from_array(b, "b"),
             numpy_helper.from_array(np.asarray(sb, np.float32), "sb"),
             numpy_helper.from_array(np.asarray(zb, q.NP[bt]), "zb"),
             numpy_helper.from_array(np.array(sy, np.float32), "sy"),
             numpy_helper.from_array(np.array(zy, q.NP[yt]), "zy")]
    node = helper.make_node("QLinearMatMul", ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"], ["y"])
    g = helper.make_graph([node], name, [helper.make_tensor_value_info("a", at, list(a_shape))],
                          [helper.make_tensor_value_info("y", yt, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, os.path.join(d, "model.onnx"))
    a = q.rand_q(at, a_shape)
    onnx.save_tensor(numpy_helper.from_array(a, "a"), os.path.join(d, "test_data_set_0", "input_0.pb"))
    raw = os.path.join(d, "in_0.raw")
    a.tofile(raw)
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump({"inputs": [{"name": "a", "dtype": str(a.dtype), "shape": list(a.shape), "raw": raw}],
                   "outputs": ["y"]}, f)


def near_boundaries(scale, ks):
    """Floats at and one ulp around (k + 0.5) * scale: where the quotient rounds either way."""
    v = (np.asarray(ks, np.float64) + 0.5) * scale
    f = v.astype(np.float32)
    return np.concatenate([f, np.nextafter(f, np.float32(np.inf)), np.nextafter(f, np.float32(-np.inf))])


def models():
    # QLinearAdd: exact binary scales put pairs on ties (the 32-bit form rounds them up, so they
    # take the generic formula through the boundary window): a + 3/256 b has ties for 1 in 256
    # pairs (M55: MVE body), a + b / 2 for every other pair (M55: DSP body, like M4);
    # 105, 37 and 65 elements leave vector tails.
    add_case("add_s8_ties_1x3x7x5", S8, [1, 3, 7, 5], [1, 3, 7, 5], 0.25, -3, 0.0029296875, 5, 0.25, 1,
             b_every7=-123)  # (b - zb) * 3/256 = -1.5
    add_case("fallback_add_s8_manyties_1x3x7x5", S8, [1, 3, 7, 5], [1, 3, 7, 5], 0.5, -3, 0.25, 5, 0.5, 1)
    add_case("add_s8_37", S8, [1, 37], [1, 37], 0.031, 4, 0.047, -9, 0.0625, -2)
    add_case("fallback_add_u8_ties_13x5", U8, [13, 5], [13, 5], 0.125, 128, 0.25, 120, 0.25, 131)
    # Broadcasts: per channel (b is one value per run of 35), per row (b contiguous, runs of 9),
    # a scalar a over 44 elements. (Scales like 0.02 / 0.03 / 0.04 put more than 16 pairs on float
    # rounding ties, and lower-qdq then leaves the Add float; these put none there.)
    add_case("add_u8_bcast_channel", U8, [1, 6, 5, 7], [1, 6, 1, 1], 0.0235, 130, 0.0412, 125, 0.0571, 128)
    add_case("add_s8_bcast_row", S8, [2, 3, 9], [9], 0.0235, -1, 0.0412, 3, 0.0571, 0)
    add_case("add_s8_bcast_scalar", S8, [1], [1, 4, 11], 0.0412, 2, 0.0235, -4, 0.0571, 5)
    # Three elements: no vector body; the generic kernel runs on every target.
    add_case("fallback_add_s8_3", S8, [3], [3], 0.05, 1, 0.07, -2, 0.09, 3)
    # Average pools whose window is the whole plane (35 and 9 taps: vector and word tails), the
    # float form (lower-qdq keeps non-power-of-two scales float, then QuantizeLinear), and the
    # integer QLinearGlobalAveragePool (power-of-two scales and counts, 16 and 32 taps).
    q.unary_case("gap_s8_5x7", S8, "GlobalAveragePool", [1, 4, 5, 7], 0.07, -3, 0.05, 2)
    q.unary_case("gap_u8_3x3", U8, "GlobalAveragePool", [1, 5, 3, 3], 0.03, 128, 0.02, 120)
    q.unary_case("avgpool_s8_whole_6x5", S8, "AveragePool", [1, 3, 6, 5], 0.045, 7, 0.03, -5, kernel_shape=[6, 5])
    q.unary_case("gap_s8_pow2_4x4", S8, "GlobalAveragePool", [1, 3, 4, 4], 0.25, -1, 0.25, -1)
    q.unary_case("gap_u8_pow2_8x4", U8, "GlobalAveragePool", [1, 2, 8, 4], 0.5, 127, 0.5, 127)
    # A pool with padding and stride (not a whole-plane window: generic pool kernel, same result; a
    # power-of-two input scale keeps ONNX Runtime's float window sums exact, so independent of order).
    q.unary_case("avgpool_s8_pad_stride", S8, "AveragePool", [1, 2, 7, 9], 0.0625, 3, 0.04, -2,
                 kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    # QuantizeLinear: random values past both saturation limits, and values at and around the
    # rounding boundaries (k + 0.5) * scale; 1,031 and 126 elements leave vector tails.
    rng = q.RNG
    s = 0.0173
    x = np.concatenate([rng.uniform(-3, 3, 800).astype(np.float32), near_boundaries(s, np.arange(-80, -3)),
                        np.zeros(0, np.float32)])[:1031]
    x = np.concatenate([x, rng.uniform(-1, 1, 1031 - x.size).astype(np.float32)]).reshape(1, 1031)
    quantize_case("quantize_s8_1031", S8, x, s, -7)
    x = (np.arange(-63, 63, dtype=np.float32) * 0.125).reshape(2, 9, 7)  # ties of x / 0.25
    quantize_case("quantize_u8_ties_2x9x7", U8, x, 0.25, 128)
    sp = np.array([np.inf, -np.inf, np.nan, -np.nan, 0.0, -0.0, 1e-45, -1e-45, 1e-39, 3e38, -3e38, 1e20,
                   -1e20, 2.0 ** 31, -(2.0 ** 31), 0.5, -0.5], np.float32)
    x = np.concatenate([sp, near_boundaries(0.0391, np.arange(-10, 10))]).reshape(1, -1)
    quantize_case("quantize_s8_specials", S8, x, 0.0391, 3, manifest=False)


    # QLinearMatMul with a constant B (M55 kernel, arm_mve_gemm.cpp): K = 70 and 33 (16-byte tails),
    # N = 13 and 6 (4-column blocks plus single columns), several rows (a 3-D A), per-column scales
    # and zero points, uint8 A / B / y; B - zb outside int8 declines the kernel.
    qmatmul_case("qmatmul_s8_1x70x13", S8, S8, S8, [1, 70], 70, 13, 0.02, -5,
                 np.linspace(0.004, 0.02, 13), np.int8(0), 0.15, 3)
    qmatmul_case("qmatmul_u8_3x33x8", U8, U8, U8, [3, 33], 33, 8, 0.03, 131, 0.01, np.uint8(128), 0.2, 120)
    qmatmul_case("qmatmul_s8_2x2x20x6_percol_zp", S8, S8, S8, [2, 2, 20], 20, 6, 0.05, 7,
                 np.full(6, 0.01), np.array([-20, 0, 5, 17, -3, 20], np.int8), 0.1, -4, bmax=100)
    qmatmul_case("fallback_qmatmul_s8_bigzp", S8, S8, S8, [1, 24], 24, 5, 0.05, 0, 0.01, np.int8(100), 0.1, 0)


def outputs():
    write_outputs(HERE)


if __name__ == "__main__":
    {"models": models, "outputs": outputs}[sys.argv[1]]()
