import { expectNoLeakedTensors, expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../test/register-gradients.js';
import { AdditiveAttention } from './additive-attention.js';
import { Attention } from './attention.js';
import { EinsumDense } from './einsum-dense.js';

const q = [
  [
    [1, 0],
    [0, 2],
  ],
];
const v = [
  [
    [1, 2],
    [3, -1],
    [0, 1],
  ],
];

function softmax(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

function mix(p: number[], value: number[][]): number[] {
  return value[0].map((_, d) => p.reduce((acc, w, s) => acc + w * value[s][d], 0));
}

describe('EinsumDense', () => {
  it('passes the layer test for dense, sequence and ellipsis equations', async () => {
    await runLayerTest(EinsumDense, {
      initArgs: { equation: 'ab,bc->ac', outputShape: 3, biasAxes: 'c', activation: 'relu' },
      inputShape: [2, 4],
      expectedOutputShape: [2, 3],
      expectedNumTrainableWeights: 2,
    });
    await runLayerTest(EinsumDense, {
      initArgs: { equation: 'abc,cde->abde', outputShape: [null, 2, 3], biasAxes: 'de' },
      inputShape: [2, 5, 4],
      expectedOutputShape: [2, 5, 2, 3],
      expectedNumTrainableWeights: 2,
    });
    await runLayerTest(EinsumDense, {
      initArgs: { equation: '...b,bc->...c', outputShape: 6 },
      inputShape: [2, 3, 4],
      expectedOutputShape: [2, 3, 6],
      expectedNumTrainableWeights: 1,
    });
  });

  it('computes x·W + b as the equation says', () => {
    const layer = new EinsumDense({ equation: 'abc,cd->abd', outputShape: [null, 2], biasAxes: 'd' });
    layer.build([null, 2, 3]);
    expect(layer.weights.map((w) => w.shape)).toEqual([[3, 2], [2]]);
    const w = [
      [1, 2],
      [0, -1],
      [3, 1],
    ];
    const b = [0.5, -0.5];
    layer.setWeights([tf.tensor2d(w), tf.tensor1d(b)]);
    const x = [
      [
        [1, 2, 3],
        [-1, 0, 2],
      ],
    ];
    const expected = x.map((r) =>
      r.map((xt) => b.map((bd, d) => xt.reduce((a, xc, c) => a + xc * w[c][d], bd))),
    );
    const xt = tf.tensor3d(x);
    expectTensorsClose(layer.apply(xt) as tf.Tensor, expected);
    xt.dispose();
  });

  it('rejects bad equations and shapes', () => {
    expect(() => new EinsumDense({ equation: 'ab->b', outputShape: 2 })).toThrow('Received: equation=ab->b');
    const layer = new EinsumDense({ equation: 'ab,bc->ac', outputShape: 3, biasAxes: 'z' });
    expect(() => layer.build([null, 4])).toThrow("Bias dimension 'z' was requested");
  });
});

describe('Attention', () => {
  it('passes the layer test', async () => {
    await runLayerTest(Attention, {
      initArgs: {},
      inputShape: [
        [2, 3, 4],
        [2, 5, 4],
      ],
      expectedOutputShape: [2, 3, 4],
      expectedNumTrainableWeights: 0,
    });
    await runLayerTest(Attention, {
      initArgs: { useScale: true, scoreMode: 'concat', dropout: 0.2 },
      inputShape: [
        [2, 3, 4],
        [2, 5, 4],
        [2, 5, 4],
      ],
      expectedOutputShape: [2, 3, 4],
      expectedNumTrainableWeights: 2,
    });
  });

  it('matches softmax(q·kᵀ)·v with value and causal masks', async () => {
    const layer = new Attention();
    const qt = tf.tensor3d(q);
    const vt = tf.tensor3d(v);
    const [out, scores] = await expectNoLeakedTensors(
      () => layer.apply([qt, vt], { returnAttentionScores: true }) as tf.Tensor[],
    );
    const probs = q[0].map((qr) => softmax(v[0].map((vr) => qr[0] * vr[0] + qr[1] * vr[1])));
    expectTensorsClose(scores, [probs], { atol: 1e-6 });
    expectTensorsClose(out, [probs.map((p) => mix(p, v[0]))], { atol: 1e-6 });

    const vMask = tf.tensor2d([[1, 0, 1]], undefined, 'bool');
    const masked = layer.apply([qt, vt], { mask: [null, vMask], useCausalMask: true }) as tf.Tensor;
    const allowed = (t: number, s: number) => s !== 1 && s <= t;
    const mprobs = q[0].map((qr, t) => {
      const raw = v[0].map((vr, s) => (allowed(t, s) ? qr[0] * vr[0] + qr[1] * vr[1] : -1e9));
      return softmax(raw);
    });
    expectTensorsClose(masked, [mprobs.map((p) => mix(p, v[0]))], { atol: 1e-6 });
    expect(() => layer.apply(qt)).toThrow('Attention layer must be called on a list of inputs');
    tf.dispose([out, scores, masked, qt, vt, vMask]);
  });

  it('rejects an unknown score mode', () => {
    expect(() => new Attention({ scoreMode: 'cosine' as 'dot' })).toThrow('Received: score_mode=cosine');
  });
});

describe('AdditiveAttention', () => {
  it('passes the layer test', async () => {
    await runLayerTest(AdditiveAttention, {
      initArgs: { dropout: 0.1 },
      inputShape: [
        [2, 3, 4],
        [2, 5, 4],
      ],
      expectedOutputShape: [2, 3, 4],
      expectedNumTrainableWeights: 1,
    });
  });

  it('scores with sum(scale * tanh(q + k))', () => {
    const layer = new AdditiveAttention();
    const qt = tf.tensor3d(q);
    const vt = tf.tensor3d(v);
    layer.build([qt.shape, vt.shape]);
    const scale = [0.5, -2];
    layer.setWeights([tf.tensor1d(scale)]);
    expect(layer.getConfig()).not.toHaveProperty('scoreMode');
    const out = layer.apply([qt, vt]) as tf.Tensor;
    const probs = q[0].map((qr) =>
      softmax(v[0].map((vr) => scale[0] * Math.tanh(qr[0] + vr[0]) + scale[1] * Math.tanh(qr[1] + vr[1]))),
    );
    expectTensorsClose(out, [probs.map((p) => mix(p, v[0]))], { atol: 1e-6 });
    tf.dispose([out, qt, vt]);
  });
});
