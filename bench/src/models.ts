/**
 * The two benchmark models, built the same way in Strata and in tfjs-layers. Layer order, weight
 * order (kernel, then bias, per layer) and hyper-parameters match, so one list of initial weights
 * fits both.
 */
import { Sequential } from '@strata/core';
import { Conv2D, Dense, Dropout, Flatten, MaxPooling2D } from '@strata/layers';
import '@strata/losses-metrics';
import { Adam } from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import type * as tflTypes from '@tensorflow/tfjs-layers';

import type { ModelKind } from './data.js';

export function buildStrata(kind: ModelKind): Sequential {
  const layers =
    kind === 'mlp'
      ? [
          new Flatten({ inputShape: [28, 28] }),
          new Dense({ units: 512, activation: 'relu' }),
          new Dropout({ rate: 0.2 }),
          new Dense({ units: 10, activation: 'softmax' }),
        ]
      : [
          new Conv2D({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
          new MaxPooling2D({ poolSize: 2 }),
          new Conv2D({ filters: 64, kernelSize: 3, activation: 'relu' }),
          new MaxPooling2D({ poolSize: 2 }),
          new Flatten(),
          new Dropout({ rate: 0.5 }),
          new Dense({ units: 10, activation: 'softmax' }),
        ];
  const model = new Sequential(layers);
  model.compile({
    optimizer: new Adam({ learningRate: 1e-3 }),
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
  });
  return model;
}

export function buildTfl(tfl: typeof tflTypes, kind: ModelKind): tflTypes.Sequential {
  const L = tfl.layers;
  const layers =
    kind === 'mlp'
      ? [
          L.flatten({ inputShape: [28, 28] }),
          L.dense({ units: 512, activation: 'relu' }),
          L.dropout({ rate: 0.2 }),
          L.dense({ units: 10, activation: 'softmax' }),
        ]
      : [
          L.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
          L.maxPooling2d({ poolSize: 2 }),
          L.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
          L.maxPooling2d({ poolSize: 2 }),
          L.flatten(),
          L.dropout({ rate: 0.5 }),
          L.dense({ units: 10, activation: 'softmax' }),
        ];
  const model = tfl.sequential({ layers });
  // Keras's Adam defaults (learning rate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7).
  model.compile({
    optimizer: tf.train.adam(1e-3, 0.9, 0.999, 1e-7),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['acc'],
  });
  return model;
}
