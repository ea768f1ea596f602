import '../../test/register-gradients.js';
import { registry, serializeKerasObject } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../index.js';
import { referencePool2D, seededUniform } from '../convolutional/test-conv-reference.js';
import { AveragePooling1D } from './average-pooling1d.js';
import { AveragePooling2D } from './average-pooling2d.js';
import { MaxPooling1D } from './max-pooling1d.js';
import { MaxPooling2D } from './max-pooling2d.js';

describe('MaxPooling2D / AveragePooling2D', () => {
  it('pass the layer test for valid/same padding, strides and channels_first', async () => {
    for (const Cls of [MaxPooling2D, AveragePooling2D]) {
      await runLayerTest(Cls, {
        initArgs: {},
        inputShape: [2, 5, 4, 3],
        expectedOutputShape: [2, 2, 2, 3],
        expectedNumTrainableWeights: 0,
        expectedNumNonTrainableWeights: 0,
      });
      await runLayerTest(Cls, {
        initArgs: { poolSize: [3, 2], strides: 1, padding: 'same' },
        inputShape: [2, 5, 4, 3],
        expectedOutputShape: [2, 5, 4, 3],
      });
      await runLayerTest(Cls, {
        initArgs: { poolSize: 3, strides: 2 },
        inputShape: [2, 7, 6, 1],
        expectedOutputShape: [2, 3, 2, 1],
      });
      await runLayerTest(Cls, {
        initArgs: { poolSize: 2, padding: 'same', dataFormat: 'channels_first' },
        inputShape: [2, 3, 5, 4],
        expectedOutputShape: [2, 3, 3, 2],
      });
    }
  });

  it('take the max or the mean of each window (same padding: of the real values only)', async () => {
    const cases = [
      { poolSize: [2, 2], strides: [2, 2], padding: 'valid' },
      { poolSize: [3, 2], strides: [1, 2], padding: 'same' },
      { poolSize: [3, 3], strides: [2, 2], padding: 'same' },
      { poolSize: [2, 3], strides: [3, 1], padding: 'valid' },
    ] as const;
    const x = seededUniform([2, 7, 6, 3], 1);
    for (const { poolSize, strides, padding } of cases) {
      for (const [Cls, mode] of [
        [MaxPooling2D, 'max'],
        [AveragePooling2D, 'average'],
      ] as const) {
        const layer = new Cls({ poolSize: [...poolSize], strides: [...strides], padding });
        const y = await expectNoLeakedTensors(() => layer.apply(x) as tf.Tensor);
        const expected = referencePool2D(x, mode, [...poolSize], [...strides], padding);
        expectTensorsClose(y, expected, { atol: 1e-6 });
        tf.dispose([y, expected]);
      }
    }
    // channels_first is the transpose of channels_last.
    const layer = new AveragePooling2D({ poolSize: 2, padding: 'same', dataFormat: 'channels_first' });
    const y = layer.apply(tf.transpose(x, [0, 3, 1, 2])) as tf.Tensor;
    const expected = tf.transpose(referencePool2D(x, 'average', [2, 2], [2, 2], 'same'), [0, 3, 1, 2]);
    expectTensorsClose(y, expected, { atol: 1e-6 });
    tf.dispose([x, y, expected]);
  });

  it("default strides to the pool size and write Keras's config", () => {
    const layer = new MaxPooling2D({ poolSize: [3, 2] });
    expect(layer.strides).toEqual([3, 2]);
    const json = serializeKerasObject('layer', layer);
    expect(json.class_name).toBe('MaxPooling2D');
    expect(Object.keys(json.config).sort()).toEqual(
      ['data_format', 'dtype', 'name', 'padding', 'pool_size', 'strides', 'trainable'].sort(),
    );
    expect(json.config).toMatchObject({
      pool_size: [3, 2],
      strides: [3, 2],
      padding: 'valid',
      data_format: 'channels_last',
    });
    expect(new AveragePooling2D().poolSize).toEqual([2, 2]);
  });

  it('are registered with their Keras aliases', () => {
    expect(registry.get('layer', 'MaxPool2D')).toBe(MaxPooling2D);
    expect(registry.get('layer', 'AvgPool2D')).toBe(AveragePooling2D);
    expect(registry.get('layer', 'MaxPool1D')).toBe(MaxPooling1D);
    expect(registry.get('layer', 'AvgPool1D')).toBe(AveragePooling1D);
  });

  it('fail early on bad arguments and inputs', () => {
    expect(() => new MaxPooling2D({ poolSize: 0 })).toThrow(/Received pool_size=0, including values \{0\}/);
    expect(() => new MaxPooling2D({ poolSize: [2, 2, 2] })).toThrow(
      /tuple of 2 integers. Received pool_size=\(2, 2, 2\)/,
    );
    expect(() => new AveragePooling2D({ padding: 'full' })).toThrow(/Received: padding=full/);
    expect(() => new AveragePooling2D({ strides: -1 })).toThrow(/Received strides=-1/);
    expect(() => new MaxPooling2D({ dataFormat: 'nchw' })).toThrow(/Received: data_format=nchw/);
    const layer = new MaxPooling2D({ name: 'pool' });
    const x = tf.zeros([4, 4, 1]);
    expect(() => layer.apply(x)).toThrow(
      'Input 0 of layer "pool" is incompatible with the layer: expected ndim=4, found ndim=3. Full shape received: (4, 4, 1)',
    );
    const big = new MaxPooling2D({ poolSize: 5 });
    const small = tf.zeros([1, 4, 4, 1]);
    expect(() => big.apply(small)).toThrow(
      /Computed output size would be negative. Received: inputs.shape=\(1, 4, 4, 1\)/,
    );
    tf.dispose([x, small]);
    expect(layer.computeOutputShape([null, null, 9, 2])).toEqual([null, null, 4, 2]);
  });
});

describe('MaxPooling1D / AveragePooling1D', () => {
  it('pass the layer test for valid/same padding, strides and channels_first', async () => {
    for (const Cls of [MaxPooling1D, AveragePooling1D]) {
      await runLayerTest(Cls, { initArgs: {}, inputShape: [2, 5, 3], expectedOutputShape: [2, 2, 3] });
      await runLayerTest(Cls, {
        initArgs: { poolSize: 3, strides: 1, padding: 'same' },
        inputShape: [2, 5, 3],
        expectedOutputShape: [2, 5, 3],
      });
      await runLayerTest(Cls, {
        initArgs: { poolSize: 2, dataFormat: 'channels_first' },
        inputShape: [2, 3, 6],
        expectedOutputShape: [2, 3, 3],
      });
    }
  });

  it('pool each window of steps', async () => {
    // x: one sample, steps [1, 5, 2, 8, 3], one feature; windows of 2 with stride 2 (same pads the last one).
    const x = tf.tensor3d([[[1], [5], [2], [8], [3]]]);
    const max = await expectNoLeakedTensors(
      () => new MaxPooling1D({ padding: 'same' }).apply(x) as tf.Tensor,
    );
    expectTensorsClose(max, [[[5], [8], [3]]]);
    const avg = await expectNoLeakedTensors(
      () => new AveragePooling1D({ poolSize: 3, strides: 1 }).apply(x) as tf.Tensor,
    );
    expectTensorsClose(avg, [[[8 / 3], [15 / 3], [13 / 3]]], { atol: 1e-6 });
    const avgSame = new AveragePooling1D({ padding: 'same' }).apply(x) as tf.Tensor;
    expectTensorsClose(avgSame, [[[3], [5], [3]]], { atol: 1e-6 });
    const json = serializeKerasObject('layer', new MaxPooling1D());
    expect(json.config).toMatchObject({ pool_size: [2], strides: [2] });
    tf.dispose([x, max, avg, avgSame]);
  });
});
