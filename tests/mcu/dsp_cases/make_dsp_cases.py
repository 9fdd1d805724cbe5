#!/usr/bin/env python3
# Builds the edge-shape int8 QLinearConv cases of the Cortex-M DSP GEMM kernels (--target cortex-m4;
# codegen/kernels/arm_dsp_gemm.cpp) in tests/mcu/dsp_cases/<case>/; expected outputs come from ONNX
# Runtime, as for tests/mcu/mve_cases (whose case builder this reuses):
#   python3 make_dsp_cases.py models          # models, inputs and a manifest per case
#   node ../../ms_ops/run_ort.js .            # onnxruntime-node writes raw outputs
#   python3 make_dsp_cases.py outputs         # raw outputs -> output_0.pb
# Cases named ring_* must take the row-ring gather (one widened int16 copy of each input row, word
# copies per block): strides, padding on one side only, odd output widths (2-pixel blocks spanning
# two output rows), odd pixel and channel counts, channel counts that are not multiples of 4 (the
# [column][channel] rows then put several kernel columns in one group of 4 taps). gather_* cases
# keep the per-tap gather (the ring layout would need more groups). pw_* cases are pointwise layers.
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "mve_cases"))
import make_mve_cases as mc  # noqa: E402

mc.HERE = HERE
mc.RNG = np.random.default_rng(4711)


def models():
    c = mc.conv_case
    # Stride 2, padding top/left only, M odd (the last channel pair is half padding).
    c("ring_c8_m5_7x9_s2_pad_tl", 8, 5, (7, 9), (3, 3), strides=(2, 2), pads=(1, 1, 0, 0))
    # Odd output width 7 and 35 pixels: blocks span two output rows, the last block has one pixel.
    c("ring_c4_m6_5x7_pad1", 4, 6, (5, 7), (3, 3), pads=(1, 1, 1, 1), yzp=120)
    # One channel, 5x4 kernel, stride 2 (the KWS first-layer form): 4 taps per kernel row.
    c("ring_c1_m4_9x6_k5x4_s2", 1, 4, (9, 6), (5, 4), strides=(2, 2), pads=(2, 1, 2, 1), xzp=-128)
    # Six channels, 3x2 kernel: 12 taps per kernel row span two columns; padding bottom/right only.
    c("ring_c6_m3_6x6_k3x2_pad_br", 6, 3, (6, 6), (3, 2), pads=(0, 0, 1, 1), xzp=127)
    # K = 108 > 64, strides (1, 2), asymmetric padding, no bias.
    c("ring_c12_m7_6x5_s1x2", 12, 7, (6, 5), (3, 3), strides=(1, 2), pads=(1, 0, 1, 1), bias=False)
    # Rounding ties through the ring path (power-of-two scales, per-channel shifts differ).
    c("ring_ties_c8_m4_4x6", 8, 4, (4, 6), (3, 3), pads=(1, 1, 1, 1), sx=0.25, sy=0.5,
      sw=[0.0625, 0.125, 0.03125, 0.25], xzp=0, yzp=3)
    # Three channels, stride 2 (the VWW first-layer form): keeps the per-tap gather.
    c("gather_c3_m4_9x8_s2", 3, 4, (9, 8), (3, 3), strides=(2, 2), pads=(0, 0, 1, 1))
    # Pointwise layers through the assembly GEMM body (arm_dsp_gemm_asm.cpp): every entry into its
    # 4-group loop (G - 1 = 0, 1, 2, 3 mod 4, and two full passes), an odd channel count (the last
    # channel through the byte buffer), an odd pixel count (the last pixel likewise), one channel
    # only (uint8 outputs need uint8 inputs for an ONNX Runtime reference; the builder makes int8 ones).
    c("pw_c8_m5_3x5", 8, 5, (3, 5), (1, 1))
    c("pw_c4_m4_1x3", 4, 4, (1, 3), (1, 1), yzp=100)
    c("pw_c20_m6_2x3", 20, 6, (2, 3), (1, 1), xzp=-128)
    c("pw_c12_m3_3x3", 12, 3, (3, 3), (1, 1), bias=False)
    c("pw_c16_m2_2x2", 16, 2, (2, 2), (1, 1), xzp=127)
    c("pw_c36_m8_4x2", 36, 8, (4, 2), (1, 1), yzp=3)
    c("pw_c8_m1_2x3", 8, 1, (2, 3), (1, 1))
    # Real multipliers sx * sw / sy in [0.25, 0.5) (as in VWW's last convolution): tie-free records
    # need the weights and bias scaled by 2 (rq_records, scale_weights).
    c("pw_bigmult_c8_m5_3x3", 8, 5, (3, 3), (1, 1), sx=0.05, sy=0.0041,
      sw=[0.0213, 0.0257, 0.0311, 0.0347, 0.0389], wmax=4, xmax=8)
    # Per-tap gather by output rows (even output width): padding on every side, stride 1 (the
    # ResNet-8 first-layer form), so blocks have both, one or none of their windows inside.
    c("gather_c3_m5_6x8_pad1", 3, 5, (6, 8), (3, 3), pads=(1, 1, 1, 1), xzp=5)


def outputs():
    mc.write_outputs(HERE)


if __name__ == "__main__":
    {"models": models, "outputs": outputs}[sys.argv[1]]()
