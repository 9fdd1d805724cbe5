#!/usr/bin/env python3
# Builds the edge-shape cases of the Cortex-M QLinearMatMul / com.microsoft.QGemm kernels
# (codegen/kernels/arm_dsp_matmul.cpp, arm_mve_gemm.cpp) and of the 8-bit MaxPool kernels
# (arm_dsp_pool.cpp, arm_mve_pool.cpp) in tests/mcu/matmul_pool_cases/<case>/. Expected outputs come
# from ONNX Runtime (CPU, optimizations off):
#   python3 make_matmul_pool_cases.py models    # models, inputs and a manifest per case
#   node ../../ms_ops/run_ort.js .              # onnxruntime-node writes raw outputs
#   python3 make_matmul_pool_cases.py outputs   # raw outputs -> output_0.pb
# MatMul/QGemm: K below 4, K not a multiple of 4 (odd and even numbers of 4-tap groups, for the
# loop's two entries), N not a multiple of 4, 3-D A, uint8 A, per-column scales and zero points,
# C bias, transposed B, float output. MaxPool: 2x2 stride 2 on odd sizes, stride 1, padding,
# ceil_mode, dilations, asymmetric kernels and pads, 1-D, uint8, more than 16 outputs per row, 2x2
# stride 2 with 1, 2 and 3 outputs past a multiple of 4
# (vector tails). dsponly_* cases have a stride the MVE body declines (the M55 runs the DSP body);
# fallback_* cases get no target kernel at all (a run-time B, a 3-D pool).
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "ms_ops"))
from ort_outputs import write_case, write_outputs  # noqa: E402

RNG = np.random.default_rng(20261122)
S8, U8, F32 = TensorProto.INT8, TensorProto.UINT8, TensorProto.FLOAT
NP = {S8: np.int8, U8: np.uint8, F32: np.float32}


def q(t, shape):
    lo, hi = (-128, 128) if t == S8 else (0, 256)
    return RNG.integers(lo, hi, size=shape).astype(NP[t])


def save(name, nodes, inputs, feeds, inits, out_type, opsets=(("", 13),)):
    d = os.path.join(HERE, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    g = helper.make_graph(nodes, name, inputs, [helper.make_tensor_value_info("y", out_type, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid(d_, v) for d_, v in opsets])
    m.ir_version = 8
    write_case(d, m, inputs, feeds, ["y"])


def arr(name, v, t):
    return numpy_helper.from_array(np.asarray(v, NP[t]), name)


def qmatmul(name, at, bt, yt, a_shape, N, sa, za, sb, zb, sy, zy, b_input=False, bmax=None):
    """QLinearMatMul of A (a_shape, last dim K) by B [K, N]: a constant (values within bmax of the
    type's middle when given), or a second input."""
    K = a_shape[-1]
    b = q(bt, [K, N])
    if bmax is not None:
        b = (RNG.integers(-bmax, bmax + 1, size=[K, N]) + (0 if bt == S8 else 128)).astype(NP[bt])
    inits = [arr("sa", sa, F32), arr("za", za, at), arr("sb", sb, F32), arr("zb", zb, bt), arr("sy", sy, F32),
             arr("zy", zy, yt)]
    inputs = [helper.make_tensor_value_info("a", at, a_shape)]
    feeds = [q(at, a_shape)]
    if b_input:
        inputs.append(helper.make_tensor_value_info("b", bt, [K, N]))
        feeds.append(b)
    else:
        inits.append(numpy_helper.from_array(b, "b"))
    n = helper.make_node("QLinearMatMul", ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"], ["y"])
    save(name, [n], inputs, feeds, inits, yt)


def qgemm(name, t, M, K, N, per_column, float_out, trans_b, bias):
    a = q(t, [M, K])
    # B within zb +- 127 so that b - zb fits int8 (the target kernels' condition).
    zb = np.zeros(N, NP[t]) + (0 if t == S8 else 128)
    if not per_column:
        zb = zb[:1].reshape([])
    bw = (RNG.integers(-127, 128, size=[N, K] if trans_b else [K, N]) + (0 if t == S8 else 128)).astype(NP[t])
    inits = [arr("sa", 0.02, F32), arr("za", -3 if t == S8 else 131, t), numpy_helper.from_array(bw, "b"),
             arr("sb", np.linspace(0.003, 0.012, N) if per_column else 0.007, F32), arr("zb", zb, t)]
    ins = ["a", "sa", "za", "b", "sb", "zb"]
    if bias:
        inits.append(numpy_helper.from_array(RNG.integers(-5000, 5000, size=[N]).astype(np.int32), "c"))
        ins.append("c")
    elif not float_out:
        ins.append("")
    if not float_out:
        inits += [arr("sy", 0.13, F32), arr("zy", 2 if t == S8 else 127, t)]
        ins += ["sy", "zy"]
    n = helper.make_node("QGemm", ins, ["y"], domain="com.microsoft", transB=int(trans_b), alpha=0.75)
    save(name, [n], [helper.make_tensor_value_info("a", t, a.shape)], [a], inits, F32 if float_out else t,
         opsets=(("", 13), ("com.microsoft", 1)))


def maxpool(name, t, shape, **attrs):
    x = q(t, shape)
    n = helper.make_node("MaxPool", ["x"], ["y"], **attrs)
    save(name, [n], [helper.make_tensor_value_info("x", t, shape)], [x], [], t)


def models():
    qmatmul("qmatmul_s8_1x3x5", S8, S8, S8, [1, 3], 5, 0.03, -4, 0.02, 0, 0.05, 1)
    qmatmul("qmatmul_s8_4x9x7", S8, S8, S8, [4, 9], 7, 0.04, 6, 0.01, 0, 0.03, -2)
    qmatmul("qmatmul_u8s8_2x64x10_percol", U8, S8, U8, [2, 64], 10, 0.02, 129, np.linspace(0.001, 0.004, 10),
            np.zeros(10, np.int8), 0.2, 120)
    qmatmul("qmatmul_u8_5x18x4", U8, U8, U8, [5, 18], 4, 0.03, 120, 0.02, 128, 0.1, 130)
    qmatmul("qmatmul_u8_1x1x1", U8, U8, U8, [1, 1], 1, 0.5, 3, 0.25, 128, 0.01, 7)
    qmatmul("qmatmul_s8_2x3x12x9_percol_zp", S8, S8, S8, [2, 3, 12], 9, 0.05, -7, np.full(9, 0.01, np.float32),
            np.array([-20, 0, 5, 17, -3, 20, 1, -1, 9], np.int8), 0.08, 3, bmax=100)
    qmatmul("qmatmul_s8_3x200x6_sat", S8, S8, S8, [3, 200], 6, 0.05, 0, 0.04, 0, 0.02, 0)
    qmatmul("fallback_qmatmul_s8_runtime_b", S8, S8, S8, [2, 8], 4, 0.05, 1, 0.02, 0, 0.1, 0, b_input=True)
    qgemm("qgemm_s8_m2k7n6_bias_tb_percol", S8, 2, 7, 6, True, False, True, True)
    qgemm("qgemm_u8_m3k13n9_bias", U8, 3, 13, 9, False, False, False, True)
    qgemm("qgemm_s8_m1k40n3_f32", S8, 1, 40, 3, False, True, False, False)
    qgemm("qgemm_u8_m2k5n5_f32_percol_tb", U8, 2, 5, 5, True, True, True, False)
    maxpool("maxpool_s8_k2s2_1x3x8x10", S8, [1, 3, 8, 10], kernel_shape=[2, 2], strides=[2, 2])
    maxpool("maxpool_s8_k2s2_odd_2x2x9x19", S8, [2, 2, 9, 19], kernel_shape=[2, 2], strides=[2, 2])
    maxpool("maxpool_u8_k3s2_pad1_ceil_1x3x10x13", U8, [1, 3, 10, 13], kernel_shape=[3, 3], strides=[2, 2],
            pads=[1, 1, 1, 1], ceil_mode=1)
    maxpool("maxpool_s8_k3s1_pad1_1x4x7x37", S8, [1, 4, 7, 37], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    maxpool("maxpool_s8_k2s1_dil2_1x2x9x9", S8, [1, 2, 9, 9], kernel_shape=[2, 2], dilations=[2, 2])
    maxpool("maxpool_u8_1d_k3s2_pad_1x5x37", U8, [1, 5, 37], kernel_shape=[3], strides=[2], pads=[2, 1])
    maxpool("maxpool_s8_k3x2s3x1_asym_1x3x11x6", S8, [1, 3, 11, 6], kernel_shape=[3, 2], strides=[3, 1],
            pads=[0, 1, 2, 0])
    maxpool("maxpool_u8_k2s2_1x2x6x42", U8, [1, 2, 6, 42], kernel_shape=[2, 2], strides=[2, 2])
    maxpool("dsponly_maxpool_s8_k2s18_1x2x3x40", S8, [1, 2, 3, 40], kernel_shape=[2, 2], strides=[1, 18])
    maxpool("fallback_maxpool_s8_3d", S8, [1, 2, 4, 5, 6], kernel_shape=[2, 2, 2], strides=[2, 2, 2])
    # 2x2 stride 2 with 7 and 2 outputs per row (the register-only path's 2-output and 1-output tails).
    maxpool("maxpool_s8_k2s2_1x2x6x14", S8, [1, 2, 6, 14], kernel_shape=[2, 2], strides=[2, 2])
    maxpool("maxpool_u8_k2s2_1x3x4x5", U8, [1, 3, 4, 5], kernel_shape=[2, 2], strides=[2, 2])


if __name__ == "__main__":
    {"models": models, "outputs": lambda: write_outputs(HERE)}[sys.argv[1]]()
