/*
 * Parity with @tensorflow/tfjs-layers: from the same weights, each of our convolution and pooling layers
 * gives the tfjs-layers output and the same gradients with respect to the input and every weight.
 * tfjs cannot differentiate dilated convolutions, so dilated cases compare outputs only (their gradients
 * are checked against a spread-kernel reference in conv2d.test.ts).
 */
import './register-gradients.js';
import type { Layer } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, it } from 'vitest';

import {
  AveragePooling1D,
  AveragePooling2D,
  Conv1D,
  Conv2D,
  Conv2DTranspose,
  DepthwiseConv2D,
  GlobalAveragePooling1D,
  GlobalAveragePooling2D,
  GlobalMaxPooling1D,
  GlobalMaxPooling2D,
  MaxPooling1D,
  MaxPooling2D,
  SeparableConv2D,
} from '../src/index.js';

const ATOL = 1e-5;

interface ParityCase {
  name: string;
  ours: () => Layer;
  theirs: () => tfl.layers.Layer;
  inputShape: number[];
  /** Compare gradients too (default true). */
  grads?: boolean;
}

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

async function expectParity(c: ParityCase, seed: number): Promise<void> {
  await expectNoLeakedTensors(() => {
    const ours = c.ours();
    const theirs = c.theirs();
    const x0 = seeded(c.inputShape, seed);
    const x = tf.variable(x0);
    x0.dispose();
    const yOurs = ours.apply(x) as tf.Tensor;
    tf.dispose(theirs.apply(x) as tf.Tensor);
    const weights = ours.getWeights();
    // Random biases, so that a bias mix-up cannot hide behind zeros.
    const values = weights.map((w, i) => (w.rank === 1 ? seeded(w.shape, seed + 100 + i) : w.clone()));
    ours.setWeights(values);
    theirs.setWeights(values);
    tf.dispose([...weights, ...values, yOurs]);

    const a = ours.apply(x) as tf.Tensor;
    const b = theirs.apply(x) as tf.Tensor;
    try {
      expectTensorsClose(a, b, { atol: ATOL });
    } catch (e) {
      throw new Error(`${c.name}: outputs differ. ${(e as Error).message}`);
    }
    if (c.grads ?? true) {
      const r = seeded(a.shape, seed + 7);
      const ourVars = [x, ...ours.trainableWeights.map((w) => w.value)];
      const theirVars = [x, ...theirs.trainableWeights.map((w) => w.read() as tf.Variable)];
      const g1 = tf.variableGrads(() => tf.sum(tf.mul(ours.apply(x) as tf.Tensor, r)) as tf.Scalar, ourVars);
      const g2 = tf.variableGrads(
        () => tf.sum(tf.mul(theirs.apply(x) as tf.Tensor, r)) as tf.Scalar,
        theirVars,
      );
      ourVars.forEach((v, i) => {
        try {
          expectTensorsClose(g1.grads[v.name], g2.grads[theirVars[i].name], { atol: ATOL, rtol: ATOL });
        } catch (e) {
          const what = i === 0 ? 'the input' : `weight '${ours.trainableWeights[i - 1].name}'`;
          throw new Error(`${c.name}: gradients with respect to ${what} differ. ${(e as Error).message}`);
        }
      });
      tf.dispose([r, g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads)]);
    }
    tf.dispose([a, b, x]);
    ours.dispose();
    theirs.dispose();
  });
}

async function runCases(cases: ParityCase[]): Promise<void> {
  for (const [i, c] of cases.entries()) await expectParity(c, 1000 * (i + 1));
}

describe('parity with @tensorflow/tfjs-layers', () => {
  it('Conv2D', async () => {
    await runCases([
      {
        name: 'valid',
        ours: () => new Conv2D({ filters: 3, kernelSize: 3 }),
        theirs: () => tfl.layers.conv2d({ filters: 3, kernelSize: 3 }),
        inputShape: [2, 6, 5, 2],
      },
      {
        name: 'same, strides 2, relu',
        ours: () =>
          new Conv2D({ filters: 4, kernelSize: [3, 2], strides: 2, padding: 'same', activation: 'relu' }),
        theirs: () =>
          tfl.layers.conv2d({
            filters: 4,
            kernelSize: [3, 2],
            strides: 2,
            padding: 'same',
            activation: 'relu',
          }),
        inputShape: [2, 7, 6, 3],
      },
      {
        name: 'channels_first, sigmoid',
        ours: () =>
          new Conv2D({ filters: 2, kernelSize: 2, dataFormat: 'channels_first', activation: 'sigmoid' }),
        theirs: () =>
          tfl.layers.conv2d({
            filters: 2,
            kernelSize: 2,
            dataFormat: 'channelsFirst',
            activation: 'sigmoid',
          }),
        inputShape: [2, 3, 5, 4],
      },
      {
        name: 'no bias, tanh',
        ours: () => new Conv2D({ filters: 2, kernelSize: 2, useBias: false, activation: 'tanh' }),
        theirs: () => tfl.layers.conv2d({ filters: 2, kernelSize: 2, useBias: false, activation: 'tanh' }),
        inputShape: [1, 4, 4, 2],
      },
      {
        name: 'dilated, same',
        ours: () => new Conv2D({ filters: 2, kernelSize: 3, dilationRate: [2, 3], padding: 'same' }),
        theirs: () => tfl.layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: [2, 3], padding: 'same' }),
        inputShape: [2, 7, 8, 2],
        grads: false,
      },
    ]);
  });

  it('Conv1D', async () => {
    await runCases([
      {
        name: 'valid',
        ours: () => new Conv1D({ filters: 3, kernelSize: 3 }),
        theirs: () => tfl.layers.conv1d({ filters: 3, kernelSize: 3 }),
        inputShape: [2, 7, 2],
      },
      {
        name: 'same, strides 2, relu',
        ours: () =>
          new Conv1D({ filters: 2, kernelSize: 2, strides: 2, padding: 'same', activation: 'relu' }),
        theirs: () =>
          tfl.layers.conv1d({ filters: 2, kernelSize: 2, strides: 2, padding: 'same', activation: 'relu' }),
        inputShape: [2, 7, 3],
      },
      // tfjs-layers has no causal Conv1D; conv1d.test.ts checks causal padding by hand.
      {
        name: 'dilated',
        ours: () => new Conv1D({ filters: 2, kernelSize: 3, dilationRate: 2 }),
        theirs: () => tfl.layers.conv1d({ filters: 2, kernelSize: 3, dilationRate: 2 }),
        inputShape: [2, 9, 2],
        grads: false,
      },
    ]);
  });

  it('Conv2DTranspose', async () => {
    await runCases([
      {
        name: 'valid',
        ours: () => new Conv2DTranspose({ filters: 3, kernelSize: 3 }),
        theirs: () => tfl.layers.conv2dTranspose({ filters: 3, kernelSize: 3 }),
        inputShape: [2, 3, 4, 2],
      },
      {
        name: 'same, strides 2, relu',
        ours: () =>
          new Conv2DTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
        theirs: () =>
          tfl.layers.conv2dTranspose({
            filters: 2,
            kernelSize: 3,
            strides: 2,
            padding: 'same',
            activation: 'relu',
          }),
        inputShape: [2, 3, 3, 2],
      },
      {
        name: 'valid, strides (2, 3)',
        ours: () => new Conv2DTranspose({ filters: 2, kernelSize: [3, 2], strides: [2, 3] }),
        theirs: () => tfl.layers.conv2dTranspose({ filters: 2, kernelSize: [3, 2], strides: [2, 3] }),
        inputShape: [1, 3, 3, 2],
      },
    ]);
  });

  it('DepthwiseConv2D', async () => {
    await runCases([
      {
        name: 'valid, multiplier 2',
        ours: () => new DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 2 }),
        theirs: () => tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }),
        inputShape: [2, 5, 5, 3],
      },
      {
        name: 'same, strides 2, relu',
        ours: () =>
          new DepthwiseConv2D({ kernelSize: [2, 3], strides: 2, padding: 'same', activation: 'relu' }),
        theirs: () =>
          tfl.layers.depthwiseConv2d({ kernelSize: [2, 3], strides: 2, padding: 'same', activation: 'relu' }),
        inputShape: [2, 6, 5, 2],
      },
      // tfjs-layers' DepthwiseConv2D ignores dilationRate (it passes null to the op), so dilated
      // depthwise outputs are checked against the plain-loop reference in depthwise-conv2d.test.ts.
    ]);
  });

  it('SeparableConv2D', async () => {
    await runCases([
      {
        name: 'valid, multiplier 2',
        ours: () => new SeparableConv2D({ filters: 3, kernelSize: 3, depthMultiplier: 2 }),
        theirs: () => tfl.layers.separableConv2d({ filters: 3, kernelSize: 3, depthMultiplier: 2 }),
        inputShape: [2, 5, 5, 2],
      },
      {
        name: 'same, strides 2, relu',
        ours: () =>
          new SeparableConv2D({ filters: 2, kernelSize: 2, strides: 2, padding: 'same', activation: 'relu' }),
        theirs: () =>
          tfl.layers.separableConv2d({
            filters: 2,
            kernelSize: 2,
            strides: 2,
            padding: 'same',
            activation: 'relu',
          }),
        inputShape: [2, 5, 6, 3],
      },
      {
        name: 'dilated',
        ours: () => new SeparableConv2D({ filters: 2, kernelSize: 2, dilationRate: 2 }),
        theirs: () => tfl.layers.separableConv2d({ filters: 2, kernelSize: 2, dilationRate: 2 }),
        inputShape: [1, 5, 5, 2],
        grads: false,
      },
    ]);
  });

  it('pooling', async () => {
    await runCases([
      {
        name: 'MaxPooling2D valid',
        ours: () => new MaxPooling2D({ poolSize: 2 }),
        theirs: () => tfl.layers.maxPooling2d({ poolSize: 2 }),
        inputShape: [2, 5, 6, 3],
      },
      {
        name: 'MaxPooling2D same, strides 1, channels_first',
        ours: () =>
          new MaxPooling2D({ poolSize: [3, 2], strides: 1, padding: 'same', dataFormat: 'channels_first' }),
        theirs: () =>
          tfl.layers.maxPooling2d({
            poolSize: [3, 2],
            strides: 1,
            padding: 'same',
            dataFormat: 'channelsFirst',
          }),
        inputShape: [2, 3, 5, 4],
      },
      {
        name: 'AveragePooling2D same, strides 2',
        ours: () => new AveragePooling2D({ poolSize: 3, strides: 2, padding: 'same' }),
        theirs: () => tfl.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
        inputShape: [2, 7, 6, 2],
        // Outputs only: tfjs's AvgPool gradient divides border windows by the full window size; ours divides
        // by the count of real values, as Keras 3 (checked against Keras in strata's test/conformance).
        grads: false,
      },
      {
        name: 'MaxPooling1D same',
        ours: () => new MaxPooling1D({ poolSize: 3, strides: 2, padding: 'same' }),
        theirs: () => tfl.layers.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same' }),
        inputShape: [2, 7, 3],
      },
      {
        name: 'AveragePooling1D valid',
        ours: () => new AveragePooling1D({ poolSize: 2 }),
        theirs: () => tfl.layers.averagePooling1d({ poolSize: 2 }),
        inputShape: [2, 7, 3],
      },
      {
        name: 'GlobalMaxPooling2D',
        ours: () => new GlobalMaxPooling2D(),
        theirs: () => tfl.layers.globalMaxPooling2d({}),
        inputShape: [2, 4, 5, 3],
      },
      {
        name: 'GlobalAveragePooling2D channels_first',
        ours: () => new GlobalAveragePooling2D({ dataFormat: 'channels_first' }),
        theirs: () => tfl.layers.globalAveragePooling2d({ dataFormat: 'channelsFirst' }),
        inputShape: [2, 3, 4, 5],
      },
      {
        name: 'GlobalMaxPooling1D',
        ours: () => new GlobalMaxPooling1D(),
        theirs: () => tfl.layers.globalMaxPooling1d({}),
        inputShape: [2, 5, 3],
      },
      {
        name: 'GlobalAveragePooling1D',
        ours: () => new GlobalAveragePooling1D(),
        theirs: () => tfl.layers.globalAveragePooling1d({}),
        inputShape: [2, 5, 3],
      },
    ]);
  });
});
