import { Optimizer, type OptimizerArgs, register, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { checkInInterval, checkNonNegative } from './check-args.js';

export interface AdadeltaArgs extends OptimizerArgs {
  /** The decay rate, in [0, 1]. Default 0.95. */
  rho?: number;
  /** Added inside each root mean square. Default 1e-7. */
  epsilon?: number;
}

/**
 * The Adadelta optimizer (Keras's `Adadelta`; Zeiler, 2012): adapts the step from moving windows of
 * squared gradients and squared updates.
 *
 * ```
 * acc_g = rho * acc_g + (1 - rho) * g^2
 * delta = -sqrt(acc_delta + epsilon) * g / sqrt(acc_g + epsilon)
 * acc_delta = rho * acc_delta + (1 - rho) * delta^2
 * w = w + learning_rate * delta
 * ```
 *
 * Arguments: `learningRate` (default 0.001; use 1.0 for the paper's form), `rho` (0.95), `epsilon`
 * (1e-7), and the common optimizer arguments (`name` default 'adadelta').
 *
 * Keras: `keras.optimizers.Adadelta`
 *
 * @example
 * ```ts
 * const opt = new Adadelta({ learningRate: 1.0 });
 * ```
 */
export class Adadelta extends Optimizer {
  static override className = 'Adadelta';

  readonly rho: number;
  readonly epsilon: number;
  private _accumulatedGrads: Variable[] = [];
  private _accumulatedDeltaVars: Variable[] = [];

  constructor(args: AdadeltaArgs = {}) {
    const rho = checkInInterval('rho', args.rho ?? 0.95, '[0, 1]');
    const epsilon = checkNonNegative('epsilon', args.epsilon ?? 1e-7);
    super({ ...args, learningRate: args.learningRate ?? 0.001, name: args.name ?? 'adadelta' });
    this.rho = rho;
    this.epsilon = epsilon;
  }

  override build(variables: Variable[]): void {
    if (this.built) return;
    super.build(variables);
    [this._accumulatedGrads, this._accumulatedDeltaVars] = this.addOptimizerVariables(variables, [
      'accumulated_grad',
      'accumulated_delta_var',
    ]);
  }

  override updateStep(gradient: tf.Tensor, variable: Variable, learningRate: number): void {
    const i = this.variableIndex(variable);
    const accGrad = this._accumulatedGrads[i];
    const accDelta = this._accumulatedDeltaVars[i];
    const rho = this.constant(this.rho);
    const oneMinusRho = this.constant(1 - this.rho);
    const eps = this.constant(this.epsilon);

    const accGradNew = tf.add(tf.mul(accGrad.value, rho), tf.mul(tf.square(gradient), oneMinusRho));
    accGrad.value.assign(accGradNew);
    // Keras's delta_var is the negative of `descent`; only its square and its sign enter below.
    const descent = tf.div(
      tf.mul(tf.sqrt(tf.add(accDelta.value, eps)), gradient),
      tf.sqrt(tf.add(accGradNew, eps)),
    );
    accDelta.value.assign(tf.add(tf.mul(accDelta.value, rho), tf.mul(tf.square(descent), oneMinusRho)));
    variable.value.assign(tf.sub(variable.value, tf.mul(descent, this.constant(learningRate))));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rho: this.rho, epsilon: this.epsilon };
  }
}

register('optimizer', 'Adadelta', Adadelta, { aliases: ['adadelta'] });

declare module '@strata/core' {
  interface OptimizerIds {
    Adadelta: true;
    adadelta: true;
  }
}
