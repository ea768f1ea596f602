/** The two models the demo trains, as Keras's MNIST examples build them. */
import { InputLayer, Sequential } from '@strata/core';
import { Conv2D, Dense, Dropout, Flatten, MaxPooling2D } from '@strata/layers';
import * as tf from '@tensorflow/tfjs-core';

import type { ModelKind } from './cli-args.js';

/**
 * Keras's "Simple MNIST convnet" (keras.io/examples/vision/mnist_convnet): two 3x3 convolutions with
 * max pooling, then dropout and a softmax classifier; about 35k parameters.
 */
export function mnistConvnet(): Sequential {
  return new Sequential({
    name: 'mnist_convnet',
    layers: [
      new InputLayer({ shape: [28, 28, 1] }),
      new Conv2D({ filters: 32, kernelSize: [3, 3], activation: 'relu' }),
      new MaxPooling2D({ poolSize: [2, 2] }),
      new Conv2D({ filters: 64, kernelSize: [3, 3], activation: 'relu' }),
      new MaxPooling2D({ poolSize: [2, 2] }),
      new Flatten(),
      new Dropout({ rate: 0.5 }),
      new Dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

/** A perceptron on the flattened 784 pixels, as in Keras's classic mnist_mlp example. */
export function mnistMlp(): Sequential {
  return new Sequential({
    name: 'mnist_mlp',
    layers: [
      new InputLayer({ shape: [784] }),
      new Dense({ units: 512, activation: 'relu' }),
      new Dropout({ rate: 0.2 }),
      new Dense({ units: 512, activation: 'relu' }),
      new Dropout({ rate: 0.2 }),
      new Dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

/** The input shape each model expects for one image: a channel axis for the convnet, flat for the MLP. */
export const IMAGE_SHAPE: Record<ModelKind, number[]> = { cnn: [28, 28, 1], mlp: [784] };

export function buildModel(kind: ModelKind): Sequential {
  return kind === 'cnn' ? mnistConvnet() : mnistMlp();
}

/**
 * The first `count` images (default all) as [0, 1] floats in a model's input shape (`shape`, without the
 * batch axis), as Keras's example does with `x / 255`.
 */
export function prepareImages(x: tf.Tensor, shape: readonly number[], count = x.shape[0]): tf.Tensor {
  return tf.tidy(() => tf.reshape(tf.div(tf.cast(tf.slice(x, 0, count), 'float32'), 255), [-1, ...shape]));
}
