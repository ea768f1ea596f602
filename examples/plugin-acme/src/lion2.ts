import { Optimizer, type OptimizerArgs, register, ValueError, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

export interface Lion2Args extends OptimizerArgs {
  /** Weight of the momentum in the update direction, in (0, 1]. Default 0.9. */
  beta1?: number;
  /** Decay rate of the momentum, in [0, 1]. Default 0.99. */
  beta2?: number;
  /** How close `tanh(sharpness * u)` comes to Lion's `sign(u)`; > 0. Default 10. */
  sharpness?: number;
}

/**
 * Lion with a smooth sign: small directions take small steps instead of full ones.
 *
 * ```
 * u = beta_1 * m + (1 - beta_1) * g
 * w = w - learning_rate * tanh(sharpness * u)
 * m = beta_2 * m + (1 - beta_2) * g
 * ```
 *
 * Registered as `'acme>Lion2'`: `model.compile({ optimizer: 'acme>Lion2', ... })`.
 */
export class Lion2 extends Optimizer {
  static override className = 'Lion2';

  readonly beta1: number;
  readonly beta2: number;
  readonly sharpness: number;
  private momentums: Variable[] = [];

  constructor(args: Lion2Args = {}) {
    const beta1 = args.beta1 ?? 0.9;
    const beta2 = args.beta2 ?? 0.99;
    const sharpness = args.sharpness ?? 10;
    if (!(beta1 > 0 && beta1 <= 1)) {
      throw new ValueError(`Argument \`beta_1\` must be in the (0, 1] range. Received: beta_1=${beta1}`);
    }
    if (!(beta2 >= 0 && beta2 <= 1)) {
      throw new ValueError(`Argument \`beta_2\` must be in the [0, 1] range. Received: beta_2=${beta2}`);
    }
    if (!(sharpness > 0 && Number.isFinite(sharpness))) {
      throw new ValueError(
        `Argument \`sharpness\` must be a positive number. Received: sharpness=${sharpness}`,
      );
    }
    super({ ...args, learningRate: args.learningRate ?? 0.001, name: args.name ?? 'lion2' });
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.sharpness = sharpness;
  }

  override build(variables: Variable[]): void {
    if (this.built) return;
    super.build(variables);
    [this.momentums] = this.addOptimizerVariables(variables, ['momentum']);
  }

  override updateStep(gradient: tf.Tensor, variable: Variable, learningRate: number): void {
    const m = this.momentums[this.variableIndex(variable)];
    const u = tf.add(
      tf.mul(m.value, this.constant(this.beta1)),
      tf.mul(gradient, this.constant(1 - this.beta1)),
    );
    const direction = tf.tanh(tf.mul(u, this.constant(this.sharpness)));
    variable.value.assign(tf.sub(variable.value, tf.mul(direction, this.constant(learningRate))));
    m.value.assign(
      tf.add(tf.mul(m.value, this.constant(this.beta2)), tf.mul(gradient, this.constant(1 - this.beta2))),
    );
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, sharpness: this.sharpness };
  }
}

register('optimizer', 'Lion2', Lion2, { package: 'acme', module: '@acme/strata-plugin' });
