import {
  type CallKwargs,
  type ConstraintIdentifier,
  formatShape,
  type InitializerIdentifier,
  Layer,
  type LayerArgs,
  type RegularizerIdentifier,
  register,
  type Shape,
  ValueError,
  type Variable,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import type { Constraint } from '../constraints/index.js';
import { resolveWeightArgs, serializeWeightArgs, weightSettings } from '../core/weight-args.js';
import type { Initializer } from '../initializers/index.js';
import type { Regularizer } from '../regularizers/index.js';
import { normalizeWithMoments } from './moments-normalize.js';

/** Constructor arguments of `LayerNormalization`: Keras's arguments of the same names, in camelCase. */
export interface LayerNormalizationArgs extends LayerArgs {
  /** The axis or axes normalized over, per sample. Default -1. */
  axis?: number | number[];
  /** Default 1e-3. */
  epsilon?: number;
  /** Add the learned offset `beta`. Default true. */
  center?: boolean;
  /** Multiply by the learned scale `gamma`. Default true. */
  scale?: boolean;
  /**
   * Keras's deprecated `rms_scaling`: no centering and no beta, the input divided by its standard deviation
   * over `axis` (Keras 3.15 computes the variance here, not the mean square). Default false.
   */
  rmsScaling?: boolean;
  betaInitializer?: InitializerIdentifier;
  gammaInitializer?: InitializerIdentifier;
  betaRegularizer?: RegularizerIdentifier | null;
  gammaRegularizer?: RegularizerIdentifier | null;
  betaConstraint?: ConstraintIdentifier | null;
  gammaConstraint?: ConstraintIdentifier | null;
}

/**
 * Normalizes each sample over `axis` to mean 0 and variance 1 (independently of the batch), then scales by
 * `gamma` and shifts by `beta`. Weights, in order: gamma, beta.
 *
 * Keras: `keras.layers.LayerNormalization`
 *
 * @example
 * ```ts
 * const layer = new LayerNormalization();
 * layer.apply(tf.ones([2, 4])); // shape [2, 4]
 * ```
 */
export class LayerNormalization extends Layer {
  static override className = 'LayerNormalization';

  readonly axis: number | number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly rmsScaling: boolean;
  declare readonly betaInitializer: Initializer;
  declare readonly gammaInitializer: Initializer;
  declare readonly betaRegularizer: Regularizer | null;
  declare readonly gammaRegularizer: Regularizer | null;
  declare readonly betaConstraint: Constraint | null;
  declare readonly gammaConstraint: Constraint | null;
  gamma: Variable | null = null;
  beta: Variable | null = null;

  constructor(args: LayerNormalizationArgs = {}) {
    super(args);
    const axis = args.axis ?? -1;
    const axes = Array.isArray(axis) ? axis : [axis];
    if (axes.length === 0 || axes.some((a) => !Number.isInteger(a))) {
      throw new ValueError(
        `Expected an int or a list of ints for the axis argument. Received: axis=${JSON.stringify(axis)}`,
      );
    }
    this.axis = Array.isArray(axis) ? axis.slice() : axis;
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.rmsScaling = args.rmsScaling ?? false;
    Object.assign(this, resolveWeightArgs(args, { beta: 'zeros', gamma: 'ones' }));
    this.supportsMasking = true;
  }

  private axes(rank: number): number[] {
    const list = Array.isArray(this.axis) ? this.axis : [this.axis];
    const axes = list.map((a) => (a < 0 ? rank + a : a));
    if (axes.some((a) => a < 0 || a >= rank)) {
      throw new ValueError(
        `Layer "${this.name}": axis ${JSON.stringify(this.axis)} is out of range for an input of rank ${rank}.`,
      );
    }
    return [...new Set(axes)].sort((a, b) => a - b);
  }

  override build(inputShape: Shape): void {
    const axes = this.axes(inputShape.length);
    const shape = axes.map((a) => inputShape[a]);
    if (shape.some((d) => d == null)) {
      throw new ValueError(
        `Layer "${this.name}": the normalized axes must have defined sizes. Received: input_shape=${formatShape(inputShape)}`,
      );
    }
    if (this.scale) {
      this.gamma = this.addWeight('gamma', {
        shape: shape as number[],
        ...weightSettings(this, 'gamma'),
      });
    }
    if (this.center && !this.rmsScaling) {
      this.beta = this.addWeight('beta', {
        shape: shape as number[],
        ...weightSettings(this, 'beta'),
      });
    }
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const axes = this.axes(x.rank);
    return tf.tidy(() => {
      const broadcastShape = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
      const param = (v: Variable | null) => (v ? tf.reshape(v.value, broadcastShape) : null);
      const gamma = param(this.gamma);
      const beta = param(this.beta);
      if (this.rmsScaling) {
        // Keras 3.15's (deprecated) rms_scaling divides the uncentered input by the standard deviation,
        // not by the root mean square; Keras is the spec, so Strata does the same.
        const { variance } = tf.moments(x, axes, true);
        const y = tf.mul(x, tf.rsqrt(tf.add(variance, this.epsilon)));
        return gamma ? tf.mul(y, gamma) : y;
      }
      const { mean, variance } = tf.moments(x, axes, true);
      return normalizeWithMoments(x, mean, variance, beta, gamma, this.epsilon);
    });
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      rmsScaling: this.rmsScaling,
      ...serializeWeightArgs(this, ['beta', 'gamma'], false),
    };
  }
}

register('layer', 'LayerNormalization', LayerNormalization);
