/** Keras 3 losses: classes (registered under kind 'loss') and the plain functions they wrap. */
export { LossFunctionWrapper, type LossFn } from './loss-function-wrapper.js';
export { MeanSquaredError } from './mean-squared-error.js';
export { MeanAbsoluteError } from './mean-absolute-error.js';
export { MeanAbsolutePercentageError } from './mean-absolute-percentage-error.js';
export { MeanSquaredLogarithmicError } from './mean-squared-logarithmic-error.js';
export { Huber, type HuberArgs } from './huber.js';
export { LogCosh } from './log-cosh.js';
export { CosineSimilarity, type CosineSimilarityArgs } from './cosine-similarity.js';
export { BinaryCrossentropy, type BinaryCrossentropyArgs } from './binary-crossentropy.js';
export { CategoricalCrossentropy, type CategoricalCrossentropyArgs } from './categorical-crossentropy.js';
export {
  SparseCategoricalCrossentropy,
  type SparseCategoricalCrossentropyArgs,
} from './sparse-categorical-crossentropy.js';
export { BinaryFocalCrossentropy, type BinaryFocalCrossentropyArgs } from './binary-focal-crossentropy.js';
export {
  CategoricalFocalCrossentropy,
  type CategoricalFocalCrossentropyArgs,
} from './categorical-focal-crossentropy.js';
export { KLDivergence } from './kl-divergence.js';
export { Poisson } from './poisson.js';
export { Hinge } from './hinge.js';
export { SquaredHinge } from './squared-hinge.js';
export { CategoricalHinge } from './categorical-hinge.js';
export { Dice, type DiceArgs } from './dice.js';
export { Tversky, type TverskyArgs } from './tversky.js';
export {
  binaryCrossentropy,
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
  binaryFocalCrossentropy,
  categoricalFocalCrossentropy,
  type CrossentropyOptions,
  type BinaryFocalOptions,
  type CategoricalFocalOptions,
  type SparseCrossentropyOptions,
} from './crossentropy-math.js';
export {
  meanSquaredError,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredLogarithmicError,
  huber,
  logCosh,
  cosineSimilarity,
} from './regression-math.js';
export { klDivergence, poisson } from './probabilistic-math.js';
export { hinge, squaredHinge, categoricalHinge } from './hinge-math.js';
export { dice, tversky } from './segmentation-math.js';
export { validateSparseLabels } from './sparse-labels.js';
