/**
 * @strata/losses-metrics: Keras 3 losses and stateful metrics. Importing this module registers every loss
 * (kind 'loss') and metric (kind 'metric'), so `compile({ loss: 'mse', metrics: ['accuracy'] })` resolves.
 *
 * Losses and metrics share several Keras names (MeanSquaredError, BinaryCrossentropy, ...), so both are
 * exported as namespaces, `losses` and `metrics`, as in Keras; names that exist on one side only are also
 * exported at the top level.
 *
 * @packageDocumentation
 */

/** Keras's losses (`keras.losses`): classes such as `CategoricalCrossentropy` and functions such as `meanSquaredError`. */
export * as losses from './losses/index.js';
// Losses without a metric of the same name.
export {
  BinaryFocalCrossentropy,
  CategoricalFocalCrossentropy,
  Dice,
  Huber,
  LogCosh,
  LossFunctionWrapper,
  Tversky,
} from './losses/index.js';
/** Keras's stateful metrics (`keras.metrics`), including those that share a name with a loss. */
export * as metrics from './metrics/index.js';

// Metrics without a loss of the same name.
export {
  Accuracy,
  AUC,
  BinaryAccuracy,
  CategoricalAccuracy,
  F1Score,
  FalseNegatives,
  FalsePositives,
  FBetaScore,
  LogCoshError,
  Mean,
  MeanMetricWrapper,
  Precision,
  R2Score,
  Recall,
  RootMeanSquaredError,
  SparseCategoricalAccuracy,
  SparseTopKCategoricalAccuracy,
  Sum,
  TopKCategoricalAccuracy,
  TrueNegatives,
  TruePositives,
} from './metrics/index.js';
