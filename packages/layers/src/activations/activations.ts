import { register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/** An activation: a function from a tensor to a tensor of the same shape (Keras's `keras.activations.*`). */
export type ActivationFn = (x: tf.Tensor) => tf.Tensor;

/** `max(x, 0)`. */
export function relu(x: tf.Tensor): tf.Tensor {
  return tf.relu(x);
}

/** 1 where `lo < x < hi`, else 0, in `dtype`. */
function strictlyBetween(x: tf.Tensor, lo: number, hi: number, dtype: tf.DataType): tf.Tensor {
  return tf.cast(tf.logicalAnd(tf.greater(x, lo), tf.less(x, hi)), dtype);
}

/*
 * Keras's gradients at the kinks, which tfjs's kernels place differently: relu6 passes no gradient at 0 or
 * at 6 (tfjs's Relu6 passes it at 6), leaky_relu has slope 1 at 0 (tfjs's LeakyRelu has `negativeSlope`).
 * tfjs has no gradient for comparison ops, so the masks are made inside a custom gradient.
 */
function withGradient(
  x: tf.Tensor,
  value: (t: tf.Tensor) => tf.Tensor,
  grad: (dy: tf.Tensor, t: tf.Tensor) => tf.Tensor,
): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const t = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([t]);
    return { value: value(t), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => grad(dy, saved[0]) };
  });
  return f(x);
}

/** `min(max(x, 0), 6)`; its gradient is 0 at 0 and at 6, as Keras's. */
export function relu6(x: tf.Tensor): tf.Tensor {
  return withGradient(
    x,
    (t) => tf.relu6(t),
    (dy, t) => tf.mul(dy, strictlyBetween(t, 0, 6, dy.dtype)),
  );
}

/** `x` for `x >= 0`, `negativeSlope * x` otherwise; Keras 3's default slope is 0.2. */
export function leakyRelu(x: tf.Tensor, negativeSlope = 0.2): tf.Tensor {
  return withGradient(
    x,
    (t) => tf.leakyRelu(t, negativeSlope),
    (dy, t) => tf.mul(dy, tf.where(tf.greaterEqual(t, 0), tf.onesLike(dy), tf.fill(dy.shape, negativeSlope))),
  );
}

/**
 * Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise. For `alpha != 1` the
 * gradient is written out (`1`, or `alpha * exp(x)` for `x <= 0`, as Keras's): a `where` on `x > 0` would
 * put Greater, which has no tfjs gradient, on the tape.
 */
export function elu(x: tf.Tensor, alpha = 1): tf.Tensor {
  if (alpha === 1) return tf.elu(x);
  return withGradient(
    x,
    (t) => tf.tidy(() => tf.where(tf.greater(t, 0), t, tf.mul(alpha, tf.expm1(t)))),
    (dy, t) => tf.mul(dy, tf.where(tf.greater(t, 0), tf.onesLike(dy), tf.mul(alpha, tf.exp(t)))),
  );
}

/** Scaled ELU with the self-normalizing constants of Klambauer et al. (2017). */
export function selu(x: tf.Tensor): tf.Tensor {
  return tf.selu(x);
}

/** Gaussian error linear unit; exact (erf) by default as in Keras 3, tanh approximation on request. */
export function gelu(x: tf.Tensor, approximate = false): tf.Tensor {
  return tf.tidy(() => {
    if (approximate) {
      const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
    }
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  });
}

/** `1 / (1 + exp(-x))`. */
export function sigmoid(x: tf.Tensor): tf.Tensor {
  return tf.sigmoid(x);
}

/** Keras 3's piecewise-linear sigmoid: `relu6(x + 3) / 6` (Keras 2 used `0.2 * x + 0.5`). */
export function hardSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.div(relu6(tf.add(x, 3)), 6));
}

/** Hyperbolic tangent, elementwise (Keras's `keras.activations.tanh`). */
export function tanh(x: tf.Tensor): tf.Tensor {
  return tf.tanh(x);
}

/** Softmax over `axis` (the last by default). */
export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  if (axis === -1 || axis === x.rank - 1) return tf.softmax(x);
  return tf.tidy(() => {
    const shifted = tf.sub(x, tf.max(x, axis, true));
    const e = tf.exp(shifted);
    return tf.div(e, tf.sum(e, axis, true));
  });
}

/** `log(softmax(x))`, computed stably. */
export function logSoftmax(x: tf.Tensor, axis = -1): tf.Tensor {
  if (axis === -1 || axis === x.rank - 1) return tf.logSoftmax(x);
  return tf.tidy(() => {
    const shifted = tf.sub(x, tf.max(x, axis, true));
    return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), axis, true)));
  });
}

/** `log(exp(x) + 1)`. */
export function softplus(x: tf.Tensor): tf.Tensor {
  return tf.softplus(x);
}

/** `x / (abs(x) + 1)`. */
export function softsign(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.div(x, tf.add(tf.abs(x), 1)));
}

/** Sigmoid linear unit, also called swish: `x * sigmoid(x)`. */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

/** `x * tanh(softplus(x))` (Misra, 2019). */
export function mish(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.tanh(tf.softplus(x))));
}

/** `exp(x)`, elementwise (Keras's `keras.activations.exponential`). */
export function exponential(x: tf.Tensor): tf.Tensor {
  return tf.exp(x);
}

/** The identity; returns its input unchanged (Keras's `linear`). */
export function linear(x: tf.Tensor): tf.Tensor {
  return x;
}

// Keras 3 serializes an activation by its Python function name; those names are the registry keys.
const BUILTINS: [string, ActivationFn, string[]][] = [
  ['linear', linear, []],
  ['relu', relu, []],
  ['relu6', relu6, []],
  ['leaky_relu', (x) => leakyRelu(x), ['leakyrelu']],
  ['elu', (x) => elu(x), []],
  ['selu', selu, []],
  ['gelu', (x) => gelu(x), []],
  ['sigmoid', sigmoid, []],
  ['hard_sigmoid', hardSigmoid, []],
  ['tanh', tanh, []],
  ['softmax', (x) => softmax(x), []],
  ['log_softmax', (x) => logSoftmax(x), []],
  ['softplus', softplus, []],
  ['softsign', softsign, []],
  ['silu', silu, ['swish']],
  ['mish', mish, []],
  ['exponential', exponential, []],
];

for (const [name, fn, aliases] of BUILTINS) register('activation', name, fn, { aliases });

declare module '@strata/core' {
  interface ActivationIds {
    linear: true;
    relu: true;
    relu6: true;
    leaky_relu: true;
    leakyRelu: true;
    elu: true;
    selu: true;
    gelu: true;
    sigmoid: true;
    hard_sigmoid: true;
    hardSigmoid: true;
    tanh: true;
    softmax: true;
    log_softmax: true;
    logSoftmax: true;
    softplus: true;
    softsign: true;
    swish: true;
    silu: true;
    mish: true;
    exponential: true;
  }
}
