import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, it } from 'vitest';

import {
  Activation,
  Add,
  Average,
  BatchNormalization,
  Concatenate,
  Cropping2D,
  Dense,
  Dot,
  Dropout,
  Embedding,
  Flatten,
  GaussianDropout,
  GaussianNoise,
  LayerNormalization,
  Masking,
  Maximum,
  Minimum,
  Multiply,
  Permute,
  RepeatVector,
  Reshape,
  SpatialDropout1D,
  UpSampling2D,
  ZeroPadding2D,
} from '../src/index.js';
import { expectParity } from './parity-helpers.js';

// Activations tfjs-layers spells the same and computes with Keras 3's formula (its hardSigmoid is Keras 2's).
const SHARED_ACTIVATIONS: [string, string][] = [
  ['linear', 'linear'],
  ['relu', 'relu'],
  ['relu6', 'relu6'],
  ['elu', 'elu'],
  ['selu', 'selu'],
  ['sigmoid', 'sigmoid'],
  ['tanh', 'tanh'],
  ['softmax', 'softmax'],
  ['log_softmax', 'logSoftmax'],
  ['softplus', 'softplus'],
  ['softsign', 'softsign'],
  ['swish', 'swish'],
  ['mish', 'mish'],
  ['gelu', 'gelu'],
];

type TflActivation = Parameters<typeof tfl.layers.dense>[0]['activation'];

describe('parity with @tensorflow/tfjs-layers', () => {
  describe('Dense', () => {
    for (const [ours, theirs] of SHARED_ACTIVATIONS) {
      it(`activation ${ours}`, async () => {
        await expectParity(
          new Dense({ units: 4, activation: ours, biasInitializer: 'random_normal' }),
          tfl.layers.dense({ units: 4, activation: theirs as TflActivation }),
          [3, 5],
        );
      });
    }
    it('on a rank-3 input, without bias', async () => {
      await expectParity(
        new Dense({ units: 3, useBias: false }),
        tfl.layers.dense({ units: 3, useBias: false }),
        [2, 4, 5],
      );
    });
  });

  it('Activation', async () => {
    for (const [ours, theirs] of SHARED_ACTIVATIONS) {
      await expectParity(
        new Activation({ activation: ours }),
        tfl.layers.activation({ activation: theirs as 'relu' }),
        [3, 4],
      );
    }
  });

  it('Embedding', async () => {
    const indices = tf.tensor2d(
      [
        [0, 3, 1],
        [2, 2, 4],
      ],
      undefined,
      'int32',
    );
    await expectParity(
      new Embedding({ inputDim: 5, outputDim: 3 }),
      tfl.layers.embedding({ inputDim: 5, outputDim: 3 }),
      [2, 3],
      {
        inputs: indices,
        inputGradients: false,
      },
    );
    indices.dispose();
  });

  it('BatchNormalization, inference and training', async () => {
    // Last axis only: for other axes tfjs-layers broadcasts its statistics incorrectly (its outputs differ
    // from the formula), so that case is checked against hand-computed values in normalization.test.ts.
    for (const training of [false, true]) {
      await expectParity(
        new BatchNormalization({
          gammaInitializer: 'random_uniform',
          betaInitializer: 'random_normal',
          movingMeanInitializer: 'random_normal',
        }),
        tfl.layers.batchNormalization({}),
        [6, 3],
        { training },
      );
    }
  });

  it('LayerNormalization', async () => {
    await expectParity(
      new LayerNormalization({ gammaInitializer: 'random_uniform', betaInitializer: 'random_normal' }),
      tfl.layers.layerNormalization({}),
      [3, 5],
    );
  });

  it('reshaping and core layers', async () => {
    await expectParity(new Flatten(), tfl.layers.flatten(), [2, 3, 4]);
    await expectParity(
      new Reshape({ targetShape: [2, -1] }),
      tfl.layers.reshape({ targetShape: [2, -1] }),
      [2, 3, 4],
    );
    await expectParity(
      new Permute({ dims: [2, 1, 3] }),
      tfl.layers.permute({ dims: [2, 1, 3] }),
      [2, 3, 4, 5],
    );
    await expectParity(new RepeatVector({ n: 3 }), tfl.layers.repeatVector({ n: 3 }), [2, 4]);
    await expectParity(
      new ZeroPadding2D({
        padding: [
          [1, 2],
          [0, 1],
        ],
      }),
      tfl.layers.zeroPadding2d({
        padding: [
          [1, 2],
          [0, 1],
        ],
      }),
      [2, 3, 3, 2],
    );
    await expectParity(
      new Cropping2D({
        cropping: [
          [1, 0],
          [1, 1],
        ],
      }),
      tfl.layers.cropping2D({
        cropping: [
          [1, 0],
          [1, 1],
        ],
      }),
      [2, 4, 4, 2],
    );
    await expectParity(
      new UpSampling2D({ size: [2, 3] }),
      tfl.layers.upSampling2d({ size: [2, 3] }),
      [2, 2, 3, 2],
      // Outputs only: tfjs's ResizeNearestNeighborGrad, which tfjs-layers uses, sums some rows wrongly; ours
      // matches Keras 3's gradient (test/conformance in the strata package).
      { inputGradients: false },
    );
    const masked = tf.tensor3d([
      [
        [0, 0],
        [1, 2],
      ],
      [
        [3, 0],
        [0, 0],
      ],
    ]);
    // Outputs only: tfjs-layers' Masking has no gradient (tfjs lacks one for `any`); ours is tested in core-layers.test.ts.
    await expectParity(new Masking(), tfl.layers.masking({}), [2, 2, 2], {
      inputs: masked,
      inputGradients: false,
    });
    masked.dispose();
  });

  it('regularization layers at inference', async () => {
    await expectParity(new Dropout({ rate: 0.5 }), tfl.layers.dropout({ rate: 0.5 }), [3, 4]);
    await expectParity(
      new SpatialDropout1D({ rate: 0.5 }),
      tfl.layers.spatialDropout1d({ rate: 0.5 }),
      [2, 3, 4],
    );
    await expectParity(new GaussianNoise({ stddev: 0.5 }), tfl.layers.gaussianNoise({ stddev: 0.5 }), [3, 4]);
    await expectParity(new GaussianDropout({ rate: 0.5 }), tfl.layers.gaussianDropout({ rate: 0.5 }), [3, 4]);
  });

  it('merging layers', async () => {
    const shapes = [
      [2, 3, 4],
      [2, 3, 4],
    ];
    await expectParity(new Add(), tfl.layers.add({}), shapes);
    await expectParity(new Multiply(), tfl.layers.multiply({}), shapes);
    await expectParity(new Average(), tfl.layers.average({}), shapes);
    await expectParity(new Maximum(), tfl.layers.maximum({}), shapes);
    await expectParity(new Minimum(), tfl.layers.minimum({}), shapes);
    await expectParity(new Concatenate({ axis: 1 }), tfl.layers.concatenate({ axis: 1 }), [
      [2, 3, 4],
      [2, 5, 4],
    ]);
    await expectParity(new Dot({ axes: 1 }), tfl.layers.dot({ axes: 1 }), [
      [3, 4],
      [3, 4],
    ]);
    await expectParity(new Dot({ axes: [1, 2] }), tfl.layers.dot({ axes: [1, 2] }), [
      [2, 3, 4],
      [2, 5, 3],
    ]);
    await expectParity(
      new Dot({ axes: -1, normalize: true }),
      tfl.layers.dot({ axes: -1, normalize: true }),
      [
        [3, 4],
        [3, 4],
      ],
    );
  });
});
