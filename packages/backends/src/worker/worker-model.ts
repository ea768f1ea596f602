import {
  IndexError,
  KeyError,
  type Logs,
  type Model,
  NotImplementedError,
  RegistryError,
  RuntimeError,
  ValueError,
} from '@strata/core';

import type { BackendName } from '../set-backend.js';
import { type EncodedData, encodeData, type HostArray, transferList, type WorkerData } from './host-array.js';
import type {
  Reply,
  Request,
  SentError,
  TrainingEvent,
  WorkerFitOptions,
  WorkerMemory,
  WorkerModelInfo,
} from './protocol.js';

/**
 * The page's side of a message channel to a worker: a `Worker` (the usual case) or a `MessagePort`.
 * `terminate` is called when the worker crashes or `WorkerModel.terminate()` is called.
 */
export interface WorkerEndpoint {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message' | 'error' | 'messageerror', listener: (event: Event) => void): void;
  /** MessagePorts deliver nothing until started. */
  start?(): void;
  /** A Worker's: stops it. */
  terminate?(): void;
  /** A MessagePort's: closes it. */
  close?(): void;
}

/**
 * Raised on the page when the worker crashed (an uncaught error, a script that failed to load, a
 * message that could not be read): every pending call rejects with it, and so does every later call.
 * Start a new worker and a new WorkerModel to go on.
 *
 * Keras: no counterpart; a Strata error for Web Workers.
 *
 * @example
 * ```ts
 * const error = new WorkerCrashedError('Uncaught RangeError: Array buffer allocation failed');
 * error.message.startsWith('The worker crashed: Uncaught RangeError'); // true
 * ```
 */
export class WorkerCrashedError extends RuntimeError {
  override name = 'WorkerCrashedError';

  /** `reason` is what the worker's error event said. */
  constructor(readonly reason: string) {
    super(
      `The worker crashed: ${reason}. Every pending call was cancelled and this WorkerModel cannot be used ` +
        'again: create a new Worker and a new WorkerModel.',
    );
  }
}

/** Training progress, for live charts: Keras's callback hooks, as functions run on the page. */
export interface WorkerFitCallbacks {
  /** Called once fit starts in the worker, with the number of epochs and of batches per epoch. */
  onTrainBegin?(params: { epochs: number; steps: number | null }): void;
  onEpochBegin?(epoch: number): void;
  /** Called after every training batch with that batch's logs (Keras's running means over the epoch). */
  onBatchEnd?(batch: number, logs: Logs, epoch: number): void;
  /** Called after every epoch with its logs, `val_*` included. */
  onEpochEnd?(epoch: number, logs: Logs): void;
}

/** Arguments of `WorkerModel.fit`: Keras's fit arguments that can cross to a worker, and the callbacks. */
export interface WorkerFitArgs extends WorkerFitOptions, WorkerFitCallbacks {
  /** `[xVal, yVal]`, transferred like x and y. */
  validationData?: [WorkerData, WorkerData];
}

/** What `WorkerModel.fit` resolves to: Keras's History, as plain data. */
export interface WorkerHistory {
  /** The epochs that ran (0-based). */
  epoch: number[];
  /** Each log key's value per epoch: `history.loss`, `history.val_accuracy`, … */
  history: Record<string, number[]>;
}

const ERROR_CLASSES: Record<string, new (message: string) => Error> = {
  ValueError,
  RuntimeError,
  RegistryError,
  KeyError,
  IndexError,
  NotImplementedError,
  TypeError,
  RangeError,
};

/** Rebuilds an error thrown in the worker as the same class on the page. */
function revive(e: SentError): Error {
  const Cls = ERROR_CLASSES[e.name];
  const err = Cls ? new Cls(e.message) : new Error(e.message);
  if (!Cls) err.name = e.name;
  return err;
}

const FIT_OPTIONS = [
  'batchSize',
  'epochs',
  'initialEpoch',
  'validationSplit',
  'shuffle',
  'classWeight',
  'stepsPerEpoch',
  'validationSteps',
  'validationBatchSize',
  'validationFreq',
] as const;
const FIT_CALLBACKS = ['onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd'] as const;

/** A request before it gets its id. */
type Unsent = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

type Pending = {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onEvent?(event: TrainingEvent): void;
};

/**
 * A model that lives in a Web Worker, driven from the page: `fit`, `evaluate` and `predict` run there, so
 * the page's main thread stays free for drawing and input. Arrays are transferred, not copied: after a
 * call, the typed arrays you passed belong to the worker (their `byteLength` is 0 here).
 *
 * The worker script imports what the model needs and calls {@link serveModel}. While `fit` runs, `predict`
 * and `save` run in the worker between two batches, and `stop()` ends training before the next batch.
 *
 * Keras: no counterpart; the calls are Keras's `fit` / `evaluate` / `predict` / `save` and
 * `model.stop_training = True`.
 *
 * On a page: `new WorkerModel(new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' }))`,
 * where train-worker.ts calls `serveModel()` (see there).
 *
 * @example
 * ```ts
 * // A MessageChannel stands in for the worker here: one port serves, the page drives the other.
 * const { port1, port2 } = new MessageChannel();
 * serveModel(port2);
 * const remote = new WorkerModel(port1);
 * await remote.load(model); // a compiled Model (sent as .keras bytes), .keras bytes, or 'indexeddb://key'
 * const labels = new Float32Array(16 * 10);
 * for (let i = 0; i < 16; i++) labels[i * 10 + (i % 10)] = 1; // one-hot: the model's loss is categorical
 * const losses: number[] = [];
 * const history = await remote.fit(
 *   { data: new Float32Array(16 * 100).fill(0.5), shape: [16, 100] }, // transferred to the worker
 *   { data: labels, shape: [16, 10] },
 *   { epochs: 2, batchSize: 8, onBatchEnd: (batch, logs) => losses.push(logs.loss) },
 * );
 * history.epoch.length === 2 && losses.length === 4; // true
 * const [probs] = await remote.predict({ data: new Float32Array(100), shape: [1, 100] });
 * probs.shape.join() === '1,10'; // true
 * const bytes = await remote.save(); // .keras bytes; or remote.save('indexeddb://key') in a browser
 * bytes.byteLength > 0; // true
 * remote.terminate();
 * ```
 */
export class WorkerModel {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private crash: WorkerCrashedError | null = null;

  /**
   * `worker` is a dedicated Worker whose script calls `serveModel()` (or a MessagePort to one).
   * `options.onCrash` is told when the worker crashes, also when no call is pending (a UI then starts a
   * new worker).
   */
  constructor(
    readonly worker: WorkerEndpoint,
    private readonly options: { onCrash?: (error: WorkerCrashedError) => void } = {},
  ) {
    worker.addEventListener('message', (event) => this.receive((event as MessageEvent).data as Reply));
    worker.addEventListener('error', (event) => {
      const e = event as ErrorEvent;
      // Handled here: the page is told through the rejected promises, not an uncaught error.
      e.preventDefault?.();
      const where = e.filename ? ` (${e.filename}:${e.lineno})` : '';
      this.fail(`${e.message || 'the worker script failed to load or threw an uncaught error'}${where}`);
    });
    worker.addEventListener('messageerror', () => this.fail('a message from the worker could not be read'));
    worker.start?.();
  }

  /** The crash that ended this WorkerModel, or null while it works. */
  get crashed(): WorkerCrashedError | null {
    return this.crash;
  }

  /** Selects the worker's backend (`setBackend` there); resolves to the name now active. */
  setBackend(name: BackendName | 'auto'): Promise<string> {
    return this.request({ op: 'setBackend', name }) as Promise<string>;
  }

  /**
   * Gives the worker its model, replacing (and disposing) the one it had: a `Model` on the page (saved
   * to `.keras` bytes here, optimizer state included, and transferred), `.keras` bytes (transferred), or
   * an `'indexeddb://key'` the worker loads itself. Compile the model before sending it, so the file
   * carries its compile config.
   */
  async load(source: Model | Uint8Array | ArrayBuffer | string): Promise<WorkerModelInfo> {
    let payload: Uint8Array | string;
    if (typeof source === 'string') {
      if (!source.startsWith('indexeddb://')) {
        throw new ValueError(
          `WorkerModel.load expects a Model, .keras bytes or an 'indexeddb://key' path (a worker has no file system). Received: '${source}'`,
        );
      }
      payload = source;
    } else if (source instanceof Uint8Array) payload = source;
    else if (source instanceof ArrayBuffer) payload = new Uint8Array(source);
    else if (source && typeof (source as Model).save === 'function')
      payload = await kerasBytes(source as Model);
    else {
      throw new ValueError(
        `WorkerModel.load expects a Model, .keras bytes (Uint8Array or ArrayBuffer) or an 'indexeddb://key' path. Received: ${describeValue(source)}`,
      );
    }
    const transfer =
      typeof payload === 'string' ? [] : transferList({ data: payload, shape: [payload.length] });
    return this.request({ op: 'load', source: payload }, transfer) as Promise<WorkerModelInfo>;
  }

  /**
   * Trains the worker's model (Keras's `fit`); x, y and validationData are transferred. The callbacks in
   * `args` run here on the page as the worker reports each batch and epoch. Resolves to the History.
   */
  async fit(x: WorkerData, y: WorkerData, args: WorkerFitArgs = {}): Promise<WorkerHistory> {
    const where = 'WorkerModel.fit';
    const known = new Set<string>([...FIT_OPTIONS, ...FIT_CALLBACKS, 'validationData']);
    for (const key of Object.keys(args)) {
      if (!known.has(key)) {
        const hint =
          key === 'callbacks'
            ? ' Callback objects cannot be sent to a worker: pass onBatchEnd / onEpochEnd functions instead.'
            : '';
        throw new ValueError(
          `${where} got an argument it cannot send to the worker: '${key}'.${hint} Expected one of: ${[...known].join(', ')}. Received: ${key}`,
        );
      }
    }
    const ex = await encodeData(x, where, 'x');
    const ey = await encodeData(y, where, 'y');
    let validationData: [EncodedData, EncodedData] | undefined;
    if (args.validationData) {
      validationData = [
        await encodeData(args.validationData[0], where, 'validationData[0]'),
        await encodeData(args.validationData[1], where, 'validationData[1]'),
      ];
    }
    const options: WorkerFitOptions = {};
    for (const key of FIT_OPTIONS)
      if (args[key] !== undefined) (options as Record<string, unknown>)[key] = args[key];
    const onEvent = (event: TrainingEvent) => {
      if (event.kind === 'trainBegin') args.onTrainBegin?.({ epochs: event.epochs, steps: event.steps });
      else if (event.kind === 'epochBegin') args.onEpochBegin?.(event.epoch);
      else if (event.kind === 'batchEnd') args.onBatchEnd?.(event.batch, event.logs, event.epoch);
      else args.onEpochEnd?.(event.epoch, event.logs);
    };
    return this.request(
      { op: 'fit', x: ex, y: ey, validationData, options, batchLogs: args.onBatchEnd !== undefined },
      transferList(ex, ey, ...(validationData ?? [])),
      onEvent,
    ) as Promise<WorkerHistory>;
  }

  /**
   * Asks fit to stop (Keras's `model.stop_training = True`): the worker sets the flag as soon as the
   * message arrives, between two batches, so no further batch starts; the epoch's validation still runs
   * and fit's promise resolves with the History so far. Resolves to whether fit was running.
   */
  stop(): Promise<boolean> {
    return this.request({ op: 'stop' }) as Promise<boolean>;
  }

  /** Keras's `evaluate` in the worker: the loss and metrics, as a number, a list, or a record with `returnDict`. */
  async evaluate(
    x: WorkerData,
    y: WorkerData,
    args: { batchSize?: number; returnDict?: boolean } = {},
  ): Promise<number | number[] | Logs> {
    const ex = await encodeData(x, 'WorkerModel.evaluate', 'x');
    const ey = await encodeData(y, 'WorkerModel.evaluate', 'y');
    return this.request(
      { op: 'evaluate', x: ex, y: ey, batchSize: args.batchSize, returnDict: args.returnDict },
      transferList(ex, ey),
    ) as Promise<number | number[] | Logs>;
  }

  /**
   * Keras's `predict` in the worker; one host array per model output (float32 data, transferred to the
   * page). Runs between two batches while fit runs.
   */
  async predict(x: WorkerData, args: { batchSize?: number } = {}): Promise<HostArray[]> {
    const ex = await encodeData(x, 'WorkerModel.predict', 'x');
    return this.request({ op: 'predict', x: ex, batchSize: args.batchSize }, transferList(ex)) as Promise<
      HostArray[]
    >;
  }

  /**
   * Saves the worker's model, also while fit runs (between two batches, so the file holds the weights of
   * one whole step): to an `'indexeddb://key'` path (resolves to null), or, with no destination, as
   * `.keras` bytes transferred to the page (for a download).
   */
  save(): Promise<Uint8Array>;
  save(destination: string): Promise<null>;
  async save(destination?: string): Promise<Uint8Array | null> {
    if (
      destination !== undefined &&
      (typeof destination !== 'string' || !destination.startsWith('indexeddb://'))
    ) {
      throw new ValueError(
        `WorkerModel.save expects an 'indexeddb://key' path, or no argument for .keras bytes (a worker has no file system). Received: ${describeValue(destination)}`,
      );
    }
    return this.request({ op: 'save', destination: destination ?? null }) as Promise<Uint8Array | null>;
  }

  /** The worker's `tf.memory()` and backend, to check that nothing leaks there. */
  memory(): Promise<WorkerMemory> {
    return this.request({ op: 'memory' }) as Promise<WorkerMemory>;
  }

  /** Stops the worker at once; pending calls reject, and so do later ones. */
  terminate(): void {
    this.fail('it was terminated by WorkerModel.terminate()', true);
  }

  private request(
    message: Unsent,
    transfer: Transferable[] = [],
    onEvent?: (event: TrainingEvent) => void,
  ): Promise<unknown> {
    if (this.crash) return Promise.reject(this.crash);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent });
      try {
        this.worker.postMessage({ ...message, id }, transfer);
      } catch (e) {
        this.pending.delete(id);
        reject(
          new ValueError(
            `${message.op} could not be sent to the worker: ${(e as Error)?.message ?? e}. Expected typed arrays, numbers and strings. Received: a value that cannot be cloned`,
          ),
        );
      }
    });
  }

  private receive(reply: Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    if ('event' in reply) {
      try {
        p.onEvent?.(reply.event);
      } catch (e) {
        // A throwing page callback must not leave the worker training unseen: surface it, keep going.
        console.error(e);
      }
      return;
    }
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(revive(reply.error));
  }

  private fail(cause: string, terminated = false): void {
    if (this.crash) return;
    this.crash = new WorkerCrashedError(cause);
    this.worker.terminate?.();
    this.worker.close?.();
    for (const p of this.pending.values()) p.reject(this.crash);
    this.pending.clear();
    if (!terminated) this.options.onCrash?.(this.crash);
  }
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return `a ${(value as object).constructor?.name ?? 'object'}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** The model as `.keras` bytes, through @strata/io's saveModel; a model that cannot be saved is named. */
async function kerasBytes(model: Model): Promise<Uint8Array> {
  let bytes: Uint8Array | null = null;
  const target = {
    async write(files: { name: string; data: Uint8Array }[]) {
      bytes = files[0].data;
    },
  };
  try {
    // An optimizer that never ran has no state to send; its empty slots would only make the worker's
    // load warn (as Keras does) that the saved state doesn't match.
    await model.save(target, { includeOptimizer: model.optimizer?.built === true });
  } catch (e) {
    throw new ValueError(
      `WorkerModel.load could not send model '${model.name}' to the worker: it must be saved as .keras ` +
        `bytes first, and that failed: ${(e as Error)?.message ?? e}. Expected a model of registered ` +
        `layers (a subclassed model needs register() and getConfig()), with @strata/io imported on the page. ` +
        `Received: a ${model.constructor.name}`,
    );
  }
  return bytes!;
}
