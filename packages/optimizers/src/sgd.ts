import { Optimizer, type OptimizerArgs, register, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { checkInInterval } from './check-args.js';

export interface SGDArgs extends OptimizerArgs {
  /** Accelerates descent in the relevant direction and dampens oscillations; in [0, 1]. Default 0. */
  momentum?: number;
  /** Whether to apply Nesterov momentum. Default false. */
  nesterov?: boolean;
}

/**
 * Gradient descent with optional momentum (Keras's `SGD`).
 *
 * Without momentum: `w = w - learning_rate * g`. With momentum:
 * `velocity = momentum * velocity - learning_rate * g; w = w + velocity`; with Nesterov,
 * `w = w + momentum * velocity - learning_rate * g`.
 *
 * Arguments: `learningRate` (default 0.01), `momentum` (0), `nesterov` (false), and the common optimizer
 * arguments (`weightDecay`, `clipnorm`, `clipvalue`, `globalClipnorm`, `useEma`, `emaMomentum`,
 * `emaOverwriteFrequency`, `lossScaleFactor`, `gradientAccumulationSteps`, `name`, default 'SGD').
 *
 * Keras: `keras.optimizers.SGD`
 *
 * @example
 * ```ts
 * const opt = new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true });
 * ```
 */
export class SGD extends Optimizer {
  static override className = 'SGD';

  readonly momentum: number;
  readonly nesterov: boolean;
  private _momentums: Variable[] = [];

  constructor(args: SGDArgs = {}) {
    const momentum = checkInInterval('momentum', args.momentum ?? 0, '[0, 1]');
    super({ ...args, learningRate: args.learningRate ?? 0.01, name: args.name ?? 'SGD' });
    this.momentum = momentum;
    this.nesterov = args.nesterov ?? false;
  }

  override build(variables: Variable[]): void {
    if (this.built) return;
    super.build(variables);
    if (this.momentum !== 0) [this._momentums] = this.addOptimizerVariables(variables, ['momentum']);
  }

  override updateStep(gradient: tf.Tensor, variable: Variable, learningRate: number): void {
    const lrGrad = tf.mul(gradient, this.constant(learningRate));
    if (this.momentum === 0) {
      variable.value.assign(tf.sub(variable.value, lrGrad));
      return;
    }
    const m = this._momentums[this.variableIndex(variable)];
    const mom = this.constant(this.momentum);
    const velocity = tf.sub(tf.mul(m.value, mom), lrGrad);
    m.value.assign(velocity);
    const delta = this.nesterov ? tf.sub(tf.mul(velocity, mom), lrGrad) : velocity;
    variable.value.assign(tf.add(variable.value, delta));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}

register('optimizer', 'SGD', SGD, { aliases: ['sgd'] });

declare module '@strata/core' {
  interface OptimizerIds {
    SGD: true;
    sgd: true;
  }
}
