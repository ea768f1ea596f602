import { Layer, register } from '@strata/core';
import { type BaseRNNArgs, RNN, splitRNNArgs } from './rnn.js';
import { SimpleRNNCell, type SimpleRNNCellArgs } from './simple-rnn-cell.js';

export interface SimpleRNNArgs extends SimpleRNNCellArgs, BaseRNNArgs {
  /** Accepted for Keras compatibility (there is no cuDNN here). */
  useCudnn?: boolean | 'auto';
}

/**
 * Fully-connected RNN whose output is fed back as its next input, with Keras 3's arguments and defaults.
 * Input `[batch, time, features]`; output `[batch, units]`, or `[batch, time, units]` with
 * `returnSequences`. The weights live on `cell`: `kernel [features, units]`,
 * `recurrent_kernel [units, units]`, `bias [units]`.
 *
 * Keras: `keras.layers.SimpleRNN`
 *
 * @example
 * ```ts
 * const rnn = new SimpleRNN({ units: 4 });
 * rnn.apply(tf.randomNormal([32, 10, 8])); // shape [32, 4]
 * ```
 */
export class SimpleRNN extends RNN {
  static override className = 'SimpleRNN';
  declare readonly cell: SimpleRNNCell;

  constructor(args: SimpleRNNArgs) {
    const { layerArgs, cellArgs } = splitRNNArgs(args);
    super({
      ...layerArgs,
      cell: new SimpleRNNCell({ ...(cellArgs as SimpleRNNCellArgs), name: 'simple_rnn_cell' }),
    });
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

register('layer', 'SimpleRNN', SimpleRNN);
