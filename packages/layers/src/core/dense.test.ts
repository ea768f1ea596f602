import { deserializeKerasObject, type Layer, serializeKerasObject } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';

import '../../test/register-gradients.js';
import '../index.js';
import { L2 } from '../regularizers/index.js';
import { Dense } from './dense.js';

afterEach(() => vi.restoreAllMocks());

describe('Dense', () => {
  it('passes the layer test', async () => {
    await runLayerTest(Dense, {
      initArgs: { units: 3, activation: 'relu' },
      inputShape: [2, 4],
      expectedOutputShape: [2, 3],
      expectedNumTrainableWeights: 2,
      expectedNumNonTrainableWeights: 0,
    });
    await runLayerTest(Dense, {
      initArgs: {
        units: 5,
        useBias: false,
        activation: 'tanh',
        kernelRegularizer: 'l2',
        activityRegularizer: 'l1',
      },
      inputShape: [2, 3, 4],
      expectedOutputShape: [2, 3, 5],
      expectedNumTrainableWeights: 1,
    });
  });

  it('computes activation(x @ kernel + bias) with its weights named kernel, bias', async () => {
    const layer = new Dense({
      units: 2,
      activation: 'sigmoid',
      kernelInitializer: 'ones',
      biasInitializer: {
        class_name: 'Constant',
        config: { value: 0.5 },
        module: null,
        registered_name: null,
      },
    });
    const x = tf.tensor2d([
      [1, 2, 3],
      [-1, 0, 1],
    ]);
    layer.build([null, 3]);
    const y = await expectNoLeakedTensors(() => layer.apply(x) as tf.Tensor);
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    expectTensorsClose(
      y,
      [
        [s(6.5), s(6.5)],
        [s(0.5), s(0.5)],
      ],
      { atol: 1e-6 },
    );
    expect(layer.weights.map((w) => w.name)).toEqual(['kernel', 'bias']);
    expect(layer.weights.map((w) => w.path)).toEqual([`${layer.name}/kernel`, `${layer.name}/bias`]);
    tf.dispose([x, y]);
    layer.dispose();
  });

  it('runs the matmul, bias and foldable activations through tf.fused.matMul', () => {
    const spy = vi.spyOn(tf.fused, 'matMul');
    for (const [activation, fused] of [
      ['relu', 'relu'],
      ['relu6', 'relu6'],
      ['elu', 'elu'],
      ['sigmoid', 'sigmoid'],
      ['leaky_relu', 'leakyrelu'],
      [null, 'linear'],
    ] as const) {
      spy.mockClear();
      const layer = new Dense({ units: 2, activation });
      tf.dispose(layer.apply(tf.ones([1, 3])));
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0][0].activation).toBe(fused);
      expect(spy.mock.calls[0][0].bias).toBeDefined();
      if (fused === 'leakyrelu') expect(spy.mock.calls[0][0].leakyreluAlpha).toBe(0.2);
      layer.dispose();
    }
    // An activation tfjs cannot fuse: matMul+bias fused, the activation applied after it.
    spy.mockClear();
    const layer = new Dense({ units: 2, activation: 'softmax' });
    const y = layer.apply(tf.ones([1, 3])) as tf.Tensor;
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0][0].activation).toBeUndefined();
    expectTensorsClose(tf.sum(y), 1, { atol: 1e-6 });
    layer.dispose();
  });

  it('rejects bad arguments at once, in Keras words', () => {
    expect(() => new Dense({ units: 0 })).toThrow('Received: units=0');
    expect(() => new Dense({ units: 1.5 })).toThrow('Received: units=1.5');
    expect(() => new Dense({ units: 2, activation: 'nope' })).toThrow(/Received: activation=nope/);
    expect(() => new Dense({ units: 2, kernelInitializer: 'nope' })).toThrow(/Unknown initializer: 'nope'/);
  });

  it('fails on a wrong last axis naming the layer and both shapes', () => {
    const layer = new Dense({ units: 2, name: 'dense_probe' });
    tf.dispose(layer.apply(tf.zeros([1, 4])));
    const bad = tf.zeros([3, 5]);
    expect(() => layer.apply(bad)).toThrow(
      'Input 0 of layer "dense_probe" is incompatible with the layer: expected axis -1 of input shape to have value 4, but received input with shape (3, 5)',
    );
    expect(() => new Dense({ units: 2, name: 'd1' }).apply(tf.zeros([3]))).toThrow(
      /expected min_ndim=2, found ndim=1/,
    );
    tf.dispose(bad);
    layer.dispose();
  });

  it('writes Keras 3 config keys and reads Keras JSON back', () => {
    const layer = new Dense({
      units: 4,
      activation: 'relu',
      kernelRegularizer: new L2({ l2: 0.1 }),
      name: 'dd',
    });
    const json = serializeKerasObject('layer', layer);
    expect(json.class_name).toBe('Dense');
    expect(Object.keys(json.config).sort()).toEqual(
      [
        'name',
        'trainable',
        'dtype',
        'units',
        'activation',
        'use_bias',
        'kernel_initializer',
        'bias_initializer',
        'kernel_regularizer',
        'bias_regularizer',
        'kernel_constraint',
        'bias_constraint',
      ].sort(),
    );
    expect(json.config.kernel_initializer).toEqual({
      module: 'keras.initializers',
      class_name: 'GlorotUniform',
      config: { seed: null, input_axes: null, output_axes: null },
      registered_name: null,
    });
    expect(json.config.kernel_regularizer).toEqual({
      module: 'keras.regularizers',
      class_name: 'L2',
      config: { l2: 0.1 },
      registered_name: null,
    });
    expect(json.config.activation).toBe('relu');
    // A config as Keras 3 writes it (from Python), including a Keras 2 leftover key.
    const keras = {
      module: 'keras.layers',
      class_name: 'Dense',
      registered_name: null,
      config: {
        name: 'dense_7',
        trainable: true,
        dtype: {
          module: 'keras',
          class_name: 'DTypePolicy',
          config: { name: 'float32' },
          registered_name: null,
        },
        units: 3,
        activation: 'softmax',
        use_bias: false,
        kernel_initializer: {
          module: 'keras.initializers',
          class_name: 'HeNormal',
          config: { seed: 7 },
          registered_name: null,
        },
        bias_initializer: {
          module: 'keras.initializers',
          class_name: 'Zeros',
          config: {},
          registered_name: null,
        },
        kernel_regularizer: null,
        bias_regularizer: null,
        kernel_constraint: {
          module: 'keras.constraints',
          class_name: 'MaxNorm',
          config: { max_value: 3, axis: 0 },
          registered_name: null,
        },
        bias_constraint: null,
        batch_input_shape: [null, 5],
      },
    };
    const rebuilt = deserializeKerasObject<Layer>('layer', keras) as Dense;
    expect(rebuilt.units).toBe(3);
    expect(rebuilt.useBias).toBe(false);
    expect(rebuilt.kernelInitializer.getConfig()).toEqual({ seed: 7, inputAxes: null, outputAxes: null });
    expect(rebuilt.kernelConstraint?.getConfig()).toEqual({ maxValue: 3, axis: 0 });
    expect(serializeKerasObject('layer', rebuilt).config.activation).toBe('softmax');
    layer.dispose();
  });

  it('adds kernel regularization to losses', () => {
    const layer = new Dense({ units: 2, kernelInitializer: 'ones', kernelRegularizer: new L2({ l2: 0.5 }) });
    tf.dispose(layer.apply(tf.zeros([1, 3])));
    const losses = layer.losses;
    expect(losses).toHaveLength(1);
    expectTensorsClose(losses[0], 0.5 * 6);
    tf.dispose(losses);
    layer.dispose();
  });
});
