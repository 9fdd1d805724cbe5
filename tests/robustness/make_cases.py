#!/usr/bin/python3
# Makes the adversarial model corpus (tests/robustness/cases/*.onnx): broken, hostile or absurd
# models that `tinyaot compile` must reject with exit 1 and a clear message, writing no files.
# Usage: /usr/bin/python3 tests/robustness/make_cases.py   (rewrites tests/robustness/cases/)
# The expected exit code and message of each case live in tests/robustness/cases.txt.
import os
import random
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases")


def model(nodes, inputs, outputs, inits=(), opset=13, ir=8, extra_opsets=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(g, opset_imports=ops, producer_name="tinyaot-robustness")
    m.ir_version = ir
    return m


def vi(name, shape, t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def conv_model():
    """A valid small Conv + Relu model; the base for truncation and bit flips."""
    w = numpy_helper.from_array(np.arange(2 * 1 * 3 * 3, dtype=np.float32).reshape(2, 1, 3, 3) / 10, "w")
    b = numpy_helper.from_array(np.array([0.5, -0.5], dtype=np.float32), "b")
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["y"], name="relu1")]
    return model(nodes, [vi("x", [1, 1, 8, 8])], [vi("y", [1, 2, 8, 8])], [w, b])


def raw_tensor(name, dims, raw, t=TensorProto.FLOAT):
    """A TensorProto built by hand so that dims and payload may disagree."""
    tp = TensorProto()
    tp.name = name
    tp.data_type = t
    tp.dims.extend(dims)
    tp.raw_data = raw
    return tp


def add_with_init(init, in_shape):
    nodes = [helper.make_node("Add", ["x", init.name], ["y"], name="add1")]
    return model(nodes, [vi("x", in_shape)], [vi("y", in_shape)], [init])


def nested_if(depth):
    """If nodes nested `depth` deep, each branch returning a constant or the next level."""
    def leaf(out):
        c = helper.make_node("Constant", [], [out], value=numpy_helper.from_array(np.ones([1], np.float32)))
        return helper.make_graph([c], "leaf", [], [vi(out, [1])])

    def branch(level):
        if level == 0:
            return leaf("r0")
        # Only the then-branch nests (sharing it in both branches would double the size per level).
        node = helper.make_node("If", ["cond"], ["r%d" % level], then_branch=branch(level - 1),
                                else_branch=leaf("e%d" % level))
        return helper.make_graph([node], "b%d" % level, [], [vi("r%d" % level, [1])])
    top = helper.make_node("If", ["cond"], ["y"], then_branch=branch(depth - 1), else_branch=leaf("e_top"))
    return model([top], [vi("cond", [], TensorProto.BOOL)], [vi("y", [1])])


def huge_loop_body(n):
    """A Loop whose body is a chain of `n` Relu nodes."""
    body_nodes = [helper.make_node("Identity", ["cond_in"], ["cond_out"])]
    prev = "v_in"
    for i in range(n):
        body_nodes.append(helper.make_node("Relu", [prev], ["r%d" % i]))
        prev = "r%d" % i
    body_nodes.append(helper.make_node("Identity", [prev], ["v_out"]))
    body = helper.make_graph(body_nodes, "body",
                             [vi("iter", [], TensorProto.INT64), vi("cond_in", [], TensorProto.BOOL), vi("v_in", [4])],
                             [vi("cond_out", [], TensorProto.BOOL), vi("v_out", [4])])
    loop = helper.make_node("Loop", ["trip", "cond", "x"], ["y"], body=body)
    trip = numpy_helper.from_array(np.array(3, np.int64), "trip")
    cond = numpy_helper.from_array(np.array(True), "cond")
    return model([loop], [vi("x", [4])], [vi("y", [4])], [trip, cond])


def external_model(location, **keys):
    """y = x + w with w: float[4] stored externally at `location` (plus offset/length/... keys)."""
    w = TensorProto()
    w.name = "w"
    w.data_type = TensorProto.FLOAT
    w.dims.append(4)
    w.data_location = TensorProto.EXTERNAL
    w.external_data.add(key="location", value=location)
    for k, v in keys.items():
        w.external_data.add(key=k, value=str(v))
    return add_with_init(w, [4])


def make_external_cases():
    """cases/external/: models whose weights live in weights.bin (32 bytes: floats 1..8), run by
    run_external_data.sh, which adds the symlinks and the file outside the folder at test time."""
    ext = os.path.join(OUT, "external")
    os.makedirs(ext)
    weights = np.arange(1, 9, dtype=np.float32)
    weights.tofile(os.path.join(ext, "weights.bin"))
    models = {
        "ok_first_half": external_model("weights.bin", offset=0, length=16),
        "ok_second_half": external_model("weights.bin", offset=16, length=16),
        "ok_subdir": external_model("sub/w.bin"),
        "ok_symlink_inside": external_model("inlink.bin", offset=16, length=16),
        "absolute_path": external_model("/etc/passwd", length=16),
        "dotdot": external_model("../secret.bin"),
        "dotdot_inside": external_model("sub/../weights.bin", length=16),
        "symlink_outside": external_model("outlink.bin"),
        "symlinked_dir_outside": external_model("outdir/secret.bin"),
        "offset_past_end": external_model("weights.bin", offset=100),
        "length_past_end": external_model("weights.bin", offset=24, length=16),
        "length_short": external_model("weights.bin", offset=0, length=8),
        "offset_not_a_number": external_model("weights.bin", offset="-1"),
        "unknown_key": external_model("weights.bin", length=16, compression="zstd"),
        "directory": external_model("sub"),
        "empty_location": external_model(""),
    }
    for name, m in models.items():
        with open(os.path.join(ext, name + ".onnx"), "wb") as f:
            f.write(m.SerializeToString())
    # Expected outputs (numpy) for the accepted ones, for `tinyaot verify` (backend test layout).
    x = np.array([0.5, -1.0, 2.0, 10.0], np.float32)
    for name, w in (("ok_first_half", weights[:4]), ("ok_second_half", weights[4:]), ("ok_subdir", weights[4:]),
                    ("ok_symlink_inside", weights[4:])):
        d = os.path.join(ext, "verify_" + name, "test_data_set_0")
        os.makedirs(d)
        with open(os.path.join(d, "input_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(x, "x").SerializeToString())
        with open(os.path.join(d, "output_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(x + w, "y").SerializeToString())
    os.makedirs(os.path.join(ext, "sub"))
    weights[4:].tofile(os.path.join(ext, "sub", "w.bin"))


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    cases = {}
    good = conv_model().SerializeToString()

    cases["empty_file"] = b""
    cases["truncated_half"] = good[: len(good) // 2]
    cases["truncated_one_byte"] = good[:-1]
    rng = random.Random(6)
    # Bit flips at fixed, seeded positions: each one hits the wire format, a length or a payload.
    for k in range(6):
        b = bytearray(good)
        for _ in range(4):
            pos = rng.randrange(len(b))
            b[pos] ^= 1 << rng.randrange(8)
        cases["bitflip_%d" % k] = bytes(b)

    neg = helper.make_tensor("w", TensorProto.FLOAT, [4], [1.0, 2.0, 3.0, 4.0])
    neg.dims[0] = -4
    cases["init_negative_dim"] = add_with_init(neg, [4])
    cases["input_negative_dim"] = model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", [1, -3])], [vi("y", [1, 3])])
    cases["input_zero_dim"] = model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", [0, 4])], [vi("y", [0, 4])])
    cases["input_enormous_dim"] = model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", [1, 1 << 40])],
                                        [vi("y", [1, 1 << 40])])
    cases["init_enormous_dims"] = add_with_init(raw_tensor("w", [1 << 20, 1 << 20], b"\0" * 16), [1, 4])
    # 2^31 * 2^31 * 2^3 elements wrap a uint64 element count to 0 (the ONNX checker falls for it);
    # 3 * (2^31 - 1)^3 elements, each dim within the per-dim bound: the byte count wraps.
    cases["init_count_overflow_u64"] = add_with_init(raw_tensor("w", [1 << 31, 1 << 31, 8, 1], b"\0" * 16), [1, 4])
    m31 = (1 << 31) - 1
    cases["init_bytes_overflow_u64"] = add_with_init(raw_tensor("w", [3, m31, m31, m31], b"\0" * 12), [1, 4])
    cases["input_bytes_overflow_u64"] = model([helper.make_node("Relu", ["x"], ["y"])],
                                              [vi("x", [1 << 31, 1 << 31, 8])], [vi("y", [1 << 31, 1 << 31, 8])])
    cases["raw_data_short"] = add_with_init(raw_tensor("w", [4], b"\0" * 12), [4])
    cases["raw_data_long"] = add_with_init(raw_tensor("w", [4], b"\0" * 20), [4])
    short_typed = helper.make_tensor("w", TensorProto.FLOAT, [4], [1.0, 2.0, 3.0, 4.0])
    del short_typed.float_data[3]
    cases["typed_data_short"] = add_with_init(short_typed, [4])

    m = conv_model()
    m.graph.node[0].attribute[0].CopyFrom(helper.make_attribute("pads", [1.0, 1.0, 1.0, 1.0]))
    cases["attr_wrong_type_floats"] = m
    m = conv_model()
    m.graph.node[0].attribute.append(helper.make_attribute("group", "two"))
    cases["attr_wrong_type_string"] = m
    m = conv_model()
    m.graph.node[0].attribute.append(helper.make_attribute("strides", [0, 0]))
    cases["attr_zero_strides"] = m
    m = conv_model()
    m.graph.node[0].attribute.append(helper.make_attribute("group", 0))
    cases["attr_zero_group"] = m

    cases["cycle"] = model([helper.make_node("Relu", ["b"], ["a"], name="n1"),
                            helper.make_node("Add", ["x", "a"], ["b"], name="n2")],
                           [vi("x", [4])], [vi("b", [4])])
    cases["self_loop"] = model([helper.make_node("Add", ["x", "y"], ["y"], name="n1")], [vi("x", [4])], [vi("y", [4])])
    cases["input_never_produced"] = model([helper.make_node("Add", ["x", "ghost"], ["y"], name="add1")],
                                          [vi("x", [4])], [vi("y", [4])])
    cases["output_never_produced"] = model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", [4])],
                                           [vi("y", [4]), vi("z", [4])])
    cases["duplicate_node_outputs"] = model([helper.make_node("Relu", ["x"], ["y"], name="a"),
                                             helper.make_node("Sigmoid", ["x"], ["y"], name="b")],
                                            [vi("x", [4])], [vi("y", [4])])
    cases["output_overwrites_input"] = model([helper.make_node("Relu", ["x"], ["x"], name="a")], [vi("x", [4])],
                                             [vi("x", [4])])
    # IR >= 4: an input named like an initializer is an overridable default (see docs/robustness.md).
    w = numpy_helper.from_array(np.ones([4], np.float32), "w")
    cases["input_shadows_initializer"] = model([helper.make_node("Add", ["x", "w"], ["y"], name="add1")],
                                               [vi("x", [4]), vi("w", [4])], [vi("y", [4])], [w])
    # Each If level nests three messages (graph, node, attribute): depth 40 exceeds protobuf's
    # default recursion limit of 100, depth 30 parses and reaches the op check.
    cases["nested_if_depth_30"] = nested_if(30)
    cases["nested_if_depth_40"] = nested_if(40)
    cases["loop_body_20000_nodes"] = huge_loop_body(20000)
    cases["unknown_domain_node"] = model([helper.make_node("Frobnicate", ["x"], ["y"], name="f1", domain="com.example")],
                                         [vi("x", [4])], [vi("y", [4])], extra_opsets=[("com.example", 1)])
    cases["unknown_domain_opset_only"] = model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", [4])], [vi("y", [4])],
                                               extra_opsets=[("com.example", 3)])
    cases["opset_too_new"] = model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", [4])], [vi("y", [4])], opset=99)
    cases["no_outputs"] = model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", [4])], [])
    cases["sequence_input"] = model([helper.make_node("SequenceLength", ["s"], ["y"])],
                                    [helper.make_tensor_sequence_value_info("s", TensorProto.FLOAT, [4])],
                                    [vi("y", [], TensorProto.INT64)])
    cases["external_data_no_file"] = add_with_init(raw_tensor("w", [4], b""), [4])
    ext = cases["external_data_no_file"].graph.initializer[0]
    ext.ClearField("raw_data")
    ext.data_location = TensorProto.EXTERNAL
    ext.external_data.add(key="location", value="missing.bin")

    # An 8 MiB intermediate tensor: over the default --max-arena-bytes (4 MiB). The reduction to
    # one element keeps the Relu result out of the caller's buffers, so it has to live in the arena
    # whatever the passes do.
    big = [1, 2 * 1024 * 1024]
    cases["arena_8mib"] = model([helper.make_node("Relu", ["x"], ["r"], name="relu1"),
                                 helper.make_node("ReduceMax", ["r"], ["y"], name="max1")],
                                [vi("x", big)], [vi("y", [1, 1])])
    make_external_cases()
    for name, m in sorted(cases.items()):
        data = m if isinstance(m, bytes) else m.SerializeToString()
        with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
            f.write(data)
    print("wrote %d cases to %s" % (len(cases), OUT))


if __name__ == "__main__":
    main()
