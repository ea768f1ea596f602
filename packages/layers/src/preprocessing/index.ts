export { BaseRandomAffine, type BaseRandomAffineArgs } from './base-random-affine.js';
export { CenterCrop, type CenterCropArgs } from './center-crop.js';
export type { FillMode, Interpolation } from './image-ops.js';
export {
  IndexLookup,
  type IndexLookupArgs,
  type LookupOutputMode,
} from './index-lookup.js';
export { IntegerLookup, type IntegerLookupArgs } from './integer-lookup.js';
export { Normalization, type NormalizationArgs } from './normalization.js';
export { type FlipMode, RandomFlip, type RandomFlipArgs } from './random-flip.js';
export { RandomRotation, type RandomRotationArgs } from './random-rotation.js';
export { RandomZoom, type RandomZoomArgs } from './random-zoom.js';
export { Rescaling, type RescalingArgs } from './rescaling.js';
export { Resizing, type ResizingArgs } from './resizing.js';
export { StringLookup, type StringLookupArgs } from './string-lookup.js';
export {
  type Split,
  type Standardize,
  TextVectorization,
  type TextVectorizationArgs,
} from './text-vectorization.js';
