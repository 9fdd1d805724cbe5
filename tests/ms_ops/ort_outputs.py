# The second half of every "models -> node run_ort.js -> outputs" test-data script (ms_ops,
# qdq_ops, mcu/mve_cases): turns ONNX Runtime's raw outputs into output_*.pb, records the output
# shapes in the model and removes the manifests and raw files.
import json
import os

import numpy as np
import onnx
from onnx import helper, mapping, numpy_helper


def write_outputs(here, check=False):
    for name in sorted(os.listdir(here)):
        d = os.path.join(here, name)
        mf = os.path.join(d, "manifest.json")
        if not os.path.isfile(mf):
            continue
        with open(os.path.join(d, "ort_outputs.json")) as f:
            outs = json.load(f)
        # Output types and shapes come from ONNX Runtime (the checker wants them in the graph).
        m = onnx.load(os.path.join(d, "model.onnx"))
        for i, o in enumerate(outs):
            t = mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(o["dtype"])]
            m.graph.output[i].CopyFrom(helper.make_tensor_value_info(m.graph.output[i].name, t, o["shape"]))
        if check:
            onnx.checker.check_model(m)
        onnx.save(m, os.path.join(d, "model.onnx"))
        for i, o in enumerate(outs):
            arr = np.fromfile(o["raw"], dtype=o["dtype"]).reshape(o["shape"])
            onnx.save_tensor(numpy_helper.from_array(arr, o["name"]),
                             os.path.join(d, "test_data_set_0", f"output_{i}.pb"))
            os.remove(o["raw"])
        with open(mf) as f:
            for e in json.load(f)["inputs"]:
                os.remove(e["raw"])
        os.remove(mf)
        os.remove(os.path.join(d, "ort_outputs.json"))
