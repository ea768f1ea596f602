import { ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/** How image layers resample: Keras's `interpolation` argument. */
export type Interpolation = 'bilinear' | 'nearest';
/** How image layers fill points outside the input: Keras's `fill_mode` argument. */
export type FillMode = 'constant' | 'reflect' | 'wrap' | 'nearest';

const INTERPOLATIONS: Interpolation[] = ['bilinear', 'nearest'];
const FILL_MODES: FillMode[] = ['constant', 'reflect', 'wrap', 'nearest'];

export function checkInterpolation(value: unknown): Interpolation {
  if (!INTERPOLATIONS.includes(value as Interpolation)) {
    throw new ValueError(
      `Invalid value for argument \`interpolation\`. Expected one of ${JSON.stringify(INTERPOLATIONS)}. Received: interpolation=${value}`,
    );
  }
  return value as Interpolation;
}

export function checkFillMode(value: unknown): FillMode {
  if (!FILL_MODES.includes(value as FillMode)) {
    throw new ValueError(
      `Unknown \`fill_mode\` ${value}. Expected one of ${JSON.stringify(FILL_MODES)}. Received: fill_mode=${value}`,
    );
  }
  return value as FillMode;
}

/** Only channels-last images are supported: tfjs's image kernels are NHWC. */
export function checkDataFormat(value: unknown): 'channels_last' {
  if (value != null && value !== 'channels_last') {
    throw new ValueError(
      `Only data_format='channels_last' is supported (tfjs image kernels are NHWC). Received: data_format=${value}`,
    );
  }
  return 'channels_last';
}

export function positiveDim(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ValueError(`\`${name}\` must be a positive integer. Received: ${name}=${value}`);
  }
  return value;
}

/** Runs `fn` on a batch: a single `[H, W, C]` image is given a batch axis and has it removed after. */
export function onBatch(
  x: tf.Tensor,
  layerName: string,
  fn: (images: tf.Tensor4D) => tf.Tensor4D,
): tf.Tensor {
  if (x.rank !== 3 && x.rank !== 4) {
    throw new ValueError(
      `Layer "${layerName}" expects images of rank 3 (H, W, C) or 4 (B, H, W, C). Received: inputs.shape=[${x.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() => {
    const x4 = (x.rank === 3 ? tf.expandDims(x, 0) : x) as tf.Tensor4D;
    const images = x4.dtype === 'float32' ? x4 : (tf.cast(x4, 'float32') as tf.Tensor4D);
    const out = fn(images);
    return x.rank === 3 ? tf.squeeze(out, [0]) : out;
  });
}

export function resize(images: tf.Tensor4D, height: number, width: number, interpolation: Interpolation) {
  // Keras resizes with half-pixel centers (tf.image.resize), which tfjs needs asked for explicitly.
  return interpolation === 'nearest'
    ? tf.image.resizeNearestNeighbor(images, [height, width], false, true)
    : tf.image.resizeBilinear(images, [height, width], false, true);
}

/** Keras's crop to the target aspect ratio: the largest centred window with that ratio. */
export function cropToAspect(images: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  const [, h, w] = images.shape;
  const cropH = Math.max(Math.min(h, Math.trunc((w * height) / width)), 1);
  const cropW = Math.max(Math.min(w, Math.trunc((h * width) / height)), 1);
  const top = Math.trunc((h - cropH) / 2);
  const left = Math.trunc((w - cropW) / 2);
  return tf.slice(images, [0, top, left, 0], [-1, cropH, cropW, -1]);
}

/** Keras's `smart_resize`: crop to the target aspect ratio, then resize. */
export function smartResize(
  images: tf.Tensor4D,
  height: number,
  width: number,
  interpolation: Interpolation,
) {
  return resize(cropToAspect(images, height, width), height, width, interpolation);
}

/** Keras's factor argument: a number f means [-f, f]; a pair is [lower, upper]. */
export function factorRange(factor: unknown, name: string): [number, number] {
  const pair = typeof factor === 'number' ? [-Math.abs(factor), Math.abs(factor)] : factor;
  if (
    !Array.isArray(pair) ||
    pair.length !== 2 ||
    pair.some((f) => typeof f !== 'number' || !Number.isFinite(f)) ||
    pair[0] > pair[1]
  ) {
    throw new ValueError(
      `\`${name}\` must be a number or a pair [lower, upper] with lower <= upper. Received: ${name}=${JSON.stringify(factor)}`,
    );
  }
  return [pair[0], pair[1]];
}
