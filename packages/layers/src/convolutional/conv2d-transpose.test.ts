import '../../test/register-gradients.js';
import { registry, serializeKerasObject } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../index.js';
import { Conv2DTranspose } from './conv2d-transpose.js';
import { referenceConv2DTranspose, seededUniform } from './test-conv-reference.js';

describe('Conv2DTranspose', () => {
  it('passes the layer test for valid/same padding, strides, output padding, dilation and channels_first', async () => {
    await runLayerTest(Conv2DTranspose, {
      initArgs: { filters: 4, kernelSize: 3 },
      inputShape: [2, 3, 3, 2],
      expectedOutputShape: [2, 5, 5, 4],
      expectedNumTrainableWeights: 2,
    });
    await runLayerTest(Conv2DTranspose, {
      initArgs: { filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' },
      inputShape: [2, 3, 4, 2],
      expectedOutputShape: [2, 6, 8, 2],
    });
    // valid: (n - 1) * s + max(k, s).
    await runLayerTest(Conv2DTranspose, {
      initArgs: { filters: 2, kernelSize: [2, 3], strides: [3, 2] },
      inputShape: [2, 3, 3, 1],
      expectedOutputShape: [2, 9, 7, 2],
    });
    await runLayerTest(Conv2DTranspose, {
      initArgs: { filters: 2, kernelSize: 3, strides: 2, outputPadding: 1 },
      inputShape: [2, 3, 3, 1],
      expectedOutputShape: [2, 8, 8, 2],
    });
    await runLayerTest(Conv2DTranspose, {
      initArgs: { filters: 2, kernelSize: 3, dilationRate: 2, useBias: false },
      inputShape: [2, 3, 3, 1],
      expectedOutputShape: [2, 7, 7, 2],
    });
    await runLayerTest(Conv2DTranspose, {
      initArgs: { filters: 3, kernelSize: 2, strides: 2, dataFormat: 'channels_first' },
      inputShape: [2, 2, 3, 4],
      expectedOutputShape: [2, 3, 6, 8],
    });
  });

  it('scatters every input value through the kernel, as the definition says', async () => {
    const cases = [
      { args: { filters: 2, kernelSize: 3 }, shape: [2, 3, 4, 2] },
      { args: { filters: 3, kernelSize: [3, 2], strides: [2, 3], padding: 'same' }, shape: [1, 3, 3, 2] },
      { args: { filters: 2, kernelSize: 4, strides: 2, padding: 'same' }, shape: [1, 3, 2, 1] },
      { args: { filters: 2, kernelSize: 3, strides: 2, outputPadding: [1, 0] }, shape: [1, 3, 3, 2] },
      {
        args: { filters: 2, kernelSize: [2, 3], dilationRate: [2, 3], padding: 'same' },
        shape: [1, 4, 5, 2],
      },
      { args: { filters: 1, kernelSize: 2, dilationRate: 2 }, shape: [1, 3, 3, 2] },
    ] as const;
    for (const [n, { args, shape }] of cases.entries()) {
      const layer = new Conv2DTranspose(args);
      layer.build([...shape]);
      const ws = layer.weights.map((w, i) => seededUniform(w.shape, 10 * n + i));
      layer.setWeights(ws);
      const x = seededUniform([...shape], 70 + n);
      const y = await expectNoLeakedTensors(() => layer.apply(x) as tf.Tensor);
      const expected = tf.tidy(() =>
        tf.add(
          referenceConv2DTranspose(x, ws[0], [y.shape[1]!, y.shape[2]!], {
            strides: layer.strides as [number, number],
            dilation: layer.dilationRate as [number, number],
            padding: layer.padding,
          }),
          ws[1],
        ),
      );
      expect(y.shape).toEqual(layer.computeOutputShape([...shape]));
      expectTensorsClose(y, expected, { atol: 1e-5 });
      tf.dispose([...ws, x, y, expected]);
      layer.dispose();
    }
  });

  it('names its weights as Keras 3: kernel (kh, kw, filters, in), bias (filters)', () => {
    const layer = new Conv2DTranspose({ filters: 5, kernelSize: [3, 2] });
    layer.build([null, 4, 4, 7]);
    expect(layer.weights.map((w) => [w.name, w.shape])).toEqual([
      ['kernel', [3, 2, 5, 7]],
      ['bias', [5]],
    ]);
    layer.dispose();
  });

  it("writes Keras's config keys (no groups; output_padding null when unset, as Keras 3.15) and its alias resolves", () => {
    const plain = serializeKerasObject('layer', new Conv2DTranspose({ filters: 2, kernelSize: 3 }));
    expect(Object.keys(plain.config)).not.toContain('groups');
    expect(plain.config.output_padding).toBeNull();
    expect(plain.config).toMatchObject({ kernel_size: [3, 3], strides: [1, 1], dilation_rate: [1, 1] });
    const padded = serializeKerasObject(
      'layer',
      new Conv2DTranspose({ filters: 2, kernelSize: 3, strides: 2, outputPadding: 1 }),
    );
    expect(padded.config.output_padding).toEqual([1, 1]);
    expect(registry.get('layer', 'Convolution2DTranspose')).toBe(Conv2DTranspose);
  });

  it('fails early on bad arguments and inputs', () => {
    expect(() => new Conv2DTranspose({ filters: 0, kernelSize: 3 })).toThrow(/Received filters=0/);
    expect(() => new Conv2DTranspose({ filters: 1, kernelSize: -2 })).toThrow(/Received kernel_size=-2/);
    expect(() => new Conv2DTranspose({ filters: 1, kernelSize: 3, padding: 'causal' })).toThrow(
      /Received: padding=causal/,
    );
    expect(() => new Conv2DTranspose({ filters: 1, kernelSize: 3, strides: 2, outputPadding: 2 })).toThrow(
      /`output_padding` must be < `strides`/,
    );
    const layer = new Conv2DTranspose({ filters: 1, kernelSize: 3, name: 'up' });
    const x = tf.zeros([4, 4, 1]);
    expect(() => layer.apply(x)).toThrow(
      /layer "up" .*expected ndim=4, found ndim=3. Full shape received: \(4, 4, 1\)/,
    );
    x.dispose();
    expect(layer.computeOutputShape([null, null, 5, 2])).toEqual([null, null, 7, 1]);
  });
});
