"""Keras 3's side of the subclassed-model interop suite (issue 18).

Usage: python subclassed_model.py DIR

DIR holds what Strata wrote: strata.weights.h5 (an MLP subclass's weights), registered.keras (a
registered subclass with get_config) and x.json (inputs). This script defines the same subclasses with
the same attribute names, loads Strata's files, and writes back:
  - keras_on_strata.json: the MLP's predictions with Strata's weights, and the registered model's
    predictions after loading registered.keras;
  - keras.weights.h5 and keras_own.json: fresh Keras weights for the MLP and its predictions with them.
"""

import json
import os
import sys

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402


class MLP(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.d1 = keras.layers.Dense(8, activation="tanh")
        self.d2 = keras.layers.Dense(2)

    def call(self, x):
        return self.d2(self.d1(x))


@keras.saving.register_keras_serializable(package="strata_interop")
class Registered(keras.Model):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.d = keras.layers.Dense(units)

    def call(self, x):
        return self.d(x)

    def get_config(self):
        return {"units": self.units, "name": self.name}


def main(folder):
    with open(os.path.join(folder, "x.json")) as f:
        spec = json.load(f)
    x = np.array(spec["values"], dtype="float32").reshape(spec["shape"])

    mlp = MLP()
    mlp(x)
    mlp.load_weights(os.path.join(folder, "strata.weights.h5"))
    registered = keras.saving.load_model(os.path.join(folder, "registered.keras"))
    out = {
        "mlp": np.asarray(mlp.predict(x, verbose=0)).ravel().tolist(),
        "registered": np.asarray(registered.predict(x[:, :2], verbose=0)).ravel().tolist(),
        "registered_units": registered.units,
        "registered_name": registered.name,
    }
    with open(os.path.join(folder, "keras_on_strata.json"), "w") as f:
        json.dump(out, f)

    keras.utils.set_random_seed(5)
    own = MLP()
    own(x)
    own.save_weights(os.path.join(folder, "keras.weights.h5"))
    with open(os.path.join(folder, "keras_own.json"), "w") as f:
        json.dump({"mlp": np.asarray(own.predict(x, verbose=0)).ravel().tolist()}, f)


if __name__ == "__main__":
    main(sys.argv[1])
