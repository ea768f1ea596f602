#!/usr/bin/env python3
"""Writes the Keras 3 goldens that Strata's conformance suite (packages/strata/test/conformance) reads.

Run with the repository's venv (Keras 3.15 on JAX):

    KERAS_BACKEND=jax .venv/bin/python scripts/conformance/write_goldens.py           # rewrite the JSON
    KERAS_BACKEND=jax .venv/bin/python scripts/conformance/write_goldens.py --check   # regenerate into a
        temporary folder and fail (exit 1) when any value differs from the committed JSON beyond float noise

Every input is drawn from a seeded NumPy generator and stored in the JSON beside Keras's answer, so the
TypeScript side needs no Python and no random stream in common with Keras. Floats are written as float32
values; non-finite ones as the strings "inf", "-inf" and "nan" (strict JSON has no literal for them).
"""

import argparse
import inspect
import json
import math
import os
import shutil
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT_DIR = os.path.join(ROOT, "packages", "strata", "test", "conformance", "goldens")


# ---- helpers ------------------------------------------------------------------------------------------


def enc(x):
    """float32 arrays/scalars -> nested lists of floats, non-finite values as strings."""
    a = np.asarray(x)
    if a.dtype.kind in "iub":
        return a.tolist()
    a = a.astype(np.float32)

    def one(v):
        v = float(v)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v

    if a.ndim == 0:
        return one(a)
    return np.vectorize(one, otypes=[object])(a).tolist()


def rng(seed):
    return np.random.default_rng(seed)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def ser(obj):
    return keras.saving.serialize_keras_object(obj)


def probs(g, shape):
    """Rows that sum to 1 along the last axis."""
    raw = g.uniform(0.1, 1.0, size=shape).astype(np.float32)
    return f32(raw / raw.sum(-1, keepdims=True))


def one_hot(g, shape):
    ids = g.integers(0, shape[-1], size=shape[:-1])
    return f32(np.eye(shape[-1])[ids])


# ---- losses -------------------------------------------------------------------------------------------

SHAPES = {1: [5], 2: [3, 4], 3: [2, 3, 4]}


def loss_inputs(kind, rank, g, from_logits=False):
    shape = SHAPES[rank]
    if kind == "regression":
        return f32(g.normal(size=shape)), f32(g.normal(size=shape) * 1.5)
    if kind == "positive":
        return f32(g.uniform(0.1, 2.0, size=shape)), f32(g.uniform(0.1, 2.0, size=shape))
    if kind == "distribution":
        return probs(g, shape), probs(g, shape)
    if kind == "hinge":
        return f32(g.integers(0, 2, size=shape) * 2 - 1), f32(g.normal(size=shape))
    if kind == "binary":
        yt = f32(g.integers(0, 2, size=shape))
        yp = f32(g.normal(size=shape) * 2) if from_logits else f32(g.uniform(0.05, 0.95, size=shape))
        return yt, yp
    if kind == "categorical":
        yt = one_hot(g, shape)
        yp = f32(g.normal(size=shape) * 2) if from_logits else probs(g, shape)
        return yt, yp
    if kind == "sparse":
        yp = f32(g.normal(size=shape) * 2) if from_logits else probs(g, shape)
        yt = g.integers(0, shape[-1], size=shape[:-1]).astype(np.int32)
        return yt, yp
    raise ValueError(kind)


LOSSES = [
    # (class name, input kind, extra configs, ranks)
    ("MeanSquaredError", "regression", [], (1, 2, 3)),
    ("MeanAbsoluteError", "regression", [], (1, 2, 3)),
    ("MeanAbsolutePercentageError", "regression", [], (1, 2, 3)),
    ("MeanSquaredLogarithmicError", "positive", [], (1, 2, 3)),
    ("Huber", "regression", [{"delta": 0.5}, {"delta": 2.0}], (1, 2, 3)),
    ("LogCosh", "regression", [], (1, 2, 3)),
    ("CosineSimilarity", "regression", [{"axis": 0}, {"axis": 1}], (1, 2, 3)),
    ("Poisson", "positive", [], (1, 2, 3)),
    ("KLDivergence", "distribution", [], (1, 2, 3)),
    ("Hinge", "hinge", [], (1, 2, 3)),
    ("SquaredHinge", "hinge", [], (1, 2, 3)),
    ("CategoricalHinge", "categorical", [], (1, 2, 3)),
    (
        "BinaryCrossentropy",
        "binary",
        [{"from_logits": True}, {"label_smoothing": 0.2}, {"axis": 0}],
        (1, 2, 3),
    ),
    (
        "BinaryFocalCrossentropy",
        "binary",
        [
            {"from_logits": True, "gamma": 1.5},
            {"apply_class_balancing": True, "alpha": 0.3, "label_smoothing": 0.1},
        ],
        (1, 2, 3),
    ),
    (
        "CategoricalCrossentropy",
        "categorical",
        [{"from_logits": True}, {"label_smoothing": 0.2}, {"axis": 1}],
        (1, 2, 3),
    ),
    (
        "CategoricalFocalCrossentropy",
        "categorical",
        [{"from_logits": True, "gamma": 1.0}, {"label_smoothing": 0.1, "alpha": 0.4}],
        (1, 2, 3),
    ),
    ("SparseCategoricalCrossentropy", "sparse", [{"from_logits": True}, {"ignore_class": 1}], (2, 3)),
    ("Dice", "distribution", [{"axis": [1]}], (2, 3)),
    ("Tversky", "distribution", [{"alpha": 0.3, "beta": 0.7}, {"axis": [1]}], (2, 3)),
]

REDUCTIONS = ["sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight"]


def loss_value_and_grad(loss, yt, yp, sw=None):
    def f(p):
        return loss(yt, p, sample_weight=sw)

    value = f(jnp.asarray(yp))
    if np.ndim(value) == 0:
        grad = jax.grad(f)(jnp.asarray(yp))
    else:
        grad = jax.grad(lambda p: jnp.sum(f(p)))(jnp.asarray(yp))
    return np.asarray(value), np.asarray(grad)


def applicable(config, rank):
    axis = config.get("axis")
    if axis is None:
        return True
    axes = axis if isinstance(axis, list) else [axis]
    return all(a < rank for a in axes)


def write_losses():
    cases = {}
    skipped = []
    training = {}
    for idx, (name, kind, extra, ranks) in enumerate(LOSSES):
        cls = getattr(keras.losses, name)
        entries = []
        for ci, config in enumerate([{}] + extra):
            fl = bool(config.get("from_logits"))
            for rank in ranks:
                if not applicable(config, rank):
                    continue
                g = rng(1000 + idx * 100 + ci * 10 + rank)
                yt, yp = loss_inputs(kind, rank, g, fl)
                variants = [("sum_over_batch_size", None)]
                if ci == 0 and rank >= 2:
                    variants = [(r, None) for r in REDUCTIONS]
                    # Weights of the per-sample values' shape (the targets' shape less the last axis).
                    sw_shape = SHAPES[rank][:-1]
                    variants.append(("sum_over_batch_size", f32(g.uniform(0, 2, size=sw_shape))))
                    variants.append(("mean_with_sample_weight", f32(g.uniform(0, 2, size=sw_shape))))
                for reduction, sw in variants:
                    loss = cls(**config, reduction=reduction)
                    try:
                        value, grad = loss_value_and_grad(loss, yt, yp, sw)
                    except Exception as e:  # Keras rejects the combination: nothing to compare.
                        skipped.append(f"{name} {config} rank {rank} {reduction}: {type(e).__name__}")
                        continue
                    entries.append(
                        {
                            # The constructor arguments too: Keras's config omits some (Huber's delta).
                            "args": {**config, "reduction": reduction},
                            "keras": ser(loss),
                            "y_true": enc(yt),
                            "y_true_dtype": "int32" if yt.dtype.kind == "i" else "float32",
                            "y_pred": enc(yp),
                            "sample_weight": None if sw is None else enc(sw),
                            "value": enc(value),
                            "grad": enc(grad),
                        }
                    )
        cases[name] = entries
        training[name] = loss_training(cls, kind, idx)
    aliases = {}
    for alias in sorted(keras.losses.__dict__.keys() | set(ALIAS_CANDIDATES["loss"])):
        resolved = resolve_alias(keras.losses.get, alias)
        if resolved is not None:
            aliases[alias] = resolved
    return {"cases": cases, "training": training, "aliases": aliases, "keras_rejects": skipped}


def loss_training(cls, kind, idx):
    """Five SGD steps of Dense(4) on [6, 3] inputs, from Keras's initial weights."""
    g = rng(5000 + idx)
    x = f32(g.normal(size=(6, 3)))
    activation = {
        "binary": "sigmoid",
        "categorical": "softmax",
        "sparse": "softmax",
        "distribution": "softmax",
        "positive": "softplus",
    }.get(kind, "linear")
    yt, _ = loss_inputs_batch(kind, g)
    keras.utils.set_random_seed(idx)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation=activation)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=cls())
    initial = [w.copy() for w in model.get_weights()]
    losses = [float(model.train_on_batch(x, yt)) for _ in range(5)]
    return {
        "activation": activation,
        "x": enc(x),
        "y": enc(yt),
        "y_dtype": "int32" if yt.dtype.kind == "i" else "float32",
        "initial_weights": [enc(w) for w in initial],
        "losses": losses,
        "final_weights": [enc(w) for w in model.get_weights()],
    }


def loss_inputs_batch(kind, g):
    """Targets for a batch of 6 samples and 4 outputs."""
    if kind == "sparse":
        return g.integers(0, 4, size=[6]).astype(np.int32), None
    saved = SHAPES[2]
    SHAPES[2] = [6, 4]
    try:
        return loss_inputs(kind, 2, g)
    finally:
        SHAPES[2] = saved


# ---- aliases ------------------------------------------------------------------------------------------

# Names Strata registers as aliases; Keras's answer for each is recorded (None when Keras rejects it).
ALIAS_CANDIDATES = {
    "loss": [
        "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD", "bce", "BCE",
        "kullback_leibler_divergence", "logcosh", "log_cosh", "huber", "hinge", "squared_hinge",
        "categorical_hinge", "poisson", "cosine_similarity", "binary_crossentropy",
        "binary_focal_crossentropy", "categorical_crossentropy", "categorical_focal_crossentropy",
        "sparse_categorical_crossentropy", "dice", "tversky", "kl_divergence", "mean_squared_error",
        "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
    ],
    "metric": [
        "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD", "bce", "BCE", "auc",
        "accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
        "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "precision", "recall",
        "f1_score", "fbeta_score", "r2_score", "logcosh", "log_cosh", "log_cosh_error", "hinge",
        "squared_hinge", "categorical_hinge", "poisson", "cosine_similarity", "kl_divergence",
        "kullback_leibler_divergence", "binary_crossentropy", "categorical_crossentropy",
        "sparse_categorical_crossentropy", "mean", "sum", "root_mean_squared_error", "true_positives",
        "true_negatives", "false_positives", "false_negatives", "mean_squared_error",
        "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
        "crossentropy", "ce",
    ],
}


def resolve_alias(get, alias):
    try:
        obj = get(alias)
    except Exception:
        return None
    if obj is None:
        return None
    if isinstance(obj, type):
        return obj.__name__
    if callable(obj) and hasattr(obj, "__name__") and not hasattr(obj, "get_config"):
        return "function:" + obj.__name__
    return type(obj).__name__


# ---- metrics ------------------------------------------------------------------------------------------


def metric_batches(kind, g, rank):
    """Two uneven batches (3 then 1 samples) of (y_true, y_pred, sample_weight)."""
    out = []
    for n in (3, 1):
        shape = [n] if rank == 1 else [n, 4]
        if kind == "binary":
            yt, yp = f32(g.integers(0, 2, size=shape)), f32(g.uniform(0, 1, size=shape))
        elif kind == "categorical":
            yt, yp = one_hot(g, [n, 4]), probs(g, [n, 4])
        elif kind == "sparse":
            yt, yp = g.integers(0, 4, size=[n]).astype(np.int32), probs(g, [n, 4])
        elif kind == "positive":
            yt, yp = f32(g.uniform(0.1, 2, size=shape)), f32(g.uniform(0.1, 2, size=shape))
        elif kind == "distribution":
            yt, yp = probs(g, [n, 4]), probs(g, [n, 4])
        elif kind == "hinge":
            yt, yp = f32(g.integers(0, 2, size=shape) * 2 - 1), f32(g.normal(size=shape))
        elif kind == "values":
            yt, yp = f32(g.normal(size=shape)), None
        else:
            yt, yp = f32(g.normal(size=shape)), f32(g.normal(size=shape))
        out.append((yt, yp, f32(g.uniform(0, 2, size=[n]))))
    return out


METRICS = [
    # (class name, input kind, configs, ranks)
    ("Accuracy", "sparse_equal", [{}], (1, 2)),
    ("BinaryAccuracy", "binary", [{}, {"threshold": 0.3}], (1, 2)),
    ("CategoricalAccuracy", "categorical", [{}], (2,)),
    ("SparseCategoricalAccuracy", "sparse", [{}], (2,)),
    ("TopKCategoricalAccuracy", "categorical", [{}, {"k": 2}], (2,)),
    ("SparseTopKCategoricalAccuracy", "sparse", [{}, {"k": 2}], (2,)),
    ("AUC", "binary", [{}, {"curve": "PR"}, {"num_thresholds": 7, "summation_method": "minoring"}], (1, 2)),
    ("Precision", "binary", [{}, {"thresholds": [0.3, 0.7]}, {"top_k": 2}, {"class_id": 1}], (2,)),
    ("Recall", "binary", [{}, {"thresholds": 0.3}, {"top_k": 2}, {"class_id": 2}], (2,)),
    ("TruePositives", "binary", [{}, {"thresholds": [0.2, 0.6]}], (1, 2)),
    ("TrueNegatives", "binary", [{}, {"thresholds": [0.2, 0.6]}], (1, 2)),
    ("FalsePositives", "binary", [{}, {"thresholds": [0.2, 0.6]}], (1, 2)),
    ("FalseNegatives", "binary", [{}, {"thresholds": [0.2, 0.6]}], (1, 2)),
    ("F1Score", "binary", [{}, {"average": "micro", "threshold": 0.5}, {"average": "macro"}], (2,)),
    ("FBetaScore", "binary", [{"beta": 2.0}, {"average": "weighted", "beta": 0.5, "threshold": 0.4}], (2,)),
    ("R2Score", "regression", [{}, {"class_aggregation": "variance_weighted_average"}], (2,)),
    ("MeanSquaredError", "regression", [{}], (1, 2)),
    ("MeanAbsoluteError", "regression", [{}], (1, 2)),
    ("MeanAbsolutePercentageError", "regression", [{}], (1, 2)),
    ("MeanSquaredLogarithmicError", "positive", [{}], (1, 2)),
    ("RootMeanSquaredError", "regression", [{}], (1, 2)),
    ("LogCoshError", "regression", [{}], (1, 2)),
    ("CosineSimilarity", "regression", [{}, {"axis": 0}], (2,)),
    ("Poisson", "positive", [{}], (1, 2)),
    ("KLDivergence", "distribution", [{}], (2,)),
    ("Hinge", "hinge", [{}], (1, 2)),
    ("SquaredHinge", "hinge", [{}], (1, 2)),
    ("CategoricalHinge", "categorical", [{}], (2,)),
    ("BinaryCrossentropy", "binary", [{}, {"from_logits": True}, {"label_smoothing": 0.2}], (1, 2)),
    ("CategoricalCrossentropy", "categorical", [{}, {"label_smoothing": 0.2}], (2,)),
    ("SparseCategoricalCrossentropy", "sparse", [{}, {"from_logits": True}, {"ignore_class": 1}], (2,)),
    ("Mean", "values", [{}], (1, 2)),
    ("Sum", "values", [{}], (1, 2)),
]


def write_metrics():
    cases = {}
    skipped = []
    for idx, (name, kind, configs, ranks) in enumerate(METRICS):
        cls = getattr(keras.metrics, name)
        entries = []
        for ci, config in enumerate(configs):
            for rank in ranks:
                for weighted in (False, True):
                    g = rng(7000 + idx * 100 + ci * 10 + rank)
                    if kind == "sparse_equal":
                        shape = lambda n: [n] if rank == 1 else [n, 2]  # noqa: E731
                        batches = [
                            (
                                f32(g.integers(0, 3, size=shape(n))),
                                f32(g.integers(0, 3, size=shape(n))),
                                f32(g.uniform(0, 2, size=[n])),
                            )
                            for n in (3, 1)
                        ]
                    else:
                        batches = metric_batches(kind, g, rank)
                    m = cls(**config)
                    results = []
                    try:
                        for yt, yp, sw in batches:
                            w = sw if weighted else None
                            if kind == "values":
                                m.update_state(yt, sample_weight=w)
                            else:
                                m.update_state(yt, yp, sample_weight=w)
                            results.append(enc(m.result()))
                    except Exception as e:  # Keras rejects the combination: nothing to compare.
                        skipped.append(f"{name} {config} rank {rank} weighted={weighted}: {type(e).__name__}: {e}")
                        continue
                    m.reset_state()
                    after_reset = enc(m.result())
                    yt, yp, sw = batches[1]
                    if kind == "values":
                        m.update_state(yt)
                    else:
                        m.update_state(yt, yp)
                    entries.append(
                        {
                            "args": config,
                            "keras": ser(m),
                            "batches": [
                                {
                                    "y_true": enc(yt),
                                    "y_true_dtype": "int32" if yt.dtype.kind == "i" else "float32",
                                    "y_pred": None if yp is None else enc(yp),
                                    "sample_weight": enc(sw) if weighted else None,
                                }
                                for yt, yp, sw in batches
                            ],
                            "results": results,
                            "after_reset": after_reset,
                            "after_reset_and_last_batch": enc(m.result()),
                        }
                    )
        cases[name] = entries
    aliases = {}
    for alias in ALIAS_CANDIDATES["metric"]:
        resolved = resolve_alias(keras.metrics.get, alias)
        if resolved is not None:
            aliases[alias] = resolved
    return {"cases": cases, "aliases": aliases, "keras_rejects": skipped}


# ---- optimizers and schedules -------------------------------------------------------------------------

COMMON_OPTIONS = [
    {"clipnorm": 0.5},
    {"clipvalue": 0.05},
    {"global_clipnorm": 0.4},
    {"weight_decay": 0.1},
    {"use_ema": True, "ema_momentum": 0.9},
    {"use_ema": True, "ema_momentum": 0.8, "ema_overwrite_frequency": 2},
    {"gradient_accumulation_steps": 2},
]

OPTIMIZERS = [
    ("SGD", [{"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}] + COMMON_OPTIONS),
    ("Adam", [{"amsgrad": True}, {"beta_1": 0.8, "epsilon": 1e-3}] + COMMON_OPTIONS),
    ("AdamW", [{"amsgrad": True}, {"weight_decay": 0.01}]),
    ("Adamax", [{"beta_2": 0.9}]),
    ("Nadam", [{"beta_1": 0.8}]),
    ("RMSprop", [{"centered": True}, {"momentum": 0.5}, {"rho": 0.8, "centered": True, "momentum": 0.3}]),
    ("Adagrad", [{"initial_accumulator_value": 0.5}]),
    ("Adadelta", [{"rho": 0.5}]),
    ("Lion", [{"beta_1": 0.5, "beta_2": 0.9}]),
]


def write_optimizers():
    cases = {}
    for idx, (name, configs) in enumerate(OPTIMIZERS):
        cls = getattr(keras.optimizers, name)
        entries = []
        for ci, config in enumerate([{}] + configs):
            g = rng(9000 + idx * 100 + ci)
            init = [f32(g.normal(size=(3, 2))), f32(g.normal(size=(2,)))]
            grads = [[f32(g.normal(size=(3, 2))), f32(g.normal(size=(2,)))] for _ in range(5)]
            lr = 0.01 if name != "Adadelta" else 1.0
            opt = cls(learning_rate=lr, **config)
            variables = [keras.Variable(w, name=f"w{i}") for i, w in enumerate(init)]
            steps = []
            for step in grads:
                opt.apply([jnp.asarray(s) for s in step], variables)
                steps.append([enc(v.numpy()) for v in variables])
            entries.append(
                {
                    "args": {"learning_rate": lr, **config},
                    "keras": ser(opt),
                    "initial": [enc(w) for w in init],
                    "grads": [[enc(s) for s in step] for step in grads],
                    "steps": steps,
                }
            )
        cases[name] = entries
    return {"cases": cases}


SCHEDULES = [
    ("ExponentialDecay", [
        {"initial_learning_rate": 0.1, "decay_steps": 100, "decay_rate": 0.5},
        {"initial_learning_rate": 0.1, "decay_steps": 100, "decay_rate": 0.5, "staircase": True},
    ]),
    ("InverseTimeDecay", [
        {"initial_learning_rate": 0.1, "decay_steps": 50, "decay_rate": 0.5},
        {"initial_learning_rate": 0.1, "decay_steps": 50, "decay_rate": 0.5, "staircase": True},
    ]),
    ("PiecewiseConstantDecay", [
        {"boundaries": [100, 500], "values": [0.1, 0.01, 0.001]},
        {"boundaries": [0, 10, 999], "values": [1.0, 0.5, 0.25, 0.125]},
    ]),
    ("PolynomialDecay", [
        {"initial_learning_rate": 0.1, "decay_steps": 600},
        {"initial_learning_rate": 0.1, "decay_steps": 300, "end_learning_rate": 0.01, "power": 2.0, "cycle": True},
    ]),
    ("CosineDecay", [
        {"initial_learning_rate": 0.1, "decay_steps": 800},
        {"initial_learning_rate": 0.1, "decay_steps": 500, "alpha": 0.1, "warmup_target": 0.5, "warmup_steps": 100},
    ]),
    ("CosineDecayRestarts", [
        {"initial_learning_rate": 0.1, "first_decay_steps": 100},
        {"initial_learning_rate": 0.1, "first_decay_steps": 60, "t_mul": 1.5, "m_mul": 0.8, "alpha": 0.05},
    ]),
]


def write_schedules():
    cases = {}
    for name, configs in SCHEDULES:
        cls = getattr(keras.optimizers.schedules, name)
        entries = []
        for config in configs:
            s = cls(**config)
            # One compiled function for the 1,001 steps (eager calls are slow; the values are the same).
            fn = jax.jit(lambda step, s=s: s(step))
            values = [float(np.asarray(fn(jnp.int32(step)), dtype=np.float32)) for step in range(1001)]
            entries.append({"keras": ser(s), "values": values})
        cases[name] = entries
    return {"cases": cases}


# ---- activations --------------------------------------------------------------------------------------

GRID = [-1e4, -100.0, -10.0, -3.0, -1.0, -0.5, -1e-3, -1e-7, -1e-30, 0.0, 1e-30, 1e-7, 1e-3, 0.5, 1.0,
        3.0, 10.0, 100.0, 1e4]

ACTIVATIONS = [
    ("relu", {}, []), ("relu6", {}, []), ("leaky_relu", {}, [{"negative_slope": 0.1}]),
    ("elu", {}, [{"alpha": 0.5}]), ("selu", {}, []), ("gelu", {}, [{"approximate": True}]),
    ("sigmoid", {}, []), ("hard_sigmoid", {}, []), ("tanh", {}, []), ("softmax", {}, []),
    ("log_softmax", {}, []), ("softplus", {}, []), ("softsign", {}, []), ("silu", {}, []),
    ("mish", {}, []), ("exponential", {}, []), ("linear", {}, []),
]


def write_activations():
    x = f32(GRID)
    w = f32(rng(11).uniform(0.5, 1.5, size=x.shape))
    cases = {}
    for name, _, extra in ACTIVATIONS:
        fn = keras.activations.get(name)
        entries = []
        for kwargs in [{}] + extra:
            for rows in (False, True):
                xi = x.reshape(1, -1) if rows else x
                wi = w.reshape(xi.shape)
                value = np.asarray(fn(jnp.asarray(xi), **kwargs))
                grad = np.asarray(jax.grad(lambda t: jnp.sum(fn(t, **kwargs) * wi))(jnp.asarray(xi)))
                entries.append({"kwargs": kwargs, "x": enc(xi), "upstream": enc(wi), "value": enc(value), "grad": enc(grad)})
        cases[name] = entries
    aliases = {a: resolve_alias(keras.activations.get, a) for a in ["swish", "leakyrelu", "silu", "leaky_relu"]}
    return {"cases": cases, "aliases": {k: v.replace("function:", "") for k, v in aliases.items() if v}}


# ---- initializers, regularizers, constraints ----------------------------------------------------------

INITIALIZERS = [
    ("Zeros", [{}]), ("Ones", [{}]), ("Constant", [{"value": 0.3}]),
    ("RandomNormal", [{}, {"mean": 1.0, "stddev": 0.5}]),
    ("RandomUniform", [{}, {"minval": -2.0, "maxval": 3.0}]),
    ("TruncatedNormal", [{}, {"mean": 0.5, "stddev": 2.0}]),
    # HeNormal with input_axes [-1]: fan_in 200 instead of the shape's 150 (std 0.1 vs 0.115).
    ("GlorotNormal", [{}]), ("GlorotUniform", [{}]), ("HeNormal", [{}, {"input_axes": [-1], "output_axes": [0]}]),
    ("HeUniform", [{}]),
    ("LecunNormal", [{}]), ("LecunUniform", [{}]),
    ("VarianceScaling", [{}, {"scale": 2.0, "mode": "fan_avg", "distribution": "uniform"},
                         {"scale": 0.5, "mode": "fan_out", "distribution": "untruncated_normal"},
                         # Keras 3.15's input_axes/output_axes: fans from [150, 200]'s axes 0 and 1 (reversed).
                         {"scale": 2.0, "mode": "fan_in", "distribution": "uniform", "input_axes": [1], "output_axes": [0]}]),
    ("Identity", [{}, {"gain": 2.0}]),
    ("Orthogonal", [{}, {"gain": 0.5}]),
]


def write_initializers():
    cases = {}
    for name, configs in INITIALIZERS:
        cls = getattr(keras.initializers, name)
        entries = []
        for config in configs:
            seeded = "seed" in inspect.signature(cls.__init__).parameters
            init = cls(**config, **({"seed": 1} if seeded else {}))
            deterministic = name in ("Zeros", "Ones", "Constant", "Identity")
            shape = [150, 200] if not deterministic else [5, 7]
            if name == "Orthogonal":
                shape = [60, 40]
            v = np.asarray(init(shape, dtype="float32"), dtype=np.float64)
            # The constructor arguments too: Keras 3.15's Identity config omits `gain`.
            entry = {"args": config, "keras": ser(init), "shape": shape, "mean": float(v.mean()), "std": float(v.std()),
                     "min": float(v.min()), "max": float(v.max()), "n": int(v.size)}
            if name in ("Zeros", "Ones", "Constant", "Identity"):
                entry["values"] = enc(v)
            if name == "Orthogonal":
                entry["gram"] = enc(v.T @ v)
            entries.append(entry)
        cases[name] = entries
    return {"cases": cases}


def write_regularizers():
    g = rng(13)
    w = f32(g.normal(size=(4, 3)))
    cases = {}
    for name, configs in [("L1", [{}, {"l1": 0.3}]), ("L2", [{}, {"l2": 0.2}]),
                          ("L1L2", [{}, {"l1": 0.1, "l2": 0.05}])]:
        cls = getattr(keras.regularizers, name)
        entries = []
        for config in configs:
            r = cls(**config)
            value = np.asarray(r(jnp.asarray(w)))
            grad = np.asarray(jax.grad(lambda t: r(t))(jnp.asarray(w)))
            entries.append({"keras": ser(r), "w": enc(w), "value": enc(value), "grad": enc(grad)})
        cases[name] = entries
    return {"cases": cases}


def write_constraints():
    g = rng(17)
    w = f32(g.normal(size=(4, 3)) * 2)
    up = f32(g.uniform(0.5, 1.5, size=(4, 3)))
    cases = {}
    for name, configs in [("MaxNorm", [{}, {"max_value": 1.0, "axis": 1}]), ("NonNeg", [{}]),
                          ("UnitNorm", [{}, {"axis": 1}]),
                          ("MinMaxNorm", [{}, {"min_value": 0.5, "max_value": 1.5, "rate": 0.5, "axis": 1}])]:
        cls = getattr(keras.constraints, name)
        entries = []
        for config in configs:
            c = cls(**config)
            value = np.asarray(c(jnp.asarray(w)))
            grad = np.asarray(jax.grad(lambda t: jnp.sum(c(t) * up))(jnp.asarray(w)))
            entries.append({"keras": ser(c), "w": enc(w), "upstream": enc(up), "value": enc(value), "grad": enc(grad)})
        cases[name] = entries
    return {"cases": cases}



# ---- layers -------------------------------------------------------------------------------------------

# (class name, input shape(s) with the batch first, configs, stochastic in training)
LAYERS = [
    ("Dense", [2, 3], [{"units": 4}, {"units": 2, "activation": "relu", "use_bias": False},
                       {"units": 3, "activation": "tanh"}], False),
    ("EinsumDense", [2, 3], [{"equation": "ab,bc->ac", "output_shape": 4},
                             {"equation": "ab,bc->ac", "output_shape": 2, "bias_axes": "c", "activation": "relu"}], False),
    ("Activation", [2, 5], [{"activation": "relu"}, {"activation": "softmax"}, {"activation": "gelu"}], False),
    ("Identity", [2, 3], [{}], False),
    ("Flatten", [2, 3, 2], [{}], False),
    ("Reshape", [2, 6], [{"target_shape": [3, 2]}, {"target_shape": [-1, 3]}], False),
    ("Permute", [2, 3, 4], [{"dims": [2, 1]}], False),
    ("RepeatVector", [2, 3], [{"n": 3}], False),
    ("Masking", [2, 3, 2], [{}, {"mask_value": 0.5}], False),
    ("Embedding", "ids", [{"input_dim": 5, "output_dim": 3}, {"input_dim": 5, "output_dim": 2, "mask_zero": True}], False),
    ("Add", [[2, 3], [2, 3]], [{}], False),
    ("Subtract", [[2, 3], [2, 3]], [{}], False),
    ("Multiply", [[2, 3], [2, 3]], [{}], False),
    ("Average", [[2, 3], [2, 3]], [{}], False),
    ("Maximum", [[2, 3], [2, 3]], [{}], False),
    ("Minimum", [[2, 3], [2, 3]], [{}], False),
    ("Concatenate", [[2, 3], [2, 2]], [{}, {"axis": -1}], False),
    ("Dot", [[2, 3], [2, 3]], [{"axes": 1}, {"axes": 1, "normalize": True}], False),
    ("Conv1D", [2, 6, 3], [{"filters": 2, "kernel_size": 3}, {"filters": 3, "kernel_size": 2, "strides": 2, "padding": "same", "activation": "relu"},
                           {"filters": 2, "kernel_size": 2, "dilation_rate": 2, "padding": "causal"}], False),
    ("Conv2D", [2, 5, 5, 2], [{"filters": 2, "kernel_size": 3}, {"filters": 3, "kernel_size": 2, "strides": 2, "padding": "same"},
                              {"filters": 2, "kernel_size": 2, "dilation_rate": 2, "use_bias": False}], False),
    ("Conv2DTranspose", [2, 3, 3, 2], [{"filters": 2, "kernel_size": 3}, {"filters": 1, "kernel_size": 2, "strides": 2, "padding": "same"}], False),
    ("DepthwiseConv2D", [2, 5, 5, 2], [{"kernel_size": 3}, {"kernel_size": 2, "depth_multiplier": 2, "strides": 2, "padding": "same"}], False),
    ("SeparableConv2D", [2, 5, 5, 2], [{"filters": 2, "kernel_size": 3}, {"filters": 3, "kernel_size": 2, "depth_multiplier": 2, "padding": "same"}], False),
    ("MaxPooling1D", [2, 6, 2], [{}, {"pool_size": 3, "strides": 1, "padding": "same"}], False),
    ("MaxPooling2D", [2, 5, 5, 2], [{}, {"pool_size": 3, "strides": 1, "padding": "same"}], False),
    # Keras 3.15's AveragePooling layers have no default pool_size.
    ("AveragePooling1D", [2, 6, 2], [{"pool_size": 2}, {"pool_size": 3, "strides": 1, "padding": "same"}], False),
    ("AveragePooling2D", [2, 5, 5, 2], [{"pool_size": 2}, {"pool_size": 3, "strides": 1, "padding": "same"}], False),
    ("GlobalAveragePooling1D", [2, 4, 3], [{}, {"keepdims": True}], False),
    ("GlobalAveragePooling2D", [2, 3, 3, 2], [{}, {"keepdims": True}], False),
    ("GlobalMaxPooling1D", [2, 4, 3], [{}, {"keepdims": True}], False),
    ("GlobalMaxPooling2D", [2, 3, 3, 2], [{}, {"keepdims": True}], False),
    ("Cropping1D", [2, 6, 2], [{}, {"cropping": [2, 1]}], False),
    ("Cropping2D", [2, 5, 5, 2], [{}, {"cropping": [[1, 0], [2, 1]]}], False),
    ("ZeroPadding1D", [2, 3, 2], [{}, {"padding": [2, 1]}], False),
    ("ZeroPadding2D", [2, 3, 3, 2], [{}, {"padding": [[1, 0], [2, 1]]}], False),
    ("UpSampling1D", [2, 3, 2], [{}, {"size": 3}], False),
    ("UpSampling2D", [2, 2, 3, 2], [{}, {"size": [2, 3]}, {"size": 2, "interpolation": "bilinear"}], False),
    ("BatchNormalization", [4, 3], [{}, {"momentum": 0.9, "epsilon": 1e-3, "center": False}, {"axis": 1, "scale": False}], False),
    ("LayerNormalization", [2, 4], [{}, {"epsilon": 1e-3, "center": False}, {"rms_scaling": True}], False),
    ("Rescaling", [2, 3], [{"scale": 0.5}, {"scale": 2.0, "offset": -1.0}], False),
    ("CenterCrop", [2, 5, 6, 2], [{"height": 3, "width": 4}], False),
    ("Resizing", [2, 4, 4, 1], [{"height": 2, "width": 2}, {"height": 6, "width": 5, "interpolation": "nearest"}], False),
    ("Normalization", [3, 2], [{"mean": [0.5, -1.0], "variance": [2.0, 0.5]}], False),
    ("ActivityRegularization", [2, 3], [{}, {"l1": 0.1, "l2": 0.2}], False),
    ("Dropout", [2, 50], [{"rate": 0.3}], True),
    ("SpatialDropout1D", [2, 4, 30], [{"rate": 0.3}], True),
    ("SpatialDropout2D", [2, 3, 3, 30], [{"rate": 0.3}], True),
    ("GaussianNoise", [2, 50], [{"stddev": 0.5}], True),
    ("GaussianDropout", [2, 50], [{"rate": 0.3}], True),
    ("RandomFlip", [2, 3, 3, 1], [{}], True),
    ("RandomRotation", [2, 4, 4, 1], [{"factor": 0.2}], True),
    ("RandomZoom", [2, 4, 4, 1], [{"height_factor": 0.2}], True),
    ("SimpleRNN", [2, 4, 3], [{"units": 2}, {"units": 3, "return_sequences": True, "activation": "relu"},
                              {"units": 2, "go_backwards": True, "return_state": False}], False),
    ("LSTM", [2, 4, 3], [{"units": 2}, {"units": 3, "return_sequences": True}, {"units": 2, "unit_forget_bias": False, "go_backwards": True}], False),
    ("GRU", [2, 4, 3], [{"units": 2}, {"units": 3, "return_sequences": True}, {"units": 2, "reset_after": False}], False),
    ("Attention", [[2, 3, 4], [2, 5, 4]], [{}, {"use_scale": True}, {"score_mode": "concat"}], False),
    ("AdditiveAttention", [[2, 3, 4], [2, 5, 4]], [{}, {"use_scale": False}], False),
    # Wrappers and cells (appended, so the seeds of the entries above stay as they were). A nested layer is
    # written {"class_name": ..., **its arguments} and built first (see build_arg).
    ("RNN", [2, 4, 3], [{"cell": {"class_name": "SimpleRNNCell", "units": 2}},
                        {"cell": {"class_name": "LSTMCell", "units": 2}, "return_sequences": True},
                        {"cell": {"class_name": "GRUCell", "units": 2}, "go_backwards": True}], False),
    ("SimpleRNNCell", [2, 4, 3], [{"cell": {"class_name": "SimpleRNNCell", "units": 3, "activation": "relu"}}], False),
    ("LSTMCell", [2, 4, 3], [{"cell": {"class_name": "LSTMCell", "units": 2, "unit_forget_bias": False}}], False),
    ("GRUCell", [2, 4, 3], [{"cell": {"class_name": "GRUCell", "units": 2}},
                            {"cell": {"class_name": "GRUCell", "units": 2, "reset_after": False}}], False),
    ("StackedRNNCells", [2, 4, 3], [{"cell": {"class_name": "StackedRNNCells", "cells": [
        {"class_name": "SimpleRNNCell", "units": 2}, {"class_name": "GRUCell", "units": 3}]}, "return_sequences": True}], False),
    ("TimeDistributed", [2, 3, 4], [{"layer": {"class_name": "Dense", "units": 2}},
                                    {"layer": {"class_name": "Dense", "units": 3, "activation": "relu"}}], False),
    ("Bidirectional", [2, 4, 3], [{"layer": {"class_name": "LSTM", "units": 2}},
                                  {"layer": {"class_name": "GRU", "units": 2, "return_sequences": True}, "merge_mode": "sum"},
                                  {"layer": {"class_name": "SimpleRNN", "units": 2}, "merge_mode": "ave"}], False),
    # Keras calls MultiHeadAttention as layer(query, value[, key]); Strata as layer.apply([query, value, key]).
    ("MultiHeadAttention", [[2, 3, 4], [2, 5, 4]], [{"num_heads": 2, "key_dim": 3},
                                                    {"num_heads": 1, "key_dim": 2, "value_dim": 3, "use_bias": False, "output_shape": 5}], False),
    ("MultiHeadAttention", [[2, 3, 4], [2, 5, 4], [2, 5, 2]], [{"num_heads": 2, "key_dim": 2}], False),
    # Keras 3.15's gated attention and sliding window (appended: the seeds above stay as they were).
    ("MultiHeadAttention", [[2, 3, 4], [2, 5, 4]], [{"num_heads": 2, "key_dim": 3, "use_gate": True},
                                                    {"num_heads": 2, "key_dim": 2, "sliding_window": 2,
                                                     "use_gate": True, "use_bias": False}], False),
    ("MultiHeadAttention", [[2, 4, 3], [2, 4, 3]], [{"num_heads": 1, "key_dim": 2, "sliding_window": 2}], False),
]

# Layers Keras calls with their inputs as separate positional arguments.
SPREAD = {"MultiHeadAttention"}

# A cell is a layer Keras calls once per step with the states, not on a sequence: it is checked the way
# Keras uses it, inside RNN (its math, weights and nested config).
LAYER_CLASS = {"SimpleRNNCell": "RNN", "LSTMCell": "RNN", "GRUCell": "RNN", "StackedRNNCells": "RNN"}


def build_arg(v):
    """Builds nested layers written as {"class_name": ..., **arguments} (lists of them too)."""
    if isinstance(v, list):
        return [build_arg(x) for x in v]
    if isinstance(v, dict) and "class_name" in v:
        args = {k: build_arg(x) for k, x in v.items() if k != "class_name"}
        return getattr(keras.layers, v["class_name"])(**args)
    return v


def layer_input(g, shape, name):
    if shape == "ids":
        return np.asarray(g.integers(0, 5, size=(2, 4)), dtype=np.int32)
    return f32(g.normal(size=shape))


def layer_weights(g, layer):
    out = []
    for w in layer.weights:
        shape = tuple(w.shape)
        if "variance" in w.path:
            out.append(f32(g.uniform(0.5, 1.5, size=shape)))
        else:
            out.append(f32(g.uniform(-0.7, 0.7, size=shape)))
    return out


def write_layers():
    cases = {}
    for idx, (name, shapes, configs, stochastic) in enumerate(LAYERS):
        cls = getattr(keras.layers, LAYER_CLASS.get(name, name))
        entries = []
        multi = isinstance(shapes, list) and isinstance(shapes[0], list)
        for ci, config in enumerate(configs):
            g = rng(20000 + idx * 10 + ci)
            xs = [layer_input(g, s, name) for s in shapes] if multi else [layer_input(g, shapes, name)]
            if name == "Masking":
                xs[0][0, 1, :] = config.get("mask_value", 0.0)
            if name == "Embedding":
                xs[0][0, 2:] = 0
            # Seeded so that stochastic layers' training statistics are the same on every run (--check).
            keras.utils.set_random_seed(20000 + idx * 10 + ci)
            try:
                layer = cls(**{k: build_arg(v) for k, v in config.items()})
                arg = xs if multi else xs[0]
                call = (lambda a, **kw: layer(*a, **kw)) if name in SPREAD else layer
                call(arg)
            except Exception as e:  # Keras rejects the config or input: nothing to compare.
                print(f"skipped {name} {config}: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            weights = layer_weights(g, layer)
            if weights:
                layer.set_weights(weights)
            keras_json = ser(layer)
            inference = call(arg, training=False)
            inference = np.asarray(inference[0] if isinstance(inference, (list, tuple)) else inference)
            up = f32(g.uniform(0.5, 1.5, size=inference.shape))

            takes_training = "training" in inspect.signature(layer.call).parameters

            def f(trainable, inputs, training):
                kwargs = {"training": training} if takes_training else {}
                args = inputs if name in SPREAD else [inputs if multi else inputs[0]]
                out, _ = layer.stateless_call(trainable, [v.value for v in layer.non_trainable_variables],
                                              *args, **kwargs)
                if isinstance(out, (list, tuple)):
                    out = out[0]
                return jnp.sum(out * up)

            trainable = [v.value for v in layer.trainable_variables]
            float_inputs = [jnp.asarray(x) for x in xs]
            diff_inputs = name != "Embedding"
            entry = {
                "keras": keras_json,
                "inputs": [enc(x) for x in xs],
                "input_dtypes": ["int32" if x.dtype.kind == "i" else "float32" for x in xs],
                "weights": [enc(w) for w in weights],
                "output_inference": enc(inference),
                "upstream": enc(up),
                "output_shape": list(layer.compute_output_shape(*[[None, *s[1:]] for s in shapes]) if name in SPREAD else
                                     layer.compute_output_shape(
                    [[None, *s[1:]] for s in shapes] if multi else
                    ([None, 4] if shapes == "ids" else [None, *shapes[1:]]))),
                "stochastic": stochastic,
            }
            if diff_inputs:
                gw, gx = jax.grad(f, argnums=(0, 1))(trainable, float_inputs, False)
                entry["grad_inputs"] = [enc(v) for v in gx]
            else:
                gw = jax.grad(f, argnums=0)(trainable, float_inputs, False)
            entry["grad_weights"] = [enc(v) for v in gw]
            if not stochastic:
                out = call(arg, training=True)
                entry["output_training"] = enc(np.asarray(out[0] if isinstance(out, (list, tuple)) else out))
                entry["weights_after_training_call"] = [enc(w) for w in layer.get_weights()]
            else:
                entry["training_stats"] = stochastic_stats(layer, arg)
            if name in ("Masking", "Embedding"):
                mask = layer.compute_mask(arg, None)
                entry["mask"] = None if mask is None else np.asarray(mask).astype(int).tolist()
            entries.append(entry)
        cases.setdefault(name, []).extend(entries)
    write_lookups(cases)
    return {"cases": cases}


# Lookup layers (no weights, no gradients; string or integer inputs): (class name, config, adapt data or None,
# input, input dtype). Keras's lookup layers run TensorFlow ops inside; under JAX they cannot return strings,
# so StringLookup's invert is not recorded (IntegerLookup's is). num_oov_indices > 1 needs FarmHash, which
# Strata does not implement (it throws NotImplementedError), so it is not recorded either.
LOOKUPS = [
    ("StringLookup", {"vocabulary": ["a", "b", "c", "d"]}, None, [["a", "z", "c"], ["d", "b", "a"]], "string"),
    ("StringLookup", {"vocabulary": ["a", "b", "c", "d"], "mask_token": "", "output_mode": "one_hot"},
     None, ["a", "z", "", "c", "q"], "string"),
    ("StringLookup", {"max_tokens": 5, "output_mode": "tf_idf"}, [["a", "b", "a"], ["c", "a", "b"], ["d", "e", "a"]],
     [["a", "c", "e"], ["b", "b", "z"]], "string"),
    ("StringLookup", {"oov_token": "?", "output_mode": "count", "pad_to_max_tokens": True, "max_tokens": 6},
     [["x", "y", "x", "w"]], [["x", "x", "q"], ["w", "y", "y"]], "string"),
    ("IntegerLookup", {"vocabulary": [12, 36, 1138, 42]}, None, [[12, 1138, 42], [42, 1000, 36]], "int32"),
    ("IntegerLookup", {"vocabulary": [12, 36, 1138, 42], "invert": True, "mask_token": 0}, None, [[2, 1, 0], [5, 3, 4]], "int32"),
    ("IntegerLookup", {"mask_token": 0, "oov_token": -7, "output_mode": "multi_hot"}, [3, 3, 7, 9, 9, 9, 5],
     [[3, 9, 4], [0, 7, 7]], "int32"),
    ("TextVectorization", {}, ["The cat sat.", "the dog, ran!", "A cat", "the end"], ["The cat ran", "a bird, sat"], "string"),
    ("TextVectorization", {"max_tokens": 8, "ngrams": 2, "output_mode": "count"},
     ["the cat sat", "the cat ran", "a dog sat"], ["the cat sat down", "a cat"], "string"),
    ("TextVectorization", {"vocabulary": ["cat", "dog", "sat"], "standardize": None, "output_sequence_length": 4},
     None, ["cat Dog sat sat sat", "dog"], "string"),
    ("TextVectorization", {"output_mode": "tf_idf", "standardize": "lower", "split": "character"},
     ["abca", "bcd"], ["aab", "dx"], "string"),
]


def write_lookups(cases):
    for name, config, adapt, x, dtype in LOOKUPS:
        layer = getattr(keras.layers, name)(**config)
        if adapt is not None:
            layer.adapt(np.asarray(adapt))
        xs = np.asarray(x) if dtype == "string" else np.asarray(x, dtype=np.int64)
        out = np.asarray(layer(xs))
        # Keras's eager output of one_hot/multi_hot/count is int64, but its symbolic spec (what a model built
        # on the layer sees) says floatx; Strata follows the spec, so that is the dtype recorded.
        spec = layer.compute_output_spec(keras.KerasTensor(xs.shape, dtype="string" if dtype == "string" else "int64"))
        vocab = [v.decode() if isinstance(v, bytes) else (str(v) if isinstance(v, np.str_) else int(v) if
                 isinstance(v, (np.integer, int)) else v) for v in layer.get_vocabulary()]
        cases.setdefault(name, []).append({
            "lookup": True, "keras": ser(layer), "adapt": adapt, "vocabulary": vocab, "input": x,
            "input_dtype": dtype, "output": enc(out),
            "output_dtype": "float32" if "float" in str(spec.dtype) else "int32"})


def stochastic_stats(layer, x):
    """Mean and std of training-mode outputs over many draws, and the fraction changed from the input."""
    outs = np.stack([np.asarray(layer(x, training=True)) for _ in range(20)])
    xi = np.broadcast_to(np.asarray(x), outs.shape)
    return {"mean": float(outs.mean()), "std": float(outs.std()), "changed": float((np.abs(outs - xi) > 1e-6).mean()),
            "zeros": float((outs == 0).mean()), "n": int(outs.size)}


# ---- main ---------------------------------------------------------------------------------------------

WRITERS = {
    "losses": write_losses,
    "metrics": write_metrics,
    "optimizers": write_optimizers,
    "schedules": write_schedules,
    "activations": write_activations,
    "initializers": write_initializers,
    "regularizers": write_regularizers,
    "constraints": write_constraints,
    "layers": write_layers,
}


def write_all(out_dir, only=None):
    os.makedirs(out_dir, exist_ok=True)
    for name, writer in WRITERS.items():
        if only and name not in only:
            continue
        # Keras numbers auto-generated names per session ('sgd_3'): a fresh session per file keeps the
        # names, and so the JSON, the same whichever files one run writes.
        keras.backend.clear_session()
        data = {"keras_version": keras.__version__, "backend": keras.backend.backend(), **writer()}
        with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
            json.dump(data, f, separators=(",", ":"), sort_keys=True)
            f.write("\n")


def close(a, b, path, problems, rtol=1e-6, atol=1e-7):
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            problems.append(f"{path}: keys differ: {sorted(a.keys() ^ b.keys())}")
            return
        for k in a:
            close(a[k], b[k], f"{path}.{k}", problems, rtol, atol)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            problems.append(f"{path}: length {len(a)} vs {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, f"{path}[{i}]", problems, rtol, atol)
    elif isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        if not abs(a - b) <= atol + rtol * max(abs(a), abs(b)):
            problems.append(f"{path}: {a} vs {b}")
    elif a != b:
        problems.append(f"{path}: {a!r} vs {b!r}")


def check():
    tmp = tempfile.mkdtemp(prefix="strata-goldens-")
    try:
        write_all(tmp)
        problems = []
        for name in WRITERS:
            committed = os.path.join(OUT_DIR, f"{name}.json")
            if not os.path.exists(committed):
                problems.append(f"{name}.json: not committed")
                continue
            with open(committed) as f:
                old = json.load(f)
            with open(os.path.join(tmp, f"{name}.json")) as f:
                new = json.load(f)
            # Float noise between runs and machines (XLA's CPU kernels) is tolerated at ~1e-6 relative.
            close(old, new, name, problems)
        if problems:
            print(f"{len(problems)} golden value(s) differ from what Keras {keras.__version__} writes now:")
            for p in problems[:50]:
                print("  " + p)
            print("Rewrite them with: KERAS_BACKEND=jax .venv/bin/python scripts/conformance/write_goldens.py")
            return 1
        print(f"Goldens match Keras {keras.__version__} ({len(WRITERS)} files).")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="regenerate into a temp dir and compare")
    parser.add_argument("--only", nargs="*", help="write only these files (e.g. losses metrics)")
    args = parser.parse_args()
    if args.check:
        sys.exit(check())
    write_all(OUT_DIR, args.only)
