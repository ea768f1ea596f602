import { Layer, type LayerArgs, register, type Shape } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
import { L1L2 } from '../regularizers/index.js';

/** Constructor arguments of `ActivityRegularization`: Keras's arguments of the same names, in camelCase. */
export interface ActivityRegularizationArgs extends LayerArgs {
  /** L1 factor. Default 0. */
  l1?: number;
  /** L2 factor. Default 0. */
  l2?: number;
}

/**
 * Passes its input through and, during training, adds `l1 * sum(|x|) + l2 * sum(x^2)` of it to the loss
 * (through `addLoss`, collected by the training step from `losses`).
 *
 * Keras: `keras.layers.ActivityRegularization`
 *
 * @example
 * ```ts
 * const layer = new ActivityRegularization({ l1: 0.01 });
 * layer.apply(tf.ones([2, 4])); // shape [2, 4]
 * ```
 */
export class ActivityRegularization extends Layer {
  static override className = 'ActivityRegularization';
  readonly l1: number;
  readonly l2: number;

  constructor(args: ActivityRegularizationArgs = {}) {
    const regularizer = new L1L2({ l1: args.l1 ?? 0, l2: args.l2 ?? 0 });
    super({ ...args, activityRegularizer: regularizer });
    this.l1 = regularizer.l1;
    this.l2 = regularizer.l2;
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.clone(x);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override getConfig(): Record<string, unknown> {
    // Keras writes the factors, not the regularizer they make.
    const { activityRegularizer: _regularizer, ...base } = super.getConfig();
    return { ...base, l1: this.l1, l2: this.l2 };
  }
}

register('layer', 'ActivityRegularization', ActivityRegularization);
