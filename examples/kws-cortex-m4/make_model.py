#!/usr/bin/python3
"""Generate the example's own keyword-spotting-shaped model and its test data.

    /usr/bin/python3 examples/kws-cortex-m4/make_model.py      (Debian python3-onnx, python3-numpy)

Writes, next to this script:
  kws_tiny.onnx     a tiny DS-CNN-like float32 network with fixed random weights (seeded; not trained,
                    so its "keywords" mean nothing): input "mfcc" [1,1,49,10] (49 frames x 10 MFCC
                    coefficients, NCHW), output "logits" [1,12] (the 12 MLPerf Tiny KWS classes).
                    Conv 10x4/s2 -> BatchNorm -> ReLU -> 2 x (depthwise 3x3 -> ReLU -> pointwise 1x1
                    -> ReLU) -> GlobalAveragePool -> Flatten -> Gemm. Opset 13, ~1.3k parameters.
  kws_input.bin     one test input: 490 little-endian float32 (seeded, MFCC-like values).
  kws_expected.txt  the class and logits for kws_input.bin computed here with an independent numpy
                    float64 implementation of the network (not with tinyaot):
                        class <k>
                        logits <l0> ... <l11>
The output is deterministic (numpy's legacy RandomState streams are frozen), so re-running the script
reproduces the committed files byte for byte.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261122
CLASSES = 12
IN_SHAPE = (1, 1, 49, 10)


def he(rng, shape, fan_in):
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


def make_weights(rng):
    w = {}
    w["c1_w"] = he(rng, (8, 1, 10, 4), 1 * 10 * 4)
    w["c1_b"] = (0.1 * rng.standard_normal(8)).astype(np.float32)
    w["bn_scale"] = (1.0 + 0.1 * rng.standard_normal(8)).astype(np.float32)
    w["bn_bias"] = (0.1 * rng.standard_normal(8)).astype(np.float32)
    w["bn_mean"] = (0.1 * rng.standard_normal(8)).astype(np.float32)
    w["bn_var"] = (1.0 + 0.2 * rng.random_sample(8)).astype(np.float32)
    cin = 8
    for i, cout in ((1, 16), (2, 16)):
        w[f"dw{i}_w"] = he(rng, (cin, 1, 3, 3), 9)
        w[f"dw{i}_b"] = (0.1 * rng.standard_normal(cin)).astype(np.float32)
        w[f"pw{i}_w"] = he(rng, (cout, cin, 1, 1), cin)
        w[f"pw{i}_b"] = (0.1 * rng.standard_normal(cout)).astype(np.float32)
        cin = cout
    w["fc_w"] = he(rng, (CLASSES, cin), cin)
    w["fc_b"] = (0.1 * rng.standard_normal(CLASSES)).astype(np.float32)
    return w


def build_model(w):
    nodes = [
        helper.make_node("Conv", ["mfcc", "c1_w", "c1_b"], ["c1"], name="conv1", kernel_shape=[10, 4],
                         strides=[2, 2], pads=[4, 1, 5, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["bn1"],
                         name="bn1", epsilon=1e-3),
        helper.make_node("Relu", ["bn1"], ["r1"], name="relu1"),
    ]
    x, cin = "r1", 8
    for i, cout in ((1, 16), (2, 16)):
        nodes += [
            helper.make_node("Conv", [x, f"dw{i}_w", f"dw{i}_b"], [f"dw{i}"], name=f"dw{i}", kernel_shape=[3, 3],
                             pads=[1, 1, 1, 1], group=cin),
            helper.make_node("Relu", [f"dw{i}"], [f"dwr{i}"], name=f"dw{i}_relu"),
            helper.make_node("Conv", [f"dwr{i}", f"pw{i}_w", f"pw{i}_b"], [f"pw{i}"], name=f"pw{i}",
                             kernel_shape=[1, 1]),
            helper.make_node("Relu", [f"pw{i}"], [f"pwr{i}"], name=f"pw{i}_relu"),
        ]
        x, cin = f"pwr{i}", cout
    nodes += [
        helper.make_node("GlobalAveragePool", [x], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "kws_tiny",
        [helper.make_tensor_value_info("mfcc", TensorProto.FLOAT, list(IN_SHAPE))],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, CLASSES])],
        initializer=[numpy_helper.from_array(v, k) for k, v in w.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="tinyaot examples/kws-cortex-m4/make_model.py")
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


# ---- independent numpy reference (float64) -------------------------------------------------------
def conv2d(x, w, b, stride=(1, 1), pads=(0, 0, 0, 0), group=1):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xp = np.zeros((n, c, h + pads[0] + pads[2], wd + pads[1] + pads[3]))
    xp[:, :, pads[0]:pads[0] + h, pads[1]:pads[1] + wd] = x
    oh = (xp.shape[2] - kh) // stride[0] + 1
    ow = (xp.shape[3] - kw) // stride[1] + 1
    y = np.zeros((n, m, oh, ow))
    mg = m // group
    for oc in range(m):
        g = oc // mg
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw]
                y[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3)) + b[oc]
    return y


def reference(w, x):
    f = {k: v.astype(np.float64) for k, v in w.items()}
    y = conv2d(x.astype(np.float64), f["c1_w"], f["c1_b"], stride=(2, 2), pads=(4, 1, 5, 1))
    s = f["bn_scale"] / np.sqrt(f["bn_var"] + 1e-3)
    y = (y - f["bn_mean"][None, :, None, None]) * s[None, :, None, None] + f["bn_bias"][None, :, None, None]
    y = np.maximum(y, 0)
    for i in (1, 2):
        y = np.maximum(conv2d(y, f[f"dw{i}_w"], f[f"dw{i}_b"], pads=(1, 1, 1, 1), group=y.shape[1]), 0)
        y = np.maximum(conv2d(y, f[f"pw{i}_w"], f[f"pw{i}_b"]), 0)
    y = y.mean(axis=(2, 3))
    return y @ f["fc_w"].T + f["fc_b"]


def main():
    rng = np.random.RandomState(SEED)
    w = make_weights(rng)
    model = build_model(w)
    # MFCC-like input: a smooth-ish spectral envelope over time plus noise.
    x = (rng.standard_normal(IN_SHAPE) + np.linspace(-1.0, 1.0, 10)[None, None, None, :]).astype(np.float32)
    logits = reference(w, x)[0]
    order = np.argsort(logits)[::-1]
    margin = logits[order[0]] - logits[order[1]]
    # float32 code differs from this float64 reference by ~1e-6; insist on a clear winner.
    if margin < 0.05:
        sys.exit(f"top-1 margin {margin} too small; change SEED")
    onnx.save(model, os.path.join(HERE, "kws_tiny.onnx"))
    x.astype("<f4").tofile(os.path.join(HERE, "kws_input.bin"))
    with open(os.path.join(HERE, "kws_expected.txt"), "w") as fh:
        fh.write(f"class {int(order[0])}\n")
        fh.write("logits " + " ".join(f"{v:.7g}" for v in logits) + "\n")
    print(f"kws_tiny.onnx: {os.path.getsize(os.path.join(HERE, 'kws_tiny.onnx'))} bytes; "
          f"expected class {int(order[0])} (margin {margin:.4f})")


if __name__ == "__main__":
    main()
