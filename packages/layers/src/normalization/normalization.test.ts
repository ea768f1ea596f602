import { serializeKerasObject } from '@strata/core';
import { expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../test/register-gradients.js';
import { BatchNormalization } from './batch-normalization.js';
import { LayerNormalization } from './layer-normalization.js';

describe('BatchNormalization', () => {
  it('passes the layer test', async () => {
    await runLayerTest(BatchNormalization, {
      initArgs: {},
      inputShape: [4, 3],
      expectedOutputShape: [4, 3],
      expectedNumTrainableWeights: 2,
      expectedNumNonTrainableWeights: 2,
    });
    await runLayerTest(BatchNormalization, {
      initArgs: { axis: 1, center: false, momentum: 0.9 },
      inputShape: [2, 3, 4, 4],
      expectedOutputShape: [2, 3, 4, 4],
      expectedNumTrainableWeights: 1,
    });
  });

  it('names its weights as Keras 3: gamma, beta, moving_mean, moving_variance', () => {
    const layer = new BatchNormalization();
    layer.build([null, 2]);
    expect(layer.weights.map((w) => w.name)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance']);
    expect(layer.nonTrainableWeights.map((w) => w.name)).toEqual(['moving_mean', 'moving_variance']);
  });

  it('normalizes with batch statistics in training and updates the moving averages', () => {
    const layer = new BatchNormalization({ momentum: 0.9, epsilon: 1e-3 });
    // Column 0: mean 2, biased variance 1; column 1: mean 0, variance 4.
    const x = tf.tensor2d([
      [1, 2],
      [3, -2],
    ]);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const n = (v: number, m: number, s2: number) => (v - m) / Math.sqrt(s2 + 1e-3);
    expectTensorsClose(
      y,
      [
        [n(1, 2, 1), n(2, 0, 4)],
        [n(3, 2, 1), n(-2, 0, 4)],
      ],
      { atol: 1e-5 },
    );
    const [, , mm, mv] = layer.getWeights();
    expectTensorsClose(mm, [0.1 * 2, 0], { atol: 1e-6 });
    expectTensorsClose(mv, [0.9 + 0.1 * 1, 0.9 + 0.1 * 4], { atol: 1e-6 });
    // Inference uses the moving statistics (and changes nothing).
    const z = layer.apply(x, { training: false }) as tf.Tensor;
    expectTensorsClose(
      z,
      [
        [n(1, 0.2, 1), n(2, 0, 1.3)],
        [n(3, 0.2, 1), n(-2, 0, 1.3)],
      ],
      { atol: 1e-5 },
    );
    expectTensorsClose(layer.getWeights()[2], [0.2, 0], { atol: 1e-6 });
  });

  it('normalizes over every axis but `axis` (here axis 1 of a rank-3 input)', () => {
    const values = Array.from({ length: 24 }, (_, i) => Math.sin(i) * 3 + (i % 5));
    const x = tf.tensor3d(values, [2, 3, 4]);
    const y = new BatchNormalization({ axis: 1, epsilon: 1e-3 }).apply(x, { training: true }) as tf.Tensor;
    const expected = values.slice();
    for (let c = 0; c < 3; c++) {
      const idx = [0, 1].flatMap((b) => [0, 1, 2, 3].map((k) => b * 12 + c * 4 + k));
      const mean = idx.reduce((a, i) => a + values[i], 0) / idx.length;
      const variance = idx.reduce((a, i) => a + (values[i] - mean) ** 2, 0) / idx.length;
      for (const i of idx) expected[i] = (values[i] - mean) / Math.sqrt(variance + 1e-3);
    }
    expectTensorsClose(y, tf.tensor3d(expected, [2, 3, 4]), { atol: 1e-5 });
  });

  it('runs in inference mode when not trainable, as in Keras 3', () => {
    const layer = new BatchNormalization();
    const x = tf.tensor2d([
      [1, 2],
      [3, -2],
    ]);
    layer.build([null, 2]);
    layer.trainable = false;
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    expectTensorsClose(y, tf.div(x, Math.sqrt(1 + 1e-3)), { atol: 1e-6 });
    expectTensorsClose(layer.getWeights()[2], [0, 0]);
    expect(layer.trainableWeights).toHaveLength(0);
  });

  it('writes the Keras 3 config and fails on a wrong feature size', () => {
    const layer = new BatchNormalization({ name: 'bn_probe' });
    expect(Object.keys(serializeKerasObject('layer', layer).config).sort()).toEqual(
      [
        'name',
        'trainable',
        'dtype',
        'axis',
        'momentum',
        'epsilon',
        'center',
        'scale',
        'beta_initializer',
        'gamma_initializer',
        'moving_mean_initializer',
        'moving_variance_initializer',
        'beta_regularizer',
        'gamma_regularizer',
        'beta_constraint',
        'gamma_constraint',
        'synchronized',
      ].sort(),
    );
    tf.dispose(layer.apply(tf.zeros([2, 3])));
    expect(() => layer.apply(tf.zeros([2, 4]))).toThrow(
      'Input 0 of layer "bn_probe" is incompatible with the layer: expected axis -1 of input shape to have value 3, but received input with shape (2, 4)',
    );
    expect(new BatchNormalization({ axis: [3] as unknown as number }).axis).toBe(3);
  });
});

describe('LayerNormalization', () => {
  it('passes the layer test', async () => {
    await runLayerTest(LayerNormalization, {
      initArgs: {},
      inputShape: [2, 3],
      expectedOutputShape: [2, 3],
      expectedNumTrainableWeights: 2,
    });
    await runLayerTest(LayerNormalization, {
      initArgs: { axis: [1, 2] },
      inputShape: [2, 3, 4],
      expectedOutputShape: [2, 3, 4],
    });
    await runLayerTest(LayerNormalization, {
      initArgs: { rmsScaling: true },
      inputShape: [2, 3],
      expectedOutputShape: [2, 3],
      expectedNumTrainableWeights: 1,
    });
  });
  it('normalizes each sample over the axis', () => {
    const layer = new LayerNormalization({ epsilon: 1e-3 });
    const y = layer.apply(
      tf.tensor2d([
        [1, 3],
        [0, 4],
      ]),
    ) as tf.Tensor;
    const a = 1 / Math.sqrt(1 + 1e-3);
    const b = 2 / Math.sqrt(4 + 1e-3);
    expectTensorsClose(
      y,
      [
        [-a, a],
        [-b, b],
      ],
      { atol: 1e-6 },
    );
    expect(layer.weights.map((w) => w.name)).toEqual(['gamma', 'beta']);
    const rms = new LayerNormalization({ rmsScaling: true, epsilon: 0 }).apply(
      tf.tensor2d([[3, 4]]),
    ) as tf.Tensor;
    // Keras 3.15's rms_scaling divides the uncentered input by the standard deviation (0.5 here).
    const std = Math.sqrt(((3 - 3.5) ** 2 + (4 - 3.5) ** 2) / 2);
    expectTensorsClose(rms, [[3 / std, 4 / std]], { atol: 1e-5 });
  });
});
