# Both ends of the "models -> node run_ort.js -> outputs" test-data scripts (ms_ops, qdq_ops,
# host_tiles, mcu/mve_cases): write_case saves a model with its inputs and the manifest run_ort.js
# reads; write_outputs turns ONNX Runtime's raw outputs into output_*.pb, records the output
# shapes in the model and removes the manifests and raw files.
import json
import os

import numpy as np
import onnx
from onnx import helper, mapping, numpy_helper


def write_case(d, m, inputs, feeds, output_names):
    """Saves model `m` into case folder `d` with `feeds` (one per graph input `inputs`) as
    test_data_set_0/input_*.pb, raw copies and the manifest for run_ort.js."""
    onnx.save(m, os.path.join(d, "model.onnx"))
    man = {"inputs": [], "outputs": list(output_names)}
    for i, (vi, arr) in enumerate(zip(inputs, feeds)):
        onnx.save_tensor(numpy_helper.from_array(arr, vi.name), os.path.join(d, "test_data_set_0", f"input_{i}.pb"))
        raw = os.path.join(d, f"in_{i}.raw")
        arr.tofile(raw)
        man["inputs"].append({"name": vi.name, "dtype": str(arr.dtype), "shape": list(arr.shape), "raw": raw})
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(man, f)


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
