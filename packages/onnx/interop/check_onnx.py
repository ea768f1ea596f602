"""Checks ONNX files written by Strata's exporter with the `onnx` package and runs them in Python's
onnxruntime. Usage: python check_onnx.py cases.json
cases.json: [{"file": path, "inputs": {name: {"shape": [...], "data": [...], "dtype"?: "string"}}}] (float32
unless "string"). Prints one JSON line:
[{"file", "ir_version", "opset", "outputs": {name: {"shape", "data"}}}] for the caller to compare."""

import json
import sys

import numpy as np
import onnx
import onnxruntime as ort


def main(path):
    with open(path) as f:
        cases = json.load(f)
    results = []
    for case in cases:
        model = onnx.load(case["file"])
        onnx.checker.check_model(model, full_check=True)
        session = ort.InferenceSession(case["file"], providers=["CPUExecutionProvider"])
        feeds = {
            name: np.asarray(value["data"], dtype=object if value.get("dtype") == "string" else np.float32).reshape(
                value["shape"]
            )
            for name, value in case["inputs"].items()
        }
        names = [o.name for o in session.get_outputs()]
        outputs = session.run(names, feeds)
        results.append(
            {
                "file": case["file"],
                "ir_version": model.ir_version,
                "opset": [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")][0],
                "batch_dims": [d.dim_param for i in model.graph.input for d in i.type.tensor_type.shape.dim[:1]],
                "outputs": {n: {"shape": list(o.shape), "data": o.ravel().tolist()} for n, o in zip(names, outputs)},
            }
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1])
