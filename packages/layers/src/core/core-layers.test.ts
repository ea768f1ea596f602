import { expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../test/register-gradients.js';
import { Activation } from './activation.js';
import { Embedding } from './embedding.js';
import { Identity } from './identity.js';
import { Masking } from './masking.js';

describe('Activation', () => {
  it('passes the layer test and applies the activation', async () => {
    await runLayerTest(Activation, {
      initArgs: { activation: 'relu' },
      inputShape: [2, 3],
      expectedOutputShape: [2, 3],
      inputData: tf.tensor2d([
        [-1, 0, 2],
        [3, -4, 5],
      ]),
      expectedOutput: [
        [0, 0, 2],
        [3, 0, 5],
      ],
      expectedNumTrainableWeights: 0,
    });
    await runLayerTest(Activation, {
      initArgs: { activation: 'linear' },
      inputShape: [2, 3],
      expectedOutputShape: [2, 3],
    });
  });
  it('rejects unknown activations', () => {
    expect(() => new Activation({ activation: 'relu9' })).toThrow('Received: activation=relu9');
  });
});

describe('Embedding', () => {
  it('passes the layer test', async () => {
    await runLayerTest(Embedding, {
      initArgs: { inputDim: 5, outputDim: 3 },
      inputShape: [2, 4],
      inputDtype: 'int32',
      expectedOutputShape: [2, 4, 3],
      expectedNumTrainableWeights: 1,
    });
  });
  it('looks up rows of its embeddings and masks zeros when asked', () => {
    const layer = new Embedding({ inputDim: 3, outputDim: 2, maskZero: true });
    layer.build([null, 2]);
    layer.setWeights([
      tf.tensor2d([
        [0, 0],
        [1, 2],
        [3, 4],
      ]),
    ]);
    expect(layer.weights.map((w) => w.name)).toEqual(['embeddings']);
    const x = tf.tensor2d(
      [
        [2, 0],
        [1, 1],
      ],
      undefined,
      'int32',
    );
    expectTensorsClose(layer.apply(x) as tf.Tensor, [
      [
        [3, 4],
        [0, 0],
      ],
      [
        [1, 2],
        [1, 2],
      ],
    ]);
    expect(Array.from((layer.computeMask(x) as tf.Tensor).dataSync())).toEqual([1, 0, 1, 1]);
  });
  it('rejects non-positive dimensions', () => {
    expect(() => new Embedding({ inputDim: 0, outputDim: 2 })).toThrow('Received: input_dim=0');
    expect(() => new Embedding({ inputDim: 3, outputDim: -1 })).toThrow('Received: output_dim=-1');
  });
});

describe('Identity', () => {
  it('passes the layer test', async () => {
    const x = tf.tensor2d([[1, 2]]);
    await runLayerTest(Identity, {
      initArgs: {},
      inputShape: [1, 2],
      inputData: x,
      expectedOutputShape: [1, 2],
      expectedOutput: [[1, 2]],
    });
  });
});

describe('Masking', () => {
  it('passes the layer test, zeroing masked timesteps', async () => {
    const x = tf.tensor3d([
      [
        [1, 2],
        [0, 0],
        [0, 3],
      ],
    ]);
    await runLayerTest(Masking, {
      initArgs: { maskValue: 0 },
      inputShape: [1, 3, 2],
      inputData: x,
      expectedOutputShape: [1, 3, 2],
      expectedOutput: tf.tensor3d([
        [
          [1, 2],
          [0, 0],
          [0, 3],
        ],
      ]),
    });
    const layer = new Masking({ maskValue: 1 });
    const y = tf.tensor3d([
      [
        [1, 1],
        [1, 2],
      ],
    ]);
    expectTensorsClose(layer.apply(y) as tf.Tensor, [
      [
        [0, 0],
        [1, 2],
      ],
    ]);
    expect(Array.from((layer.computeMask(y) as tf.Tensor).dataSync())).toEqual([0, 1]);
    // The gradient passes through kept timesteps only.
    const g = tf.grad((v: tf.Tensor) => tf.sum(layer.apply(v) as tf.Tensor))(y);
    expectTensorsClose(
      g,
      tf.tensor3d([
        [
          [0, 0],
          [1, 1],
        ],
      ]),
    );
  });
});
