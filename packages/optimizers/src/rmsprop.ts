import { Optimizer, type OptimizerArgs, register, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { checkInInterval, checkNonNegative } from './check-args.js';

export interface RMSpropArgs extends OptimizerArgs {
  /** Discounting factor for the old gradients, in [0, 1]. Default 0.9. */
  rho?: number;
  /** Plain (not Nesterov) momentum, in [0, 1]. Default 0. */
  momentum?: number;
  /** Added to the mean square inside the square root. Default 1e-7. */
  epsilon?: number;
  /** Normalize by the estimated variance of the gradient instead of its uncentered second moment. Default false. */
  centered?: boolean;
}

/**
 * The RMSprop optimizer (Keras's `RMSprop`; Hinton, 2012): keeps a moving average of the squared
 * gradients and divides the gradient by its root.
 *
 * ```
 * velocity = rho * velocity + (1 - rho) * g^2
 * increment = learning_rate * g / sqrt(velocity + epsilon)     (centered: velocity - average_g^2 + epsilon)
 * w = w - increment                                             (momentum: m = momentum * m + increment; w = w - m)
 * ```
 *
 * Arguments: `learningRate` (default 0.001), `rho` (0.9), `momentum` (0), `epsilon` (1e-7),
 * `centered` (false), and the common optimizer arguments (`name` default 'rmsprop').
 *
 * Keras: `keras.optimizers.RMSprop`
 *
 * @example
 * ```ts
 * const opt = new RMSprop({ learningRate: 0.01, centered: true });
 * ```
 */
export class RMSprop extends Optimizer {
  static override className = 'RMSprop';

  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  private _velocities: Variable[] = [];
  private _momentums: Variable[] = [];
  private _averageGradients: Variable[] = [];

  constructor(args: RMSpropArgs = {}) {
    const rho = checkInInterval('rho', args.rho ?? 0.9, '[0, 1]');
    const momentum = checkInInterval('momentum', args.momentum ?? 0, '[0, 1]');
    const epsilon = checkNonNegative('epsilon', args.epsilon ?? 1e-7);
    super({ ...args, learningRate: args.learningRate ?? 0.001, name: args.name ?? 'rmsprop' });
    this.rho = rho;
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.centered = args.centered ?? false;
  }

  override build(variables: Variable[]): void {
    if (this.built) return;
    super.build(variables);
    // Keras adds each kind for all variables before the next kind.
    [this._velocities] = this.addOptimizerVariables(variables, ['velocity']);
    if (this.momentum > 0) [this._momentums] = this.addOptimizerVariables(variables, ['momentum']);
    if (this.centered) [this._averageGradients] = this.addOptimizerVariables(variables, ['average_gradient']);
  }

  override updateStep(gradient: tf.Tensor, variable: Variable, learningRate: number): void {
    const i = this.variableIndex(variable);
    const velocity = this._velocities[i];
    const rho = this.constant(this.rho);
    const oneMinusRho = this.constant(1 - this.rho);
    const eps = this.constant(this.epsilon);

    const vNew = tf.add(tf.mul(velocity.value, rho), tf.mul(tf.square(gradient), oneMinusRho));
    velocity.value.assign(vNew);
    let denominator: tf.Tensor;
    if (this.centered) {
      const avg = this._averageGradients[i];
      const avgNew = tf.add(tf.mul(avg.value, rho), tf.mul(gradient, oneMinusRho));
      avg.value.assign(avgNew);
      denominator = tf.add(tf.sub(vNew, tf.square(avgNew)), eps);
    } else {
      denominator = tf.add(vNew, eps);
    }
    const increment = tf.div(tf.mul(gradient, this.constant(learningRate)), tf.sqrt(denominator));
    if (this.momentum > 0) {
      const m = this._momentums[i];
      const mNew = tf.add(tf.mul(m.value, this.constant(this.momentum)), increment);
      m.value.assign(mNew);
      variable.value.assign(tf.sub(variable.value, mNew));
    } else {
      variable.value.assign(tf.sub(variable.value, increment));
    }
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      rho: this.rho,
      momentum: this.momentum,
      epsilon: this.epsilon,
      centered: this.centered,
    };
  }
}

register('optimizer', 'RMSprop', RMSprop, { aliases: ['rmsprop'] });

declare module '@strata/core' {
  interface OptimizerIds {
    RMSprop: true;
    rmsprop: true;
  }
}
