import '../../test/register-gradients.js';
import { deserializeKerasObject, type Layer, registry, serializeKerasObject } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';

import '../index.js';
import { Conv2D } from './conv2d.js';
import { referenceConv2D, seededUniform } from './test-conv-reference.js';

afterEach(() => vi.restoreAllMocks());

const KERAS_CONV_KEYS = [
  'activation',
  'activity_regularizer',
  'bias_constraint',
  'bias_initializer',
  'bias_regularizer',
  'data_format',
  'dilation_rate',
  'dtype',
  'filters',
  'groups',
  'kernel_constraint',
  'kernel_initializer',
  'kernel_regularizer',
  'kernel_size',
  'name',
  'padding',
  'strides',
  'trainable',
  'use_bias',
];

/** Builds a Conv2D and sets its weights to seeded values. */
function convWithWeights(
  args: ConstructorParameters<typeof Conv2D>[0],
  inputShape: number[],
  seed: number,
): Conv2D {
  const layer = new Conv2D(args);
  layer.build(inputShape);
  const values = layer.weights.map((w, i) => seededUniform(w.shape, seed + i));
  layer.setWeights(values);
  tf.dispose(values);
  return layer;
}

describe('Conv2D', () => {
  it('passes the layer test for valid/same padding, strides, dilation, groups and channels_first', async () => {
    await runLayerTest(Conv2D, {
      initArgs: { filters: 3, kernelSize: 3 },
      inputShape: [2, 5, 5, 2],
      expectedOutputShape: [2, 3, 3, 3],
      expectedNumTrainableWeights: 2,
      expectedNumNonTrainableWeights: 0,
    });
    await runLayerTest(Conv2D, {
      initArgs: { filters: 4, kernelSize: [3, 2], strides: 2, padding: 'same', activation: 'relu' },
      inputShape: [2, 5, 6, 2],
      expectedOutputShape: [2, 3, 3, 4],
    });
    await runLayerTest(Conv2D, {
      initArgs: { filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same' },
      inputShape: [2, 6, 5, 2],
      expectedOutputShape: [2, 6, 5, 3],
    });
    await runLayerTest(Conv2D, {
      initArgs: { filters: 3, kernelSize: 3, dilationRate: [2, 1], activation: 'tanh', useBias: false },
      inputShape: [2, 7, 5, 2],
      expectedOutputShape: [2, 3, 3, 3],
      expectedNumTrainableWeights: 1,
    });
    await runLayerTest(Conv2D, {
      initArgs: { filters: 3, kernelSize: [2, 3], dataFormat: 'channels_first', strides: [1, 2] },
      inputShape: [2, 2, 5, 6],
      expectedOutputShape: [2, 3, 4, 2],
    });
    await runLayerTest(Conv2D, {
      initArgs: { filters: 6, kernelSize: 1, groups: 2, kernelRegularizer: 'l2', biasConstraint: 'non_neg' },
      inputShape: [2, 3, 3, 4],
      expectedOutputShape: [2, 3, 3, 6],
    });
  });

  it('computes the cross-correlation of the definition, in every padding/stride/dilation/format', async () => {
    const cases: { args: ConstructorParameters<typeof Conv2D>[0]; shape: number[] }[] = [
      { args: { filters: 2, kernelSize: 3 }, shape: [2, 5, 6, 3] },
      { args: { filters: 2, kernelSize: [3, 2], strides: [2, 3], padding: 'same' }, shape: [1, 7, 8, 2] },
      { args: { filters: 3, kernelSize: 2, strides: 2, padding: 'same' }, shape: [1, 6, 5, 2] },
      { args: { filters: 2, kernelSize: 3, dilationRate: 2, padding: 'same' }, shape: [1, 7, 6, 2] },
      { args: { filters: 2, kernelSize: [2, 3], dilationRate: [3, 2] }, shape: [2, 8, 9, 2] },
      { args: { filters: 4, kernelSize: 2, groups: 2, padding: 'SAME' }, shape: [1, 4, 4, 4] },
    ];
    for (const [n, { args, shape }] of cases.entries()) {
      const layer = convWithWeights(args, shape, 10 * n);
      const x = seededUniform(shape, 100 + n);
      const y = await expectNoLeakedTensors(() => layer.apply(x) as tf.Tensor);
      const expected = tf.tidy(() =>
        tf.add(
          referenceConv2D(x, layer.kernel!.value, {
            strides: layer.strides as [number, number],
            dilation: layer.dilationRate as [number, number],
            padding: layer.padding as 'valid' | 'same',
            groups: layer.groups,
          }),
          layer.bias!.value,
        ),
      );
      expectTensorsClose(y, expected, { atol: 1e-5 });
      tf.dispose([x, y, expected]);
      layer.dispose();
    }
  });

  it('reads channels_first input as the transpose of channels_last', async () => {
    const layer = convWithWeights(
      { filters: 3, kernelSize: 2, padding: 'same', dataFormat: 'channels_first' },
      [2, 2, 4, 5],
      1,
    );
    const xFirst = seededUniform([2, 2, 4, 5], 7);
    const y = await expectNoLeakedTensors(() => layer.apply(xFirst) as tf.Tensor);
    expect(y.shape).toEqual([2, 3, 4, 5]);
    const expected = tf.tidy(() =>
      tf.transpose(
        tf.add(
          referenceConv2D(tf.transpose(xFirst, [0, 2, 3, 1]), layer.kernel!.value, { padding: 'same' }),
          layer.bias!.value,
        ),
        [0, 3, 1, 2],
      ),
    );
    expectTensorsClose(y, expected, { atol: 1e-5 });
    tf.dispose([xFirst, y, expected]);
    layer.dispose();
  });

  it('differentiates dilated convolutions (which tfjs kernels cannot) like a convolution with a spread-out kernel', async () => {
    const layer = convWithWeights(
      { filters: 2, kernelSize: [2, 3], dilationRate: [2, 3], padding: 'same' },
      [2, 6, 7, 3],
      3,
    );
    const x = tf.variable(seededUniform([2, 6, 7, 3], 4));
    const r = seededUniform([2, 6, 7, 2], 5);
    const [value, gx, gk] = await expectNoLeakedTensors(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, r)) as tf.Scalar,
        [x, layer.kernel!.value],
      );
      return [value, grads[x.name], grads[layer.kernel!.value.name]];
    });
    // Reference: the kernel spread by hand into a (3, 7) kernel with zeros between taps, convolved undilated.
    const k = layer.kernel!.value.arraySync() as number[][][][];
    const spread = tf.buffer([3, 7, 3, 2]);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++)
        for (let c = 0; c < 3; c++) for (let o = 0; o < 2; o++) spread.set(k[i][j][c][o], 2 * i, 3 * j, c, o);
    const kSpread = tf.variable(spread.toTensor());
    const xRef = tf.variable(x.clone());
    const ref = tf.variableGrads(
      () =>
        tf.sum(
          tf.mul(
            tf.add(tf.conv2d(xRef as tf.Tensor4D, kSpread as tf.Tensor4D, 1, 'same'), layer.bias!.value),
            r,
          ),
        ) as tf.Scalar,
      [xRef, kSpread],
    );
    expectTensorsClose(gx, ref.grads[xRef.name], { atol: 1e-5 });
    const gSpread = ref.grads[kSpread.name].arraySync() as number[][][][];
    const gKernel = Array.from({ length: 2 }, (_, i) =>
      Array.from({ length: 3 }, (_, j) =>
        Array.from({ length: 3 }, (_, c) => [0, 1].map((o) => gSpread[2 * i][3 * j][c][o])),
      ),
    );
    expectTensorsClose(gk, gKernel, { atol: 1e-5 });
    tf.dispose([x, r, kSpread, xRef, ref.value, value, gx, gk]);
    tf.dispose(Object.values(ref.grads));
    layer.dispose();
  });

  it('runs convolution, bias and a foldable activation as one tf.fused.conv2d kernel', () => {
    const spy = vi.spyOn(tf.fused, 'conv2d');
    for (const [activation, fused] of [
      ['relu', 'relu'],
      ['relu6', 'relu6'],
      ['elu', 'elu'],
      ['sigmoid', 'sigmoid'],
      ['leaky_relu', 'leakyrelu'],
      [null, 'linear'],
      ['tanh', 'linear'],
    ] as const) {
      spy.mockClear();
      const layer = new Conv2D({ filters: 2, kernelSize: 2, activation });
      const x = tf.ones([1, 3, 3, 2]);
      tf.dispose(layer.apply(x));
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0][0].activation).toBe(fused);
      expect(spy.mock.calls[0][0].bias).toBeDefined();
      tf.dispose(x);
      layer.dispose();
    }
  });

  it('shows the fused kernel in tf.profile (no separate bias add or relu kernel)', async () => {
    const layer = new Conv2D({ filters: 2, kernelSize: 2, activation: 'relu' });
    const x = tf.ones([1, 3, 3, 2]);
    tf.dispose(layer.apply(x));
    const info = await tf.profile(() => layer.apply(x) as tf.Tensor);
    expect(info.kernelNames).toContain('FusedConv2D');
    expect(info.kernelNames).not.toContain('Conv2D');
    expect(info.kernelNames).not.toContain('Relu');
    expect(info.kernelNames).not.toContain('Add');
    tf.dispose(info.result as tf.Tensor);
    tf.dispose(x);
    layer.dispose();
  });

  it('adds an activity penalty on the output while training, and frees it on clearCallLosses', async () => {
    const layer = new Conv2D({ filters: 2, kernelSize: 1, activityRegularizer: 'l2', useBias: false });
    layer.build([null, 2, 2, 1]);
    const k = tf.tensor4d([[[[1, -2]]]]);
    layer.setWeights([k]);
    const x = tf.tensor4d([
      [
        [[1], [2]],
        [[3], [4]],
      ],
    ]);
    tf.dispose(layer.apply(x, { training: false }));
    expect(layer.losses).toHaveLength(0);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    // Keras's default l2 factor is 0.01; the output is x * 1 and x * -2, so the sum of squares is 5 * 30.
    expect(layer.losses).toHaveLength(1);
    expectTensorsClose(layer.losses[0], 0.01 * 5 * 30, { atol: 1e-5 });
    await expectNoLeakedTensors(() => layer.clearCallLosses(), -1);
    expect(layer.losses).toHaveLength(0);
    tf.dispose([k, x, y]);
    layer.dispose();
  });

  it('computes integer inputs in float32', () => {
    const layer = new Conv2D({ filters: 1, kernelSize: 1, kernelInitializer: 'ones' });
    const x = tf.tensor4d([[[[1, 2]]]], undefined, 'int32');
    const y = layer.apply(x) as tf.Tensor;
    expect(y.dtype).toBe('float32');
    expectTensorsClose(y, [[[[3]]]]);
    tf.dispose([x, y]);
    layer.dispose();
  });

  it('names and shapes its weights as Keras 3: kernel (kh, kw, in/groups, filters), bias (filters)', () => {
    const layer = new Conv2D({ filters: 6, kernelSize: [3, 2], groups: 3 });
    layer.build([null, 8, 8, 9]);
    expect(layer.weights.map((w) => [w.name, w.shape])).toEqual([
      ['kernel', [3, 2, 3, 6]],
      ['bias', [6]],
    ]);
    expect(layer.weights[0].path).toBe(`${layer.name}/kernel`);
    layer.dispose();
  });

  it("writes Keras 3's config keys and loads a config written by Keras 3", () => {
    const layer = new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', name: 'c' });
    const json = serializeKerasObject('layer', layer);
    expect(json.class_name).toBe('Conv2D');
    expect(json.module).toBe('keras.layers');
    expect(Object.keys(json.config).sort()).toEqual(KERAS_CONV_KEYS);
    expect(json.config).toMatchObject({
      kernel_size: [3, 3],
      strides: [1, 1],
      dilation_rate: [1, 1],
      padding: 'valid',
      data_format: 'channels_last',
      activation: 'relu',
      groups: 1,
      kernel_initializer: { class_name: 'GlorotUniform', module: 'keras.initializers' },
      bias_initializer: { class_name: 'Zeros' },
      kernel_regularizer: null,
    });

    // As Keras 3.x writes it in config.json.
    const fromKeras = {
      module: 'keras.layers',
      class_name: 'Conv2D',
      config: {
        name: 'conv2d_7',
        trainable: true,
        dtype: {
          module: 'keras',
          class_name: 'DTypePolicy',
          config: { name: 'float32' },
          registered_name: null,
        },
        filters: 32,
        kernel_size: [5, 3],
        strides: [2, 2],
        padding: 'same',
        data_format: 'channels_first',
        dilation_rate: [1, 1],
        groups: 1,
        activation: 'sigmoid',
        use_bias: false,
        kernel_initializer: {
          module: 'keras.initializers',
          class_name: 'HeNormal',
          config: { seed: null, input_axes: null, output_axes: null },
          registered_name: null,
        },
        bias_initializer: {
          module: 'keras.initializers',
          class_name: 'Zeros',
          config: {},
          registered_name: null,
        },
        kernel_regularizer: {
          module: 'keras.regularizers',
          class_name: 'L2',
          config: { l2: 0.01 },
          registered_name: null,
        },
        bias_regularizer: null,
        activity_regularizer: null,
        kernel_constraint: null,
        bias_constraint: null,
      },
      registered_name: null,
      build_config: { input_shape: [null, 3, 28, 28] },
    };
    const loaded = deserializeKerasObject<Layer>('layer', fromKeras) as Conv2D;
    expect(loaded).toBeInstanceOf(Conv2D);
    expect(loaded.name).toBe('conv2d_7');
    expect([
      loaded.filters,
      loaded.kernelSize,
      loaded.strides,
      loaded.padding,
      loaded.dataFormat,
      loaded.useBias,
    ]).toEqual([32, [5, 3], [2, 2], 'same', 'channels_first', false]);
    expect(loaded.activation).toBe(registry.get('activation', 'sigmoid'));
    expect(loaded.kernelInitializer.constructor.name).toBe('HeNormal');
    expect(loaded.kernelRegularizer?.getConfig()).toMatchObject({ l2: 0.01 });
    // And it round-trips back to the same Keras JSON.
    const again = serializeKerasObject('layer', loaded);
    expect(again.config).toEqual(fromKeras.config);
    layer.dispose();
  });

  it('is registered under its Keras class name and the Convolution2D alias', () => {
    expect(registry.get('layer', 'Conv2D')).toBe(Conv2D);
    expect(registry.get('layer', 'Convolution2D')).toBe(Conv2D);
  });

  it('fails at construction on bad arguments, in Keras words', () => {
    expect(() => new Conv2D({ filters: 2, kernelSize: -1 })).toThrow(
      /`kernel_size` argument must be a tuple of 2 integers. Received kernel_size=-1, including values \{-1\}/,
    );
    expect(() => new Conv2D({ filters: 2, kernelSize: [3, 0] })).toThrow(/Received kernel_size=\(3, 0\)/);
    expect(() => new Conv2D({ filters: 2, kernelSize: [3, 3, 3] })).toThrow(
      /tuple of 2 integers. Received kernel_size=\(3, 3, 3\)/,
    );
    expect(() => new Conv2D({ filters: 0, kernelSize: 3 })).toThrow(
      /Expected a strictly positive value. Received filters=0/,
    );
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, padding: 'full' })).toThrow(
      /`padding` argument must be one of \{"valid", "same"\}. Received: padding=full/,
    );
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, padding: 'causal' })).toThrow(
      /Received: padding=causal/,
    );
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, dataFormat: 'NHWC' })).toThrow(
      /Received: data_format=NHWC/,
    );
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 })).toThrow(
      /`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: strides=\(2, 2\) and dilation_rate=\(2, 2\)/,
    );
    expect(() => new Conv2D({ filters: 3, kernelSize: 3, groups: 2 })).toThrow(
      /Received: groups=2, filters=3/,
    );
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, activation: 'no_such_fn' })).toThrow(/no_such_fn/);
  });

  it('rejects inputs of the wrong rank or channel count, naming the layer and both shapes', () => {
    const layer = new Conv2D({ filters: 2, kernelSize: 3, name: 'my_conv' });
    const x3 = tf.zeros([2, 5, 5]);
    expect(() => layer.apply(x3)).toThrow(
      'Input 0 of layer "my_conv" is incompatible with the layer: expected ndim=4, found ndim=3. Full shape received: (2, 5, 5)',
    );
    expect(layer.built).toBe(false);
    const x = tf.zeros([1, 5, 5, 3]);
    tf.dispose(layer.apply(x));
    const other = tf.zeros([1, 5, 5, 4]);
    expect(() => layer.apply(other)).toThrow(
      'Input 0 of layer "my_conv" is incompatible with the layer: expected axis -1 of input shape to have value 3, but received input with shape (1, 5, 5, 4)',
    );
    const tooSmall = new Conv2D({ filters: 2, kernelSize: 4 });
    const small = tf.zeros([1, 3, 3, 1]);
    expect(() => tooSmall.apply(small)).toThrow(
      /Computed output size would be negative. Received inputs shape=\(1, 3, 3, 1\)/,
    );
    expect(tooSmall.weights).toHaveLength(0);
    const grouped = new Conv2D({ filters: 4, kernelSize: 1, groups: 2 });
    const odd = tf.zeros([1, 2, 2, 3]);
    expect(() => grouped.apply(odd)).toThrow(
      /divisible by the number of groups. Received groups=2, but the input has 3 channels/,
    );
    tf.dispose([x3, x, other, small, odd]);
    layer.dispose();
  });

  it('computes symbolic output shapes with unknown batch and spatial sizes', () => {
    const layer = new Conv2D({ filters: 5, kernelSize: 3, strides: 2 });
    expect(layer.computeOutputShape([null, null, 9, 2])).toEqual([null, null, 4, 5]);
    const first = new Conv2D({
      filters: 5,
      kernelSize: 3,
      padding: 'same',
      strides: 2,
      dataFormat: 'channels_first',
    });
    expect(first.computeOutputShape([null, 2, 9, null])).toEqual([null, 5, 5, null]);
  });
});
