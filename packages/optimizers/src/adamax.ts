import { Optimizer, type OptimizerArgs, register, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { checkMomentArgs } from './check-args.js';

export interface AdamaxArgs extends OptimizerArgs {
  /** Decay rate of the 1st-moment estimates, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay rate of the exponentially weighted infinity norm, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to the norm. Default 1e-7. */
  epsilon?: number;
}

/**
 * The Adamax optimizer (Keras's `Adamax`; Kingma and Ba, 2014): Adam with the infinity norm.
 *
 * ```
 * m = m + (g - m) * (1 - beta_1)
 * u = max(beta_2 * u, |g|)
 * w = w - learning_rate * m / ((1 - beta_1^t) * (u + epsilon))
 * ```
 *
 * Arguments: `learningRate` (default 0.001), `beta1` (0.9), `beta2` (0.999), `epsilon` (1e-7), and the
 * common optimizer arguments (`name` default 'adamax').
 *
 * Keras: `keras.optimizers.Adamax`
 *
 * @example
 * ```ts
 * const opt = new Adamax({ learningRate: 0.002 });
 * ```
 */
export class Adamax extends Optimizer {
  static override className = 'Adamax';

  declare readonly beta1: number;
  declare readonly beta2: number;
  declare readonly epsilon: number;
  private _m: Variable[] = [];
  private _u: Variable[] = [];

  constructor(args: AdamaxArgs = {}) {
    const moments = checkMomentArgs(args);
    super({ ...args, learningRate: args.learningRate ?? 0.001, name: args.name ?? 'adamax' });
    Object.assign(this, moments);
  }

  override build(variables: Variable[]): void {
    if (this.built) return;
    super.build(variables);
    [this._m, this._u] = this.addOptimizerVariables(variables, ['momentum', 'norm']);
  }

  override updateStep(gradient: tf.Tensor, variable: Variable, learningRate: number): void {
    const i = this.variableIndex(variable);
    const m = this._m[i];
    const u = this._u[i];
    const t = this.updateCount + 1;

    const mNew = tf.add(m.value, tf.mul(tf.sub(gradient, m.value), this.constant(1 - this.beta1)));
    const uNew = tf.maximum(tf.mul(u.value, this.constant(this.beta2)), tf.abs(gradient));
    m.value.assign(mNew);
    u.value.assign(uNew);
    const scale = learningRate / (1 - this.beta1 ** t);
    const step = tf.div(tf.mul(mNew, this.constant(scale)), tf.add(uNew, this.constant(this.epsilon)));
    variable.value.assign(tf.sub(variable.value, step));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

register('optimizer', 'Adamax', Adamax, { aliases: ['adamax'] });

declare module '@strata/core' {
  interface OptimizerIds {
    Adamax: true;
    adamax: true;
  }
}
