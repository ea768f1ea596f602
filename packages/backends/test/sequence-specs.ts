/**
 * Strata's sequence models (issue #10) as backend checks: a masked recurrent text classifier and a causal
 * transformer block. strata-train-parity.test.ts trains them on cpu and wasm, the WebGL page on webgl
 * and cpu; each backend starts from the same weights and must agree with the others step by step.
 */

import { input, Model, Sequential, type SymbolicTensor } from '@strata/core';
import { seededValues } from '@strata/core/testing';
import {
  Add,
  Bidirectional,
  Dense,
  Embedding,
  GlobalAveragePooling1D,
  GRU,
  LayerNormalization,
  LSTM,
  MultiHeadAttention,
  SimpleRNN,
} from '@strata/layers';
import '@strata/losses-metrics';
import { SGD } from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';

export interface SequenceSpec {
  name: string;
  classes: number;
  build(): Model;
  /** The batch's inputs, made on the current backend. */
  inputs(): tf.Tensor;
}

const BATCH = 8;

export const sequenceSpecs: SequenceSpec[] = [
  {
    name: 'Embedding(maskZero) → Bidirectional(LSTM) → GRU → Dense',
    classes: 3,
    build: () =>
      new Sequential([
        new Embedding({ inputDim: 20, outputDim: 8, maskZero: true, inputShape: [10] }),
        new Bidirectional({ layer: new LSTM({ units: 6, returnSequences: true }) }),
        new GRU({ units: 5 }),
        new Dense({ units: 3, activation: 'softmax' }),
      ]),
    inputs: () => {
      // Token ids 1..19, each row padded with zeros after a different length (3..10).
      const ids = new Int32Array(BATCH * 10);
      for (let r = 0; r < BATCH; r++) {
        const length = 3 + r;
        for (let t = 0; t < Math.min(length, 10); t++) ids[r * 10 + t] = 1 + ((r * 7 + t * 3) % 19);
      }
      return tf.tensor2d(ids, [BATCH, 10], 'int32');
    },
  },
  {
    name: 'SimpleRNN (goBackwards) → Dense',
    classes: 4,
    build: () =>
      new Sequential([
        new SimpleRNN({ units: 7, goBackwards: true, inputShape: [6, 5] }),
        new Dense({ units: 4, activation: 'softmax' }),
      ]),
    inputs: () => tf.tensor3d(seededValues(BATCH * 6 * 5, 11), [BATCH, 6, 5]),
  },
  {
    name: 'transformer block: MultiHeadAttention (causal) + LayerNormalization + Dense',
    classes: 4,
    build: () => {
      const x = input({ shape: [6, 8] });
      const attended = new MultiHeadAttention({ numHeads: 2, keyDim: 4 }).apply([x, x], {
        useCausalMask: true,
      }) as SymbolicTensor;
      const normed = new LayerNormalization().apply(new Add().apply([x, attended]) as SymbolicTensor);
      const hidden = new Dense({ units: 16, activation: 'relu' }).apply(normed);
      const pooled = new GlobalAveragePooling1D().apply(hidden);
      const out = new Dense({ units: 4, activation: 'softmax' }).apply(pooled);
      return new Model({ inputs: x, outputs: out });
    },
    inputs: () => tf.tensor3d(seededValues(BATCH * 6 * 8, 5), [BATCH, 6, 8]),
  },
];

export interface SequenceRun {
  /** Loss before each of 3 SGD steps, then after the last. */
  losses: number[];
  /** The starting weights, to give the next backend. */
  start: Float32Array[];
  /** Tensors alive after steps 2 and 3 (the first creates the optimizer's state). */
  tensorCounts: number[];
  /** Paths of the weights the 3 steps left exactly as they were: a gradient that came out all zeros. */
  unchanged: string[];
}

/** Builds the model on the current backend from `weights` (or its own initial ones) and takes 3 steps. */
export async function trainSequenceSpec(
  spec: SequenceSpec,
  weights: Float32Array[] | null,
): Promise<SequenceRun> {
  const model = spec.build();
  model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'categorical_crossentropy' });
  const x = spec.inputs();
  const labels = Array.from({ length: BATCH }, (_, i) => (i * 5 + 1) % spec.classes);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), spec.classes), 'float32'));
  tf.dispose(model.predict(x)); // builds the weights
  const current = model.getWeights();
  const start = weights ?? current.map((w) => w.dataSync().slice() as Float32Array);
  const given = current.map((w, i) => tf.tensor(start[i], w.shape));
  model.setWeights(given);
  tf.dispose(given);
  const losses: number[] = [];
  const tensorCounts: number[] = [];
  for (let step = 0; step < 3; step++) {
    losses.push(Number(await model.testOnBatch(x, y)));
    await model.trainOnBatch(x, y);
    if (step > 0) tensorCounts.push(tf.memory().numTensors);
  }
  losses.push(Number(await model.testOnBatch(x, y)));
  const unchanged = model.weights
    .filter((w, i) => w.value.dataSync().every((v, j) => v === start[i][j]))
    .map((w) => w.path);
  tf.dispose([x, y]);
  return { losses, start, tensorCounts, unchanged };
}
