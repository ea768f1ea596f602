import { Callback, type Logs, register, ValueError } from '@strata/core';
import { optimizerOf } from './learning-rate.js';
import { type MonitorMode, WarnOnce } from './monitor.js';
import { pyFloatRepr } from './python-format.js';

/** Constructor arguments of `ReduceLROnPlateau`: Keras's arguments of the same names, in camelCase. */
export interface ReduceLROnPlateauArgs {
  /** The quantity to watch. Default 'val_loss'. */
  monitor?: string;
  /** The learning rate is multiplied by this; must be below 1. Default 0.1. */
  factor?: number;
  /** Epochs without improvement before the rate is reduced. Default 10. */
  patience?: number;
  /** 1 prints a message on each reduction. Default 0. */
  verbose?: number;
  /** 'min', 'max', or 'auto' (max when the name contains "acc"). Default 'auto'. */
  mode?: MonitorMode;
  /** The threshold a new best must pass. Default 1e-4. */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again. Default 0. */
  cooldown?: number;
  /** The learning rate never goes below this. Default 0. */
  minLr?: number;
}

/**
 * Reduces the learning rate when a metric has stopped improving (Keras's `ReduceLROnPlateau`). Each
 * epoch's logs gain `learning_rate`, the rate the epoch ran with.
 *
 * Keras: `keras.callbacks.ReduceLROnPlateau`
 *
 * @example
 * ```ts
 * const reduceLr = new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.2, patience: 5, minLr: 0.001 });
 * ```
 */
export class ReduceLROnPlateau extends Callback {
  static override className = 'ReduceLROnPlateau';

  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly verbose: number;
  mode: MonitorMode;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;

  wait = 0;
  cooldownCounter = 0;
  best = 0;
  private greater = false;
  private readonly warnings = new WarnOnce();

  constructor(args: ReduceLROnPlateauArgs = {}) {
    super();
    this.monitor = args.monitor ?? 'val_loss';
    this.factor = args.factor ?? 0.1;
    if (!(this.factor < 1)) {
      throw new ValueError(
        `ReduceLROnPlateau does not support a factor >= 1.0. Received factor=${this.factor}`,
      );
    }
    this.minLr = args.minLr ?? 0;
    this.minDelta = args.minDelta ?? 1e-4;
    this.patience = args.patience ?? 10;
    this.verbose = args.verbose ?? 0;
    this.cooldown = args.cooldown ?? 0;
    this.mode = args.mode ?? 'auto';
    this.reset();
  }

  private reset(): void {
    if (this.mode !== 'auto' && this.mode !== 'min' && this.mode !== 'max') {
      console.warn(`Learning rate reduction mode ${this.mode} is unknown, fallback to auto mode.`);
      this.mode = 'auto';
    }
    // Keras decides 'auto' by the name alone: anything with "acc" in it is maximized.
    this.greater = !(this.mode === 'min' || (this.mode === 'auto' && !this.monitor.includes('acc')));
    this.best = this.greater ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    this.cooldownCounter = 0;
    this.wait = 0;
  }

  private better(current: number, best: number): boolean {
    return this.greater ? current > best + this.minDelta : current < best - this.minDelta;
  }

  override onTrainBegin(): void {
    this.reset();
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const optimizer = optimizerOf(this.model, 'ReduceLROnPlateau');
    // Keras reads the rate back from its float32 variable.
    const oldLr = Math.fround(optimizer.learningRate);
    logs.learning_rate = oldLr;
    const current = logs[this.monitor];
    if (current === undefined || current === null) {
      this.warnings.warn(
        `Learning rate reduction is conditioned on metric \`${this.monitor}\` which is not available. ` +
          `Available metrics are: ${Object.keys(logs).join(',')}.`,
      );
      return;
    }
    if (this.inCooldown()) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (this.better(current, this.best)) {
      this.best = current;
      this.wait = 0;
    } else if (!this.inCooldown()) {
      this.wait += 1;
      if (this.wait >= this.patience && oldLr > Math.fround(this.minLr)) {
        const newLr = Math.max(oldLr * this.factor, this.minLr);
        optimizer.learningRate = newLr;
        if (this.verbose > 0)
          console.log(
            `\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${pyFloatRepr(newLr)}.`,
          );
        this.cooldownCounter = this.cooldown;
        this.wait = 0;
      }
    }
  }

  inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  getConfig(): Record<string, unknown> {
    return {
      monitor: this.monitor,
      factor: this.factor,
      patience: this.patience,
      verbose: this.verbose,
      mode: this.mode,
      minDelta: this.minDelta,
      cooldown: this.cooldown,
      minLr: this.minLr,
    };
  }
}

register('callback', 'ReduceLROnPlateau', ReduceLROnPlateau, { aliases: ['reduce_lr_on_plateau'] });
