import { register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import {
  type ActivationFn,
  type ActivationIdentifier,
  getActivation,
  serializeActivation,
} from '../activations/index.js';
import type { Initializer } from '../initializers/index.js';
import { BaseRNNCell, type BaseRNNCellArgs, type CellStep } from './base-rnn-cell.js';

export interface LSTMCellArgs extends BaseRNNCellArgs {
  /** Activation of the input, forget and output gates. Default 'sigmoid'. */
  recurrentActivation?: ActivationIdentifier;
  /** Add 1 to the forget gate's bias at initialization. Default true. */
  unitForgetBias?: boolean;
}

/** LSTM's bias initializer with `unitForgetBias`: the forget block starts at one, the rest as configured. */
class UnitForgetBias implements Initializer {
  constructor(
    private readonly units: number,
    private readonly base: Initializer,
  ) {}

  apply(_shape: number[], dtype: tf.DataType = 'float32'): tf.Tensor {
    return tf.tidy(() =>
      tf.concat([
        this.base.apply([this.units], dtype),
        tf.ones([this.units], dtype),
        this.base.apply([2 * this.units], dtype),
      ]),
    );
  }

  getConfig(): Record<string, unknown> {
    return {};
  }
}

/**
 * Cell of the Long Short-Term Memory layer (Hochreiter 1997), Keras 3's formulation. Gates are packed
 * along the last axis in the order input, forget, cell, output: `kernel [inputDim, 4*units]`,
 * `recurrent_kernel [units, 4*units]`, `bias [4*units]`. States are `[h, c]`.
 *
 * Keras: `keras.layers.LSTMCell`
 *
 * @example
 * ```ts
 * const layer = new RNN({ cell: new LSTMCell({ units: 4 }) });
 * layer.apply(tf.ones([2, 5, 3])); // shape [2, 4]
 * ```
 */
export class LSTMCell extends BaseRNNCell {
  static override className = 'LSTMCell';
  protected readonly gates = 4;
  readonly stateSize: number[];
  readonly recurrentActivation: ActivationFn;
  readonly unitForgetBias: boolean;

  constructor(args: LSTMCellArgs) {
    super(args);
    this.recurrentActivation = getActivation(
      args.recurrentActivation === undefined ? 'sigmoid' : args.recurrentActivation,
    );
    this.unitForgetBias = args.unitForgetBias ?? true;
    this.stateSize = [this.units, this.units];
  }

  protected override biasSpec(): { shape: number[]; initializer: Initializer } {
    const shape = [4 * this.units];
    if (!this.unitForgetBias) return { shape, initializer: this.biasInitializer };
    return { shape, initializer: new UnitForgetBias(this.units, this.biasInitializer) };
  }

  step(projected: tf.Tensor2D, states: tf.Tensor2D[]): CellStep {
    const [hPrev, cPrev] = states;
    // One matmul for all four gates, plus the input projection computed before the loop.
    const z = this.recurrentProduct(this.recurrentInput(hPrev), projected);
    const [zi, zf, zc, zo] = tf.split(z, 4, 0);
    const i = this.recurrentActivation(zi);
    const f = this.recurrentActivation(zf);
    const o = this.recurrentActivation(zo);
    const c = tf.add(tf.mul(f, cPrev), tf.mul(i, this.activation(zc)));
    const h = tf.mul(o, this.activation(c));
    return { output: h, states: [h, c] };
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      recurrentActivation: serializeActivation(this.recurrentActivation),
      unitForgetBias: this.unitForgetBias,
    };
  }
}

register('layer', 'LSTMCell', LSTMCell);
