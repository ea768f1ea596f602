"""Writes Keras 3 reference files for Strata's interop suite.

For each model: <name>.keras, <name>.weights.h5 and <name>.h5 (legacy), plus <name>.json with the input
batch and Keras's predictions for it. Run with the interop venv:

    python make_golden.py OUT_DIR
"""

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import absl.logging  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

# The legacy .h5 files are written on purpose; Keras's "this format is legacy" notice for each only
# buries the test log.
absl.logging.set_verbosity(absl.logging.ERROR)


def sequential_mlp():
    return keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(3, activation="softmax"),
        ]
    ), [(4, 6)]


def sequential_cnn():
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(2),
        ]
    ), [(3, 8, 8, 1)]


def functional_two_input():
    a = keras.Input((5,), name="wide")
    b = keras.Input((4,), name="deep")
    h = keras.layers.Dense(6, activation="tanh")(b)
    h = keras.layers.Dense(6, activation="relu")(h)
    m = keras.layers.Concatenate()([a, h])
    out = keras.layers.Dense(1)(m)
    return keras.Model([a, b], out), [(3, 5), (3, 4)]


def nested():
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu"), keras.layers.Dense(3)])
    x = keras.Input((4,))
    y = keras.layers.Dense(2)(inner(x))
    return keras.Model(x, y), [(2, 4)]


def padding_mask(rng, batch, length):
    """A [batch, length, length] attention mask that hides the keys past each sample's length."""
    lengths = rng.integers(1, length + 1, size=batch)
    keys = np.arange(length)[None, None, :] < lengths[:, None, None]
    return np.broadcast_to(keys, (batch, length, length)).astype("float32")


def mha_attention_mask():
    # The mask is a model input passed as a keyword argument: a graph edge in the saved config.
    tokens = keras.Input((6, 4), name="tokens")
    mask = keras.Input((6, 6), name="attention_mask")
    attended = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(tokens, tokens, attention_mask=mask)
    out = keras.layers.Dense(2)(attended)

    def inputs(rng):
        return [rng.normal(size=(3, 6, 4)).astype("float32"), padding_mask(rng, 3, 6)]

    return keras.Model([tokens, mask], out), inputs


def seq2seq_lstm():
    # The decoder starts from the encoder's final states, passed as `initial_state`.
    enc = keras.Input((5, 3), name="encoder_inputs")
    dec = keras.Input((4, 3), name="decoder_inputs")
    _, h, c = keras.layers.LSTM(8, return_state=True)(enc)
    decoded = keras.layers.LSTM(8, return_sequences=True)(dec, initial_state=[h, c])
    out = keras.layers.Dense(1)(decoded)
    return keras.Model([enc, dec], out), [(3, 5, 3), (3, 4, 3)]


MODELS = {
    "sequential_mlp": sequential_mlp,
    "sequential_cnn": sequential_cnn,
    "functional_two_input": functional_two_input,
    "nested": nested,
    "mha_attention_mask": mha_attention_mask,
    "seq2seq_lstm": seq2seq_lstm,
}


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    keras.utils.set_random_seed(7)
    for name, make in MODELS.items():
        model, shapes = make()
        rng = np.random.default_rng(11)
        # A factory gives the input shapes, or a function that makes the inputs (when they are not noise).
        xs = shapes(rng) if callable(shapes) else [rng.normal(size=s).astype("float32") for s in shapes]
        model.compile(optimizer="adam", loss="mse")
        # One training step so BatchNormalization statistics and Adam's state are not at their defaults.
        ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        model.fit(xs if len(xs) > 1 else xs[0], np.ones_like(ys), epochs=1, verbose=0)
        ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        model.save(os.path.join(out_dir, f"{name}.keras"))
        model.save_weights(os.path.join(out_dir, f"{name}.weights.h5"))
        model.save(os.path.join(out_dir, f"{name}.h5"))
        with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
            json.dump(
                {
                    "inputs": [{"shape": list(x.shape), "values": x.ravel().tolist()} for x in xs],
                    "outputs": {"shape": list(ys.shape), "values": np.asarray(ys).ravel().tolist()},
                    "iterations": int(model.optimizer.iterations.numpy()),
                },
                f,
            )
    print(f"wrote {len(MODELS)} models to {out_dir}")


if __name__ == "__main__":
    main(sys.argv[1])
