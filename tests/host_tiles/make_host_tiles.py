#!/usr/bin/env python3
# Builds the float Conv/MatMul/Gemm cases in tests/host_tiles/<case>/ that exercise every shape class
# of the host tile kernels (codegen/kernels/conv_host.cpp) and their Cortex-M twins; expected
# outputs come from ONNX Runtime (tests/ms_ops/run_ort.js):
#   python3 make_host_tiles.py models     # writes models, inputs and a manifest for node
#   node ../ms_ops/run_ort.js .           # onnxruntime-node writes raw outputs next to the manifest
#   python3 make_host_tiles.py outputs    # turns the raw outputs into output_*.pb
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ms_ops"))
from ort_outputs import write_case, write_outputs  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(20261122)
F = TensorProto.FLOAT


def rnd(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def save(name, nodes, inputs, feeds, inits):
    d = os.path.join(HERE, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    outs = [helper.make_tensor_value_info("y", F, None)]
    g = helper.make_graph(nodes, name, inputs, outs, [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    write_case(d, m, inputs, feeds, ["y"])


def conv(name, n, c, m, h, w, k, group=1, act=None, bias=True, residual=False, **attrs):
    """x[n,c,h,w] -> Conv(kernel k, group) [-> Add(x)] [-> act] -> y."""
    x = helper.make_tensor_value_info("x", F, [n, c, h, w])
    inits = {"w": rnd(m, c // group, *k) * 0.5}
    ins = ["x", "w"]
    if bias:
        inits["b"] = rnd(m)
        ins.append("b")
    nodes = [helper.make_node("Conv", ins, ["c"], kernel_shape=list(k), group=group, **attrs)]
    last = "c"
    if residual:
        nodes.append(helper.make_node("Add", ["c", "x"], ["s"]))
        last = "s"
    if act == "relu":
        nodes.append(helper.make_node("Relu", [last], ["y"]))
    elif act == "clip":
        inits["lo"], inits["hi"] = np.array(0, np.float32), np.array(6, np.float32)
        nodes.append(helper.make_node("Clip", [last, "lo", "hi"], ["y"]))
    else:
        nodes.append(helper.make_node("Identity", [last], ["y"]))
    save(name, nodes, [x], [rnd(n, c, h, w)], inits)


def models():
    # Row tiles: odd channel counts (row-block remainder), column blocks with a remainder.
    conv("conv_odd_channels", 1, 3, 5, 11, 37, (3, 3), pads=[1, 1, 1, 1], act="relu")
    # Stride 2 and asymmetric pads: strided tile loads, borders of different widths.
    conv("conv_s2_asym_pads", 1, 4, 6, 17, 19, (3, 3), strides=[2, 2], pads=[0, 1, 2, 1])
    # Groups with 3 output channels each (no 4-channel block), batch 2.
    conv("conv_groups", 2, 8, 12, 9, 10, (3, 3), group=4, pads=[1, 1, 1, 1], act="clip")
    # Dilation 2.
    conv("conv_dilation", 1, 3, 8, 12, 12, (3, 3), dilations=[2, 2], pads=[2, 2, 2, 2])
    # Channels innermost (48 = 32 + 16 channels, narrow rows), no bias, Relu.
    conv("conv_channel_tiles", 1, 5, 48, 7, 9, (3, 3), pads=[1, 1, 1, 1], act="relu", bias=False)
    # Channels innermost with stride 2 and a kernel wider than tall.
    conv("conv_channel_tiles_s2", 1, 3, 32, 12, 10, (3, 5), strides=[2, 2], pads=[1, 2, 1, 2])
    # Fused residual (fuse-residual-add) on a channel-tile conv and on a row-tile conv.
    conv("conv_residual_channels", 1, 16, 16, 6, 6, (3, 3), pads=[1, 1, 1, 1], act="relu", residual=True)
    conv("conv_residual_rows", 1, 4, 4, 6, 40, (3, 3), pads=[1, 1, 1, 1], residual=True)
    # 1x1 stride 2 (regular path, not pointwise).
    conv("conv_1x1_s2", 1, 6, 10, 9, 9, (1, 1), strides=[2, 2])
    # Depthwise over the flattened plane: 7 channels of 9x5, Clip; dilation 2; a 5x3 kernel.
    conv("dw_plane", 1, 7, 7, 9, 5, (3, 3), group=7, pads=[1, 1, 1, 1], act="clip")
    conv("dw_plane_dilation", 1, 6, 6, 8, 8, (3, 3), group=6, dilations=[2, 2], pads=[2, 2, 2, 2])
    conv("dw_plane_5x3", 1, 3, 3, 10, 7, (5, 3), group=3, pads=[2, 1, 2, 1], act="relu")
    # Depthwise, stride 2 (row tiles), with a residual (no plane run), and a channel multiplier.
    conv("dw_s2", 1, 5, 5, 11, 11, (3, 3), group=5, strides=[2, 2], pads=[1, 1, 1, 1])
    conv("dw_residual", 1, 4, 4, 7, 6, (3, 3), group=4, pads=[1, 1, 1, 1], residual=True)
    conv("dw_multiplier", 1, 4, 8, 6, 7, (3, 3), group=4, pads=[1, 1, 1, 1])
    # Valid padding, no interior rows in a 3-row output.
    conv("conv_tiny_plane", 1, 2, 3, 3, 4, (3, 3), pads=[1, 1, 1, 1])
    # Pointwise: 13 -> 19 channels over 63 pixels (row blocks 8 + 8 + 3, column blocks 32 + 31).
    conv("pointwise_odd", 1, 13, 19, 7, 9, (1, 1), act="relu")
    # MatMul and Gemm with B's rows contiguous.
    a = helper.make_tensor_value_info("a", F, [5, 37])
    save("matmul_5x37x41", [helper.make_node("MatMul", ["a", "b"], ["y"])], [a], [rnd(5, 37)], {"b": rnd(37, 41)})
    a = helper.make_tensor_value_info("a", F, [2, 3, 6, 17])
    save("matmul_batched", [helper.make_node("MatMul", ["a", "b"], ["y"])], [a], [rnd(2, 3, 6, 17)],
         {"b": rnd(17, 20)})
    a = helper.make_tensor_value_info("a", F, [3, 20])
    save("gemm_alpha_beta", [helper.make_node("Gemm", ["a", "b", "c"], ["y"], alpha=0.5, beta=2.0)], [a],
         [rnd(3, 20)], {"b": rnd(20, 50), "c": rnd(50)})
    # Last blocks that overlap their predecessor and store only their new columns: a row tile
    # (30 interior columns = 16 + 14) with a residual stored in place, a plane run (118 = 3 x 32 +
    # 22) and a MatMul (57 columns = 32 + 25).
    conv("conv_residual_overlap", 1, 4, 4, 5, 32, (3, 3), pads=[1, 1, 1, 1], act="relu", residual=True)
    conv("dw_plane_overlap", 1, 8, 8, 12, 12, (3, 3), group=8, pads=[1, 1, 1, 1])
    a = helper.make_tensor_value_info("a", F, [4, 10])
    save("matmul_overlap", [helper.make_node("MatMul", ["a", "b"], ["y"])], [a], [rnd(4, 10)], {"b": rnd(10, 57)})
    # Channel tiles of 8 columns on a 16-column row (14 interior columns = 8 + a last block of 8
    # overlapping by 2), with a residual stored in place: ResNet-8's 16x16 layers in small.
    conv("conv_channel_overlap", 1, 32, 32, 5, 16, (3, 3), pads=[1, 1, 1, 1], act="relu", residual=True)
    # Channel tiles for a strided few-channel layer (3 -> 8 channels, stride 2, VWW's first layer in
    # small): 30 interior columns = 16 + a last block of 16 overlapping by 2; asymmetric pads.
    conv("conv_few_channels_s2", 1, 3, 8, 9, 62, (3, 3), strides=[2, 2], pads=[0, 1, 1, 1], act="clip")
    # AVX-512 whole-row vectors (conv_host_v16.cpp): 32-column rows as 2 vectors with lane-shifted
    # edge taps, 8-channel blocks, residual stored in place (ResNet-8's 32x32 layers in small);
    # 48 columns (a 2-vector and a 1-vector chunk), 5-wide kernel (shifts by 2), row stride and
    # dilation 2, 4-channel blocks, no bias; groups with batch 2 and only right-hand padding.
    conv("conv_v16_residual", 1, 8, 8, 6, 32, (3, 3), pads=[1, 1, 1, 1], act="relu", residual=True)
    conv("conv_v16_wide", 1, 3, 12, 9, 48, (5, 5), strides=[2, 1], dilations=[2, 1], pads=[4, 2, 4, 2],
         act="clip", bias=False)
    conv("conv_v16_groups", 2, 8, 16, 4, 16, (3, 3), group=2, pads=[1, 0, 1, 2])
    # Whole-row vectors with stride 2 (two loads, even lanes) and 32 columns; depthwise in blocks of
    # 8 and 4 channels, 20 columns (a last vector overlapping by 12), stride 1 and 2.
    conv("conv_v16_s2", 1, 4, 8, 7, 64, (3, 3), strides=[2, 2], pads=[1, 1, 1, 1], act="relu")
    conv("dw_v16", 1, 8, 8, 10, 20, (3, 3), group=8, pads=[1, 1, 1, 1], act="clip")
    conv("dw_v16_s2", 1, 4, 4, 9, 40, (3, 3), group=4, strides=[2, 2], pads=[1, 1, 1, 1])
    # Planes narrower than a vector as one flattened row with per-tap lane masks: ResNet-8's 8x8
    # layers in small (64 positions, residual), VWW's 6x6 depthwise layers (36 = 16 + 16 + an
    # overlapping 16), a 5x5 kernel without bias.
    conv("conv_v16_flat", 1, 16, 16, 8, 8, (3, 3), pads=[1, 1, 1, 1], act="relu", residual=True)
    conv("dw_v16_flat", 1, 8, 8, 6, 6, (3, 3), group=8, pads=[1, 1, 1, 1], act="relu")
    conv("dw_v16_flat_5x5", 1, 4, 4, 5, 7, (5, 5), group=4, pads=[2, 2, 2, 2], act="clip", bias=False)
    # Depthwise planes narrower than a vector as one vector per output row: stride 2 (VWW's 24x24 ->
    # 12x12 layers in small, asymmetric pads) and stride 1 without padding (input wider than output).
    conv("dw_v16_rows_s2", 1, 8, 8, 12, 11, (3, 3), group=8, strides=[2, 2], pads=[0, 0, 1, 1], act="relu")
    conv("dw_v16_rows_valid", 1, 4, 4, 9, 9, (3, 3), group=4)
    # Pointwise over few pixels with output channels as lanes (transposed weights): 15 pixels in
    # one tile, 64 channels; 36 pixels in three tiles of 12 with a residual (VWW's 6x6 layers).
    conv("pointwise_channels", 1, 20, 64, 3, 5, (1, 1), act="relu")
    conv("pointwise_channels_res", 1, 32, 32, 6, 6, (1, 1), act="relu", residual=True)


def outputs():
    write_outputs(HERE, check=True)


if __name__ == "__main__":
    {"models": models, "outputs": outputs}[sys.argv[1]]()
