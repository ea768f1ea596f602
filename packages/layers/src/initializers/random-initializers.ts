import { formatShape, register, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { computeFans } from './compute-fans.js';
import { householderQR } from './householder-qr.js';
import { Initializer } from './initializer.js';

/** The `seed` argument of the random initializers. */
export interface SeedArgs {
  /** An integer seed. Like Keras 3, a seeded or unseeded instance returns the same values on every call. */
  seed?: number | null;
}

/**
 * The shared seed handling of random initializers. An unseeded initializer draws its seed once, at
 * construction, so that it repeats its values as Keras 3's do; the config still records `seed: null`.
 *
 * Keras: `keras.initializers.RandomInitializer`
 *
 * @example
 * ```ts
 * // The base of the seeded initializers: RandomNormal, GlorotUniform, HeNormal, ...
 * const init: initializers.RandomInitializer = new RandomNormal({ seed: 42 });
 * init.apply([2, 3]); // shape [2, 3]
 * ```
 */
export abstract class RandomInitializer extends Initializer {
  protected readonly initSeed: number | null;
  protected readonly seed: number;

  constructor(args: SeedArgs = {}) {
    super();
    const seed = args.seed ?? null;
    if (seed !== null && !Number.isInteger(seed)) {
      throw new ValueError(`\`seed\` argument should be an integer. Received: seed=${JSON.stringify(seed)}`);
    }
    this.initSeed = seed;
    this.seed = seed ?? Math.floor(Math.random() * 1e9);
  }

  override getConfig(): Record<string, unknown> {
    return { seed: this.initSeed };
  }
}

/** Constructor arguments of `RandomNormal`: Keras's arguments of the same names, in camelCase. */
export interface RandomNormalArgs extends SeedArgs {
  /** Default 0. */
  mean?: number;
  /** Default 0.05. */
  stddev?: number;
}

/**
 * Samples from a normal distribution.
 *
 * Keras: `keras.initializers.RandomNormal`
 *
 * @example
 * ```ts
 * new RandomNormal({ mean: 0, stddev: 0.05, seed: 42 }).apply([3, 4]); // shape [3, 4]
 * ```
 */
export class RandomNormal extends RandomInitializer {
  static override className = 'RandomNormal';
  readonly mean: number;
  readonly stddev: number;

  constructor(args: RandomNormalArgs = {}) {
    super(args);
    this.mean = args.mean ?? 0;
    this.stddev = args.stddev ?? 0.05;
  }

  apply(shape: number[], dtype: tf.DataType = 'float32'): tf.Tensor {
    return tf.randomNormal(shape, this.mean, this.stddev, dtype === 'int32' ? 'int32' : 'float32', this.seed);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), mean: this.mean, stddev: this.stddev };
  }
}

/**
 * Samples from a normal distribution, redrawing values more than two standard deviations from the mean.
 *
 * Keras: `keras.initializers.TruncatedNormal`
 *
 * @example
 * ```ts
 * new TruncatedNormal({ stddev: 0.05, seed: 42 }).apply([3, 4]); // shape [3, 4]
 * ```
 */
export class TruncatedNormal extends RandomInitializer {
  static override className = 'TruncatedNormal';
  readonly mean: number;
  readonly stddev: number;

  constructor(args: RandomNormalArgs = {}) {
    super(args);
    this.mean = args.mean ?? 0;
    this.stddev = args.stddev ?? 0.05;
  }

  apply(shape: number[], dtype: tf.DataType = 'float32'): tf.Tensor {
    return tf.truncatedNormal(
      shape,
      this.mean,
      this.stddev,
      dtype === 'int32' ? 'int32' : 'float32',
      this.seed,
    );
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), mean: this.mean, stddev: this.stddev };
  }
}

/** Constructor arguments of `RandomUniform`: Keras's arguments of the same names, in camelCase. */
export interface RandomUniformArgs extends SeedArgs {
  /** Inclusive lower bound. Default -0.05. */
  minval?: number;
  /** Exclusive upper bound. Default 0.05. */
  maxval?: number;
}

/**
 * Samples from a uniform distribution on `[minval, maxval)`.
 *
 * Keras: `keras.initializers.RandomUniform`
 *
 * @example
 * ```ts
 * new RandomUniform({ minval: -0.05, maxval: 0.05, seed: 42 }).apply([3, 4]); // shape [3, 4]
 * ```
 */
export class RandomUniform extends RandomInitializer {
  static override className = 'RandomUniform';
  readonly minval: number;
  readonly maxval: number;

  constructor(args: RandomUniformArgs = {}) {
    super(args);
    this.minval = args.minval ?? -0.05;
    this.maxval = args.maxval ?? 0.05;
  }

  apply(shape: number[], dtype: tf.DataType = 'float32'): tf.Tensor {
    return tf.randomUniform(shape, this.minval, this.maxval, dtype, this.seed);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), minval: this.minval, maxval: this.maxval };
  }
}

/** Which fan `VarianceScaling` scales by: Keras's `mode` argument. */
export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg';
/** The distribution `VarianceScaling` draws from: Keras's `distribution` argument. */
export type ScalingDistribution = 'truncated_normal' | 'untruncated_normal' | 'uniform';

/** Constructor arguments of `VarianceScaling`: Keras's arguments of the same names, in camelCase. */
export interface VarianceScalingArgs extends SeedArgs {
  /** Positive scaling factor. Default 1. */
  scale?: number;
  /** Which fan divides the scale. Default 'fan_in'. */
  mode?: FanMode;
  /** Default 'truncated_normal'; 'normal' is read as 'truncated_normal'. */
  distribution?: ScalingDistribution | 'normal';
  /**
   * The weight's axes whose sizes multiply into the fan-in (negative counts from the end). Used only when
   * `outputAxes` is given too; default null (fans from the shape, as for a dense or convolution kernel).
   */
  inputAxes?: number[] | null;
  /** The weight's axes whose sizes multiply into the fan-out; used only with `inputAxes`. Default null. */
  outputAxes?: number[] | null;
}

/** The `inputAxes`/`outputAxes` arguments of Glorot, He and LeCun initializers. */
export interface FanAxesArgs extends SeedArgs {
  /** See `VarianceScalingArgs.inputAxes`. */
  inputAxes?: number[] | null;
  /** See `VarianceScalingArgs.outputAxes`. */
  outputAxes?: number[] | null;
}

function checkAxes(name: string, axes: number[] | null | undefined): number[] | null {
  if (axes === undefined || axes === null) return null;
  if (!Array.isArray(axes) || !axes.every((a) => Number.isInteger(a))) {
    throw new ValueError(
      `\`${name}\` must be a list of integers or null. Received: ${name}=${JSON.stringify(axes)}`,
    );
  }
  return [...axes];
}

// The standard deviation of a unit normal truncated to [-2, 2]; dividing by it restores the wanted variance.
const TRUNCATED_STDDEV = 0.8796256610342398;

/**
 * Scales the spread to the weight's fans: a normal with `stddev = sqrt(scale / n)` (corrected for
 * truncation), or a uniform on `[-limit, limit]` with `limit = sqrt(3 * scale / n)`, where `n` is the fan
 * chosen by `mode`.
 *
 * Keras: `keras.initializers.VarianceScaling`
 *
 * @example
 * ```ts
 * const init = new VarianceScaling({ scale: 2, mode: 'fan_in', distribution: 'truncated_normal', seed: 42 });
 * init.apply([3, 4]); // shape [3, 4]
 * ```
 */
export class VarianceScaling extends RandomInitializer {
  static override className = 'VarianceScaling';
  readonly scale: number;
  readonly mode: FanMode;
  readonly distribution: ScalingDistribution;
  readonly inputAxes: number[] | null;
  readonly outputAxes: number[] | null;

  constructor(args: VarianceScalingArgs = {}) {
    super(args);
    const scale = args.scale ?? 1;
    if (!(scale > 0))
      throw new ValueError(`Argument \`scale\` must be positive float. Received: scale=${scale}`);
    const mode = args.mode ?? 'fan_in';
    if (!['fan_in', 'fan_out', 'fan_avg'].includes(mode)) {
      throw new ValueError(
        `Invalid \`mode\` argument: expected one of fan_in, fan_out, fan_avg. Received: mode=${mode}`,
      );
    }
    let distribution = (args.distribution ?? 'truncated_normal').toLowerCase();
    if (distribution === 'normal') distribution = 'truncated_normal';
    if (!['uniform', 'truncated_normal', 'untruncated_normal'].includes(distribution)) {
      throw new ValueError(
        `Invalid \`distribution\` argument: expected one of uniform, truncated_normal, untruncated_normal. Received: distribution=${args.distribution}`,
      );
    }
    this.scale = scale;
    this.mode = mode;
    this.distribution = distribution as ScalingDistribution;
    this.inputAxes = checkAxes('inputAxes', args.inputAxes);
    this.outputAxes = checkAxes('outputAxes', args.outputAxes);
  }

  apply(shape: number[], dtype: tf.DataType = 'float32'): tf.Tensor {
    const { fanIn, fanOut } = computeFans(shape, this.inputAxes, this.outputAxes);
    const n = this.mode === 'fan_in' ? fanIn : this.mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
    const scale = this.scale / Math.max(1, n);
    const floatDtype = dtype === 'int32' ? 'int32' : 'float32';
    if (this.distribution === 'truncated_normal') {
      return tf.truncatedNormal(shape, 0, Math.sqrt(scale) / TRUNCATED_STDDEV, floatDtype, this.seed);
    }
    if (this.distribution === 'untruncated_normal') {
      return tf.randomNormal(shape, 0, Math.sqrt(scale), floatDtype, this.seed);
    }
    const limit = Math.sqrt(3 * scale);
    return tf.randomUniform(shape, -limit, limit, dtype, this.seed);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      scale: this.scale,
      mode: this.mode,
      distribution: this.distribution,
      inputAxes: this.inputAxes,
      outputAxes: this.outputAxes,
    };
  }
}

/** A VarianceScaling with fixed settings (Glorot, He, LeCun): as in Keras, only the seed is configurable. */
abstract class FixedVarianceScaling extends VarianceScaling {
  constructor(
    args: FanAxesArgs,
    fixed: Required<Pick<VarianceScalingArgs, 'scale' | 'mode' | 'distribution'>>,
  ) {
    super({ seed: args.seed, inputAxes: args.inputAxes, outputAxes: args.outputAxes, ...fixed });
  }

  override getConfig(): Record<string, unknown> {
    return { seed: this.initSeed, inputAxes: this.inputAxes, outputAxes: this.outputAxes };
  }
}

/**
 * Glorot (Xavier) uniform: `limit = sqrt(6 / (fanIn + fanOut))`. The default kernel initializer.
 *
 * Keras: `keras.initializers.GlorotUniform`
 *
 * @example
 * ```ts
 * const layer = new Dense({ units: 4, kernelInitializer: new GlorotUniform({ seed: 42 }) });
 * new GlorotUniform({ seed: 42 }).apply([3, 4]); // shape [3, 4]
 * ```
 */
export class GlorotUniform extends FixedVarianceScaling {
  static override className = 'GlorotUniform';
  constructor(args: FanAxesArgs = {}) {
    super(args, { scale: 1, mode: 'fan_avg', distribution: 'uniform' });
  }
}

/**
 * Glorot (Xavier) normal: truncated normal with `stddev = sqrt(2 / (fanIn + fanOut))`.
 *
 * Keras: `keras.initializers.GlorotNormal`
 *
 * @example
 * ```ts
 * const layer = new Dense({ units: 4, kernelInitializer: new GlorotNormal({ seed: 42 }) });
 * new GlorotNormal({ seed: 42 }).apply([3, 4]); // shape [3, 4]
 * ```
 */
export class GlorotNormal extends FixedVarianceScaling {
  static override className = 'GlorotNormal';
  constructor(args: FanAxesArgs = {}) {
    super(args, { scale: 1, mode: 'fan_avg', distribution: 'truncated_normal' });
  }
}

/**
 * He uniform: `limit = sqrt(6 / fanIn)`.
 *
 * Keras: `keras.initializers.HeUniform`
 *
 * @example
 * ```ts
 * new HeUniform({ seed: 42 }).apply([3, 4]); // shape [3, 4]
 * ```
 */
export class HeUniform extends FixedVarianceScaling {
  static override className = 'HeUniform';
  constructor(args: FanAxesArgs = {}) {
    super(args, { scale: 2, mode: 'fan_in', distribution: 'uniform' });
  }
}

/**
 * He normal: truncated normal with `stddev = sqrt(2 / fanIn)`.
 *
 * Keras: `keras.initializers.HeNormal`
 *
 * @example
 * ```ts
 * const layer = new Dense({ units: 4, activation: 'relu', kernelInitializer: new HeNormal({ seed: 42 }) });
 * new HeNormal({ seed: 42 }).apply([3, 4]); // shape [3, 4]
 * ```
 */
export class HeNormal extends FixedVarianceScaling {
  static override className = 'HeNormal';
  constructor(args: FanAxesArgs = {}) {
    super(args, { scale: 2, mode: 'fan_in', distribution: 'truncated_normal' });
  }
}

/**
 * LeCun uniform: `limit = sqrt(3 / fanIn)`.
 *
 * Keras: `keras.initializers.LecunUniform`
 *
 * @example
 * ```ts
 * new LecunUniform({ seed: 42 }).apply([3, 4]); // shape [3, 4]
 * ```
 */
export class LecunUniform extends FixedVarianceScaling {
  static override className = 'LecunUniform';
  constructor(args: FanAxesArgs = {}) {
    super(args, { scale: 1, mode: 'fan_in', distribution: 'uniform' });
  }
}

/**
 * LeCun normal: truncated normal with `stddev = sqrt(1 / fanIn)`.
 *
 * Keras: `keras.initializers.LecunNormal`
 *
 * @example
 * ```ts
 * new LecunNormal({ seed: 42 }).apply([3, 4]); // shape [3, 4]
 * ```
 */
export class LecunNormal extends FixedVarianceScaling {
  static override className = 'LecunNormal';
  constructor(args: FanAxesArgs = {}) {
    super(args, { scale: 1, mode: 'fan_in', distribution: 'truncated_normal' });
  }
}

/** Constructor arguments of `OrthogonalInitializer`: Keras's `Orthogonal` arguments, in camelCase. */
export interface OrthogonalArgs extends SeedArgs {
  /** Multiplies the orthogonal matrix. Default 1. */
  gain?: number;
}

/**
 * An orthogonal matrix (from the QR decomposition of a normal sample), reshaped to the weight's shape:
 * the weight is read as a `[prod(shape[:-1]), shape[-1]]` matrix.
 *
 * Keras: `keras.initializers.Orthogonal`
 *
 * @example
 * ```ts
 * const layer = new LSTM({ units: 4, recurrentInitializer: new OrthogonalInitializer({ seed: 42 }) });
 * new OrthogonalInitializer({ seed: 42 }).apply([4, 4]); // shape [4, 4]
 * ```
 */
export class OrthogonalInitializer extends RandomInitializer {
  static override className = 'Orthogonal';
  readonly gain: number;

  constructor(args: OrthogonalArgs = {}) {
    super(args);
    this.gain = args.gain ?? 1;
  }

  apply(shape: number[], dtype: tf.DataType = 'float32'): tf.Tensor {
    if (shape.length < 2) {
      throw new ValueError(
        `The tensor to initialize must be at least two-dimensional. Received: shape=${formatShape(shape)} of rank ${shape.length}.`,
      );
    }
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const cols = shape[shape.length - 1];
    const m = Math.max(rows, cols);
    const n = Math.min(rows, cols);
    const sample = tf.randomNormal([m, n], 0, 1, 'float32', this.seed);
    const a = sample.dataSync();
    sample.dispose();
    // A thin QR on the host (see householder-qr.ts for why not tf.linalg.qr). Multiplying each column of
    // Q by the sign of R's diagonal entry makes the factorization unique, hence the distribution uniform.
    const { q, rDiag } = householderQR(a, m, n);
    const out = new Float32Array(rows * cols);
    const sign = rDiag.map(Math.sign);
    if (rows >= cols) {
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++) out[i * cols + j] = this.gain * sign[j] * q[j * m + i];
    } else {
      // Q is [cols, rows]; its transpose in row-major order is Q's column-major data.
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++) out[i * cols + j] = this.gain * sign[i] * q[i * m + j];
    }
    const w = tf.tensor(out, shape, 'float32');
    if (dtype === 'float32') return w;
    const cast = tf.cast(w, dtype);
    w.dispose();
    return cast;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), gain: this.gain };
  }
}

export { OrthogonalInitializer as Orthogonal };

register('initializer', 'RandomNormal', RandomNormal, { aliases: ['random_normal', 'normal'] });
register('initializer', 'TruncatedNormal', TruncatedNormal, { aliases: ['truncated_normal'] });
register('initializer', 'RandomUniform', RandomUniform, { aliases: ['random_uniform', 'uniform'] });
register('initializer', 'VarianceScaling', VarianceScaling, { aliases: ['variance_scaling'] });
register('initializer', 'GlorotUniform', GlorotUniform, { aliases: ['glorot_uniform'] });
register('initializer', 'GlorotNormal', GlorotNormal, { aliases: ['glorot_normal'] });
register('initializer', 'HeUniform', HeUniform, { aliases: ['he_uniform'] });
register('initializer', 'HeNormal', HeNormal, { aliases: ['he_normal'] });
register('initializer', 'LecunUniform', LecunUniform, { aliases: ['lecun_uniform'] });
register('initializer', 'LecunNormal', LecunNormal, { aliases: ['lecun_normal'] });
// Keras 3 writes class_name 'Orthogonal' and reads 'OrthogonalInitializer' too (files from older Strata).
register('initializer', 'Orthogonal', OrthogonalInitializer, {
  aliases: ['OrthogonalInitializer', 'orthogonal_initializer', 'orthogonal'],
});
