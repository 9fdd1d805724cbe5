#!/usr/bin/env python3
# Builds the edge-shape cases of the Cortex-M DSP depthwise 3x3 stride-1 assembly kernel
# (codegen/kernels/arm_dsp_depthwise_asm.cpp) in tests/mcu/dsp_dw_cases/<case>/; expected outputs
# come from ONNX Runtime, the same way as tests/mcu/mve_cases (whose case builder this reuses):
#   python3 make_dsp_dw_cases.py models && node ../../ms_ops/run_ort.js . && python3 make_dsp_dw_cases.py outputs
# Shapes are chosen against the kernel's blocking: 2x2 output blocks, so odd and even output
# heights and widths, a single output row or column, rows of up to 3 blocks (unrolled) and more
# (a loop), every padding pattern, per-channel shifts that differ (scaled to one common shift) and
# large zero points, for stride 1 and 2. Case names starting with "fallback_" are depthwise layers
# the assembly kernel declines (rounding ties): they keep the older DSP kernel.
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "mve_cases"))
import make_mve_cases as mk  # noqa: E402

mk.HERE = HERE
mk.RNG = np.random.default_rng(7141)


def dw(name, c, hw, pads=(1, 1, 1, 1), **kw):
    mk.conv_case(name, c, c, hw, (3, 3), pads=pads, group=c, **kw)


def models():
    dw("dw3x3s1_c5_25x5_kws", 5, (25, 5), xzp=-128, yzp=-128)          # KWS shape: odd OH and OW
    dw("dw3x3s1_c3_6x8_loop", 3, (6, 8))                                # 4 blocks per row: loop
    dw("dw3x3s1_c2_9x48_wide", 2, (9, 48), xzp=5)                       # VWW width, odd OH
    dw("dw3x3s1_c4_1x9_onerow", 4, (1, 9))                              # OH = 1
    dw("dw3x3s1_c3_7x1_onecol", 3, (7, 1))                              # OW = 1 (no 2-column block)
    dw("dw3x3s1_c3_7x6_nopad", 3, (7, 6), pads=(0, 0, 0, 0), bias=False)  # valid: 5x4 outputs
    dw("dw3x3s1_c4_6x7_asym", 4, (6, 7), pads=(0, 1, 2, 0), yzp=-30)      # 6x6 outputs
    dw("dw3x3s1_c3_5x6_leftpad2", 3, (5, 6), pads=(2, 2, 0, 1))           # even left pad: 5x7 outputs
    # Per-channel scales over 3 decades: different shifts, brought to one by scaling.
    dw("dw3x3s1_c6_8x5_shifts", 6, (8, 5), sw=[0.02, 0.0004, 0.00005, 0.0031, 0.0000061, 0.011])
    dw("fallback_dw3x3s1_ties_c4_6x5", 4, (6, 5), sx=0.25, sy=0.5, sw=[0.0625, 0.125, 0.03125, 0.25],
       xzp=0, yzp=3)
    # Stride 2: TF "same" padding of even inputs (VWW), odd sizes, symmetric padding, tails.
    dw("dw3x3s2_c3_12x12_same", 3, (12, 12), strides=(2, 2), pads=(0, 0, 1, 1), xzp=-128)  # 6x6
    dw("dw3x3s2_c3_9x8", 3, (9, 8), strides=(2, 2))                                       # 5x4
    dw("dw3x3s2_c2_7x11_pad1", 2, (7, 11), strides=(2, 2), yzp=-128)                      # 4x6
    dw("dw3x3s2_c4_5x20_loop", 4, (5, 20), strides=(2, 2), pads=(0, 1, 0, 0))             # 2x10
    dw("dw3x3s2_c2_3x3_one", 2, (3, 3), strides=(2, 2), pads=(0, 0, 0, 0))                # 1x1
    dw("dw3x3s2_c6_10x9_shifts", 6, (10, 9), strides=(2, 2), pads=(1, 0, 0, 1),            # 4x4
       sw=[0.02, 0.0004, 0.00005, 0.0031, 0.0000061, 0.011])


def outputs():
    mk.write_outputs(HERE)


if __name__ == "__main__":
    {"models": models, "outputs": outputs}[sys.argv[1]]()
