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

import { type Constraint, serializeConstraint } from '../constraints/index.js';
import { resolveWeightArgs, weightSettings } from '../core/weight-args.js';
import { getInitializer, type Initializer, serializeInitializer } from '../initializers/index.js';
import { type Regularizer, serializeRegularizer } from '../regularizers/index.js';
import { normalizeWithMoments } from './moments-normalize.js';

/** Constructor arguments of `BatchNormalization`: Keras's arguments of the same names, in camelCase. */
export interface BatchNormalizationArgs extends LayerArgs {
  /** The features axis (normalized per entry of it). Default -1. */
  axis?: number;
  /** Momentum of the moving averages. Default 0.99. */
  momentum?: number;
  /** Added to the variance to avoid dividing by zero. Default 1e-3. */
  epsilon?: number;
  /** Add the learned offset `beta`. Default true. */
  center?: boolean;
  /** Multiply by the learned scale `gamma`. Default true. */
  scale?: boolean;
  betaInitializer?: InitializerIdentifier;
  gammaInitializer?: InitializerIdentifier;
  movingMeanInitializer?: InitializerIdentifier;
  movingVarianceInitializer?: InitializerIdentifier;
  betaRegularizer?: RegularizerIdentifier | null;
  gammaRegularizer?: RegularizerIdentifier | null;
  betaConstraint?: ConstraintIdentifier | null;
  gammaConstraint?: ConstraintIdentifier | null;
  /** Cross-replica statistics; Strata trains on one device, so only false is accepted. */
  synchronized?: boolean;
}

/**
 * Normalizes its inputs to mean 0 and variance 1 per feature, then scales by `gamma` and shifts by `beta`.
 *
 * In training (`training: true` and the layer trainable) it uses the batch's statistics and updates the
 * moving mean and variance (`moving = moving * momentum + batch * (1 - momentum)`); otherwise it uses
 * the moving statistics. As in Keras 3, a layer with `trainable = false` always runs in inference mode.
 * Weights, in order: gamma, beta, moving_mean, moving_variance.
 *
 * Keras: `keras.layers.BatchNormalization`
 *
 * @example
 * ```ts
 * const layer = new BatchNormalization();
 * layer.apply(tf.ones([2, 4])); // shape [2, 4]
 * ```
 */
export class BatchNormalization extends Layer {
  static override className = 'BatchNormalization';

  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  declare readonly betaInitializer: Initializer;
  declare readonly gammaInitializer: Initializer;
  readonly movingMeanInitializer: Initializer;
  readonly movingVarianceInitializer: Initializer;
  declare readonly betaRegularizer: Regularizer | null;
  declare readonly gammaRegularizer: Regularizer | null;
  declare readonly betaConstraint: Constraint | null;
  declare readonly gammaConstraint: Constraint | null;
  gamma: Variable | null = null;
  beta: Variable | null = null;
  movingMean: Variable | null = null;
  movingVariance: Variable | null = null;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args);
    // tf.keras (legacy .h5) configs may write the axis as a one-element list.
    const axis: unknown =
      Array.isArray(args.axis) && args.axis.length === 1 ? args.axis[0] : (args.axis ?? -1);
    if (!Number.isInteger(axis)) {
      throw new ValueError(
        `Expected an integer value for \`axis\`. Received: axis=${JSON.stringify(args.axis)}`,
      );
    }
    if (args.synchronized)
      throw new ValueError(
        'Strata trains on one device; `synchronized` must be false. Received: synchronized=true',
      );
    this.axis = axis as number;
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    if (!(this.epsilon > 0))
      throw new ValueError(`\`epsilon\` must be positive. Received: epsilon=${this.epsilon}`);
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    Object.assign(this, resolveWeightArgs(args, { beta: 'zeros', gamma: 'ones' }));
    this.movingMeanInitializer = getInitializer(args.movingMeanInitializer ?? 'zeros');
    this.movingVarianceInitializer = getInitializer(args.movingVarianceInitializer ?? 'ones');
    this.supportsMasking = true;
  }

  private positiveAxis(rank: number): number {
    const axis = this.axis < 0 ? rank + this.axis : this.axis;
    if (axis < 0 || axis >= rank) {
      throw new ValueError(
        `Layer "${this.name}": axis ${this.axis} is out of range for an input of rank ${rank}.`,
      );
    }
    return axis;
  }

  override build(inputShape: Shape): void {
    const axis = this.positiveAxis(inputShape.length);
    const dim = inputShape[axis];
    if (dim == null) {
      throw new ValueError(
        `Layer "${this.name}": axis ${this.axis} of the input must have a defined size. Received: input_shape=${formatShape(inputShape)}`,
      );
    }
    if (this.scale) {
      this.gamma = this.addWeight('gamma', {
        shape: [dim],
        ...weightSettings(this, 'gamma'),
      });
    }
    if (this.center) {
      this.beta = this.addWeight('beta', {
        shape: [dim],
        ...weightSettings(this, 'beta'),
      });
    }
    this.movingMean = this.addWeight('moving_mean', {
      shape: [dim],
      initializer: this.movingMeanInitializer,
      trainable: false,
    });
    this.movingVariance = this.addWeight('moving_variance', {
      shape: [dim],
      initializer: this.movingVarianceInitializer,
      trainable: false,
    });
    this.inputSpec = { ndim: inputShape.length, axes: { [this.axis]: dim } };
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const axis = this.positiveAxis(x.rank);
    const training = Boolean(kwargs.training) && this.trainable;
    return tf.tidy(() => {
      // Statistics and parameters are vectors over the feature axis; for another axis than the last they
      // are reshaped to broadcast against the input.
      const lastAxis = axis === x.rank - 1;
      const broadcastShape = x.shape.map((d, i) => (i === axis ? d : 1));
      const shaped = (t: tf.Tensor) => (lastAxis ? t : tf.reshape(t, broadcastShape));
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (training) {
        const reductionAxes = x.shape.map((_, i) => i).filter((i) => i !== axis);
        const moments = tf.moments(x, reductionAxes);
        mean = moments.mean;
        variance = moments.variance;
        const m = this.momentum;
        this.movingMean!.assign(tf.add(tf.mul(this.movingMean!.value, m), tf.mul(mean, 1 - m)));
        this.movingVariance!.assign(tf.add(tf.mul(this.movingVariance!.value, m), tf.mul(variance, 1 - m)));
      } else {
        mean = this.movingMean!.value;
        variance = this.movingVariance!.value;
      }
      const gamma = this.gamma ? shaped(this.gamma.value) : undefined;
      const beta = this.beta ? shaped(this.beta.value) : undefined;
      // tfjs's FusedBatchNorm records a missing offset or scale as an undefined tape input, and taking a
      // gradient then fails inside tfjs; with `center` or `scale` off it is written out too.
      if (lastAxis && gamma && beta) return tf.batchNorm(x, mean, variance, beta, gamma, this.epsilon);
      return normalizeWithMoments(x, shaped(mean), shaped(variance), beta, gamma, this.epsilon);
    });
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: serializeInitializer(this.betaInitializer),
      gammaInitializer: serializeInitializer(this.gammaInitializer),
      movingMeanInitializer: serializeInitializer(this.movingMeanInitializer),
      movingVarianceInitializer: serializeInitializer(this.movingVarianceInitializer),
      betaRegularizer: serializeRegularizer(this.betaRegularizer),
      gammaRegularizer: serializeRegularizer(this.gammaRegularizer),
      betaConstraint: serializeConstraint(this.betaConstraint),
      gammaConstraint: serializeConstraint(this.gammaConstraint),
      synchronized: false,
    };
  }
}

register('layer', 'BatchNormalization', BatchNormalization);
