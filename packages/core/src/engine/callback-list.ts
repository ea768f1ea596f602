import { Callback, type CallbackModel, type CallbackParams, History, type Logs } from '../callback.js';
import { registry } from '../registry.js';

type LogsFactory = () => Logs;

const BATCH_HOOKS = [
  'onTrainBatchBegin',
  'onTrainBatchEnd',
  'onTestBatchBegin',
  'onTestBatchEnd',
  'onPredictBatchBegin',
  'onPredictBatchEnd',
] as const;

/** Prints one line per epoch when @strata/callbacks (and its ProgbarLogger) is not loaded. */
class EpochLineLogger extends Callback {
  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const parts = Object.entries(logs).map(([k, v]) => `${k}: ${Number(v).toFixed(4)}`);
    console.log(`Epoch ${epoch + 1}/${this.params.epochs ?? '?'} - ${parts.join(' - ')}`);
  }
}

/**
 * Calls every callback's hooks in order (Keras's `CallbackList`), adding History and the progress bar
 * as Keras does. Batch logs are only built when some callback has a batch hook, and their values
 * are only read from the device when a callback reads them.
 */
export class CallbackList {
  readonly callbacks: Callback[];
  readonly history: History | null;
  private readonly batchHooks: Set<string>;

  constructor(
    callbacks: Callback[],
    options: { model: CallbackModel; addHistory: boolean; addProgbar: boolean; params: CallbackParams },
  ) {
    this.callbacks = callbacks.slice();
    let history = this.callbacks.find((c) => c instanceof History) as History | undefined;
    if (!history && options.addHistory) {
      history = new History();
      this.callbacks.push(history);
    }
    this.history = history ?? null;
    if (
      options.addProgbar &&
      !this.callbacks.some(
        (c) =>
          c.constructor.name === 'ProgbarLogger' ||
          (c.constructor as typeof Callback).className === 'ProgbarLogger',
      )
    ) {
      const Progbar = registry.find<new (a?: object) => Callback>('callback', 'ProgbarLogger')?.value;
      this.callbacks.push(Progbar ? new Progbar() : new EpochLineLogger());
    }
    for (const cb of this.callbacks) {
      cb.setModel(options.model);
      cb.setParams(options.params);
    }
    this.batchHooks = new Set(
      BATCH_HOOKS.filter((hook) => this.callbacks.some((cb) => cb[hook] !== Callback.prototype[hook])),
    );
  }

  private async each(fn: (cb: Callback) => void | Promise<void>): Promise<void> {
    for (const cb of this.callbacks) await fn(cb);
  }

  onTrainBegin(logs?: Logs) {
    return this.each((cb) => cb.onTrainBegin(logs));
  }
  onTrainEnd(logs?: Logs) {
    return this.each((cb) => cb.onTrainEnd(logs));
  }
  onEpochBegin(epoch: number, logs?: Logs) {
    return this.each((cb) => cb.onEpochBegin(epoch, logs));
  }
  onEpochEnd(epoch: number, logs?: Logs) {
    return this.each((cb) => cb.onEpochEnd(epoch, logs));
  }
  onTestBegin(logs?: Logs) {
    return this.each((cb) => cb.onTestBegin(logs));
  }
  onTestEnd(logs?: Logs) {
    return this.each((cb) => cb.onTestEnd(logs));
  }
  onPredictBegin(logs?: Logs) {
    return this.each((cb) => cb.onPredictBegin(logs));
  }
  onPredictEnd(logs?: Logs) {
    return this.each((cb) => cb.onPredictEnd(logs));
  }

  private batch(hook: (typeof BATCH_HOOKS)[number], step: number, logs?: LogsFactory): Promise<void> | void {
    if (!this.batchHooks.has(hook)) return;
    const value = logs ? logs() : {};
    return this.each((cb) => cb[hook](step, value));
  }

  onTrainBatchBegin(step: number) {
    return this.batch('onTrainBatchBegin', step);
  }
  onTrainBatchEnd(step: number, logs?: LogsFactory) {
    return this.batch('onTrainBatchEnd', step, logs);
  }
  onTestBatchBegin(step: number) {
    return this.batch('onTestBatchBegin', step);
  }
  onTestBatchEnd(step: number, logs?: LogsFactory) {
    return this.batch('onTestBatchEnd', step, logs);
  }
  onPredictBatchBegin(step: number) {
    return this.batch('onPredictBatchBegin', step);
  }
  onPredictBatchEnd(step: number, logs?: LogsFactory) {
    return this.batch('onPredictBatchEnd', step, logs);
  }
}
