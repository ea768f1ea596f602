import '../../test/register-gradients.js';
import { registry, serializeKerasObject } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';

import '../index.js';
import { SeparableConv2D } from './separable-conv2d.js';
import { referenceConv2D, referenceDepthwiseConv2D, seededUniform } from './test-conv-reference.js';

afterEach(() => vi.restoreAllMocks());

describe('SeparableConv2D', () => {
  it('passes the layer test for valid/same padding, strides, dilation and channels_first', async () => {
    await runLayerTest(SeparableConv2D, {
      initArgs: { filters: 4, kernelSize: 3 },
      inputShape: [2, 5, 5, 3],
      expectedOutputShape: [2, 3, 3, 4],
      expectedNumTrainableWeights: 3,
    });
    await runLayerTest(SeparableConv2D, {
      initArgs: {
        filters: 2,
        kernelSize: 2,
        depthMultiplier: 2,
        strides: 2,
        padding: 'same',
        activation: 'relu',
      },
      inputShape: [2, 5, 5, 2],
      expectedOutputShape: [2, 3, 3, 2],
    });
    await runLayerTest(SeparableConv2D, {
      initArgs: { filters: 3, kernelSize: 3, dilationRate: 2, activation: 'softplus' },
      inputShape: [2, 6, 6, 2],
      expectedOutputShape: [2, 2, 2, 3],
    });
    await runLayerTest(SeparableConv2D, {
      initArgs: { filters: 3, kernelSize: 2, dataFormat: 'channels_first', useBias: false },
      inputShape: [2, 2, 4, 5],
      expectedOutputShape: [2, 3, 3, 4],
      expectedNumTrainableWeights: 2,
    });
  });

  it('is a depthwise convolution followed by a 1x1 convolution plus bias', async () => {
    const cases = [
      { args: { filters: 3, kernelSize: 3, depthMultiplier: 2 }, shape: [2, 5, 5, 2] },
      { args: { filters: 2, kernelSize: [2, 3], strides: 2, padding: 'same' }, shape: [1, 5, 6, 3] },
      { args: { filters: 2, kernelSize: 2, dilationRate: 2, padding: 'same' }, shape: [1, 5, 5, 2] },
    ] as const;
    for (const [n, { args, shape }] of cases.entries()) {
      const layer = new SeparableConv2D(args);
      layer.build([...shape]);
      const ws = layer.weights.map((w, i) => seededUniform(w.shape, 10 * n + i));
      layer.setWeights(ws);
      const x = seededUniform([...shape], 30 + n);
      const y = await expectNoLeakedTensors(() => layer.apply(x) as tf.Tensor);
      const expected = tf.tidy(() => {
        const mid = referenceDepthwiseConv2D(x, ws[0], {
          strides: layer.strides as [number, number],
          dilation: layer.dilationRate as [number, number],
          padding: layer.padding,
        });
        return tf.add(referenceConv2D(mid, ws[1]), ws[2]);
      });
      expectTensorsClose(y, expected, { atol: 1e-5 });
      tf.dispose([...ws, x, y, expected]);
      layer.dispose();
    }
  });

  it('runs the pointwise step, bias and activation on tf.fused.conv2d', () => {
    const spy = vi.spyOn(tf.fused, 'conv2d');
    const layer = new SeparableConv2D({ filters: 2, kernelSize: 2, activation: 'relu' });
    const x = tf.ones([1, 3, 3, 2]);
    tf.dispose(layer.apply(x));
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0][0].activation).toBe('relu');
    expect(spy.mock.calls[0][0].bias).toBeDefined();
    tf.dispose(x);
    layer.dispose();
  });

  it('names and orders its weights as Keras 3: depthwise_kernel, pointwise_kernel, bias', () => {
    const layer = new SeparableConv2D({ filters: 4, kernelSize: [3, 2], depthMultiplier: 2 });
    layer.build([null, 6, 6, 3]);
    expect(layer.weights.map((w) => [w.name, w.shape])).toEqual([
      ['depthwise_kernel', [3, 2, 3, 2]],
      ['pointwise_kernel', [1, 1, 6, 4]],
      ['bias', [4]],
    ]);
    layer.dispose();
  });

  it("writes Keras's config keys and its alias resolves", () => {
    const json = serializeKerasObject('layer', new SeparableConv2D({ filters: 2, kernelSize: 3 }));
    for (const key of [
      'depth_multiplier',
      'filters',
      'depthwise_initializer',
      'pointwise_initializer',
      'depthwise_regularizer',
      'pointwise_regularizer',
      'depthwise_constraint',
      'pointwise_constraint',
      'bias_constraint',
      'activity_regularizer',
    ]) {
      expect(json.config).toHaveProperty(key);
    }
    expect(json.config).not.toHaveProperty('kernel_initializer');
    expect(registry.get('layer', 'SeparableConvolution2D')).toBe(SeparableConv2D);
  });

  it('fails early on bad arguments and inputs', () => {
    expect(() => new SeparableConv2D({ filters: 0, kernelSize: 3 })).toThrow(/Received filters=0/);
    expect(() => new SeparableConv2D({ filters: 1, kernelSize: 3, depthMultiplier: -1 })).toThrow(
      /Received depth_multiplier=-1/,
    );
    expect(() => new SeparableConv2D({ filters: 1, kernelSize: -3 })).toThrow(/Received kernel_size=-3/);
    const layer = new SeparableConv2D({ filters: 1, kernelSize: 3, name: 'sep' });
    const x = tf.zeros([5, 5, 2]);
    expect(() => layer.apply(x)).toThrow(/layer "sep" .*expected ndim=4, found ndim=3/);
    x.dispose();
  });
});
