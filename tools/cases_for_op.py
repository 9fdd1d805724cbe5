#!/usr/bin/python3
# Lists ONNX backend test cases (Debian libonnx-testdata) whose model uses any of the given ops.
# Usage: tools/cases_for_op.py Conv ConvTranspose   (prints case folders, one per line)
import os
import sys

import onnx

ROOT = "/usr/share/libonnx-testdata/data"
wanted = set(sys.argv[1:])
for suite in ("node", "pytorch-converted", "pytorch-operator", "simple"):
    base = os.path.join(ROOT, suite)
    for case in sorted(os.listdir(base)):
        path = os.path.join(base, case, "model.onnx")
        if not os.path.exists(path):
            continue
        try:
            m = onnx.load(path, load_external_data=False)
        except Exception:
            continue
        ops = {n.op_type for n in m.graph.node}
        if ops & wanted:
            print(os.path.join(base, case))
