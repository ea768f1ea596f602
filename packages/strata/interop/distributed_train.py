"""Keras 3's side of the distributed-training round trip (issue 22, part 2).

Usage: python distributed_train.py DIR

DIR holds what Strata wrote: strata.keras (a compiled functional model, trained a few steps, with its
optimizer state) and data.json (a fixed input `x` and one more batch `xb`, `yb`). This script, in one
process on two CPU devices (on a GPU or TPU host: on all of its accelerators):
  1. loads strata.keras with Keras 3 on JAX under `keras.distribution.DataParallel` and checks that the
     distribution is in effect (every variable lives on both devices, each batch is split between them);
  2. trains it for a few steps on deterministic data and saves keras.keras;
  3. writes keras.json: what Keras read from Strata's file (optimizer iterations and slot values), its
     predictions for `x` after training, and the weights and iteration count after one more
     `train_on_batch(xb, yb)` taken from keras.keras with the Dropout rate at 0 (a dropout mask comes from
     each framework's own random generator, so no two frameworks draw the same one).

The script is the recipe of docs/scaling.md: nothing in it names a device type, so it runs unchanged on a
multi-GPU or TPU host, where `jax.devices()` lists the accelerators.
"""

import json
import os
import sys

# Two XLA devices on a CPU-only host (the flag touches only the CPU platform: on a GPU or TPU host,
# jax.devices() lists the accelerators); it must be set before JAX starts.
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"
).strip()
os.environ["KERAS_BACKEND"] = "jax"
# Keras on JAX needs no TensorFlow, but imports it when it is installed (the venv has it for other
# suites), only to test values against its types while saving; that import alone costs seconds.
sys.modules.setdefault("tensorflow", None)

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

STEPS = 4
GLOBAL_BATCH = 8


def check_distributed(model, distribution, devices, batch_shape):
    """Fails unless every variable and each batch are laid out over all the devices."""
    if keras.distribution.distribution() is not distribution:
        raise AssertionError("DataParallel is not the active distribution")
    everything = list(model.variables) + list(model.optimizer.variables)
    for v in everything:
        placed = v.value.sharding.device_set
        if placed != set(devices):
            raise AssertionError(f"{v.path} lives on {placed}, not on {devices}")
    sharding = distribution.get_data_layout(batch_shape).backend_layout
    per_device = sharding.shard_shape(batch_shape)
    if per_device[0] * len(devices) != batch_shape[0] or len(sharding.device_set) != len(devices):
        raise AssertionError(f"a batch of {batch_shape} is not split over the devices: {per_device}")
    return len(everything), list(per_device)


def main(folder):
    devices = jax.devices()
    if len(devices) < 2:
        raise AssertionError(f"expected 2 or more JAX devices, found {devices}")
    with open(os.path.join(folder, "data.json")) as f:
        data = json.load(f)
    x = np.array(data["x"]["values"], dtype="float32").reshape(data["x"]["shape"])
    xb = np.array(data["xb"]["values"], dtype="float32").reshape(data["xb"]["shape"])
    yb = np.array(data["yb"]["values"], dtype="float32").reshape(data["yb"]["shape"])

    distribution = keras.distribution.DataParallel(devices=devices)
    keras.distribution.set_distribution(distribution)

    model = keras.saving.load_model(os.path.join(folder, "strata.keras"))
    loaded_from_strata = {
        "iterations": int(model.optimizer.iterations.numpy()),
        "optimizer": {v.path: np.asarray(v.value).ravel().tolist() for v in model.optimizer.variables},
    }

    # Deterministic training data, a fixed function of the index.
    n = STEPS * GLOBAL_BATCH
    features = x.shape[1]
    i = np.arange(n * features, dtype="float32").reshape(n, features)
    xt = np.sin(0.37 * i)
    yt = np.stack([np.cos(xt.sum(axis=1)), xt[:, 0] * xt[:, -1]], axis=1).astype("float32")
    checked, per_device = check_distributed(model, distribution, devices, (GLOBAL_BATCH, features))
    history = model.fit(xt, yt, batch_size=GLOBAL_BATCH, epochs=1, shuffle=False, verbose=0)
    model.save(os.path.join(folder, "keras.keras"))
    predictions = np.asarray(model.predict(x, verbose=0))

    resumed = keras.saving.load_model(os.path.join(folder, "keras.keras"))
    for layer in resumed.layers:
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0
    resumed_from = int(resumed.optimizer.iterations.numpy())
    resumed.train_on_batch(xb, yb)
    out = {
        "devices": [str(d) for d in devices],
        "variables_checked": checked,
        "batch_per_device": per_device,
        "from_strata": loaded_from_strata,
        "trained_steps": STEPS,
        "loss": history.history["loss"],
        "iterations_saved": int(model.optimizer.iterations.numpy()),
        "predictions": predictions.ravel().tolist(),
        "resumed_from": resumed_from,
        "after_step": {v.path: np.asarray(v.value).ravel().tolist() for v in resumed.weights},
        "iterations_after_step": int(resumed.optimizer.iterations.numpy()),
    }
    with open(os.path.join(folder, "keras.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1])
