/**
 * @strata/losses-metrics: Keras 3 losses and stateful metrics. Importing this module registers every loss
 * (kind 'loss') and metric (kind 'metric'), so `compile({ loss: 'mse', metrics: ['accuracy'] })` resolves.
 *
 * Both are exported as namespaces, `losses` and `metrics`, as in Keras. Every loss and metric class is also
 * exported at the top level under one rule: a loss by its Keras name, a metric by its Keras name unless a
 * loss has that name, in which case with `Metric` appended. So `MeanSquaredError` is the loss,
 * `MeanSquaredErrorMetric` the metric, and `AUC` or `Huber` the only class of that name.
 *
 * @packageDocumentation
 */

/** Keras's losses (`keras.losses`): classes such as `CategoricalCrossentropy` and functions such as `meanSquaredError`. */
export * as losses from './losses/index.js';
// Every loss at the top level, by its Keras name.
export {
  BinaryCrossentropy,
  BinaryFocalCrossentropy,
  CategoricalCrossentropy,
  CategoricalFocalCrossentropy,
  CategoricalHinge,
  CosineSimilarity,
  Dice,
  Hinge,
  Huber,
  KLDivergence,
  LogCosh,
  LossFunctionWrapper,
  MeanAbsoluteError,
  MeanAbsolutePercentageError,
  MeanSquaredError,
  MeanSquaredLogarithmicError,
  Poisson,
  SparseCategoricalCrossentropy,
  SquaredHinge,
  Tversky,
} from './losses/index.js';
/** Keras's stateful metrics (`keras.metrics`), including those that share a name with a loss. */
export * as metrics from './metrics/index.js';
// Metrics that share their Keras name with a loss, with `Metric` appended.
// Metrics without a loss of the same name, by their Keras name.
export {
  Accuracy,
  AUC,
  BinaryAccuracy,
  BinaryCrossentropy as BinaryCrossentropyMetric,
  CategoricalAccuracy,
  CategoricalCrossentropy as CategoricalCrossentropyMetric,
  CategoricalHinge as CategoricalHingeMetric,
  CosineSimilarity as CosineSimilarityMetric,
  F1Score,
  FalseNegatives,
  FalsePositives,
  FBetaScore,
  Hinge as HingeMetric,
  KLDivergence as KLDivergenceMetric,
  LogCoshError,
  Mean,
  MeanAbsoluteError as MeanAbsoluteErrorMetric,
  MeanAbsolutePercentageError as MeanAbsolutePercentageErrorMetric,
  MeanMetricWrapper,
  MeanSquaredError as MeanSquaredErrorMetric,
  MeanSquaredLogarithmicError as MeanSquaredLogarithmicErrorMetric,
  Poisson as PoissonMetric,
  Precision,
  R2Score,
  Recall,
  RootMeanSquaredError,
  SparseCategoricalAccuracy,
  SparseCategoricalCrossentropy as SparseCategoricalCrossentropyMetric,
  SparseTopKCategoricalAccuracy,
  SquaredHinge as SquaredHingeMetric,
  Sum,
  TopKCategoricalAccuracy,
  TrueNegatives,
  TruePositives,
} from './metrics/index.js';
