import { ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/** The operands and output of a two-operand einsum equation, one letter per axis. */
interface ParsedEquation {
  a: string;
  b: string;
  out: string;
}

function parseEquation(equation: string): ParsedEquation {
  const match = /^([a-zA-Z]*),([a-zA-Z]*)->([a-zA-Z]*)$/.exec(equation.replace(/\s+/g, ''));
  if (!match) {
    throw new ValueError(
      `Expected an einsum equation of the form 'ab,bc->ac' with two operands. Received: equation=${equation}`,
    );
  }
  const [, a, b, out] = match;
  for (const [spec, what] of [
    [a, 'first operand'],
    [b, 'second operand'],
    [out, 'output'],
  ] as const) {
    if (new Set(spec).size !== spec.length) {
      throw new ValueError(
        `The ${what} of an einsum may not repeat an axis letter. Received: equation=${equation}`,
      );
    }
  }
  for (const c of out) {
    if (!a.includes(c) && !b.includes(c)) {
      throw new ValueError(`Output axis '${c}' appears in neither operand. Received: equation=${equation}`);
    }
  }
  return { a, b, out };
}

function sumOutAxes(x: tf.Tensor, spec: string, keep: (c: string) => boolean): [tf.Tensor, string] {
  const drop = [...spec].map((c, i) => (keep(c) ? -1 : i)).filter((i) => i >= 0);
  if (drop.length === 0) return [x, spec];
  return [tf.sum(x, drop), [...spec].filter((c) => keep(c)).join('')];
}

/**
 * A two-operand einsum built from transpose, reshape and one batched matMul, so that it has gradients
 * on every backend (tfjs's own `einsum` has none). Each letter names one axis; letters shared by both
 * operands and the output are batch axes, shared letters missing from the output are contracted, and
 * letters of only one operand missing from the output are summed away first.
 */
export function einsum(equation: string, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const eq = parseEquation(equation);
  for (const [spec, t, which] of [
    [eq.a, a, 'first'],
    [eq.b, b, 'second'],
  ] as const) {
    if (spec.length !== t.rank) {
      throw new ValueError(
        `The ${which} operand of einsum '${equation}' needs rank ${spec.length}, but it has shape [${t.shape.join(', ')}].`,
      );
    }
  }
  return tf.tidy(() => {
    const [x, xs] = sumOutAxes(a, eq.a, (c) => eq.b.includes(c) || eq.out.includes(c));
    const [y, ys] = sumOutAxes(b, eq.b, (c) => xs.includes(c) || eq.out.includes(c));
    const size = (t: tf.Tensor, spec: string, c: string) => t.shape[spec.indexOf(c)];
    for (const c of xs) {
      if (ys.includes(c) && size(x, xs, c) !== size(y, ys, c)) {
        throw new ValueError(
          `Axis '${c}' of einsum '${equation}' has size ${size(x, xs, c)} in the first operand and ` +
            `${size(y, ys, c)} in the second.`,
        );
      }
    }
    const batch = [...eq.out].filter((c) => xs.includes(c) && ys.includes(c));
    const contracted = [...xs].filter((c) => ys.includes(c) && !eq.out.includes(c));
    const xFree = [...xs].filter((c) => !ys.includes(c));
    const yFree = [...ys].filter((c) => !xs.includes(c));
    const prod = (t: tf.Tensor, spec: string, letters: string[]) =>
      letters.reduce((n, c) => n * size(t, spec, c), 1);
    const xT = tf.transpose(
      x,
      [...batch, ...xFree, ...contracted].map((c) => xs.indexOf(c)),
    );
    const yT = tf.transpose(
      y,
      [...batch, ...contracted, ...yFree].map((c) => ys.indexOf(c)),
    );
    const nBatch = prod(x, xs, batch);
    const m = prod(x, xs, xFree);
    const k = prod(x, xs, contracted);
    const n = prod(y, ys, yFree);
    const product = tf.matMul(tf.reshape(xT, [nBatch, m, k]), tf.reshape(yT, [nBatch, k, n]));
    const order = [...batch, ...xFree, ...yFree];
    const shaped = tf.reshape(product, [
      ...batch.map((c) => size(x, xs, c)),
      ...xFree.map((c) => size(x, xs, c)),
      ...yFree.map((c) => size(y, ys, c)),
    ]);
    return tf.transpose(
      shaped,
      [...eq.out].map((c) => order.indexOf(c)),
    );
  });
}
