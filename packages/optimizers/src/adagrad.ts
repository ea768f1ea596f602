import { Optimizer, type OptimizerArgs, register, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { checkNonNegative } from './check-args.js';

export interface AdagradArgs extends OptimizerArgs {
  /** Starting value of the per-parameter accumulators, >= 0. Default 0.1. */
  initialAccumulatorValue?: number;
  /** Added to the accumulator inside the square root. Default 1e-7. */
  epsilon?: number;
}

/**
 * The Adagrad optimizer (Keras's `Adagrad`; Duchi et al., 2011): per-parameter learning rates scaled by
 * the accumulated squared gradients.
 *
 * ```
 * accumulator = accumulator + g^2
 * w = w - learning_rate * g / sqrt(accumulator + epsilon)
 * ```
 *
 * Arguments: `learningRate` (default 0.001), `initialAccumulatorValue` (0.1), `epsilon` (1e-7), and the
 * common optimizer arguments (`name` default 'adagrad').
 *
 * Keras: `keras.optimizers.Adagrad`
 *
 * @example
 * ```ts
 * const opt = new Adagrad({ learningRate: 0.01 });
 * ```
 */
export class Adagrad extends Optimizer {
  static override className = 'Adagrad';

  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  private _accumulatorSlots: Variable[] = [];

  constructor(args: AdagradArgs = {}) {
    const initial = checkNonNegative('initial_accumulator_value', args.initialAccumulatorValue ?? 0.1);
    const epsilon = checkNonNegative('epsilon', args.epsilon ?? 1e-7);
    super({ ...args, learningRate: args.learningRate ?? 0.001, name: args.name ?? 'adagrad' });
    this.initialAccumulatorValue = initial;
    this.epsilon = epsilon;
  }

  override build(variables: Variable[]): void {
    if (this.built) return;
    super.build(variables);
    [this._accumulatorSlots] = this.addOptimizerVariables(
      variables,
      ['accumulator'],
      this.initialAccumulatorValue,
    );
  }

  override updateStep(gradient: tf.Tensor, variable: Variable, learningRate: number): void {
    const acc = this._accumulatorSlots[this.variableIndex(variable)];
    const accNew = tf.add(acc.value, tf.square(gradient));
    acc.value.assign(accNew);
    const step = tf.div(
      tf.mul(gradient, this.constant(learningRate)),
      tf.sqrt(tf.add(accNew, this.constant(this.epsilon))),
    );
    variable.value.assign(tf.sub(variable.value, step));
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      initialAccumulatorValue: this.initialAccumulatorValue,
      epsilon: this.epsilon,
    };
  }
}

register('optimizer', 'Adagrad', Adagrad, { aliases: ['adagrad'] });

declare module '@strata/core' {
  interface OptimizerIds {
    Adagrad: true;
    adagrad: true;
  }
}
