import { type CallKwargs, Layer, type LayerArgs, register, type Shape, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { SeedGenerator, validateRate } from '../random/seed-generator.js';

/** Constructor arguments of `Dropout`: Keras's arguments of the same names, in camelCase. */
export interface DropoutArgs extends LayerArgs {
  /** Fraction of the inputs to drop, in [0, 1). */
  rate: number;
  /** Shape of the binary mask, broadcast over the input; null entries take the input's size. */
  noiseShape?: (number | null)[] | null;
  /** Integer seed for a reproducible sequence of masks. */
  seed?: number | null;
}

/**
 * Randomly sets a fraction `rate` of the inputs to 0 during training and scales the rest by
 * `1 / (1 - rate)`, so the expected sum is unchanged; at inference it passes inputs through.
 *
 * Keras: `keras.layers.Dropout`
 *
 * @example
 * ```ts
 * const layer = new Dropout({ rate: 0.5 });
 * layer.apply(tf.ones([2, 4]), { training: true }); // shape [2, 4]
 * ```
 */
export class Dropout extends Layer {
  static override className = 'Dropout';
  readonly rate: number;
  readonly noiseShape: (number | null)[] | null;
  readonly seed: number | null;
  protected readonly seedGenerator: SeedGenerator;

  constructor(args: DropoutArgs) {
    super(args);
    this.rate = validateRate(args?.rate);
    this.noiseShape = args.noiseShape ?? null;
    if (this.noiseShape != null && !Array.isArray(this.noiseShape)) {
      throw new ValueError(
        `\`noise_shape\` must be a list of integers or null. Received: noise_shape=${JSON.stringify(this.noiseShape)}`,
      );
    }
    this.seed = args.seed ?? null;
    this.seedGenerator = new SeedGenerator(this.seed);
    this.supportsMasking = true;
  }

  /** The concrete noise shape for an input (null entries filled from it). */
  protected resolveNoiseShape(x: tf.Tensor): number[] | undefined {
    if (this.noiseShape == null) return undefined;
    return this.noiseShape.map((d, i) => d ?? x.shape[i]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training || this.rate === 0) return tf.clone(x);
    return tf.dropout(x, this.rate, this.resolveNoiseShape(x), this.seedGenerator.next());
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed, noiseShape: this.noiseShape };
  }
}

register('layer', 'Dropout', Dropout);
