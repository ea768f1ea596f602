import '../../test/register-gradients.js';
import { serializeKerasObject } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';

import '../index.js';
import { DepthwiseConv2D } from './depthwise-conv2d.js';
import { referenceDepthwiseConv2D, seededUniform } from './test-conv-reference.js';

afterEach(() => vi.restoreAllMocks());

describe('DepthwiseConv2D', () => {
  it('passes the layer test for valid/same padding, strides, dilation, multipliers and channels_first', async () => {
    await runLayerTest(DepthwiseConv2D, {
      initArgs: { kernelSize: 3 },
      inputShape: [2, 5, 5, 3],
      expectedOutputShape: [2, 3, 3, 3],
      expectedNumTrainableWeights: 2,
    });
    await runLayerTest(DepthwiseConv2D, {
      initArgs: { kernelSize: [3, 2], depthMultiplier: 2, strides: 2, padding: 'same', activation: 'relu' },
      inputShape: [2, 5, 6, 2],
      expectedOutputShape: [2, 3, 3, 4],
    });
    await runLayerTest(DepthwiseConv2D, {
      initArgs: { kernelSize: 2, dilationRate: 2, padding: 'same', activation: 'tanh' },
      inputShape: [2, 5, 5, 2],
      expectedOutputShape: [2, 5, 5, 2],
    });
    await runLayerTest(DepthwiseConv2D, {
      initArgs: { kernelSize: 2, depthMultiplier: 3, dataFormat: 'channels_first', useBias: false },
      inputShape: [2, 2, 4, 5],
      expectedOutputShape: [2, 6, 3, 4],
      expectedNumTrainableWeights: 1,
    });
  });

  it('convolves each channel with its own filters, as the definition says', async () => {
    const cases = [
      { args: { kernelSize: 3, depthMultiplier: 2 }, shape: [2, 5, 5, 3] },
      { args: { kernelSize: [2, 3], strides: [2, 1], padding: 'same' }, shape: [1, 5, 6, 2] },
      {
        args: { kernelSize: 3, dilationRate: [2, 1], padding: 'same', depthMultiplier: 2 },
        shape: [1, 6, 5, 2],
      },
      { args: { kernelSize: 2, dilationRate: 3 }, shape: [1, 7, 6, 2] },
    ] as const;
    for (const [n, { args, shape }] of cases.entries()) {
      const layer = new DepthwiseConv2D(args);
      layer.build([...shape]);
      const ws = layer.weights.map((w, i) => seededUniform(w.shape, 10 * n + i));
      layer.setWeights(ws);
      const x = seededUniform([...shape], 90 + n);
      const y = await expectNoLeakedTensors(() => layer.apply(x) as tf.Tensor);
      const expected = tf.tidy(() =>
        tf.add(
          referenceDepthwiseConv2D(x, ws[0], {
            strides: layer.strides as [number, number],
            dilation: layer.dilationRate as [number, number],
            padding: layer.padding,
          }),
          ws[1],
        ),
      );
      expectTensorsClose(y, expected, { atol: 1e-5 });
      tf.dispose([...ws, x, y, expected]);
      layer.dispose();
    }
  });

  it('runs on tf.fused.depthwiseConv2d with bias and activation folded in', () => {
    const spy = vi.spyOn(tf.fused, 'depthwiseConv2d');
    const layer = new DepthwiseConv2D({ kernelSize: 2, activation: 'relu6' });
    const x = tf.ones([1, 3, 3, 2]);
    tf.dispose(layer.apply(x));
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0][0].activation).toBe('relu6');
    expect(spy.mock.calls[0][0].bias).toBeDefined();
    tf.dispose(x);
    layer.dispose();
  });

  it('names its weights as Keras 3 does (keras/src/layers/convolutional/base_depthwise_conv.py): kernel, bias', () => {
    const layer = new DepthwiseConv2D({ kernelSize: [3, 2], depthMultiplier: 2 });
    layer.build([null, 6, 6, 5]);
    expect(layer.weights.map((w) => [w.name, w.shape])).toEqual([
      ['kernel', [3, 2, 5, 2]],
      ['bias', [10]],
    ]);
    layer.dispose();
  });

  it("writes Keras's config keys", () => {
    const json = serializeKerasObject('layer', new DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 2 }));
    expect(Object.keys(json.config).sort()).toEqual(
      [
        'activation',
        'activity_regularizer',
        'bias_constraint',
        'bias_initializer',
        'bias_regularizer',
        'data_format',
        'depth_multiplier',
        'depthwise_constraint',
        'depthwise_initializer',
        'depthwise_regularizer',
        'dilation_rate',
        'dtype',
        'kernel_size',
        'name',
        'padding',
        'strides',
        'trainable',
        'use_bias',
      ].sort(),
    );
    expect(json.config).toMatchObject({ depth_multiplier: 2, kernel_size: [3, 3] });
  });

  it('fails early on bad arguments and inputs', () => {
    expect(() => new DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 0 })).toThrow(
      /Received depth_multiplier=0/,
    );
    expect(() => new DepthwiseConv2D({ kernelSize: 0 })).toThrow(/Received kernel_size=0/);
    expect(() => new DepthwiseConv2D({ kernelSize: 3, padding: 'reflect' })).toThrow(
      /Received: padding=reflect/,
    );
    const layer = new DepthwiseConv2D({ kernelSize: 3, name: 'dw' });
    const x = tf.zeros([5, 5, 2]);
    expect(() => layer.apply(x)).toThrow(/layer "dw" .*expected ndim=4, found ndim=3/);
    x.dispose();
    expect(layer.computeOutputShape([null, 8, null, 3])).toEqual([null, 6, null, 3]);
    expect(layer.computeOutputShape([null, 8, 8, null])).toEqual([null, 6, 6, null]);
  });
});
