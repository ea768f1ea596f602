/**
 * The model type callbacks see. The model module fills it in by declaration merging
 * (`interface CallbackModelTypes { model: Model }`), so this module imports no model (no import cycle).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by declaration merging from model.ts
export interface CallbackModelTypes {}

/** The model a callback is attached to (`Model` from @strata/core). */
export type CallbackModel = CallbackModelTypes extends { model: infer M } ? M : never;

/** Logs passed to callbacks: Keras's log keys (`loss`, `accuracy`, `val_loss`, ...) to numbers. */
export type Logs = Record<string, number>;

/** What `fit`, `evaluate` and `predict` tell callbacks about the run: Keras's `callback.params`. */
export interface CallbackParams {
  epochs?: number;
  steps?: number | null;
  verbose?: number;
  [key: string]: unknown;
}

/**
 * The base class of callbacks (Keras's `Callback`). Every hook may be async; the loop awaits it.
 * Batch hooks receive logs whose values are read from the device only when a callback reads them.
 *
 * Keras: `keras.callbacks.Callback`
 *
 * @example
 * ```ts
 * class PrintLoss extends Callback {
 *   override async onEpochEnd(epoch: number, logs?: Logs) {
 *     console.log(`epoch ${epoch + 1}: loss ${logs?.loss}`);
 *   }
 * }
 * await model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [new PrintLoss()] });
 * ```
 */
export class Callback {
  static className = 'Callback';

  model: CallbackModel | null = null;
  params: CallbackParams = {};

  setModel(model: CallbackModel): void {
    this.model = model;
  }

  setParams(params: CallbackParams): void {
    this.params = params;
  }

  onTrainBegin(_logs?: Logs): void | Promise<void> {}
  onTrainEnd(_logs?: Logs): void | Promise<void> {}
  onEpochBegin(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onEpochEnd(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onTrainBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onTrainBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
  onTestBegin(_logs?: Logs): void | Promise<void> {}
  onTestEnd(_logs?: Logs): void | Promise<void> {}
  onTestBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onTestBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
  onPredictBegin(_logs?: Logs): void | Promise<void> {}
  onPredictEnd(_logs?: Logs): void | Promise<void> {}
  onPredictBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onPredictBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
}

/**
 * Records each epoch's logs (Keras's `History`); `fit` returns it.
 *
 * Keras: `keras.callbacks.History`
 *
 * @example
 * ```ts
 * const history = await model.fit(x, y, { epochs: 3, validationSplit: 0.2, verbose: 0 });
 * history.history.loss; // number[], one per epoch
 * history.history.val_loss;
 * ```
 */
export class History extends Callback {
  static override className = 'History';

  epoch: number[] = [];
  history: Record<string, number[]> = {};

  override onTrainBegin(): void {
    this.epoch = [];
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) {
      this.history[k] ??= [];
      this.history[k].push(v);
    }
  }
}
