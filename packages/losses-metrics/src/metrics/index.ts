/** Keras 3 stateful metrics (registered under kind 'metric'), their shape resolvers and metric functions. */

export { Accuracy } from './accuracy.js';
export {
  accuracy,
  binaryAccuracy,
  categoricalAccuracy,
  sparseCategoricalAccuracy,
  sparseTopKCategoricalAccuracy,
  topKCategoricalAccuracy,
} from './accuracy-math.js';
export { AUC, type AUCArgs, type AUCCurve, type AUCSummationMethod } from './auc.js';
export { BaseConfusionCount, type ConfusionCountArgs } from './base-confusion-count.js';
export { BinaryAccuracy, type BinaryAccuracyArgs } from './binary-accuracy.js';
export { BinaryCrossentropy, type BinaryCrossentropyArgs } from './binary-crossentropy.js';
export { CategoricalAccuracy } from './categorical-accuracy.js';
export { CategoricalCrossentropy, type CategoricalCrossentropyArgs } from './categorical-crossentropy.js';
export { CategoricalHinge } from './categorical-hinge.js';
export { CosineSimilarity, type CosineSimilarityArgs } from './cosine-similarity.js';
export { F1Score, type F1ScoreArgs } from './f1-score.js';
export { FalseNegatives } from './false-negatives.js';
export { FalsePositives } from './false-positives.js';
export { FBetaScore, type FBetaScoreArgs, type FScoreAverage } from './fbeta-score.js';
export { Hinge } from './hinge.js';
export { KLDivergence } from './kl-divergence.js';
export { LogCoshError } from './log-cosh-error.js';
export { Mean } from './mean.js';
export { MeanAbsoluteError } from './mean-absolute-error.js';
export { MeanAbsolutePercentageError } from './mean-absolute-percentage-error.js';
export { MeanMetricWrapper, type MetricFn } from './mean-metric-wrapper.js';
export { MeanSquaredError } from './mean-squared-error.js';
export { MeanSquaredLogarithmicError } from './mean-squared-logarithmic-error.js';
export { accuracyResolver, crossentropyResolver, type TargetKind, targetKind } from './metric-resolvers.js';
export { Poisson } from './poisson.js';
export { Precision, type PrecisionArgs } from './precision.js';
export { type R2ClassAggregation, R2Score, type R2ScoreArgs } from './r2-score.js';
export { Recall, type RecallArgs } from './recall.js';
export { RootMeanSquaredError } from './root-mean-squared-error.js';
export { SparseCategoricalAccuracy } from './sparse-categorical-accuracy.js';
export {
  SparseCategoricalCrossentropy,
  type SparseCategoricalCrossentropyArgs,
} from './sparse-categorical-crossentropy.js';
export {
  SparseTopKCategoricalAccuracy,
  type SparseTopKCategoricalAccuracyArgs,
} from './sparse-top-k-categorical-accuracy.js';
export { SquaredHinge } from './squared-hinge.js';
export { Sum } from './sum.js';
export { TopKCategoricalAccuracy, type TopKCategoricalAccuracyArgs } from './top-k-categorical-accuracy.js';
export { TrueNegatives } from './true-negatives.js';
export { TruePositives } from './true-positives.js';
