import { runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../test/register-gradients.js';
import { Cropping1D } from './cropping1d.js';
import { Cropping2D } from './cropping2d.js';
import { Flatten } from './flatten.js';
import { Permute } from './permute.js';
import { RepeatVector } from './repeat-vector.js';
import { Reshape } from './reshape.js';
import { UpSampling1D } from './up-sampling1d.js';
import { UpSampling2D } from './up-sampling2d.js';
import { ZeroPadding1D } from './zero-padding1d.js';
import { ZeroPadding2D } from './zero-padding2d.js';

const range = (shape: number[]) =>
  tf.reshape(
    tf.range(
      0,
      shape.reduce((a, b) => a * b, 1),
    ),
    shape,
  );

describe('reshaping layers', () => {
  it('Flatten', async () => {
    await runLayerTest(Flatten, { initArgs: {}, inputShape: [2, 3, 4], expectedOutputShape: [2, 12] });
    // channels_first moves channels last before flattening: [1, 2(c), 2] -> [[0, 2, 1, 3]].
    await runLayerTest(Flatten, {
      initArgs: { dataFormat: 'channels_first' },
      inputShape: [1, 2, 2],
      inputData: range([1, 2, 2]),
      expectedOutputShape: [1, 4],
      expectedOutput: [[0, 2, 1, 3]],
    });
  });

  it('Reshape', async () => {
    await runLayerTest(Reshape, {
      initArgs: { targetShape: [3, 4] },
      inputShape: [2, 12],
      expectedOutputShape: [2, 3, 4],
    });
    await runLayerTest(Reshape, {
      initArgs: { targetShape: [-1, 2] },
      inputShape: [2, 3, 4],
      expectedOutputShape: [2, 6, 2],
    });
    expect(() => new Reshape({ targetShape: [-1, -1] })).toThrow('Received: target_shape=(-1, -1)');
    expect(() => new Reshape({ targetShape: [5], name: 'rs' }).apply(tf.zeros([2, 4]))).toThrow(
      /Layer "rs".*input_shape=\(4,\), target_shape=\(5,\)/,
    );
  });

  it('Permute', async () => {
    await runLayerTest(Permute, {
      initArgs: { dims: [2, 1] },
      inputShape: [1, 2, 3],
      inputData: range([1, 2, 3]),
      expectedOutputShape: [1, 3, 2],
      expectedOutput: tf.tensor([
        [
          [0, 3],
          [1, 4],
          [2, 5],
        ],
      ]),
    });
    expect(() => new Permute({ dims: [0, 1] })).toThrow('Received dims=[0,1]');
  });

  it('RepeatVector', async () => {
    await runLayerTest(RepeatVector, {
      initArgs: { n: 3 },
      inputShape: [1, 2],
      inputData: tf.tensor2d([[1, 2]]),
      expectedOutputShape: [1, 3, 2],
      expectedOutput: tf.tensor([
        [
          [1, 2],
          [1, 2],
          [1, 2],
        ],
      ]),
    });
  });

  it('ZeroPadding1D and Cropping1D', async () => {
    await runLayerTest(ZeroPadding1D, {
      initArgs: { padding: [1, 2] },
      inputShape: [1, 2, 1],
      inputData: tf.tensor3d([[[5], [6]]]),
      expectedOutputShape: [1, 5, 1],
      expectedOutput: tf.tensor([[[0], [5], [6], [0], [0]]]),
    });
    await runLayerTest(Cropping1D, {
      initArgs: { cropping: [1, 2] },
      inputShape: [1, 5, 1],
      inputData: range([1, 5, 1]),
      expectedOutputShape: [1, 2, 1],
      expectedOutput: tf.tensor([[[1], [2]]]),
    });
    expect(() => new Cropping1D({ cropping: [3, 3], name: 'c1' }).apply(tf.zeros([1, 5, 1]))).toThrow(
      /must be smaller than the input length/,
    );
    expect(() => new ZeroPadding1D({ padding: -1 })).toThrow('Received: padding=-1');
  });

  it('ZeroPadding2D and Cropping2D', async () => {
    await runLayerTest(ZeroPadding2D, {
      initArgs: {
        padding: [
          [1, 0],
          [0, 1],
        ],
      },
      inputShape: [1, 1, 1, 1],
      inputData: tf.ones([1, 1, 1, 1]),
      expectedOutputShape: [1, 2, 2, 1],
      expectedOutput: tf.tensor([
        [
          [[0], [0]],
          [[1], [0]],
        ],
      ]),
    });
    await runLayerTest(ZeroPadding2D, {
      initArgs: { padding: 2, dataFormat: 'channels_first' },
      inputShape: [2, 3, 4, 5],
      expectedOutputShape: [2, 3, 8, 9],
    });
    await runLayerTest(Cropping2D, {
      initArgs: {
        cropping: [
          [1, 0],
          [0, 1],
        ],
      },
      inputShape: [1, 2, 2, 1],
      inputData: range([1, 2, 2, 1]),
      expectedOutputShape: [1, 1, 1, 1],
      expectedOutput: tf.tensor([[[[2]]]]),
    });
    expect(() => new ZeroPadding2D({ padding: [[1], [2]] as never })).toThrow(
      /Received: padding=\[\[1\],\[2\]\]/,
    );
  });

  it('UpSampling1D and UpSampling2D', async () => {
    await runLayerTest(UpSampling1D, {
      initArgs: { size: 2 },
      inputShape: [1, 2, 1],
      inputData: tf.tensor3d([[[1], [2]]]),
      expectedOutputShape: [1, 4, 1],
      expectedOutput: tf.tensor([[[1], [1], [2], [2]]]),
    });
    await runLayerTest(UpSampling2D, {
      initArgs: { size: [2, 1] },
      inputShape: [1, 1, 2, 1],
      inputData: tf.tensor4d([[[[1], [2]]]]),
      expectedOutputShape: [1, 2, 2, 1],
      expectedOutput: tf.tensor([
        [
          [[1], [2]],
          [[1], [2]],
        ],
      ]),
    });
    // Bilinear with half-pixel centers: [1, 3] -> [1, 1.5, 2.5, 3].
    await runLayerTest(UpSampling2D, {
      initArgs: { size: [1, 2], interpolation: 'bilinear' },
      inputShape: [1, 1, 2, 1],
      inputData: tf.tensor4d([[[[1], [3]]]]),
      expectedOutputShape: [1, 1, 4, 1],
      expectedOutput: tf.tensor([[[[1], [1.5], [2.5], [3]]]]),
    });
    expect(() => new UpSampling2D({ interpolation: 'area' as 'nearest' })).toThrow(
      'Received: interpolation=area',
    );
  });
});
