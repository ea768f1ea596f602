"""Keras 3's own ONNX export next to Strata's. Usage: python keras_onnx.py cases.json

cases.json: [{"keras": .keras path, "strata_onnx": path, "keras_onnx": path to write,
              "inputs": [{"shape": [...], "dtype": "float32" | "int32" | "string", "data": [...]}]}]

For each case, Keras (torch backend: `model.export(format='onnx')` goes through torch.onnx) loads the
.keras file, predicts on the inputs and exports it; Python's onnxruntime runs Keras's file and Strata's on
the same inputs, fed in the models' input order. Prints one JSON line: per case, `keras_predict`,
`keras_onnx` and `strata_onnx` (lists of {"shape", "data"}), or `keras_error`, the exception Keras's
export (or its predict) raised, by class and first line."""

import json
import os
import sys

os.environ["KERAS_BACKEND"] = "torch"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402


def arrays(inputs):
    out = []
    for x in inputs:
        dtype = object if x["dtype"] == "string" else x["dtype"]
        out.append(np.asarray(x["data"], dtype=dtype).reshape(x["shape"]))
    return out


def listed(outputs):
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [{"shape": list(np.shape(o)), "data": np.asarray(o, dtype=np.float64).ravel().tolist()} for o in outputs]


def run_onnx(path, xs):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return listed(session.run(None, dict(zip(names, xs))))


def first_line(e):
    lines = [line for line in str(e).splitlines() if line.strip()]
    return f"{type(e).__name__}: {lines[0] if lines else ''}"


def main(path):
    with open(path) as f:
        cases = json.load(f)
    results = []
    for case in cases:
        xs = arrays(case["inputs"])
        result = {"keras": case["keras"], "strata_onnx": run_onnx(case["strata_onnx"], xs)}
        try:
            model = keras.saving.load_model(case["keras"], compile=False)
            # torch.onnx traces the model: it must have been called once.
            result["keras_predict"] = listed(model.predict(xs if len(xs) > 1 else xs[0], verbose=0))
            model.export(case["keras_onnx"], format="onnx", verbose=False)
            result["keras_onnx"] = run_onnx(case["keras_onnx"], xs)
        except Exception as e:  # noqa: BLE001 - the failure is the result, reported to the caller
            result["keras_error"] = first_line(e)
        results.append(result)
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1])
