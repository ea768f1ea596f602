"""Loads files that Strata wrote with Keras 3 and reports what Keras sees.

Reads OUT_DIR/manifest.json: [{"name", "file", "kind": "keras" | "h5" | "weights", "config_from"?, "inputs"}].
For each entry it loads the file with Keras (load_model, or load_weights into a model rebuilt from the
.keras file named by config_from), predicts on the inputs, and lists the weights file's HDF5 paths and
shapes with h5py. Writes OUT_DIR/keras_results.json.
"""

import json
import os
import sys
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402


def h5_listing(h5file):
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out[name] = {"shape": list(obj.shape), "dtype": str(obj.dtype)}
        else:
            out[name + "/"] = {"attrs": sorted(obj.attrs.keys())}

    h5file.visititems(visit)
    return out


def main(out_dir):
    with open(os.path.join(out_dir, "manifest.json")) as f:
        manifest = json.load(f)
    results = {}
    for entry in manifest:
        path = os.path.join(out_dir, entry["file"])
        xs = [np.asarray(i["values"], dtype="float32").reshape(i["shape"]) for i in entry["inputs"]]
        res = {}
        try:
            if entry["kind"] == "weights":
                model = keras.saving.load_model(os.path.join(out_dir, entry["config_from"]), compile=False)
                model.load_weights(path)
                with h5py.File(path, "r") as h:
                    res["listing"] = h5_listing(h)
            else:
                # Keras 3.15.1 cannot compile from the training_config of legacy .h5 files, its own included
                # ("Could not deserialize 'keras.metrics.mse'"), so those are loaded uncompiled.
                model = keras.saving.load_model(path, compile=entry["kind"] != "h5")
                if entry["kind"] == "keras":
                    with zipfile.ZipFile(path) as z:
                        res["members"] = z.namelist()
                        with z.open("model.weights.h5") as wf, h5py.File(wf, "r") as h:
                            res["listing"] = h5_listing(h)
                        res["config"] = json.loads(z.read("config.json"))
                if getattr(model, "optimizer", None) is not None and model.optimizer.built:
                    res["iterations"] = int(model.optimizer.iterations.numpy())
            y = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
            res["outputs"] = {"shape": list(np.shape(y)), "values": np.asarray(y).ravel().tolist()}
        except Exception as e:  # reported to the TypeScript test, which fails with the message
            res["error"] = f"{type(e).__name__}: {e}"
        results[entry["name"]] = res
    with open(os.path.join(out_dir, "keras_results.json"), "w") as f:
        json.dump(results, f)
    print(f"checked {len(results)} files")


if __name__ == "__main__":
    main(sys.argv[1])
