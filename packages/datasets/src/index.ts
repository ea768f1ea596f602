/**
 * @strata/datasets: data sets for examples and tests, offline. `mnist.loadData()` works like Keras's
 * `keras.datasets.mnist.load_data()`; `iris.loadData()` gives Fisher's iris table. Nothing registers:
 * importing this module has no side effects.
 *
 * @packageDocumentation
 */

/** Fisher's iris table (150 flowers, 4 measurements, 3 species), offline: `iris.loadData()`. */
export * as iris from './iris/index.js';
export {
  encodeIdx,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  type IdxArray,
  type ParseIdxOptions,
  parseIdx,
} from './mnist/idx.js';
/** The MNIST digits, offline, as Keras's `keras.datasets.mnist`: `mnist.loadData()`. */
export * as mnist from './mnist/index.js';
