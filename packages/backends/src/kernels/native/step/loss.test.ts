import type { Loss } from '@strata/core';
import { expectClose, seededRandom, seededValues } from '@strata/core/testing';
import {
  BinaryCrossentropy,
  CategoricalCrossentropy,
  Hinge,
  Huber,
  KLDivergence,
  LogCosh,
  LossFunctionWrapper,
  MeanAbsoluteError,
  MeanSquaredError,
  Poisson,
  SparseCategoricalCrossentropy,
} from '@strata/losses-metrics';
import { OnnxGraph } from '@strata/onnx/graph';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { resolvesInNode } from '../../../node-paths.js';
import { emitLoss } from './loss.js';
import { type Feed, runGraph } from './test-run-graph.js';

const hasOrt = resolvesInNode('onnxruntime-node', import.meta.url);

const N = 6;
const C = 4;

/** Probabilities whose rows sum to 1, with exact 0s and 1s (clipped in the loss) in rows 0 and 1. */
function probabilities(seed: number, n = N, c = C): Float32Array {
  const p = seededValues(n * c, seed, 0.05, 1);
  for (let i = 0; i < n; i++) {
    const row = p.subarray(i * c, (i + 1) * c);
    if (i === 0) row.set([1, 0, 0, 0].slice(0, c));
    else if (i === 1) row.fill(0, 0, 2);
    const sum = row.reduce((s, v) => s + v, 0);
    for (let j = 0; j < c; j++) row[j] /= sum;
  }
  return p;
}

function classIds(seed: number, n = N, c = C): number[] {
  const random = seededRandom(seed);
  // Rows 0 and 1 take the classes whose probability is 1 and 0.
  return Array.from({ length: n }, (_, i) => (i === 0 ? 0 : i === 1 ? 1 : Math.floor(random() * c)));
}

function oneHot(ids: number[], c = C): Float32Array {
  const out = new Float32Array(ids.length * c);
  ids.forEach((id, i) => {
    out[i * c + id] = 1;
  });
  return out;
}

/** Strata's loss and `tf.grad` of it on the cpu backend. */
function reference(loss: Loss, yTrue: tf.Tensor, yPred: tf.Tensor): { loss: number; dPred: Float32Array } {
  return tf.tidy(() => {
    const value = loss.apply(yTrue, yPred).dataSync()[0];
    const dPred = tf
      .grad((p: tf.Tensor) => loss.apply(yTrue, p))(yPred)
      .dataSync() as Float32Array;
    return { loss: value, dPred };
  });
}

interface Case {
  name: string;
  loss: () => Loss;
  yTrue: Feed;
  yPred: Feed;
}

const probs = { values: probabilities(1), shape: [N, C] };
const logits = { values: seededValues(N * C, 2, -4, 4), shape: [N, C] };
const ids = classIds(3);
const binaryPred = probabilities(4);
const binaryTarget = Float32Array.from(seededValues(N * C, 5, 0, 1), (v) => (v > 0.5 ? 1 : 0));
binaryTarget.set([1, 0, 0, 0, 0, 1, 0, 0]); // against the probabilities 1 and 0 of rows 0 and 1
const ties = seededValues(N * C, 7);
ties.set(logits.values.subarray(0, 5)); // equal to the predictions: |x|'s gradient at 0

const cases: Case[] = [
  {
    name: 'sparse categorical, probabilities, int32 ids [N]',
    loss: () => new SparseCategoricalCrossentropy(),
    yTrue: { values: Int32Array.from(ids), shape: [N] },
    yPred: probs,
  },
  {
    name: 'sparse categorical, probabilities, float ids [N, 1]',
    loss: () => new SparseCategoricalCrossentropy(),
    yTrue: { values: Float32Array.from(ids), shape: [N, 1] },
    yPred: probs,
  },
  {
    name: 'sparse categorical, unnormalized probabilities',
    loss: () => new SparseCategoricalCrossentropy(),
    yTrue: { values: Int32Array.from(ids), shape: [N] },
    yPred: { values: seededValues(N * C, 8, 0, 3), shape: [N, C] },
  },
  {
    name: 'sparse categorical, logits',
    loss: () => new SparseCategoricalCrossentropy({ fromLogits: true }),
    yTrue: { values: Int32Array.from(ids), shape: [N] },
    yPred: logits,
  },
  {
    name: 'sparse categorical, logits, ignoreClass',
    loss: () => new SparseCategoricalCrossentropy({ fromLogits: true, ignoreClass: 2 }),
    yTrue: { values: Int32Array.from([2, 0, 3, 2, 1, 0]), shape: [N] },
    yPred: logits,
  },
  {
    name: 'sparse categorical, rank 3 predictions, reduction sum',
    loss: () => new SparseCategoricalCrossentropy({ fromLogits: true, reduction: 'sum' }),
    yTrue: { values: Int32Array.from(ids), shape: [2, 3] },
    yPred: { values: logits.values, shape: [2, 3, C] },
  },
  {
    name: 'categorical, probabilities',
    loss: () => new CategoricalCrossentropy(),
    yTrue: { values: oneHot(ids), shape: [N, C] },
    yPred: probs,
  },
  {
    name: 'categorical, logits, label smoothing',
    loss: () => new CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }),
    yTrue: { values: oneHot(ids), shape: [N, C] },
    yPred: logits,
  },
  {
    name: 'categorical, probabilities, label smoothing, soft targets',
    loss: () => new CategoricalCrossentropy({ labelSmoothing: 0.2 }),
    yTrue: { values: probabilities(9), shape: [N, C] },
    yPred: probs,
  },
  {
    name: 'binary, probabilities',
    loss: () => new BinaryCrossentropy(),
    yTrue: { values: binaryTarget, shape: [N, C] },
    yPred: { values: binaryPred, shape: [N, C] },
  },
  {
    name: 'binary, logits, label smoothing, int32 targets [N] against [N, 1]',
    loss: () => new BinaryCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }),
    yTrue: { values: Int32Array.from(ids, (i) => i % 2), shape: [N] },
    yPred: { values: Float32Array.of(-3, 0, 0.5, 2, -0.1, 7), shape: [N, 1] },
  },
  {
    name: 'mean squared error',
    loss: () => new MeanSquaredError(),
    yTrue: { values: seededValues(N * C, 10), shape: [N, C] },
    yPred: logits,
  },
  {
    name: 'Huber, delta 0.5, errors on both sides of it',
    loss: () => new Huber({ delta: 0.5 }),
    yTrue: { values: seededValues(N * C, 11), shape: [N, C] },
    yPred: logits,
  },
  {
    name: 'log-cosh, int32 targets',
    loss: () => new LogCosh(),
    yTrue: { values: Int32Array.from(seededValues(N * C, 12, -3, 3), Math.round), shape: [N, C] },
    yPred: logits,
  },
  {
    name: 'Poisson',
    loss: () => new Poisson(),
    yTrue: { values: Float32Array.from(seededValues(N * C, 13, 0, 4), Math.floor), shape: [N, C] },
    yPred: { values: seededValues(N * C, 14, 0.1, 3), shape: [N, C] },
  },
  {
    name: 'KL divergence, clipped probabilities',
    loss: () => new KLDivergence(),
    yTrue: { values: probabilities(15), shape: [N, C] },
    yPred: probs,
  },
  {
    name: 'mean absolute error, with ties',
    loss: () => new MeanAbsoluteError(),
    yTrue: { values: ties, shape: [N, C] },
    yPred: logits,
  },
];

describe.skipIf(!hasOrt)('emitLoss against Strata losses and tf.grad', () => {
  it.each(cases)('$name', async ({ loss: makeLoss, yTrue, yPred }) => {
    const loss = makeLoss();
    const yt = tf.tensor(
      yTrue.values,
      [...yTrue.shape],
      yTrue.values instanceof Int32Array ? 'int32' : 'float32',
    );
    const yp = tf.tensor(yPred.values, [...yPred.shape]);
    const expected = reference(loss, yt, yp);
    tf.dispose([yt, yp]);

    const before = tf.memory().numTensors;
    const out = await runGraph({ yTrue, yPred }, (g) => {
      const emitted = emitLoss(g, loss, 'yPred', 'yTrue', yPred.shape, yTrue.shape);
      if (typeof emitted === 'string') throw new Error(emitted);
      return { loss: emitted.loss, dPred: emitted.dPred };
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(Number.isFinite(expected.loss)).toBe(true);
    expectClose(out.loss, [expected.loss], 1e-5);
    expectClose(out.dPred, expected.dPred, 1e-4);
  });

  it('zeroes the gradient of clipped probabilities', async () => {
    // Row 0 predicts its class with probability 1 (clipped): the loss there is -log(1 - 1e-7) and its
    // gradient 0; row 1 predicts probability 0 for its class: -log(1e-7), gradient 0 as well (the
    // other class's gradient goes through the renormalization only, and the clipped one passes none).
    const out = await runGraph(
      {
        yTrue: { values: Int32Array.of(0, 0), shape: [2] },
        yPred: { values: Float32Array.of(1, 0, 0, 1), shape: [2, 2] },
      },
      (g) => {
        const emitted = emitLoss(g, new SparseCategoricalCrossentropy(), 'yPred', 'yTrue', [2, 2]);
        if (typeof emitted === 'string') throw new Error(emitted);
        return { loss: emitted.loss, dPred: emitted.dPred };
      },
    );
    const lo = Math.fround(1e-7);
    const hi = Math.fround(1 - 1e-7);
    expectClose(out.loss, [(-Math.log(hi) - Math.log(lo)) / 2], 1e-5);
    expectClose(out.dPred, [0, 0, 0, 0], 0);
  });
});

describe('emitLoss refusals', () => {
  it('checks class ids on the host for the sparse loss', () => {
    const emitted = emitLoss(
      new OnnxGraph(),
      new SparseCategoricalCrossentropy({ ignoreClass: -1 }),
      'p',
      't',
      [4, 3],
    );
    if (typeof emitted === 'string') throw new Error(emitted);
    expect(emitted.targetsValid?.([0, 2, -1, 1])).toBe(true);
    expect(emitted.targetsValid?.([0, 3, 1, 1])).toBe(false);
    expect(emitted.targetsValid?.([0, 1.5, 1, 1])).toBe(false);
    expect(emitted.targetsValid?.([0, -2, 1, 1])).toBe(false);
  });

  it('refuses losses it does not compile, before emitting anything', () => {
    const ops: string[] = [];
    const g = new Proxy({}, { get: (_, key) => () => ops.push(String(key)) }) as never;
    class MySparse extends SparseCategoricalCrossentropy {}
    const refused: [Loss, RegExp][] = [
      [new Hinge(), /Hinge is not one the compiled step supports/],
      [new LossFunctionWrapper((t, p) => tf.sub(t, p)), /LossFunctionWrapper/],
      [new MySparse(), /MySparse/],
      [new MeanSquaredError({ reduction: 'none' }), /reduction 'none'/],
      [new CategoricalCrossentropy({ axis: 0 }), /axis is 0/],
    ];
    for (const [loss, reason] of refused) expect(emitLoss(g, loss, 'p', 't', [4, 3])).toMatch(reason);
    expect(emitLoss(g, new SparseCategoricalCrossentropy(), 'p', 't', [4, 3], [4, 3])).toMatch(
      /targets of shape \(4, 3\) do not fit predictions of shape \(4, 3\)/,
    );
    expect(emitLoss(g, new MeanSquaredError(), 'p', 't', [4, 3], [4])).toMatch(/do not fit/);
    expect(ops).toEqual([]);
  });
});
