export { InputLayer, input } from '@strata/core';
/** Keras's activation functions (`keras.activations`): `relu`, `sigmoid`, `softmax`, `gelu`, ..., by function or by name. */
export * as activations from './activations/index.js';
export {
  type ActivationFn,
  type ActivationIdentifier,
  getActivation,
  serializeActivation,
} from './activations/index.js';
export * from './attention/index.js';
/** Weight constraints (`keras.constraints`): `MaxNorm`, `MinMaxNorm`, `NonNeg`, `UnitNorm`. */
export * as constraints from './constraints/index.js';
export {
  Constraint,
  getConstraint,
  MaxNorm,
  MinMaxNorm,
  NonNeg,
  serializeConstraint,
  UnitNorm,
} from './constraints/index.js';
export * from './convolutional/index.js';
export { Activation, type ActivationArgs } from './core/activation.js';
export { Dense, type DenseArgs } from './core/dense.js';
export { Embedding, type EmbeddingArgs } from './core/embedding.js';
export { Identity } from './core/identity.js';
export { Masking, type MaskingArgs } from './core/masking.js';
/** Weight initializers (`keras.initializers`): `GlorotUniform`, `HeNormal`, `Orthogonal`, `Zeros`, ... */
export * as initializers from './initializers/index.js';
export {
  Constant,
  GlorotNormal,
  GlorotUniform,
  getInitializer,
  HeNormal,
  HeUniform,
  Initializer,
  LecunNormal,
  LecunUniform,
  Ones,
  OrthogonalInitializer,
  RandomNormal,
  RandomUniform,
  serializeInitializer,
  TruncatedNormal,
  VarianceScaling,
  Zeros,
} from './initializers/index.js';
export { Add } from './merging/add.js';
export { Average } from './merging/average.js';
export { Merge } from './merging/base-merge.js';
export { Concatenate, type ConcatenateArgs } from './merging/concatenate.js';
export { Dot, type DotArgs } from './merging/dot.js';
export { Maximum } from './merging/maximum.js';
export { Minimum } from './merging/minimum.js';
export { Multiply } from './merging/multiply.js';
export { Subtract } from './merging/subtract.js';
export { BatchNormalization, type BatchNormalizationArgs } from './normalization/batch-normalization.js';
export { LayerNormalization, type LayerNormalizationArgs } from './normalization/layer-normalization.js';
export * from './pooling/index.js';
export * from './preprocessing/index.js';
export * from './recurrent/index.js';
export {
  ActivityRegularization,
  type ActivityRegularizationArgs,
} from './regularization/activity-regularization.js';
export { Dropout, type DropoutArgs } from './regularization/dropout.js';
export { GaussianDropout, type GaussianDropoutArgs } from './regularization/gaussian-dropout.js';
export { GaussianNoise, type GaussianNoiseArgs } from './regularization/gaussian-noise.js';
export {
  SpatialDropout1D,
  type SpatialDropout1DArgs,
  SpatialDropout2D,
  type SpatialDropout2DArgs,
} from './regularization/spatial-dropout.js';
/** Weight regularizers (`keras.regularizers`): `L1`, `L2`, `L1L2`. */
export * as regularizers from './regularizers/index.js';
export { getRegularizer, L1, L1L2, L2, Regularizer, serializeRegularizer } from './regularizers/index.js';
export { Cropping1D, type Cropping1DArgs } from './reshaping/cropping1d.js';
export { Cropping2D, type Cropping2DArgs } from './reshaping/cropping2d.js';
export { Flatten, type FlattenArgs } from './reshaping/flatten.js';
export { Permute, type PermuteArgs } from './reshaping/permute.js';
export { RepeatVector, type RepeatVectorArgs } from './reshaping/repeat-vector.js';
export { Reshape, type ReshapeArgs } from './reshaping/reshape.js';
export { UpSampling1D, type UpSampling1DArgs } from './reshaping/up-sampling1d.js';
export {
  UpSampling2D,
  type UpSampling2DArgs,
  type UpSamplingInterpolation,
} from './reshaping/up-sampling2d.js';
export { ZeroPadding1D, type ZeroPadding1DArgs } from './reshaping/zero-padding1d.js';
export { ZeroPadding2D, type ZeroPadding2DArgs } from './reshaping/zero-padding2d.js';
