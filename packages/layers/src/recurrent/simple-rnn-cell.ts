import { register } from '@strata/core';
import type * as tf from '@tensorflow/tfjs-core';

import { BaseRNNCell, type BaseRNNCellArgs, type CellStep } from './base-rnn-cell.js';

/** Constructor arguments of `SimpleRNNCell`: Keras's arguments of the same names, in camelCase. */
export type SimpleRNNCellArgs = BaseRNNCellArgs;

/**
 * Cell of the fully-connected RNN: `h_t = activation(x_t·kernel + bias + h_{t-1}·recurrent_kernel)`.
 *
 * Weights: `kernel [inputDim, units]`, `recurrent_kernel [units, units]`, `bias [units]`. Call it as
 * `cell.apply([x, h])` for one step (`x` is `[batch, inputDim]`), or wrap it in `RNN` for sequences.
 *
 * Keras: `keras.layers.SimpleRNNCell`
 *
 * @example
 * ```ts
 * const layer = new RNN({ cell: new SimpleRNNCell({ units: 4 }) });
 * layer.apply(tf.ones([2, 5, 3])); // shape [2, 4]
 * ```
 */
export class SimpleRNNCell extends BaseRNNCell {
  static override className = 'SimpleRNNCell';
  protected readonly gates = 1;
  readonly stateSize: number[];

  constructor(args: SimpleRNNCellArgs) {
    super(args);
    this.stateSize = [this.units];
  }

  step(projected: tf.Tensor2D, states: tf.Tensor2D[]): CellStep {
    const z = this.recurrentProduct(this.recurrentInput(states[0]), projected);
    const h = this.activation(z);
    return { output: h, states: [h] };
  }
}

register('layer', 'SimpleRNNCell', SimpleRNNCell);
