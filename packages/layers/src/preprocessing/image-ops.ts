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
  return (
    interpolation === 'nearest'
      ? resampleNearest(resampleNearest(images, 1, height), 2, width)
      : resampleLinear(resampleLinear(images, 1, height), 2, width)
  ) as tf.Tensor4D;
}

/**
 * Nearest-neighbour resampling along `axis` to `size` samples with half-pixel centers: output i takes
 * input floor((i + 0.5) · n / size). A gather, so its gradient sums exactly the outputs each pixel fed
 * (tfjs's ResizeNearestNeighborGrad does not, for some sizes).
 */
export function resampleNearest(x: tf.Tensor, axis: number, size: number): tf.Tensor {
  const n = x.shape[axis];
  if (size === n) return x;
  const index: number[] = [];
  for (let i = 0; i < size; i++) index.push(Math.min(Math.floor(((i + 0.5) * n) / size), n - 1));
  return tf.tidy(() => tf.gather(x, tf.tensor1d(index, 'int32'), axis));
}

/**
 * Linear interpolation along `axis` to `size` samples with half-pixel centers, clamped at the edges: what
 * Keras's bilinear resize (without antialiasing) and tfjs's resizeBilinear with halfPixelCenters compute,
 * one axis at a time. Written with gathers and weights because tfjs's ResizeBilinear gradient is wrong
 * when downscaling and has the wrong shape when height and width differ; this one's gradient is exact.
 */
export function resampleLinear(x: tf.Tensor, axis: number, size: number): tf.Tensor {
  const n = x.shape[axis];
  if (size === n) return x;
  const lower: number[] = [];
  const upper: number[] = [];
  const frac: number[] = [];
  for (let i = 0; i < size; i++) {
    const src = Math.min(Math.max(((i + 0.5) * n) / size - 0.5, 0), n - 1);
    const i0 = Math.floor(src);
    lower.push(i0);
    upper.push(Math.min(i0 + 1, n - 1));
    frac.push(src - i0);
  }
  return tf.tidy(() => {
    const weightShape = x.shape.map((_, k) => (k === axis ? size : 1));
    const f = tf.reshape(tf.tensor1d(frac), weightShape);
    const a = tf.gather(x, tf.tensor1d(lower, 'int32'), axis);
    const b = tf.gather(x, tf.tensor1d(upper, 'int32'), axis);
    return tf.add(a, tf.mul(tf.sub(b, a), f));
  });
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
