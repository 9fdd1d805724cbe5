#!/usr/bin/env python3
# Builds small QDQ test models (DequantizeLinear -> float op -> QuantizeLinear groups) in
# tests/qdq_ops/<case>/, one per op family that lower-qdq turns into integer kernels; expected
# outputs come from ONNX Runtime (float emulation of the QDQ graph, optimizations off):
#   python3 make_qdq_ops.py models        # models, inputs and a manifest per case
#   node ../ms_ops/run_ort.js <this dir>   # onnxruntime-node writes raw outputs
#   python3 make_qdq_ops.py outputs        # raw outputs -> output_*.pb
# Cases named *_float are groups that lower-qdq leaves in float on purpose (with a note);
# check_integer.sh checks both kinds (docs/quantization.md, audit table).
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ms_ops"))
from ort_outputs import write_outputs  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(5122026)
S8, U8, F32, I32 = TensorProto.INT8, TensorProto.UINT8, TensorProto.FLOAT, TensorProto.INT32
NP = {S8: np.int8, U8: np.uint8, F32: np.float32, I32: np.int32}


def tname(t):
    return "s8" if t == S8 else "u8"


def zp(t, s, u):
    return s if t == S8 else u


def rand_q(t, shape):
    lo, hi = (-128, 128) if t == S8 else (0, 256)
    return RNG.integers(lo, hi, size=shape).astype(NP[t])


class Case:
    """A graph under construction: x (8-bit input) -> DQ -> ... -> Q -> y (8-bit output)."""

    def __init__(self, name, opset=13):
        self.name, self.opset = name, opset
        self.nodes, self.inits, self.inputs, self.feeds, self.k = [], [], [], [], 0

    def fresh(self, base):
        self.k += 1
        return f"{base}{self.k}"

    def const(self, arr, base="c"):
        n = self.fresh(base)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), n))
        return n

    def input(self, t, shape):
        n = f"x{len(self.inputs)}"
        self.inputs.append(helper.make_tensor_value_info(n, t, shape))
        self.feeds.append(rand_q(t, shape))
        return n

    def dq(self, q, scale, z, axis=None):
        s = self.const(np.asarray(scale, np.float32), "s")
        zz = self.const(np.asarray(z, NP[self.dtype_of(z)]), "z")
        out = self.fresh("f")
        kw = {} if axis is None else {"axis": axis}
        self.nodes.append(helper.make_node("DequantizeLinear", [q, s, zz], [out], **kw))
        return out

    def weight(self, t, shape, scale, z, axis=None):
        """A constant 8-bit (or int32 bias) tensor behind a DequantizeLinear."""
        if t == I32:
            w = RNG.integers(-3000, 3000, size=shape).astype(np.int32)
        else:
            w = rand_q(t, shape)
        q = self.const(w, "w")
        return self.dq(q, scale, np.asarray(z, NP[t]), axis)

    def dtype_of(self, z):
        return {np.dtype(np.int8): S8, np.dtype(np.uint8): U8, np.dtype(np.int32): I32}[np.asarray(z).dtype]

    def op(self, op, ins, **attrs):
        out = self.fresh("f")
        self.nodes.append(helper.make_node(op, ins, [out], **attrs))
        return out

    def q(self, f, t, scale, z):
        s = self.const(np.asarray(scale, np.float32), "s")
        zz = self.const(np.asarray(z, NP[t]), "z")
        out = self.fresh("q")
        self.nodes.append(helper.make_node("QuantizeLinear", [f, s, zz], [out]))
        return out

    def save(self, outs):
        d = os.path.join(HERE, self.name)
        os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
        # Rename the final tensors to y0, y1, ... (graph outputs).
        names = []
        for i, o in enumerate(outs):
            y = f"y{i}"
            for n in self.nodes:
                n.output[:] = [y if v == o else v for v in n.output]
                n.input[:] = [y if v == o else v for v in n.input]
            names.append(y)
        # Each output comes from a QuantizeLinear: its type is that of the zero point.
        ztype = {i.name: i.data_type for i in self.inits}
        qtype = {n.output[0]: ztype[n.input[2]] for n in self.nodes if n.op_type == "QuantizeLinear"}
        outputs = [helper.make_tensor_value_info(y, qtype[y], None) for y in names]
        g = helper.make_graph(self.nodes, self.name, self.inputs, outputs, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", self.opset)])
        m.ir_version = 8
        onnx.save(m, os.path.join(d, "model.onnx"))
        man = {"inputs": [], "outputs": names}
        for i, (vi, arr) in enumerate(zip(self.inputs, self.feeds)):
            onnx.save_tensor(numpy_helper.from_array(arr, vi.name),
                             os.path.join(d, "test_data_set_0", f"input_{i}.pb"))
            raw = os.path.join(d, f"in_{i}.raw")
            arr.tofile(raw)
            man["inputs"].append({"name": vi.name, "dtype": str(arr.dtype), "shape": list(arr.shape),
                                  "raw": raw})
        with open(os.path.join(d, "manifest.json"), "w") as f:
            json.dump(man, f)


def unary_case(name, t, op, shape, xs, xz, ys, yz, opset=13, **attrs):
    c = Case(name, opset)
    x = c.dq(c.input(t, shape), xs, np.asarray(xz, NP[t]))
    c.save([c.q(c.op(op, [x], **attrs), t, ys, yz)])


def conv_case(name, t, wt, group, per_channel, act=None):
    c = Case(name)
    C, M = 4, 4 if group > 1 else 6
    x = c.dq(c.input(t, [1, C, 7, 6]), 0.04, np.asarray(zp(t, -3, 125), NP[t]))
    ws = np.linspace(0.003, 0.009, M).astype(np.float32) if per_channel else np.float32(0.006)
    wz = np.zeros(M, NP[wt]) + zp(wt, 0, 128) if per_channel else np.asarray(zp(wt, 0, 128), NP[wt])
    w = c.weight(wt, [M, C // group, 3, 3], ws, wz, 0 if per_channel else None)
    bs = (np.float32(0.04) * ws).astype(np.float32)
    b = c.weight(I32, [M], bs, np.zeros(M, np.int32) if per_channel else np.int32(0), 0 if per_channel else None)
    y = c.op("Conv", [x, w, b], group=group, pads=[1, 1, 1, 1], strides=[1, 2] if group == 1 else [1, 1])
    if act == "Relu":
        y = c.op("Relu", [y])
    c.save([c.q(y, t, 0.08, zp(t, -128, 0) if act else zp(t, 4, 131))])


def models():
    for t in (S8, U8):
        n = tname(t)
        # Conv: regular (per-channel weights, int32 bias, fused Relu), per-tensor, depthwise, grouped.
        conv_case(f"conv_{n}_perchannel_relu", t, S8, 1, True, "Relu")
        conv_case(f"conv_{n}_pertensor", t, t, 1, False)
        conv_case(f"conv_{n}_depthwise", t, S8, 4, True)
        conv_case(f"conv_{n}_grouped", t, S8, 2, True)
        # Gemm (transB = 1, per-row of B = per output channel, axis 0; transB = 0, axis 1).
        for tb in (1, 0):
            c = Case(f"gemm_{n}_transb{tb}")
            a = c.dq(c.input(t, [3, 9]), 0.05, np.asarray(zp(t, 2, 130), NP[t]))
            ws = np.linspace(0.004, 0.01, 5).astype(np.float32)
            w = c.weight(S8, [5, 9] if tb else [9, 5], ws, np.zeros(5, np.int8), 0 if tb else 1)
            b = c.weight(I32, [5], (np.float32(0.05) * ws).astype(np.float32), np.zeros(5, np.int32), 0)
            c.save([c.q(c.op("Gemm", [a, w, b], transB=tb), t, 0.1, zp(t, -7, 121))])
        # MatMul: B per column (axis 1).
        c = Case(f"matmul_{n}_percolumn")
        a = c.dq(c.input(t, [2, 3, 8]), 0.03, np.asarray(zp(t, 5, 120), NP[t]))
        w = c.weight(S8, [8, 4], np.linspace(0.01, 0.02, 4).astype(np.float32), np.zeros(4, np.int8), 1)
        c.save([c.q(c.op("MatMul", [a, w]), t, 0.07, zp(t, 1, 129))])
        # Add of two run-time tensors (broadcast), Mul with power-of-two scales (exact integer form).
        # Scales like 0.03 / 0.05 / 0.06 put hundreds of input pairs on float rounding ties, which
        # the exact integer Add does not patch (add_s8_float below); these put none there.
        c = Case(f"add_{n}")
        a = c.dq(c.input(t, [2, 3, 4]), 0.0235, np.asarray(zp(t, -5, 120), NP[t]))
        b = c.dq(c.input(t, [3, 4]), 0.0412, np.asarray(zp(t, 7, 131), NP[t]))
        c.save([c.q(c.op("Add", [a, b]), t, 0.0571, zp(t, 3, 125))])
        c = Case(f"mul_{n}_pow2")
        a = c.dq(c.input(t, [2, 3, 4]), 0.125, np.asarray(zp(t, -5, 120), NP[t]))
        b = c.dq(c.input(t, [2, 3, 4]), 0.0625, np.asarray(zp(t, 7, 131), NP[t]))
        c.save([c.q(c.op("Mul", [a, b]), t, 4.0, zp(t, 3, 125))])
        # Concat with shared parameters.
        c = Case(f"concat_{n}")
        xs = [c.dq(c.input(t, [1, k, 3, 4]), 0.05, np.asarray(zp(t, -2, 126), NP[t])) for k in (2, 3)]
        c.save([c.q(c.op("Concat", xs, axis=1), t, 0.05, zp(t, -2, 126))])
        # Pools: MaxPool (any parameters), AveragePool / GlobalAveragePool (power-of-two scale and count).
        unary_case(f"maxpool_{n}", t, "MaxPool", [1, 3, 7, 7], 0.05, zp(t, 4, 130), 0.05, zp(t, 4, 130),
                   kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
        unary_case(f"averagepool_{n}_pow2", t, "AveragePool", [1, 3, 8, 8], 0.125, zp(t, 4, 130), 0.125,
                   zp(t, 4, 130), kernel_shape=[2, 2], strides=[2, 2])
        unary_case(f"globalaveragepool_{n}_pow2", t, "GlobalAveragePool", [1, 3, 4, 4], 0.25, zp(t, -1, 127),
                   0.25, zp(t, -1, 127))
        # Data movement: Transpose -> Reshape, Flatten, Squeeze (opset 13: axes input).
        c = Case(f"transpose_reshape_{n}")
        x = c.dq(c.input(t, [1, 2, 3, 4]), 0.02, np.asarray(zp(t, 1, 128), NP[t]))
        x = c.op("Transpose", [x], perm=[0, 2, 3, 1])
        x = c.op("Reshape", [x, c.const(np.array([1, 24], np.int64))])
        c.save([c.q(x, t, 0.02, zp(t, 1, 128))])
        unary_case(f"flatten_{n}", t, "Flatten", [2, 3, 2, 2], 0.02, zp(t, 1, 128), 0.02, zp(t, 1, 128), axis=1)
        c = Case(f"squeeze_{n}")
        x = c.dq(c.input(t, [1, 5, 1, 3]), 0.02, np.asarray(zp(t, 1, 128), NP[t]))
        c.save([c.q(c.op("Squeeze", [x, c.const(np.array([0, 2], np.int64))]), t, 0.02, zp(t, 1, 128))])
        # Row ops: Softmax, LogSoftmax (opset 13 last axis, opset 11 coerced 2-D, inner axis).
        unary_case(f"softmax_{n}", t, "Softmax", [2, 3, 10], 0.08, zp(t, 10, 138), 1 / 256, zp(t, -128, 0))
        unary_case(f"logsoftmax_{n}", t, "LogSoftmax", [2, 3, 10], 0.08, zp(t, 10, 138), 16 / 255,
                   zp(t, 127, 255))
        unary_case(f"logsoftmax_{n}_op11", t, "LogSoftmax", [2, 3, 4], 0.1, zp(t, 0, 128), 12 / 255,
                   zp(t, 127, 255), opset=11, axis=1)
        unary_case(f"logsoftmax_{n}_axis1", t, "LogSoftmax", [2, 5, 3], 0.05, zp(t, -20, 100), 0.04,
                   zp(t, 127, 255), axis=1)
        # Pointwise ops (256-entry lookup tables).
        for op, attrs, opset in (("Sigmoid", {}, 13), ("Tanh", {}, 13), ("HardSwish", {}, 14),
                                 ("LeakyRelu", {"alpha": 0.1}, 13), ("Relu", {}, 13)):
            unary_case(f"{op.lower()}_{n}", t, op, [2, 3, 5], 0.05, zp(t, 9, 140), 0.02, zp(t, 0, 128), opset,
                       **attrs)
        c = Case(f"clip_{n}")
        x = c.dq(c.input(t, [2, 3, 5]), 0.05, np.asarray(zp(t, 9, 140), NP[t]))
        y = c.op("Clip", [x, c.const(np.float32(-1.0)), c.const(np.float32(2.5))])
        c.save([c.q(y, t, 0.02, zp(t, 0, 128))])
        # Pad: constant (value 0 and a value on the grid), reflect.
        c = Case(f"pad_{n}_constant")
        x = c.dq(c.input(t, [1, 2, 3, 3]), 0.05, np.asarray(zp(t, 3, 131), NP[t]))
        y = c.op("Pad", [x, c.const(np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64)), c.const(np.float32(0.25))])
        c.save([c.q(y, t, 0.05, zp(t, 3, 131))])
        c = Case(f"pad_{n}_reflect")
        x = c.dq(c.input(t, [1, 2, 4, 4]), 0.05, np.asarray(zp(t, 3, 131), NP[t]))
        y = c.op("Pad", [x, c.const(np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64))], mode="reflect")
        c.save([c.q(y, t, 0.05, zp(t, 3, 131))])
        # Resize nearest (same parameters: a gather; different output parameters: gather + table).
        for same in (True, False):
            c = Case(f"resize_{n}_nearest{'' if same else '_requant'}")
            x = c.dq(c.input(t, [1, 2, 3, 4]), 0.05, np.asarray(zp(t, 3, 131), NP[t]))
            y = c.op("Resize", [x, "", c.const(np.array([1, 1, 2, 1.5], np.float32))], mode="nearest",
                     coordinate_transformation_mode="asymmetric", nearest_mode="floor")
            c.save([c.q(y, t, 0.05 if same else 0.07, zp(t, 3, 131) if same else zp(t, -9, 120))])
        c = Case(f"resize_{n}_nearest_halfpixel")
        x = c.dq(c.input(t, [1, 2, 5, 4]), 0.05, np.asarray(zp(t, 3, 131), NP[t]))
        y = c.op("Resize", [x, "", "", c.const(np.array([1, 2, 3, 7], np.int64))], mode="nearest")
        c.save([c.q(y, t, 0.05, zp(t, 3, 131))])
        # Linear Resize (integer bilinear kernel): half_pixel upsampling, align_corners to sizes.
        # With x_scale == y_scale, 2x upsampling lands exactly on .5 ties often; the integer kernel
        # rounds the exact value to even while ONNX Runtime's float rounding picks a side, so the
        # output scale differs here to keep verify's per-row top-1 rule meaningful.
        c = Case(f"resize_{n}_linear")
        x = c.dq(c.input(t, [1, 2, 3, 4]), 0.05, np.asarray(zp(t, 3, 131), NP[t]))
        y = c.op("Resize", [x, "", c.const(np.array([1, 1, 2, 2], np.float32))], mode="linear")
        c.save([c.q(y, t, 0.047, zp(t, 3, 131))])
        c = Case(f"resize_{n}_linear_align_corners")
        x = c.dq(c.input(t, [2, 3, 5, 4]), 0.05, np.asarray(zp(t, 3, 131), NP[t]))
        y = c.op("Resize", [x, "", "", c.const(np.array([2, 3, 3, 7], np.int64))], mode="linear",
                 coordinate_transformation_mode="align_corners")
        c.save([c.q(y, t, 0.03, zp(t, -10, 110))])
    # Groups that stay float on purpose (each must produce a note): Mul with general scales in the
    # default rounding, Add with scales that need many tie patches, cubic Resize, per-channel
    # activations.
    c = Case("mul_s8_float")
    a = c.dq(c.input(S8, [2, 3, 4]), 0.031, np.int8(-5))
    b = c.dq(c.input(S8, [2, 3, 4]), 0.047, np.int8(7))
    c.save([c.q(c.op("Mul", [a, b]), S8, 0.09, np.int8(3))])
    c = Case("add_s8_float")
    a = c.dq(c.input(S8, [2, 3, 4]), 0.03, np.int8(-5))
    b = c.dq(c.input(S8, [2, 3, 4]), 0.05, np.int8(7))
    c.save([c.q(c.op("Add", [a, b]), S8, 0.06, np.int8(3))])
    c = Case("resize_s8_cubic_float")
    x = c.dq(c.input(S8, [1, 1, 3, 4]), 0.05, np.int8(3))
    y = c.op("Resize", [x, "", c.const(np.array([1, 1, 2, 2], np.float32))], mode="cubic")
    c.save([c.q(y, S8, 0.05, np.int8(3))])
    c = Case("sigmoid_s8_perchannel_float")
    x = c.dq(c.input(S8, [1, 3, 2, 2]), np.array([0.05, 0.04, 0.03], np.float32), np.zeros(3, np.int8), axis=1)
    c.save([c.q(c.op("Sigmoid", [x]), S8, 1 / 256, np.int8(-128))])


def outputs():
    write_outputs(HERE, check=True)


if __name__ == "__main__":
    {"models": models, "outputs": outputs}[sys.argv[1]]()
