"""Keras 3 side of the interop checks for adapted lookup layers (TextVectorization, StringLookup,
IntegerLookup), whose vocabularies Keras saves as assets and whose TF-IDF weights it saves as named
arrays in the weights file.

    python lookup_layers.py write OUT_DIR   # Keras adapts and saves models; writes <name>.keras, <name>.json
    python lookup_layers.py check DIR       # Keras loads DIR/manifest.json's files (written by Strata)

Keras's lookup layers need TensorFlow installed even on the JAX backend, and a model with a string input
cannot run through `predict` on JAX, so outputs are computed by calling the layers one after another
(every model here is a chain).
"""

import json
import os
import sys
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

CORPUS = [
    "The cat sat on the mat.",
    "The dog sat!",
    "the cat, the cat and the dog",
    "A dog? A cat.",
    "Dogs and cats",
]
TEXTS = ["the cat sat", "a dog and a cat", "unknown words only", "The mat, the mat."]
TAGS = [["red", "blue", ""], ["blue", "blue", "green"], ["", "", "red"], ["red", "red", "red"]]
TAG_QUERIES = [["red", "", "pink"], ["green", "blue", "blue"], ["", "", ""]]
CODES = [[5, 7, 0], [7, 7, 9], [0, 5, 5]]
CODE_QUERIES = [[5, 0, 3], [9, 7, 7]]


def run_chain(model, x):
    """The model's output, computed layer by layer after its input layer."""
    y = x
    for layer in model.layers[1:]:
        y = layer(y)
    return np.asarray(y)


def lookup_of(model):
    for layer in model.layers:
        if isinstance(layer, (keras.layers.TextVectorization, keras.layers.StringLookup, keras.layers.IntegerLookup)):
            return layer
    raise ValueError("no lookup layer")


def idf_of(layer):
    inner = layer._lookup_layer if isinstance(layer, keras.layers.TextVectorization) else layer
    if getattr(inner, "output_mode", None) != "tf_idf":
        return None
    return np.asarray(inner.idf_weights_const).tolist()


def text_model(mode, **kwargs):
    tv = keras.layers.TextVectorization(output_mode=mode, **kwargs)
    tv.adapt(CORPUS)
    x = keras.Input((1,), dtype="string")
    return keras.Model(x, keras.layers.Dense(3)(tv(x))), np.array([[t] for t in TEXTS])


def string_lookup_model():
    lookup = keras.layers.StringLookup(output_mode="count", mask_token="")
    lookup.adapt(np.array(TAGS))
    x = keras.Input((3,), dtype="string")
    return keras.Model(x, keras.layers.Dense(2)(lookup(x))), np.array(TAG_QUERIES)


def integer_lookup_model():
    lookup = keras.layers.IntegerLookup(mask_token=0)
    lookup.adapt(np.array(CODES))
    x = keras.Input((3,), dtype="int64")
    y = keras.layers.Embedding(8, 2)(lookup(x))
    return keras.Model(x, y), np.array(CODE_QUERIES, dtype="int64")


MODELS = {
    "text_tf_idf": lambda: text_model("tf_idf", ngrams=2),
    "text_multi_hot": lambda: text_model("multi_hot", max_tokens=10, pad_to_max_tokens=True),
    "string_lookup_count": string_lookup_model,
    "integer_lookup_int": integer_lookup_model,
}


def describe(model, x, path):
    layer = lookup_of(model)
    out = run_chain(model, x)
    with zipfile.ZipFile(path) as z:
        members = z.namelist()
        assets = {n: z.read(n).decode("utf-8") for n in members if n.startswith("assets/")}
        config = json.loads(z.read("config.json"))
        with z.open("model.weights.h5") as wf, h5py.File(wf, "r") as h:
            named = {}
            h.visititems(
                lambda n, o: named.__setitem__(n, np.asarray(o).tolist())
                if isinstance(o, h5py.Dataset) and not n.split("/")[-1].isdigit()
                else None
            )
    layer_config = next(c["config"] for c in config["config"]["layers"] if c["class_name"] == type(layer).__name__)
    return {
        "vocabulary": [v if isinstance(v, str) else int(v) for v in layer.get_vocabulary()],
        "idf": idf_of(layer),
        "outputs": {"shape": list(out.shape), "values": out.ravel().tolist()},
        "members": members,
        "assets": assets,
        "named_weights": named,
        "layer_config": layer_config,
    }


def inputs_json(x):
    return {"shape": list(x.shape), "values": x.ravel().tolist()}


def write(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    keras.utils.set_random_seed(3)
    for name, make in MODELS.items():
        model, x = make()
        path = os.path.join(out_dir, f"{name}.keras")
        model.save(path)
        res = describe(model, x, path)
        res["inputs"] = inputs_json(x)
        with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
            json.dump(res, f)
    with open(os.path.join(out_dir, "corpus.json"), "w") as f:
        json.dump({"corpus": CORPUS, "texts": TEXTS, "tags": TAGS, "tag_queries": TAG_QUERIES,
                   "codes": CODES, "code_queries": CODE_QUERIES}, f)
    print(f"wrote {len(MODELS)} lookup models to {out_dir}")


def check(out_dir):
    with open(os.path.join(out_dir, "manifest.json")) as f:
        manifest = json.load(f)
    results = {}
    for entry in manifest:
        path = os.path.join(out_dir, entry["file"])
        inp = entry["inputs"]
        dtype = "int64" if entry.get("int") else None
        x = np.array(inp["values"], dtype=dtype).reshape(inp["shape"]) if dtype else np.array(inp["values"]).reshape(inp["shape"])
        try:
            model = keras.saving.load_model(path)
            results[entry["name"]] = describe(model, x, path)
        except Exception as e:  # reported to the TypeScript test, which fails with the message
            results[entry["name"]] = {"error": f"{type(e).__name__}: {e}"}
    with open(os.path.join(out_dir, "keras_results.json"), "w") as f:
        json.dump(results, f)
    print(f"checked {len(results)} files")


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[1]](sys.argv[2])
