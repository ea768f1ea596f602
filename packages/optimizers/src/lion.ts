import { Optimizer, type OptimizerArgs, register, ValueError, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { checkInInterval } from './check-args.js';

export interface LionArgs extends OptimizerArgs {
  /** Weight of the momentum when combined with the gradient, in (0, 1]. Default 0.9. */
  beta1?: number;
  /** Decay rate of the momentum, in [0, 1]. Default 0.99. */
  beta2?: number;
}

/**
 * The Lion optimizer (Keras's `Lion`; Chen et al., 2023): a sign-based update with one momentum.
 *
 * ```
 * w = w - learning_rate * sign(beta_1 * m + (1 - beta_1) * g)
 * m = beta_2 * m + (1 - beta_2) * g
 * ```
 *
 * Arguments: `learningRate` (default 0.001), `beta1` (0.9), `beta2` (0.99), and the common optimizer
 * arguments (`name` default 'lion').
 *
 * Keras: `keras.optimizers.Lion`
 *
 * @example
 * ```ts
 * const opt = new Lion({ learningRate: 1e-4, weightDecay: 0.1 });
 * ```
 */
export class Lion extends Optimizer {
  static override className = 'Lion';

  readonly beta1: number;
  readonly beta2: number;
  private _momentums: Variable[] = [];

  constructor(args: LionArgs = {}) {
    const beta1 = args.beta1 ?? 0.9;
    if (!(typeof beta1 === 'number' && beta1 > 0 && beta1 <= 1)) {
      throw new ValueError(
        `Argument \`beta_1\` must be in the (0, 1] range. Otherwise, the optimizer degenerates to SignSGD. Received: beta_1=${beta1}.`,
      );
    }
    const beta2 = checkInInterval('beta_2', args.beta2 ?? 0.99, '[0, 1]');
    super({ ...args, learningRate: args.learningRate ?? 0.001, name: args.name ?? 'lion' });
    this.beta1 = beta1;
    this.beta2 = beta2;
  }

  override build(variables: Variable[]): void {
    if (this.built) return;
    super.build(variables);
    [this._momentums] = this.addOptimizerVariables(variables, ['momentum']);
  }

  override updateStep(gradient: tf.Tensor, variable: Variable, learningRate: number): void {
    const m = this._momentums[this.variableIndex(variable)];
    const direction = tf.sign(
      tf.add(tf.mul(m.value, this.constant(this.beta1)), tf.mul(gradient, this.constant(1 - this.beta1))),
    );
    variable.value.assign(tf.sub(variable.value, tf.mul(direction, this.constant(learningRate))));
    m.value.assign(
      tf.add(tf.mul(m.value, this.constant(this.beta2)), tf.mul(gradient, this.constant(1 - this.beta2))),
    );
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2 };
  }
}

register('optimizer', 'Lion', Lion, { aliases: ['lion'] });

declare module '@strata/core' {
  interface OptimizerIds {
    Lion: true;
    lion: true;
  }
}
