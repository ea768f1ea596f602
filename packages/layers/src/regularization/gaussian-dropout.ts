import { type CallKwargs, Layer, type LayerArgs, register, type Shape } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { SeedGenerator, validateRate } from '../random/seed-generator.js';

/** Constructor arguments of `GaussianDropout`: Keras's arguments of the same names, in camelCase. */
export interface GaussianDropoutArgs extends LayerArgs {
  /** Drop probability, in [0, 1); the noise has stddev `sqrt(rate / (1 - rate))`. */
  rate: number;
  seed?: number | null;
}

/**
 * Multiplies the inputs by 1-centred Gaussian noise during training; passes them through at inference.
 *
 * Keras: `keras.layers.GaussianDropout`
 *
 * @example
 * ```ts
 * const layer = new GaussianDropout({ rate: 0.1 });
 * layer.apply(tf.ones([2, 4]), { training: true }); // shape [2, 4]
 * ```
 */
export class GaussianDropout extends Layer {
  static override className = 'GaussianDropout';
  readonly rate: number;
  readonly seed: number | null;
  private readonly seedGenerator: SeedGenerator;

  constructor(args: GaussianDropoutArgs) {
    super(args);
    this.rate = validateRate(args?.rate);
    this.seed = args.seed ?? null;
    this.seedGenerator = new SeedGenerator(this.seed);
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training || this.rate === 0) return tf.clone(x);
    const stddev = Math.sqrt(this.rate / (1 - this.rate));
    return tf.tidy(() =>
      tf.mul(x, tf.randomNormal(x.shape, 1, stddev, 'float32', this.seedGenerator.next())),
    );
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

register('layer', 'GaussianDropout', GaussianDropout);
