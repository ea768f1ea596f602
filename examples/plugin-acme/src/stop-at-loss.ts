import { Callback, type Logs, register, ValueError } from '@strata/core';

export interface StopAtLossArgs {
  /** The log key to watch. Default 'loss'. */
  monitor?: string;
  /** Training stops after the first epoch whose `monitor` is at or below this. */
  threshold: number;
}

/**
 * Stops training once a logged quantity reaches a target, e.g. `new StopAtLoss({ threshold: 0.01 })`.
 * Unlike EarlyStopping it waits for a value, not for a plateau.
 */
export class StopAtLoss extends Callback {
  static override className = 'StopAtLoss';

  readonly monitor: string;
  readonly threshold: number;
  /** The epoch training stopped after, or null while it has not. */
  stoppedEpoch: number | null = null;

  constructor(args: StopAtLossArgs) {
    super();
    if (typeof args?.threshold !== 'number' || Number.isNaN(args.threshold)) {
      throw new ValueError(
        `StopAtLoss needs a numeric \`threshold\`. Received: threshold=${String(args?.threshold)}`,
      );
    }
    this.monitor = args.monitor ?? 'loss';
    this.threshold = args.threshold;
  }

  override onTrainBegin(): void {
    this.stoppedEpoch = null;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const value = logs[this.monitor];
    if (value === undefined) {
      throw new ValueError(
        `StopAtLoss monitors '${this.monitor}', which is not in the logs. Available: ${Object.keys(logs).join(', ') || '(none)'}`,
      );
    }
    if (value <= this.threshold && this.model) {
      this.model.stopTraining = true;
      this.stoppedEpoch = epoch;
    }
  }
}

register('callback', 'StopAtLoss', StopAtLoss, { package: 'acme', module: '@acme/strata-plugin' });
