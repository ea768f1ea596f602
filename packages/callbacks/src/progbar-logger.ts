import { Callback, type CallbackParams, type Logs, register } from '@strata/core';

import { Progbar } from './progbar.js';

/** Where the bar is written: `process.stdout` or anything with `write` (and `isTTY`, `columns`). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** A snapshot of progress, for a page that draws its own bar. */
export interface ProgressUpdate {
  phase: 'train' | 'test' | 'predict';
  /** 0-based epoch (0 outside `fit`). */
  epoch: number;
  epochs: number;
  /** Steps done in this epoch (or in this evaluate/predict call). */
  step: number;
  /** Steps per epoch, or null while unknown. */
  steps: number | null;
  logs: Logs;
  /** True for the last update of an epoch (or of the evaluate/predict call). */
  done: boolean;
}

/** Constructor arguments of `ProgbarLogger`: Keras's arguments of the same names, in camelCase. */
export interface ProgbarLoggerArgs {
  /** Where the bar goes. Default `process.stdout` in Node; in a browser, lines go to `printFn`. */
  stream?: ProgressStream;
  /** Receives each finished line (no line break, no control characters). Default `console.log` in a browser. */
  printFn?: (line: string) => void;
  /** Receives progress snapshots, at most about 10 a second plus one per finished epoch. */
  onProgress?: (update: ProgressUpdate) => void;
  /** The clock in milliseconds (for tests and replays). Default `performance.now()`. */
  clock?: () => number;
}

/** Logs are read from the device at most this often while an epoch runs. */
const READ_INTERVAL_MS = 100;

/**
 * The progress display of `fit`, `evaluate` and `predict` (Keras's `ProgbarLogger`); `fit` adds one
 * when `verbose` is not 0. In a terminal it draws Keras's bar, redrawn in place with the ETA, after an
 * `Epoch 1/10` line; with `verbose: 2`, or where the output is not a terminal (CI, a pipe, a file), it
 * writes one plain line per epoch.
 *
 * It never slows training: batch logs are not touched (reading them would wait for the device);
 * instead, while a bar is on screen, the metrics are read asynchronously (`model.readLogs()`) at most
 * about 10 times a second.
 *
 * Keras: `keras.callbacks.ProgbarLogger`
 *
 * @example
 * ```ts
 * // fit adds one by itself when verbose is 1 or 'auto'.
 * await model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [new ProgbarLogger({ printFn: () => {} })] });
 * ```
 */
export class ProgbarLogger extends Callback {
  static override className = 'ProgbarLogger';

  verbose = 1;
  epochs = 1;
  target: number | null = null;
  seen = 0;
  progbar: Progbar | null = null;

  private readonly stream: ProgressStream | null;
  private readonly printFn: ((line: string) => void) | null;
  private readonly onProgress: ((update: ProgressUpdate) => void) | null;
  private readonly clock: () => number;
  private calledInFit = false;
  private phase: ProgressUpdate['phase'] = 'train';
  private epoch = 0;
  private pendingRead: Promise<void> | null = null;
  private lastRead = Number.NEGATIVE_INFINITY;
  private lineBuffer = '';

  constructor(args: ProgbarLoggerArgs = {}) {
    super();
    const proc = (globalThis as { process?: { stdout?: ProgressStream } }).process;
    this.printFn = args.printFn ?? null;
    this.stream = this.printFn ? null : (args.stream ?? proc?.stdout ?? null);
    this.onProgress = args.onProgress ?? null;
    this.clock = args.clock ?? (() => performance.now());
  }

  override setParams(params: CallbackParams): void {
    super.setParams(params);
    const verbose = params.verbose as number | 'auto' | undefined;
    this.verbose = verbose === undefined || verbose === 'auto' ? 1 : verbose;
    this.epochs = params.epochs ?? 1;
    this.target = params.steps ?? null;
  }

  /** A terminal: the bar is redrawn in place. */
  private get dynamic(): boolean {
    return this.stream?.isTTY === true && this.verbose === 1;
  }

  private print(text: string): void {
    if (this.stream && this.dynamic) {
      this.stream.write(text);
      return;
    }
    // Line mode: pass on whole lines only.
    this.lineBuffer += text;
    const lines = this.lineBuffer.split('\n');
    this.lineBuffer = lines.pop() ?? '';
    for (const line of lines) {
      if (this.printFn) this.printFn(line);
      else if (this.stream) this.stream.write(`${line}\n`);
      else console.log(line);
    }
  }

  override onTrainBegin(): void {
    // Inside fit, validation runs silently.
    this.calledInFit = true;
  }

  override onTrainEnd(): void {
    this.calledInFit = false;
  }

  override onTestBegin(): void {
    if (this.calledInFit) return;
    this.begin('test', 0);
  }

  override onPredictBegin(): void {
    this.begin('predict', 0);
  }

  override onEpochBegin(epoch: number): void {
    this.begin('train', epoch);
    if (this.verbose && this.epochs > 1) this.print(`Epoch ${epoch + 1}/${this.epochs}\n`);
  }

  // Batch logs are deliberately left unread: each value read would wait for the device.
  override onTrainBatchEnd(batch: number, _logs?: Logs): void {
    this.step(batch);
  }

  override onTestBatchEnd(batch: number, _logs?: Logs): void {
    if (!this.calledInFit) this.step(batch);
  }

  override onPredictBatchEnd(batch: number, _logs?: Logs): void {
    this.step(batch);
  }

  override async onEpochEnd(_epoch: number, logs: Logs = {}): Promise<void> {
    await this.finish(logs);
  }

  override async onTestEnd(logs: Logs = {}): Promise<void> {
    if (!this.calledInFit) await this.finish(logs);
  }

  override async onPredictEnd(): Promise<void> {
    await this.finish({});
  }

  private begin(phase: ProgressUpdate['phase'], epoch: number): void {
    this.phase = phase;
    this.epoch = epoch;
    this.seen = 0;
    this.lastRead = Number.NEGATIVE_INFINITY;
    this.progbar = null;
    this.ensureProgbar();
  }

  private ensureProgbar(): Progbar {
    if (this.progbar) return this.progbar;
    const stream = this.stream;
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    this.progbar = new Progbar({
      target: this.target,
      verbose: this.verbose,
      unitName: 'step',
      write: (text) => this.print(text),
      dynamic: this.dynamic,
      colors: !env?.NO_COLOR,
      columns: stream?.columns ?? null,
      now: () => this.clock() / 1000,
    });
    return this.progbar;
  }

  /** One step done: draw the bar, and now and then fetch fresh metrics without blocking. */
  private step(batch: number): void {
    const progbar = this.ensureProgbar();
    this.seen = batch + 1;
    progbar.markStep(this.seen);
    const live = this.dynamic || this.onProgress !== null;
    if (!live || this.verbose === 0) return;
    const now = this.clock();
    const model = this.model;
    if (
      this.phase !== 'predict' &&
      model &&
      this.pendingRead === null &&
      now - this.lastRead >= READ_INTERVAL_MS
    ) {
      this.lastRead = now;
      const step = this.seen;
      this.pendingRead = model
        .readLogs()
        .then((logs) => {
          // A read that lands after its bar was finished or replaced is dropped.
          if (this.progbar !== progbar) return;
          const ordered = this.ordered(logs);
          if (this.dynamic) progbar.update(step, ordered, false);
          this.report(step, Object.fromEntries(ordered), false);
        })
        .catch(() => {})
        .finally(() => {
          this.pendingRead = null;
        });
    } else if (this.dynamic) {
      progbar.update(this.seen, [], false);
    }
  }

  private async finish(logs: Logs): Promise<void> {
    if (this.pendingRead) await this.pendingRead;
    const progbar = this.ensureProgbar();
    if (this.target === null) {
      this.target = this.seen;
      progbar.target = this.target;
    }
    const ordered = this.ordered(logs);
    if (this.verbose !== 0) progbar.update(this.target, ordered, true);
    this.report(this.target, Object.fromEntries(ordered), true);
    this.progbar = null;
  }

  private report(step: number, logs: Logs, done: boolean): void {
    this.onProgress?.({
      phase: this.phase,
      epoch: this.epoch,
      epochs: this.epochs,
      step,
      steps: this.target,
      logs,
      done,
    });
  }

  /**
   * Keras's display order: the model's metrics sorted by name (Keras's batch logs come sorted), then
   * validation metrics sorted, then anything callbacks added, in the order they added it.
   */
  private ordered(logs: Logs): [string, number][] {
    const keys = Object.keys(logs);
    const metricNames = new Set(this.model?.compiled ? this.model.metricsNames : []);
    const own = keys.filter((k) => metricNames.has(k)).sort();
    const val = keys.filter((k) => !metricNames.has(k) && k.startsWith('val_')).sort();
    const rest = keys.filter((k) => !metricNames.has(k) && !k.startsWith('val_'));
    return [...own, ...val, ...rest].map((k) => [k, logs[k]]);
  }
}

register('callback', 'ProgbarLogger', ProgbarLogger, { aliases: ['progbar_logger'] });
