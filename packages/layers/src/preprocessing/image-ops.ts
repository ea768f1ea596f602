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

/** Maps integer sample indices that fall outside `[0, n)` back inside, as Keras's `fill_mode` does. */
function fixIndex(index: tf.Tensor, n: number, mode: FillMode): tf.Tensor {
  switch (mode) {
    case 'reflect': {
      // (d c b a | a b c d | d c b a): period 2n, the edge pixel repeated.
      const m = tf.mod(index, 2 * n); // tf.mod takes the sign of the divisor: m is in [0, 2n)
      return tf.where(tf.less(m, n), m, tf.sub(2 * n - 1, m));
    }
    case 'wrap':
      return tf.mod(index, n);
    default:
      // 'nearest' clamps; 'constant' clamps too, and the caller replaces those samples by the fill value.
      return tf.clipByValue(index, 0, n - 1);
  }
}

/**
 * Keras's `affine_transform` (`keras.ops.image.affine_transform`) on channels-last images: each output
 * point (x, y) samples the input at ((a0·x + a1·y + a2) / k, (b0·x + b1·y + b2) / k), k = c0·x + c1·y + 1,
 * for each row [a0, a1, a2, b0, b1, b2, c0, c1] of `transforms`. Bilinear or nearest sampling; the
 * neighbouring pixels that fall outside the image are mapped back by `fillMode` ('reflect': mirrored with
 * the edge repeated; 'wrap': periodic; 'nearest': the edge pixel; 'constant': `fillValue`), as Keras does
 * (tfjs's transform kernel fills those differently). Written with gathers, so it is differentiable wrt
 * the images.
 */
export function affineTransform(
  images: tf.Tensor4D,
  transforms: tf.Tensor2D,
  interpolation: Interpolation,
  fillMode: FillMode,
  fillValue: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, h, w, c] = images.shape;
    const gx = tf.reshape(tf.tile(tf.range(0, w, 1, 'float32'), [h]), [1, h, w]);
    const gy = tf.reshape(tf.tile(tf.reshape(tf.range(0, h, 1, 'float32'), [h, 1]), [1, w]), [1, h, w]);
    const t = (k: number) => tf.reshape(tf.slice(transforms, [0, k], [-1, 1]), [batch, 1, 1]);
    const line = (a: number, b: number, cst: number) =>
      tf.add(tf.add(tf.mul(t(a), gx), tf.mul(t(b), gy)), t(cst));
    const k = tf.add(tf.add(tf.mul(t(6), gx), tf.mul(t(7), gy)), 1);
    const xIn = tf.div(line(0, 1, 2), k);
    const yIn = tf.div(line(3, 4, 5), k);
    const flat = tf.reshape(images, [batch * h * w, c]);
    const base = tf.reshape(tf.mul(tf.range(0, batch, 1, 'float32'), h * w), [batch, 1, 1]);
    // One neighbour: its pixels (with fillValue where 'constant' finds none), weighted.
    const sample = (yi: tf.Tensor, xi: tf.Tensor): tf.Tensor => {
      const fy = fixIndex(yi, h, fillMode);
      const fx = fixIndex(xi, w, fillMode);
      // Exact in float32 for any image tfjs can hold (indices below 2^24).
      const idx = tf.cast(tf.add(base, tf.add(tf.mul(fy, w), fx)), 'int32');
      const px = tf.reshape(tf.gather(flat, tf.reshape(idx, [-1])), [batch, h, w, c]);
      if (fillMode !== 'constant') return px;
      const inside = tf.logicalAnd(
        tf.logicalAnd(tf.greaterEqual(yi, 0), tf.less(yi, h)),
        tf.logicalAnd(tf.greaterEqual(xi, 0), tf.less(xi, w)),
      );
      return tf.where(tf.expandDims(inside, -1), px, tf.fill(px.shape, fillValue));
    };
    if (interpolation === 'nearest') {
      // Rounded half away from zero, as JAX's map_coordinates.
      const round = (v: tf.Tensor) => tf.mul(tf.sign(v), tf.floor(tf.add(tf.abs(v), 0.5)));
      return sample(round(yIn), round(xIn)) as tf.Tensor4D;
    }
    const x0 = tf.floor(xIn);
    const y0 = tf.floor(yIn);
    const wx = tf.expandDims(tf.sub(xIn, x0), -1);
    const wy = tf.expandDims(tf.sub(yIn, y0), -1);
    const x1 = tf.add(x0, 1);
    const y1 = tf.add(y0, 1);
    const top = tf.add(tf.mul(sample(y0, x0), tf.sub(1, wx)), tf.mul(sample(y0, x1), wx));
    const bottom = tf.add(tf.mul(sample(y1, x0), tf.sub(1, wx)), tf.mul(sample(y1, x1), wx));
    return tf.add(tf.mul(top, tf.sub(1, wy)), tf.mul(bottom, wy)) as tf.Tensor4D;
  });
}
