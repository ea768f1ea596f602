import '../../test/register-gradients.js';
import { registry, serializeKerasObject } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';

import '../index.js';
import { Conv1D } from './conv1d.js';
import { referenceConv2D, seededUniform } from './test-conv-reference.js';

afterEach(() => vi.restoreAllMocks());

describe('Conv1D', () => {
  it('passes the layer test for valid/same/causal padding, strides, dilation and channels_first', async () => {
    await runLayerTest(Conv1D, {
      initArgs: { filters: 3, kernelSize: 3 },
      inputShape: [2, 7, 2],
      expectedOutputShape: [2, 5, 3],
      expectedNumTrainableWeights: 2,
    });
    await runLayerTest(Conv1D, {
      initArgs: { filters: 2, kernelSize: 2, strides: 2, padding: 'same', activation: 'relu' },
      inputShape: [2, 7, 3],
      expectedOutputShape: [2, 4, 2],
    });
    await runLayerTest(Conv1D, {
      initArgs: { filters: 2, kernelSize: 3, dilationRate: 2, padding: 'causal' },
      inputShape: [2, 6, 3],
      expectedOutputShape: [2, 6, 2],
    });
    await runLayerTest(Conv1D, {
      initArgs: { filters: 4, kernelSize: [2], dataFormat: 'channels_first', groups: 2 },
      inputShape: [2, 2, 5],
      expectedOutputShape: [2, 4, 4],
    });
  });

  it('is a Conv2D over a unit height, for every padding, stride and dilation', async () => {
    const cases = [
      { args: { filters: 2, kernelSize: 3 }, padding: 'valid' },
      { args: { filters: 2, kernelSize: 2, strides: 3, padding: 'same' }, padding: 'same' },
      { args: { filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same' }, padding: 'same' },
      { args: { filters: 2, kernelSize: 2, dilationRate: 3 }, padding: 'valid' },
    ] as const;
    for (const [n, { args, padding }] of cases.entries()) {
      const layer = new Conv1D(args);
      layer.build([null, 8, 2]);
      const ws = layer.weights.map((w, i) => seededUniform(w.shape, n * 10 + i));
      layer.setWeights(ws);
      const x = seededUniform([2, 8, 2], 50 + n);
      const y = await expectNoLeakedTensors(() => layer.apply(x) as tf.Tensor);
      const expected = tf.tidy(() => {
        const y2 = referenceConv2D(tf.expandDims(x, 1), tf.expandDims(ws[0], 0), {
          strides: [1, layer.strides[0]],
          dilation: [1, layer.dilationRate[0]],
          padding,
        });
        return tf.add(tf.squeeze(y2, [1]), ws[1]);
      });
      expectTensorsClose(y, expected, { atol: 1e-5 });
      tf.dispose([...ws, x, y, expected]);
      layer.dispose();
    }
  });

  it('pads causally: output step t sees only input steps up to t', async () => {
    // One channel, kernel (a, b), dilation 2: y[t] = a * x[t - 2] + b * x[t], with x before the start = 0.
    const layer = new Conv1D({
      filters: 1,
      kernelSize: 2,
      dilationRate: 2,
      padding: 'causal',
      useBias: false,
    });
    layer.build([null, 5, 1]);
    const [a, b] = [0.5, -2];
    const k = tf.tensor3d([[[a]], [[b]]]);
    layer.setWeights([k]);
    const xs = [1, 2, 3, 4, 5];
    const x = tf.tensor3d([xs.map((v) => [v])]);
    const y = await expectNoLeakedTensors(() => layer.apply(x) as tf.Tensor);
    const expected = xs.map((v, t) => [(t >= 2 ? a * xs[t - 2] : 0) + b * v]);
    expectTensorsClose(y, [expected]);
    tf.dispose([k, x, y]);
    layer.dispose();
  });

  it('runs on tf.fused.conv2d with bias and activation folded in', () => {
    const spy = vi.spyOn(tf.fused, 'conv2d');
    const layer = new Conv1D({ filters: 2, kernelSize: 2, activation: 'relu' });
    const x = tf.ones([1, 4, 3]);
    tf.dispose(layer.apply(x));
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0][0]).toMatchObject({ activation: 'relu' });
    expect(spy.mock.calls[0][0].bias).toBeDefined();
    tf.dispose(x);
    layer.dispose();
  });

  it("names its weights kernel (k, in, filters) and bias, and writes Keras's config", () => {
    const layer = new Conv1D({ filters: 4, kernelSize: 3, padding: 'causal' });
    layer.build([null, 10, 2]);
    expect(layer.weights.map((w) => [w.name, w.shape])).toEqual([
      ['kernel', [3, 2, 4]],
      ['bias', [4]],
    ]);
    const json = serializeKerasObject('layer', layer);
    expect(json.config).toMatchObject({
      kernel_size: [3],
      strides: [1],
      dilation_rate: [1],
      padding: 'causal',
    });
    expect(registry.get('layer', 'Convolution1D')).toBe(Conv1D);
    layer.dispose();
  });

  it('fails early on bad arguments and inputs', () => {
    expect(() => new Conv1D({ filters: 2, kernelSize: 0 })).toThrow(
      /Received kernel_size=0, including values \{0\}/,
    );
    expect(() => new Conv1D({ filters: -1, kernelSize: 2 })).toThrow(/Received filters=-1/);
    expect(() => new Conv1D({ filters: 1, kernelSize: 2, padding: 'full' })).toThrow(
      /one of \{"valid", "same", "causal"\}. Received: padding=full/,
    );
    const layer = new Conv1D({ filters: 2, kernelSize: 2, name: 'c1' });
    const x = tf.zeros([1, 4, 4, 1]);
    expect(() => layer.apply(x)).toThrow(
      'Input 0 of layer "c1" is incompatible with the layer: expected ndim=3, found ndim=4. Full shape received: (1, 4, 4, 1)',
    );
    x.dispose();
    expect(layer.computeOutputShape([null, null, 3])).toEqual([null, null, 2]);
  });
});
