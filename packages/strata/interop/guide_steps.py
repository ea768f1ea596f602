"""Keras's guide "Customizing what happens in fit()" (TensorFlow version), run by Keras 3 itself as the oracle for
Strata's overridable steps (issue 18). Reads <dir>/guide_input.json (data and initial weights written by
guide-steps.test.ts) and writes <dir>/guide_keras.json: each variant's per-batch logs and final weights after
one epoch of five batches (the GAN's: both networks' weights), the custom test_step's evaluate, and
trainOnBatch/testOnBatch values."""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

out_dir = sys.argv[1]
with open(os.path.join(out_dir, "guide_input.json")) as f:
    given = json.load(f)
x = np.array(given["x"], dtype="float32")
y = np.array(given["y"], dtype="float32")
sw = np.array(given["sw"], dtype="float32")
initial = [np.array(w["values"], dtype="float32").reshape(w["shape"]) for w in given["weights"]]


class ComputeLossModel(keras.Model):
    """The guide's first step: compute_loss and the compiled metrics."""

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class LowLevelModel(keras.Model):
    """The guide's lower-level step: its own Mean trackers and a metrics property, compile without a loss."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = keras.losses.MeanSquaredError()

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


class WeightedModel(keras.Model):
    """The guide's step with sample weights."""

    def train_step(self, data):
        x, y, sample_weight = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        return {m.name: m.result() for m in self.metrics}


class CustomTestModel(keras.Model):
    """The guide's custom test_step."""

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class GAN(keras.Model):
    """The guide's GAN: two optimizers and a compile that takes them and the loss. The guide draws its latent
    vectors and label noise from the RNG inside the step; here they come with the batch, as in Strata's step."""

    def __init__(self, discriminator, generator):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, data):
        real_images, d_latent, g_latent, label_noise = data
        batch_size = tf.shape(real_images)[0]
        generated_images = self.generator(d_latent)
        combined_images = tf.concat([generated_images, real_images], axis=0)
        labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
        labels += 0.05 * tf.concat([label_noise[:, :1], label_noise[:, 1:]], axis=0)
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply(grads, self.discriminator.trainable_weights)
        misleading_labels = tf.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(g_latent))
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply(grads, self.generator.trainable_weights)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def run_gan():
    gan_in = given["gan"]
    columns = [np.array(gan_in[k], dtype="float32") for k in ("real", "d_latent", "g_latent", "label_noise")]

    def dense_stack(input_dim, units, activations, weights):
        model = keras.Sequential(
            [keras.Input(shape=(input_dim,))] + [keras.layers.Dense(u, activation=a) for u, a in zip(units, activations)]
        )
        model.set_weights([np.array(w["values"], dtype="float32").reshape(w["shape"]) for w in weights])
        return model

    discriminator = dense_stack(4, [8, 1], ["relu", None], gan_in["discriminator"])
    generator = dense_stack(columns[1].shape[1], [8, 4], ["relu", "tanh"], gan_in["generator"])
    gan = GAN(discriminator, generator)
    gan.compile(
        d_optimizer=keras.optimizers.SGD(learning_rate=0.05),
        g_optimizer=keras.optimizers.SGD(learning_rate=0.05),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    watch = BatchLogs()
    dataset = tf.data.Dataset.from_tensor_slices(tuple(columns)).batch(4)
    gan.fit(dataset, epochs=1, verbose=0, callbacks=[watch])
    weights = discriminator.get_weights() + generator.get_weights()
    return {"batches": watch.logs, "weights": [w.flatten().tolist() for w in weights]}


def build(cls):
    inputs = keras.Input(shape=(x.shape[1],))
    hidden = keras.layers.Dense(8, activation="tanh")(inputs)
    model = cls(inputs, keras.layers.Dense(1)(hidden))
    model.set_weights(initial)
    return model


class BatchLogs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append({k: float(v) for k, v in logs.items()})


def flat_logs(logs):
    out = {}
    for k, v in logs.items():
        if isinstance(v, dict):
            out.update(flat_logs(v))
        else:
            out[k] = float(v)
    return out


def run(cls, compile_args, fit_args=None):
    model = build(cls)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), **compile_args)
    watch = BatchLogs()
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[watch], **(fit_args or {}))
    return {"batches": watch.logs, "weights": [w.flatten().tolist() for w in model.get_weights()]}


result = {
    "compute_loss": run(ComputeLossModel, {"loss": "mse", "metrics": ["mae"]}),
    "low_level": run(LowLevelModel, {}),
    "sample_weight": run(WeightedModel, {"loss": "mse", "metrics": ["mae"]}, {"sample_weight": sw}),
    "gan": run_gan(),
}

tester = build(CustomTestModel)
tester.compile(optimizer="sgd", loss="mse", metrics=["mae"])
result["custom_test_step"] = flat_logs(tester.evaluate(x, y, batch_size=8, verbose=0, return_dict=True))

# Keras 3 resets the metrics on each *_on_batch call: each call returns that batch's values.
plain = build(keras.Model)
plain.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse", metrics=["mae"])
result["train_on_batch"] = [
    [float(v) for v in plain.train_on_batch(x[i * 4 : (i + 1) * 4], y[i * 4 : (i + 1) * 4])] for i in range(3)
]
result["test_on_batch"] = [
    [float(v) for v in plain.test_on_batch(x[i * 4 : (i + 1) * 4], y[i * 4 : (i + 1) * 4])] for i in range(2)
]
result["after_on_batch_weights"] = [w.flatten().tolist() for w in plain.get_weights()]

with open(os.path.join(out_dir, "guide_keras.json"), "w") as f:
    json.dump(result, f)
