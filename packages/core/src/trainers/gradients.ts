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
 * const model = new Sequential([new Dense({ units: 1, inputShape: [2] })]);
 * const optimizer = new SGD({ learningRate: 0.1 });
 * const x = tf.tensor2d([[1, 2], [3, 4]]);
 * const y = tf.tensor2d([[1], [0]]);
 * const vars = model.trainableWeights;
 * const { value, grads } = valueAndGrads(() => {
 *   const pred = model.apply(x, { training: true });
 *   return tf.mean(tf.square(tf.sub(pred, y))) as tf.Scalar;
 * }, vars);
 * optimizer.applyGradients(grads.map((g, i) => [g, vars[i]]));
 * grads[0]; // shape [2, 1]
 * tf.dispose([value, ...grads.filter((g): g is tf.Tensor => g !== null)]);
 * ```
 */
export function valueAndGrads(
  f: () => tf.Scalar,
  variables: Variable[],
): { value: tf.Scalar; grads: (tf.Tensor | null)[] };
/**
 * With `f` returning `[loss, aux] as const`: also returns `aux` (predictions, say), whose tensors outlive the forward
 * pass (JAX's `has_aux`). They belong to the enclosing `tf.tidy`, like `value` and the gradients.
 */
export function valueAndGrads<A extends tf.TensorContainer>(
  f: () => readonly [tf.Scalar, A],
  variables: Variable[],
): { value: tf.Scalar; grads: (tf.Tensor | null)[]; aux: A };
export function valueAndGrads(
  f: () => tf.Scalar | readonly [tf.Scalar, tf.TensorContainer],
  variables: Variable[],
): { value: tf.Scalar; grads: (tf.Tensor | null)[]; aux?: tf.TensorContainer } {
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
  let aux: tf.TensorContainer | undefined;
  let kept: tf.Tensor[] = [];
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
  try {
    result = tf.variableGrads(
      () => {
        const out = f();
        let value: unknown = out;
        if (Array.isArray(out) && out.length === 2) {
          value = out[0];
          aux = out[1] as tf.TensorContainer;
          // The forward pass runs in its own scope; the aux tensors must survive it.
          kept = tensorsIn(aux).filter((t) => !(t instanceof tf.Variable));
          for (const t of kept) tf.keep(t);
        }
        if (!(value instanceof tf.Tensor) || value.size !== 1)
          throw new ValueError(
            `valueAndGrads: the function must return a scalar loss tensor (or [loss, aux]). Received: ${
              value instanceof tf.Tensor ? `a tensor of shape [${value.shape.join(', ')}]` : String(value)
            }`,
          );
        return tf.reshape(value, []) as tf.Scalar;
      },
      variables.map((v) => v.value),
    );
  } catch (e) {
    tf.dispose(kept);
    discardAbandonedTape();
    throw e;
  }
  const grads = variables.map((v) => result.grads[v.value.name] ?? null);
  if (aux === undefined) return { value: result.value, grads };
  // Hand the aux tensors to the caller's scope: a kept tensor would escape every enclosing tidy.
  const copies = new Map(kept.map((t) => [t, tf.clone(t)]));
  tf.dispose(kept);
  return { value: result.value, grads, aux: replaceTensors(aux, copies) };
}

function tensorsIn(c: unknown): tf.Tensor[] {
  if (c instanceof tf.Tensor) return [c];
  if (Array.isArray(c)) return c.flatMap(tensorsIn);
  if (c && typeof c === 'object') return Object.values(c).flatMap(tensorsIn);
  return [];
}

function replaceTensors(c: tf.TensorContainer, map: Map<tf.Tensor, tf.Tensor>): tf.TensorContainer {
  if (c instanceof tf.Tensor) return map.get(c) ?? c;
  if (Array.isArray(c)) return c.map((e) => replaceTensors(e, map));
  if (c && typeof c === 'object' && !ArrayBuffer.isView(c))
    return Object.fromEntries(
      Object.entries(c as Record<string, tf.TensorContainer>).map(([k, v]) => [k, replaceTensors(v, map)]),
    );
  return c;
}
