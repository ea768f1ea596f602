import { type CallKwargs, Layer, type LayerArgs, register, type Shape, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { SeedGenerator } from '../random/seed-generator.js';

/** Constructor arguments of `GaussianNoise`: Keras's arguments of the same names, in camelCase. */
export interface GaussianNoiseArgs extends LayerArgs {
  /** Standard deviation of the additive noise, in [0, 1]. */
  stddev: number;
  seed?: number | null;
}

/**
 * Adds zero-centred Gaussian noise during training (a regularizer); passes inputs through at inference.
 *
 * Keras: `keras.layers.GaussianNoise`
 *
 * @example
 * ```ts
 * const layer = new GaussianNoise({ stddev: 0.1 });
 * layer.apply(tf.ones([2, 4]), { training: true }); // shape [2, 4]
 * ```
 */
export class GaussianNoise extends Layer {
  static override className = 'GaussianNoise';
  readonly stddev: number;
  readonly seed: number | null;
  private readonly seedGenerator: SeedGenerator;

  constructor(args: GaussianNoiseArgs) {
    super(args);
    const stddev = args?.stddev;
    if (typeof stddev !== 'number' || !(stddev >= 0 && stddev <= 1)) {
      throw new ValueError(
        `Invalid value received for argument \`stddev\`. Expected a float value between 0 and 1. Received: stddev=${stddev}`,
      );
    }
    this.stddev = stddev;
    this.seed = args.seed ?? null;
    this.seedGenerator = new SeedGenerator(this.seed);
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training || this.stddev === 0) return tf.clone(x);
    return tf.tidy(() =>
      tf.add(x, tf.randomNormal(x.shape, 0, this.stddev, 'float32', this.seedGenerator.next())),
    );
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), stddev: this.stddev, seed: this.seed };
  }
}

register('layer', 'GaussianNoise', GaussianNoise);
