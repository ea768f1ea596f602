import { Layer, register } from '@strata/core';

import { LSTMCell, type LSTMCellArgs } from './lstm-cell.js';
import { type BaseRNNArgs, RNN, splitRNNArgs } from './rnn.js';

export interface LSTMArgs extends LSTMCellArgs, BaseRNNArgs {
  /** Accepted for Keras compatibility (there is no cuDNN here). */
  useCudnn?: boolean | 'auto';
}

/**
 * Long Short-Term Memory layer (Hochreiter 1997), with Keras 3's arguments and defaults (tanh, sigmoid
 * gates, unitForgetBias). Input `[batch, time, features]`; output `[batch, units]`, or `[batch, time, units]`
 * with `returnSequences`; with `returnState` also the final `h` and `c`. The weights live on `cell`
 * (`kernel [features, 4*units]`, `recurrent_kernel [units, 4*units]`, `bias [4*units]`, gates i, f, c, o),
 * where Keras 3 saves them.
 *
 * Keras: `keras.layers.LSTM`
 *
 * @example
 * ```ts
 * const lstm = new LSTM({ units: 4, returnSequences: true });
 * lstm.apply(tf.randomNormal([32, 10, 8])); // shape [32, 10, 4]
 * ```
 */
export class LSTM extends RNN {
  static override className = 'LSTM';
  declare readonly cell: LSTMCell;

  constructor(args: LSTMArgs) {
    const { layerArgs, cellArgs } = splitRNNArgs(args);
    super({ ...layerArgs, cell: new LSTMCell({ ...(cellArgs as LSTMCellArgs), name: 'lstm_cell' }) });
  }

  get units(): number {
    return this.cell.units;
  }

  override getConfig(): Record<string, unknown> {
    return this.flatConfig();
  }

  static override fromConfig<T extends Layer>(this: new (args: any) => T, config: Record<string, any>): T {
    return Layer.fromConfig.call(this, config) as T;
  }
}

register('layer', 'LSTM', LSTM);
