import {
  Optimizer,
  type OptimizerArgs,
  register,
  StrataAdamUpdate,
  type StrataAdamUpdateAttrs,
  type StrataAdamUpdateInputs,
  type Variable,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { checkMomentArgs } from './check-args.js';

export interface AdamArgs extends OptimizerArgs {
  /** Decay rate of the 1st-moment estimates, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay rate of the 2nd-moment estimates, in [0, 1). Default 0.999. */
  beta2?: number;
  /** "Epsilon hat" of Kingma and Ba: added to sqrt(v), after the bias correction is folded into the step. Default 1e-7. */
  epsilon?: number;
  /** Whether to apply the AMSGrad variant. Default false. */
  amsgrad?: boolean;
}

/**
 * The Adam optimizer (Keras's `Adam`), with Keras 3's update rule, which differs from tfjs-core's:
 *
 * ```
 * alpha = learning_rate * sqrt(1 - beta_2^t) / (1 - beta_1^t)
 * m = m + (g - m) * (1 - beta_1);  v = v + (g^2 - v) * (1 - beta_2)
 * w = w - alpha * m / (sqrt(v) + epsilon)
 * ```
 *
 * Arguments: `learningRate` (default 0.001), `beta1` (0.9), `beta2` (0.999), `epsilon` (1e-7),
 * `amsgrad` (false), and the common optimizer arguments (`name` default 'adam').
 *
 * Keras: `keras.optimizers.Adam`
 *
 * @example
 * ```ts
 * model.compile({ optimizer: new Adam({ learningRate: 1e-3 }), loss: 'mse' });
 * ```
 */
export class Adam extends Optimizer {
  static override className = 'Adam';

  declare readonly beta1: number;
  declare readonly beta2: number;
  declare readonly epsilon: number;
  readonly amsgrad: boolean;
  private _momentums: Variable[] = [];
  private _velocities: Variable[] = [];
  private _velocityHats: Variable[] = [];

  constructor(args: AdamArgs = {}) {
    const moments = checkMomentArgs(args);
    super({ ...args, learningRate: args.learningRate ?? 0.001, name: args.name ?? 'adam' });
    Object.assign(this, moments);
    this.amsgrad = args.amsgrad ?? false;
  }

  override build(variables: Variable[]): void {
    if (this.built) return;
    super.build(variables);
    [this._momentums, this._velocities] = this.addOptimizerVariables(variables, ['momentum', 'velocity']);
    if (this.amsgrad) [this._velocityHats] = this.addOptimizerVariables(variables, ['velocity_hat']);
  }

  override updateStep(gradient: tf.Tensor, variable: Variable, learningRate: number): void {
    const i = this.variableIndex(variable);
    const m = this._momentums[i];
    const v = this._velocities[i];
    const t = this.updateCount + 1;
    const alpha = (learningRate * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);

    // The one-pass kernel that @strata/backends registers (its contract is core's StrataAdamUpdate);
    // without it (other backends, amsgrad) the composite below runs.
    if (this.canFuse(gradient, variable)) {
      const inputs = {
        variable: variable.value,
        gradient,
        m: m.value,
        v: v.value,
      } satisfies StrataAdamUpdateInputs;
      const attrs = {
        alpha,
        beta1: this.beta1,
        beta2: this.beta2,
        epsilon: this.epsilon,
      } satisfies StrataAdamUpdateAttrs;
      const [wNew, mNew, vNew] = tf.engine().runKernel(StrataAdamUpdate, inputs, attrs) as tf.Tensor[];
      // The variables take the outputs' storage; the tidy around updateStep frees the rest.
      m.value.assign(mNew);
      v.value.assign(vNew);
      variable.value.assign(wNew);
      return;
    }

    const mNew = tf.add(m.value, tf.mul(tf.sub(gradient, m.value), this.constant(1 - this.beta1)));
    const vNew = tf.add(v.value, tf.mul(tf.sub(tf.square(gradient), v.value), this.constant(1 - this.beta2)));
    m.value.assign(mNew);
    v.value.assign(vNew);
    let vUsed = vNew;
    if (this.amsgrad) {
      const vHat = this._velocityHats[i];
      vUsed = tf.maximum(vHat.value, vNew);
      vHat.value.assign(vUsed);
    }
    const step = tf.div(
      tf.mul(mNew, this.constant(alpha)),
      tf.add(tf.sqrt(vUsed), this.constant(this.epsilon)),
    );
    variable.value.assign(tf.sub(variable.value, step));
  }

  /** Whether the one-pass kernel `StrataAdamUpdate` can run this weight's update. */
  private canFuse(gradient: tf.Tensor, variable: Variable): boolean {
    return (
      !this.amsgrad &&
      gradient.dtype === 'float32' &&
      variable.value.dtype === 'float32' &&
      tf.util.arraysEqual(gradient.shape, variable.value.shape) &&
      tf.getKernel(StrataAdamUpdate, tf.getBackend()) != null
    );
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      amsgrad: this.amsgrad,
    };
  }
}

register('optimizer', 'Adam', Adam, { aliases: ['adam'] });

declare module '@strata/core' {
  interface OptimizerIds {
    Adam: true;
    adam: true;
  }
}
