import { Callback, type Logs, register, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { checkMode, isImprovement, type MonitorMode, monitorOp, WarnOnce } from './monitor.js';

/** Constructor arguments of `EarlyStopping`: Keras's arguments of the same names, in camelCase. */
export interface EarlyStoppingArgs {
  /** The quantity to watch. Default 'val_loss'. */
  monitor?: string;
  /** The smallest change that counts as an improvement (its absolute value is used). Default 0. */
  minDelta?: number;
  /** Epochs without improvement after which training stops. Default 0. */
  patience?: number;
  /** 1 prints a message when the callback acts. Default 0. */
  verbose?: number;
  /** 'min', 'max', or 'auto' (from the monitored name). Default 'auto'. */
  mode?: MonitorMode;
  /** Training stops unless the monitored value improves on this. Default null. */
  baseline?: number | null;
  /** At the end of training, put back the weights of the best epoch. Default false. */
  restoreBestWeights?: boolean;
  /** Epochs to wait before monitoring starts (a warm-up). Default 0. */
  startFromEpoch?: number;
}

/**
 * Stops training when a monitored quantity has stopped improving (Keras's `EarlyStopping`).
 *
 * Counting is Keras 3's: each monitored epoch adds one to `wait`, an improvement resets it to 0, and
 * training stops once `wait >= patience` (never at epoch 0). With `patience: 3` and a flat loss, four
 * epochs run. With `restoreBestWeights`, the best epoch's weights are put back when training ends,
 * whether or not it stopped early.
 *
 * Keras: `keras.callbacks.EarlyStopping`
 *
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 100, verbose: 0, callbacks: [new EarlyStopping({ monitor: 'loss', patience: 3 })] });
 * ```
 */
export class EarlyStopping extends Callback {
  static override className = 'EarlyStopping';

  readonly monitor: string;
  readonly patience: number;
  readonly verbose: number;
  readonly baseline: number | null;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  readonly mode: MonitorMode;

  wait = 0;
  stoppedEpoch = 0;
  best: number | null = null;
  bestEpoch = 0;
  bestWeights: tf.Tensor[] | null = null;
  private op: 'less' | 'greater' | null = null;
  private readonly warnings = new WarnOnce();

  constructor(args: EarlyStoppingArgs = {}) {
    super();
    this.monitor = args.monitor ?? 'val_loss';
    this.patience = checkCount('patience', args.patience ?? 0);
    this.verbose = args.verbose ?? 0;
    this.baseline = args.baseline ?? null;
    this.minDelta = Math.abs(args.minDelta ?? 0);
    if (!Number.isFinite(this.minDelta)) {
      throw new ValueError(`\`min_delta\` must be a finite number. Received: min_delta=${args.minDelta}`);
    }
    this.restoreBestWeights = args.restoreBestWeights ?? false;
    this.startFromEpoch = checkCount('start_from_epoch', args.startFromEpoch ?? 0);
    this.mode = checkMode(args.mode, `EarlyStopping mode ${args.mode} is unknown, fallback to auto mode.`);
  }

  override onTrainBegin(): void {
    // Instances may be reused for several fits.
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = null;
    this.bestEpoch = 0;
    this.disposeBestWeights();
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    // Set up on first use: the model's metrics are built by then.
    this.op ??= monitorOp(this.model, this.monitor, this.mode, 'EarlyStopping');
    const current = this.monitorValue(logs);
    if (current === undefined || epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights === null) {
      // Until something improves, the first monitored epoch's weights are the best.
      this.keepWeights();
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (isImprovement(this.op, this.minDelta, current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.keepWeights();
      // Only a value that also beats the baseline restarts the count.
      if (this.baseline === null || isImprovement(this.op, this.minDelta, current, this.baseline))
        this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
    }
  }

  override onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0)
      console.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.restoreBestWeights && this.bestWeights !== null) {
      if (this.verbose > 0)
        console.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      this.model!.setWeights(this.bestWeights);
    }
    this.disposeBestWeights();
  }

  private monitorValue(logs: Logs): number | undefined {
    const value = logs[this.monitor];
    if (value === undefined || value === null) {
      this.warnings.warn(
        `Early stopping conditioned on metric \`${this.monitor}\` which is not available. ` +
          `Available metrics are: ${Object.keys(logs).join(',')}`,
      );
      return undefined;
    }
    return value;
  }

  private keepWeights(): void {
    this.disposeBestWeights();
    this.bestWeights = this.model!.getWeights();
  }

  private disposeBestWeights(): void {
    if (this.bestWeights) tf.dispose(this.bestWeights);
    this.bestWeights = null;
  }

  getConfig(): Record<string, unknown> {
    return {
      monitor: this.monitor,
      minDelta: this.minDelta,
      patience: this.patience,
      verbose: this.verbose,
      mode: this.mode,
      baseline: this.baseline,
      restoreBestWeights: this.restoreBestWeights,
      startFromEpoch: this.startFromEpoch,
    };
  }
}

function checkCount(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new ValueError(`\`${name}\` must be a non-negative integer. Received: ${name}=${value}`);
  }
  return value;
}

register('callback', 'EarlyStopping', EarlyStopping, { aliases: ['early_stopping'] });
