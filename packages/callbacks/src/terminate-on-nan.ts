import { Callback, type Logs, RuntimeError, register } from '@strata/core';

import { pyFloatRepr } from './python-format.js';

/** Constructor arguments of `TerminateOnNaN`: Keras's arguments of the same names, in camelCase. */
export interface TerminateOnNaNArgs {
  /** Throw at once instead of stopping gracefully (other callbacks' `onTrainEnd` then never runs). Default false. */
  raiseError?: boolean;
}

/**
 * Stops training when a batch's loss is NaN or infinite (Keras's `TerminateOnNaN`). It reads the loss
 * after every batch, as Keras does, so it costs one device read per batch.
 *
 * Keras: `keras.callbacks.TerminateOnNaN`
 *
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [new TerminateOnNaN()] });
 * ```
 */
export class TerminateOnNaN extends Callback {
  static override className = 'TerminateOnNaN';

  readonly raiseError: boolean;

  constructor(args: TerminateOnNaNArgs = {}) {
    super();
    this.raiseError = args.raiseError ?? false;
  }

  override onTrainBatchEnd(batch: number, logs: Logs = {}): void {
    const loss = logs.loss;
    if (loss === undefined || loss === null || Number.isFinite(loss)) return;
    if (this.raiseError) {
      throw new RuntimeError(
        `NaN or Inf loss encountered at batch ${batch}. Loss value: ${pyFloatRepr(loss)}. Terminating training immediately.`,
      );
    }
    console.log(`Batch ${batch}: Invalid loss, terminating training`);
    this.model!.stopTraining = true;
  }

  getConfig(): Record<string, unknown> {
    return { raiseError: this.raiseError };
  }
}

register('callback', 'TerminateOnNaN', TerminateOnNaN, { aliases: ['terminate_on_nan'] });
