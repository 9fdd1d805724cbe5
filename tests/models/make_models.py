#!/usr/bin/python3
# Makes small ONNX test cases (backend layout) that exercise memory aliasing corner cases:
# in-place chains, views, outputs computed in the caller's buffer, an output listed twice, an
# output that is a graph input. Expected outputs are computed with numpy (independent reference).
# Usage: /usr/bin/python3 tests/models/make_models.py   (writes tests/models/<case>/)
import os

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(1234)


def save(name, nodes, inputs, outputs, inits, feeds, expected):
    g = h.make_graph(nodes, name, inputs, outputs, inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)], producer_name="tinyaot-tests")
    m.ir_version = 8
    onnx.checker.check_model(m)
    d = os.path.join(HERE, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    for i, (n, v) in enumerate(feeds):
        with open(os.path.join(d, "test_data_set_0", f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v, n).SerializeToString())
    for i, (n, v) in enumerate(expected):
        with open(os.path.join(d, "test_data_set_0", f"output_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v, n).SerializeToString())


def vi(n, shape):
    return h.make_tensor_value_info(n, T.FLOAT, shape)


relu = lambda v: np.maximum(v, 0)

# 1. In-place chain ending in two outputs; the first output is also read after it is produced.
x = rng.standard_normal((1, 64)).astype(np.float32)
b = np.ones((1, 64), np.float32)
a = x + b
y = relu(relu(a) + x)
z = y + b
save("alias_inplace_chain",
     [h.make_node("Add", ["x", "b"], ["a"]), h.make_node("Relu", ["a"], ["r"]),
      h.make_node("Add", ["r", "x"], ["s"]), h.make_node("Relu", ["s"], ["y"]),
      h.make_node("Add", ["y", "b"], ["z"])],
     [vi("x", [1, 64])], [vi("y", [1, 64]), vi("z", [1, 64])],
     [numpy_helper.from_array(b, "b")], [("x", x)], [("y", y), ("z", z)])

# 2. Views: Reshape of an intermediate read by two consumers, then Flatten into the output.
x = rng.standard_normal((2, 3, 4)).astype(np.float32)
shape = np.array([6, 4], np.int64)
r = relu(x).reshape(6, 4)
out1 = (r + r).reshape(24)
out2 = relu(r)
save("alias_views",
     [h.make_node("Relu", ["x"], ["a"]), h.make_node("Reshape", ["a", "shape"], ["r"]),
      h.make_node("Add", ["r", "r"], ["s"]), h.make_node("Flatten", ["s"], ["f"], axis=0),
      h.make_node("Reshape", ["f", "flat"], ["out1"]), h.make_node("Relu", ["r"], ["out2"])],
     [vi("x", [2, 3, 4])], [vi("out1", [24]), vi("out2", [6, 4])],
     [numpy_helper.from_array(shape, "shape"), numpy_helper.from_array(np.array([24], np.int64), "flat")],
     [("x", x)], [("out1", out1), ("out2", out2)])

# 3. An output listed twice, an output that is a graph input, and a view of a graph input.
x = rng.standard_normal((4, 4)).astype(np.float32)
save("alias_io_corners",
     [h.make_node("Reshape", ["x", "shape"], ["v"]), h.make_node("Relu", ["v"], ["y"])],
     [vi("x", [4, 4])], [vi("y", [16]), vi("y", [16]), vi("x", [4, 4])],
     [numpy_helper.from_array(np.array([16], np.int64), "shape")],
     [("x", x)], [("y", relu(x).reshape(16)), ("y", relu(x).reshape(16)), ("x", x)])
# 4. Concats along the outermost non-unit axis whose inputs are computed straight into their slices
#    (c: inputs used only by it; out2: a graph output, one input computed in place), and one along
#    an inner axis that must copy (out3).
x = rng.standard_normal((1, 2, 3)).astype(np.float32)
w = np.array([0.5, -1.0, 2.0], np.float32)
c = np.concatenate([relu(x), x * w, x + w], axis=1)
out1 = relu(c) + c
out2 = np.concatenate([relu(x + x), x * x], axis=1)
out3 = np.concatenate([x - w, x], axis=2)
save("alias_concat",
     [h.make_node("Relu", ["x"], ["a"]), h.make_node("Mul", ["x", "w"], ["b"]), h.make_node("Add", ["x", "w"], ["xw"]),
      h.make_node("Concat", ["a", "b", "xw"], ["c"], axis=1), h.make_node("Relu", ["c"], ["rc"]),
      h.make_node("Add", ["rc", "c"], ["out1"]),
      h.make_node("Add", ["x", "x"], ["d"]), h.make_node("Relu", ["d"], ["e"]), h.make_node("Mul", ["x", "x"], ["f"]),
      h.make_node("Concat", ["e", "f"], ["out2"], axis=-2),
      h.make_node("Sub", ["x", "w"], ["g"]), h.make_node("Concat", ["g", "x"], ["out3"], axis=2)],
     [vi("x", [1, 2, 3])], [vi("out1", [1, 6, 3]), vi("out2", [1, 4, 3]), vi("out3", [1, 2, 6])],
     [numpy_helper.from_array(w, "w")], [("x", x)], [("out1", out1), ("out2", out2), ("out3", out3)])
# 5. Depthwise 3x3 convolution whose input dies there: planned in place (one-channel scratch).
def conv2d(x, w, b, pad, group):
    n, c, hh, ww = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = hh + 2 * pad - kh + 1, ww + 2 * pad - kw + 1
    y = np.zeros((n, m, oh, ow), np.float64)
    mg = m // group
    for o in range(m):
        g = o // mg
        for i in range(cg):
            for u in range(kh):
                for v in range(kw):
                    y[0, o] += w[o, i, u, v] * xp[0, g * cg + i, u:u + oh, v:v + ow]
        y[0, o] += b[o]
    return y.astype(np.float32)


x = rng.standard_normal((1, 4, 6, 6)).astype(np.float32)
w1 = rng.standard_normal((8, 4, 1, 1)).astype(np.float32)
b1 = rng.standard_normal(8).astype(np.float32)
w2 = rng.standard_normal((8, 1, 3, 3)).astype(np.float32)
b2 = rng.standard_normal(8).astype(np.float32)
w3 = rng.standard_normal((2, 8, 1, 1)).astype(np.float32)
b3 = rng.standard_normal(2).astype(np.float32)
hid = relu(conv2d(x, w1, b1, 0, 1))
dwo = relu(conv2d(hid, w2, b2, 1, 8))
y = conv2d(dwo, w3, b3, 0, 1)
save("alias_depthwise",
     [h.make_node("Conv", ["x", "w1", "b1"], ["h1"]), h.make_node("Relu", ["h1"], ["h"]),
      h.make_node("Conv", ["h", "w2", "b2"], ["d1"], group=8, pads=[1, 1, 1, 1]), h.make_node("Relu", ["d1"], ["d"]),
      h.make_node("Conv", ["d", "w3", "b3"], ["y"])],
     [vi("x", [1, 4, 6, 6])], [vi("y", [1, 2, 6, 6])],
     [numpy_helper.from_array(v, n) for n, v in (("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2), ("w3", w3), ("b3", b3))],
     [("x", x)], [("y", y)])
print("wrote test models to", HERE)
