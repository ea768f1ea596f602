import { Layer, register } from '@strata/core';

import { GRUCell, type GRUCellArgs } from './gru-cell.js';
import { type BaseRNNArgs, RNN, splitRNNArgs } from './rnn.js';

export interface GRUArgs extends GRUCellArgs, BaseRNNArgs {
  /** Accepted for Keras compatibility (there is no cuDNN here). */
  useCudnn?: boolean | 'auto';
}

/**
 * Gated Recurrent Unit layer (Cho et al. 2014), with Keras 3's arguments and defaults (tanh, sigmoid
 * gates, `resetAfter: true`). Input `[batch, time, features]`; output `[batch, units]`, or
 * `[batch, time, units]` with `returnSequences`; with `returnState` also the final state. The weights
 * live on `cell`: `kernel [features, 3*units]`, `recurrent_kernel [units, 3*units]`, and `bias`
 * `[2, 3*units]` (`[3*units]` when `resetAfter` is false), gates z, r, h.
 *
 * Keras: `keras.layers.GRU`
 *
 * @example
 * ```ts
 * const gru = new GRU({ units: 4 });
 * gru.apply(tf.randomNormal([32, 10, 8])); // shape [32, 4]
 * ```
 */
export class GRU extends RNN {
  static override className = 'GRU';
  declare readonly cell: GRUCell;

  constructor(args: GRUArgs) {
    const { layerArgs, cellArgs } = splitRNNArgs(args);
    super({ ...layerArgs, cell: new GRUCell({ ...(cellArgs as GRUCellArgs), name: 'gru_cell' }) });
  }

  get units(): number {
    return this.cell.units;
  }

  get resetAfter(): boolean {
    return this.cell.resetAfter;
  }

  override getConfig(): Record<string, unknown> {
    return this.flatConfig();
  }

  static override fromConfig<T extends Layer>(this: new (args: any) => T, config: Record<string, any>): T {
    return Layer.fromConfig.call(this, config) as T;
  }
}

register('layer', 'GRU', GRU);
