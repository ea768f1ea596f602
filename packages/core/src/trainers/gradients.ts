import * as tf from '@tensorflow/tfjs-core';
import { discardAbandonedTape } from '../engine/abandoned-tape.js';
import { ValueError } from '../errors.js';
import { Variable } from '../variable.js';

/**
 * The value of `f` (a scalar loss) and its gradients with respect to `variables`, in the same order: what a
 * hand-written training loop (or a custom `trainStep`) passes to `optimizer.applyGradients`. Pass
 * `model.trainableWeights` for a model. A variable that `f` does not use gets a `null` gradient. Everything
 * `f` creates besides its value is released; the caller owns `value` and the gradients (or calls this inside
 * `tf.tidy`).
 *
 * Keras: the `tf.GradientTape` / `jax.value_and_grad` part of "Writing a training loop from scratch"
 *
 * @example
 * ```ts
 * const { value, grads } = valueAndGrads(() => {
 *   const pred = model.apply(x, { training: true });
 *   return lossFn.apply(y, pred);
 * }, model.trainableWeights);
 * optimizer.applyGradients(grads.map((g, i) => [g, model.trainableWeights[i]]));
 * tf.dispose([value, ...grads]);
 * ```
 */
export function valueAndGrads(
  f: () => tf.Scalar,
  variables: Variable[],
): { value: tf.Scalar; grads: (tf.Tensor | null)[] } {
  if (typeof f !== 'function')
    throw new ValueError(
      `valueAndGrads expects a function that returns a scalar loss. Received: ${String(f)}`,
    );
  if (!Array.isArray(variables) || !variables.every((v) => v instanceof Variable))
    throw new ValueError(
      `valueAndGrads expects a list of Variables (such as model.trainableWeights). Received: ${String(variables)}`,
    );
  if (variables.length === 0)
    throw new ValueError(
      'valueAndGrads needs at least one variable; is the model built (call it once first)?',
    );
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
  try {
    result = tf.variableGrads(
      () => {
        const value = f();
        if (!(value instanceof tf.Tensor) || value.size !== 1)
          throw new ValueError(
            `valueAndGrads: the function must return a scalar loss tensor. Received: ${
              value instanceof tf.Tensor ? `a tensor of shape [${value.shape.join(', ')}]` : String(value)
            }`,
          );
        return tf.reshape(value, []) as tf.Scalar;
      },
      variables.map((v) => v.value),
    );
  } catch (e) {
    discardAbandonedTape();
    throw e;
  }
  return { value: result.value, grads: variables.map((v) => result.grads[v.value.name] ?? null) };
}
