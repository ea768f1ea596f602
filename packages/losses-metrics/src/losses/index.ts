/** Keras 3 losses: classes (registered under kind 'loss') and the plain functions they wrap. */

export { BinaryCrossentropy, type BinaryCrossentropyArgs } from './binary-crossentropy.js';
export { BinaryFocalCrossentropy, type BinaryFocalCrossentropyArgs } from './binary-focal-crossentropy.js';
export { CategoricalCrossentropy, type CategoricalCrossentropyArgs } from './categorical-crossentropy.js';
export {
  CategoricalFocalCrossentropy,
  type CategoricalFocalCrossentropyArgs,
} from './categorical-focal-crossentropy.js';
export { CategoricalHinge } from './categorical-hinge.js';
export { CosineSimilarity, type CosineSimilarityArgs } from './cosine-similarity.js';
export {
  type BinaryFocalOptions,
  binaryCrossentropy,
  binaryFocalCrossentropy,
  type CategoricalFocalOptions,
  type CrossentropyOptions,
  categoricalCrossentropy,
  categoricalFocalCrossentropy,
  type SparseCrossentropyOptions,
  sparseCategoricalCrossentropy,
} from './crossentropy-math.js';
export { Dice, type DiceArgs } from './dice.js';
export { Hinge } from './hinge.js';
export { categoricalHinge, hinge, squaredHinge } from './hinge-math.js';
export { Huber, type HuberArgs } from './huber.js';
export { KLDivergence } from './kl-divergence.js';
export { LogCosh } from './log-cosh.js';
export { type LossFn, LossFunctionWrapper } from './loss-function-wrapper.js';
export { MeanAbsoluteError } from './mean-absolute-error.js';
export { MeanAbsolutePercentageError } from './mean-absolute-percentage-error.js';
export { MeanSquaredError } from './mean-squared-error.js';
export { MeanSquaredLogarithmicError } from './mean-squared-logarithmic-error.js';
export { Poisson } from './poisson.js';
export { klDivergence, poisson } from './probabilistic-math.js';
export {
  cosineSimilarity,
  huber,
  logCosh,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredError,
  meanSquaredLogarithmicError,
} from './regression-math.js';
export { dice, tversky } from './segmentation-math.js';
export {
  SparseCategoricalCrossentropy,
  type SparseCategoricalCrossentropyArgs,
} from './sparse-categorical-crossentropy.js';
export { validateSparseLabels } from './sparse-labels.js';
export { SquaredHinge } from './squared-hinge.js';
export { Tversky, type TverskyArgs } from './tversky.js';
