/**
 * Parity checks against @tensorflow/tfjs-layers, the reference implementation this package is measured
 * against: same weights in, same outputs and gradients out. Shared by the layer suites (conv included).
 */
import './register-gradients.js';

import type { Layer } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

export interface ParityOptions {
  /** Run both layers in training mode (default false). */
  training?: boolean;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Inputs to use instead of uniform random ones in [-1, 1) (e.g. integer indices). */
  inputs?: tf.Tensor | tf.Tensor[];
  /** Compare gradients with respect to the inputs (default true; off for integer inputs). */
  inputGradients?: boolean;
  /** Compare gradients with respect to the weights (default true). */
  weightGradients?: boolean;
}

type TflLayer = tfl.layers.Layer;

function asList<T>(x: T | T[]): T[] {
  return Array.isArray(x) ? x : [x];
}

function isMulti(shape: number[] | number[][]): shape is number[][] {
  return Array.isArray(shape[0]);
}

/**
 * Builds both layers on the same inputs, copies our weights into the tfjs-layers one (`setWeights`, in
 * our order), and checks that forward outputs, gradients with respect to the inputs and gradients with
 * respect to every trainable weight agree to `atol`. The loss is `sum(output * r)` for a fixed random `r`,
 * so that each output element gets its own upstream gradient. Nothing may leak. Both layers are disposed.
 */
export async function expectParity(
  ours: Layer,
  theirs: TflLayer,
  inputShape: number[] | number[][],
  options: ParityOptions = {},
): Promise<void> {
  const atol = options.atol ?? 1e-5;
  const training = options.training ?? false;
  const multi = isMulti(inputShape);
  const inputs = options.inputs
    ? asList(options.inputs)
    : (multi ? inputShape : [inputShape]).map((s) => tf.randomUniform(s, -1, 1));
  const callArg = (list: tf.Tensor[]) => (multi ? list : list[0]);

  // Build both, then give tfjs-layers our initial weights.
  tf.dispose(ours.apply(callArg(inputs) as tf.Tensor, { training: false }));
  tf.dispose(theirs.apply(callArg(inputs) as tf.Tensor, { training: false }) as tf.Tensor);
  const weights = ours.getWeights();
  if (weights.length !== theirs.weights.length) {
    throw new Error(`${ours.name}: ${weights.length} weights here, ${theirs.weights.length} in tfjs-layers`);
  }
  theirs.setWeights(weights);
  tf.dispose(weights);

  await expectNoLeakedTensors(() => {
    tf.tidy(() => {
      const oursOut = ours.apply(callArg(inputs) as tf.Tensor, { training }) as tf.Tensor;
      const theirsOut = theirs.apply(callArg(inputs) as tf.Tensor, { training }) as tf.Tensor;
      expectTensorsClose(oursOut, theirsOut, { atol });
      const r = tf.randomUniform(oursOut.shape, 0.5, 1.5);
      const ourLoss = (xs: tf.Tensor[]) =>
        tf.sum(tf.mul(ours.apply(callArg(xs) as tf.Tensor, { training }) as tf.Tensor, r)) as tf.Scalar;
      const theirLoss = (xs: tf.Tensor[]) =>
        tf.sum(tf.mul(theirs.apply(callArg(xs) as tf.Tensor, { training }) as tf.Tensor, r)) as tf.Scalar;

      if (options.inputGradients ?? true) {
        const ourGrads = tf.grads((...xs: tf.Tensor[]) => ourLoss(xs))(inputs);
        const theirGrads = tf.grads((...xs: tf.Tensor[]) => theirLoss(xs))(inputs);
        ourGrads.forEach((g, i) => {
          expectTensorsClose(g, theirGrads[i], { atol });
        });
      }

      const ourVars = ours.trainableWeights.map((w) => w.value);
      const theirVars = theirs.trainableWeights.map((w) => w.read() as tf.Variable);
      if (ourVars.length !== theirVars.length) {
        throw new Error(
          `${ours.name}: ${ourVars.length} trainable weights here, ${theirVars.length} in tfjs-layers`,
        );
      }
      if (ourVars.length > 0 && (options.weightGradients ?? true)) {
        const ourGrads = tf.variableGrads(() => ourLoss(inputs), ourVars).grads;
        const theirGrads = tf.variableGrads(() => theirLoss(inputs), theirVars).grads;
        ourVars.forEach((v, i) => {
          expectTensorsClose(ourGrads[v.name], theirGrads[theirVars[i].name], { atol });
        });
      }
    });
  });
  if (!options.inputs) tf.dispose(inputs);
  ours.dispose();
  theirs.dispose();
}
