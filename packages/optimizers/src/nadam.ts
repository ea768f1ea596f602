import { Optimizer, type OptimizerArgs, register, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { checkMomentArgs } from './check-args.js';

export interface NadamArgs extends OptimizerArgs {
  /** Decay rate of the 1st-moment estimates, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay rate of the 2nd-moment estimates, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to sqrt(v_hat). Default 1e-7. */
  epsilon?: number;
}

/**
 * The Nadam optimizer (Keras's `Nadam`; Dozat, 2015): Adam with Nesterov momentum and the momentum
 * schedule `u_t = beta_1 * (1 - 0.5 * 0.96^t)`, whose running product is kept as a variable.
 *
 * ```
 * m = m + (g - m) * (1 - beta_1);  v = v + (g^2 - v) * (1 - beta_2)
 * m_hat = u_{t+1} * m / (1 - prod_{t+1}) + (1 - u_t) * g / (1 - prod_t);  v_hat = v / (1 - beta_2^t)
 * w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)
 * ```
 *
 * Arguments: `learningRate` (default 0.001), `beta1` (0.9), `beta2` (0.999), `epsilon` (1e-7), and the
 * common optimizer arguments (`name` default 'nadam').
 *
 * Keras: `keras.optimizers.Nadam`
 *
 * @example
 * ```ts
 * const opt = new Nadam({ learningRate: 0.002 });
 * ```
 */
export class Nadam extends Optimizer {
  static override className = 'Nadam';

  declare readonly beta1: number;
  declare readonly beta2: number;
  declare readonly epsilon: number;
  private _momentums: Variable[] = [];
  private _velocities: Variable[] = [];
  private _uProductVariable: Variable | null = null;
  /** The host mirror of the `u_product` variable. */
  private _uProduct = 1;

  constructor(args: NadamArgs = {}) {
    const moments = checkMomentArgs(args);
    super({ ...args, learningRate: args.learningRate ?? 0.001, name: args.name ?? 'nadam' });
    Object.assign(this, moments);
  }

  override build(variables: Variable[]): void {
    if (this.built) return;
    super.build(variables);
    [this._momentums, this._velocities] = this.addOptimizerVariables(variables, ['momentum', 'velocity']);
    this._uProductVariable = this.addVariable({
      shape: [],
      dtype: variables[0]?.dtype ?? 'float32',
      initialValue: 1,
      name: 'u_product',
    });
    this._uProduct = 1;
  }

  protected override updateAll(gradients: tf.Tensor[], variables: Variable[], learningRate: number): void {
    // Once per update, before the variables (Keras's `_backend_update_step`).
    this._uProduct *= this.muAt(this.updateCount + 1);
    const v = this._uProductVariable!;
    v.value.assign(tf.scalar(this._uProduct, v.dtype));
    super.updateAll(gradients, variables, learningRate);
  }

  private muAt(t: number): number {
    return this.beta1 * (1 - 0.5 * 0.96 ** t);
  }

  override updateStep(gradient: tf.Tensor, variable: Variable, learningRate: number): void {
    const i = this.variableIndex(variable);
    const m = this._momentums[i];
    const v = this._velocities[i];
    const t = this.updateCount + 1;
    const uT = this.muAt(t);
    const uNext = this.muAt(t + 1);
    const productNext = this._uProduct * uNext;

    const mNew = tf.add(m.value, tf.mul(tf.sub(gradient, m.value), this.constant(1 - this.beta1)));
    const vNew = tf.add(v.value, tf.mul(tf.sub(tf.square(gradient), v.value), this.constant(1 - this.beta2)));
    m.value.assign(mNew);
    v.value.assign(vNew);
    // learning_rate * m_hat, with the scalar factors folded on the host.
    const lrMHat = tf.add(
      tf.mul(mNew, this.constant((learningRate * uNext) / (1 - productNext))),
      tf.mul(gradient, this.constant((learningRate * (1 - uT)) / (1 - this._uProduct))),
    );
    const vHat = tf.mul(vNew, this.constant(1 / (1 - this.beta2 ** t)));
    const step = tf.div(lrMHat, tf.add(tf.sqrt(vHat), this.constant(this.epsilon)));
    variable.value.assign(tf.sub(variable.value, step));
  }

  /** Also re-reads the host mirror of `u_product`. */
  override syncStep(): void {
    super.syncStep();
    if (this._uProductVariable != null) this._uProduct = this._uProductVariable.value.dataSync()[0];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

register('optimizer', 'Nadam', Nadam, { aliases: ['nadam'] });

declare module '@strata/core' {
  interface OptimizerIds {
    Nadam: true;
    nadam: true;
  }
}
