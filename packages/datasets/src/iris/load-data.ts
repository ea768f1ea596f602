/** Fisher's iris flowers as tensors: a small tabular set for quick classification examples. */
import * as tf from '@tensorflow/tfjs-core';

import { IRIS_FEATURES } from './iris-data.js';

/** Column names of the features, as scikit-learn's `load_iris()` gives them. */
export const featureNames: readonly string[] = [
  'sepal length (cm)',
  'sepal width (cm)',
  'petal length (cm)',
  'petal width (cm)',
];

/** Species names; label `i` is `targetNames[i]`. */
export const targetNames: readonly string[] = ['setosa', 'versicolor', 'virginica'];

const SAMPLES = 150;
const PER_CLASS = 50;

/**
 * Loads the 150 iris flowers (Keras has no iris loader; this follows scikit-learn's `load_iris`).
 *
 * Returns `[x, y]`: `x` is a float32 tensor of shape [150, 4] (see `featureNames`), `y` an int32 tensor of
 * shape [150] with species 0, 1, 2 (see `targetNames`), sorted by species, 50 each: shuffle before a
 * validation split, which takes the last rows. The caller owns the tensors.
 */
export function loadData(): [tf.Tensor2D, tf.Tensor1D] {
  const labels = Int32Array.from({ length: SAMPLES }, (_, i) => Math.floor(i / PER_CLASS));
  return [
    tf.tensor2d(Float32Array.from(IRIS_FEATURES), [SAMPLES, featureNames.length], 'float32'),
    tf.tensor1d(labels, 'int32'),
  ];
}
