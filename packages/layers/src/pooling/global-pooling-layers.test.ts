import '../../test/register-gradients.js';
import { registry, serializeKerasObject } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../index.js';
import { GlobalAveragePooling1D } from './global-average-pooling1d.js';
import { GlobalAveragePooling2D } from './global-average-pooling2d.js';
import { GlobalMaxPooling1D } from './global-max-pooling1d.js';
import { GlobalMaxPooling2D } from './global-max-pooling2d.js';

describe('global pooling', () => {
  it('pass the layer test with and without keepdims, in both data formats', async () => {
    for (const Cls of [GlobalMaxPooling2D, GlobalAveragePooling2D]) {
      await runLayerTest(Cls, { initArgs: {}, inputShape: [2, 4, 5, 3], expectedOutputShape: [2, 3] });
      await runLayerTest(Cls, {
        initArgs: { keepdims: true },
        inputShape: [2, 4, 5, 3],
        expectedOutputShape: [2, 1, 1, 3],
      });
      await runLayerTest(Cls, {
        initArgs: { dataFormat: 'channels_first', keepdims: true },
        inputShape: [2, 3, 4, 5],
        expectedOutputShape: [2, 3, 1, 1],
      });
    }
    for (const Cls of [GlobalMaxPooling1D, GlobalAveragePooling1D]) {
      await runLayerTest(Cls, { initArgs: {}, inputShape: [2, 4, 3], expectedOutputShape: [2, 3] });
      await runLayerTest(Cls, {
        initArgs: { keepdims: true },
        inputShape: [2, 4, 3],
        expectedOutputShape: [2, 1, 3],
      });
      await runLayerTest(Cls, {
        initArgs: { dataFormat: 'channels_first' },
        inputShape: [2, 3, 4],
        expectedOutputShape: [2, 3],
      });
    }
  });

  it('take the max or mean over every spatial position, per channel', async () => {
    // Sample 0, channel c at (i, j) holds 10*i + j + c; sample 1 holds its negative.
    const values = [0, 1].map((b) =>
      [0, 1, 2].map((i) => [0, 1, 2, 3].map((j) => [0, 1].map((c) => (b ? -1 : 1) * (10 * i + j + c)))),
    );
    const x = tf.tensor4d(values);
    const max = await expectNoLeakedTensors(() => new GlobalMaxPooling2D().apply(x) as tf.Tensor);
    expectTensorsClose(max, [
      [23, 24],
      [0, -1],
    ]);
    // Mean of 10*i + j + c over i in 0..2, j in 0..3 is 10 + 1.5 + c.
    const avg = await expectNoLeakedTensors(
      () => new GlobalAveragePooling2D({ keepdims: true }).apply(x) as tf.Tensor,
    );
    expectTensorsClose(avg, [[[[11.5, 12.5]]], [[[-11.5, -12.5]]]], { atol: 1e-5 });
    const first = new GlobalMaxPooling2D({ dataFormat: 'channels_first' }).apply(
      tf.transpose(x, [0, 3, 1, 2]),
    ) as tf.Tensor;
    expectTensorsClose(first, [
      [23, 24],
      [0, -1],
    ]);
    tf.dispose([x, max, avg, first]);
  });

  it('GlobalAveragePooling1D leaves masked steps out of the mean and passes no mask on', async () => {
    const x = tf.tensor3d([
      [
        [1, 10],
        [2, 20],
        [3, 30],
        [100, 100],
      ],
      [
        [4, 0],
        [6, 2],
        [Number.POSITIVE_INFINITY, Number.NaN],
        [100, 100],
      ],
    ]);
    const mask = tf.tensor2d(
      [
        [1, 1, 1, 0],
        [1, 1, 0, 0],
      ],
      undefined,
      'bool',
    );
    const layer = new GlobalAveragePooling1D();
    const y = await expectNoLeakedTensors(() => layer.apply(x, { mask }) as tf.Tensor);
    expectTensorsClose(y, [
      [2, 20],
      [5, 1],
    ]);
    expect(layer.supportsMasking).toBe(true);
    expect(layer.computeMask(x, mask)).toBeNull();
    const finite = tf.tensor3d([
      [[1], [2]],
      [[3], [7]],
    ]);
    const unmasked = layer.apply(finite) as tf.Tensor;
    expectTensorsClose(unmasked, [[1.5], [5]]);
    tf.dispose([x, mask, y, finite, unmasked]);
  });

  it("write Keras's config and are registered with their aliases", () => {
    const json = serializeKerasObject('layer', new GlobalAveragePooling2D({ keepdims: true }));
    expect(Object.keys(json.config).sort()).toEqual([
      'data_format',
      'dtype',
      'keepdims',
      'name',
      'trainable',
    ]);
    expect(json.config).toMatchObject({ keepdims: true, data_format: 'channels_last' });
    expect(registry.get('layer', 'GlobalAvgPool2D')).toBe(GlobalAveragePooling2D);
    expect(registry.get('layer', 'GlobalMaxPool2D')).toBe(GlobalMaxPooling2D);
    expect(registry.get('layer', 'GlobalAvgPool1D')).toBe(GlobalAveragePooling1D);
    expect(registry.get('layer', 'GlobalMaxPool1D')).toBe(GlobalMaxPooling1D);
  });

  it('fail early on bad arguments and inputs, and keep unknown dims unknown', () => {
    expect(() => new GlobalMaxPooling2D({ dataFormat: 'channels_middle' })).toThrow(
      /Received: data_format=channels_middle/,
    );
    const layer = new GlobalAveragePooling2D({ name: 'gap' });
    const x = tf.zeros([2, 3, 4]);
    expect(() => layer.apply(x)).toThrow(
      'Input 0 of layer "gap" is incompatible with the layer: expected ndim=4, found ndim=3. Full shape received: (2, 3, 4)',
    );
    x.dispose();
    expect(layer.computeOutputShape([null, null, null, 7])).toEqual([null, 7]);
    expect(
      new GlobalMaxPooling1D({ keepdims: true, dataFormat: 'channels_first' }).computeOutputShape([
        null,
        5,
        null,
      ]),
    ).toEqual([null, 5, 1]);
  });
});
