import {
  Callback,
  type FitArgs,
  InputLayer,
  type Logs,
  Model,
  RuntimeError,
  registry,
  Sequential,
  ValueError,
  yieldToEventLoop,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { type BackendName, getBackend, setBackend } from '../set-backend.js';
import { decodeData, type EncodedData, type HostArray } from './host-array.js';
import type { Reply, Request, SentError, TrainingEvent, WorkerMemory, WorkerModelInfo } from './protocol.js';

/**
 * The side of a message channel that `serveModel` answers on: a dedicated worker's global scope (the
 * default), or a `MessagePort` (Node's worker_threads `parentPort` is one).
 */
export interface ServeEndpoint {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  /** MessagePorts deliver nothing until started. */
  start?(): void;
}

/** Requests that may run between two training batches; the others wait for fit to end (or are refused). */
const BETWEEN_BATCHES = new Set<Request['op']>(['predict', 'save', 'memory']);

type CaptureTarget = {
  bytes: Uint8Array | null;
  write(files: { name: string; data: Uint8Array }[]): Promise<void>;
};

function sendError(e: unknown): SentError {
  const err = e as Error;
  return { name: err?.name ?? 'Error', message: err?.message ?? String(e) };
}

/**
 * Relays fit's progress to the page and opens a gap after each batch: there the worker reads the
 * messages that came in (a stop, a predict, a save) and runs the queued ones before the next batch, so
 * a prediction or a saved file sees the weights of one whole step.
 */
class RelayCallback extends Callback {
  private epoch = 0;

  constructor(
    private readonly emit: (event: TrainingEvent) => void,
    private readonly batchLogs: boolean,
    private readonly between: () => Promise<void>,
    private readonly onBegin: () => void,
  ) {
    super();
  }

  override onTrainBegin(): void {
    this.onBegin();
    this.emit({ kind: 'trainBegin', epochs: this.params.epochs ?? 1, steps: this.params.steps ?? null });
  }

  override onEpochBegin(epoch: number): void {
    this.epoch = epoch;
    this.emit({ kind: 'epochBegin', epoch });
  }

  override async onTrainBatchEnd(batch: number, logs?: Logs): Promise<void> {
    // Reading the logs syncs with the device once per batch: only when the page listens for them.
    if (this.batchLogs) this.emit({ kind: 'batchEnd', epoch: this.epoch, batch, logs: plainLogs(logs) });
    await yieldToEventLoop();
    await this.between();
  }

  override async onTestBatchEnd(): Promise<void> {
    await yieldToEventLoop();
    await this.between();
  }

  override onEpochEnd(epoch: number, logs?: Logs): void {
    this.emit({ kind: 'epochEnd', epoch, logs: plainLogs(logs) });
  }
}

function plainLogs(logs: Logs | undefined): Logs {
  const out: Logs = {};
  for (const [k, v] of Object.entries(logs ?? {})) out[k] = Number(v);
  return out;
}

/**
 * Serves one model to the page that created this worker: the worker half of `WorkerModel`. Call it once
 * from the worker script, after importing what the model needs (its layers, optimizer, losses and
 * metrics, `@strata/io` for loading and saving, and the backend entries the page may select).
 *
 * Requests run one at a time. While fit runs, predict, save and memory requests wait for the end of the
 * current batch and run there; a stop request sets `model.stopTraining` at once, so no batch starts after
 * it (Keras checks the flag after every batch); fit, evaluate, load and setBackend are refused.
 *
 * Keras: no counterpart (Python trains off the UI thread by default); a Strata entry for Web Workers.
 *
 * In a worker script (train-worker.ts, which the page starts with
 * `new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' })`):
 * `import '@strata/layers'; import '@strata/optimizers'; import '@strata/losses-metrics'; import '@strata/io';
 * import '@strata/backends/webgl';` then `serveModel();`.
 *
 * @example
 * ```ts
 * // A MessageChannel stands in for the worker here: one port serves, the page drives the other.
 * const { port1, port2 } = new MessageChannel();
 * serveModel(port2);
 * const remote = new WorkerModel(port1);
 * const info = await remote.load(model);
 * info.inputShapes; // [[null, 100]]
 * remote.terminate();
 * ```
 */
export function serveModel(endpoint: ServeEndpoint = globalThis as unknown as ServeEndpoint): void {
  let model: Model | null = null;
  let training = false;
  let stopRequested = false;
  let chain: Promise<void> = Promise.resolve();
  const queued: Request[] = [];

  const post = (reply: Reply, transfer: Transferable[] = []) => endpoint.postMessage(reply, transfer);

  const requireModel = (op: string): Model => {
    if (!model) throw new ValueError(`WorkerModel.${op}() needs a model: call load() first.`);
    return model;
  };

  const runQueued = async () => {
    while (queued.length > 0) await answer(queued.shift()!);
  };

  async function answer(req: Request): Promise<void> {
    try {
      const [result, transfer] = await handle(req);
      post({ id: req.id, ok: true, result }, transfer);
    } catch (e) {
      post({ id: req.id, ok: false, error: sendError(e) });
    }
  }

  async function handle(req: Request): Promise<[unknown, Transferable[]]> {
    switch (req.op) {
      case 'setBackend':
        return [await setBackend(req.name as BackendName), []];
      case 'load':
        return [await load(req.source), []];
      case 'fit':
        return [await fit(req), []];
      case 'evaluate':
        return [await evaluate(req), []];
      case 'predict':
        return predict(req.x, req.batchSize);
      case 'save':
        return save(req.destination);
      case 'memory': {
        const m = tf.memory();
        const memory: WorkerMemory = {
          backend: getBackend(),
          numTensors: m.numTensors,
          numBytes: m.numBytes,
        };
        return [memory, []];
      }
      case 'stop':
        return [undefined, []];
    }
  }

  async function load(source: Uint8Array | string): Promise<WorkerModelInfo> {
    if (!registry.has('io', 'loadModel')) {
      throw new RuntimeError(
        "The worker needs @strata/io to load a model: import '@strata/io' in the worker script.",
      );
    }
    // Core registers its model classes as their modules load. A worker script often imports nothing else
    // from core, and a bundler would then drop those modules: naming the classes here keeps them.
    for (const cls of [Model, Sequential, InputLayer]) {
      if (!registry.entryOf('layer', cls))
        throw new RuntimeError(`@strata/core's ${cls.name} is not registered.`);
    }
    const loadModel = registry.get<(s: unknown) => Promise<Model>>('io', 'loadModel');
    const loaded = await loadModel(source);
    model?.dispose();
    model = loaded;
    const summary: string[] = [];
    loaded.summary(undefined, undefined, (line) => summary.push(line));
    const shapes = (ts: { shape: readonly (number | null)[] }[] | undefined) =>
      (ts ?? []).map((t) => [...t.shape]);
    return {
      name: loaded.name,
      inputShapes: shapes(loaded.inputs),
      outputShapes: shapes(loaded.outputs as unknown as { shape: (number | null)[] }[]),
      compiled: loaded.compiled,
      summary,
    };
  }

  async function fit(
    req: Extract<Request, { op: 'fit' }>,
  ): Promise<{ epoch: number[]; history: Record<string, number[]> }> {
    const m = requireModel('fit');
    const owned: tf.Tensor[] = [];
    const tensors = (d: EncodedData) => {
      const t = decodeData(d);
      owned.push(...(t instanceof tf.Tensor ? [t] : Object.values(t)));
      return t;
    };
    try {
      const args: FitArgs = { ...req.options, verbose: 0 };
      if (req.validationData)
        args.validationData = [tensors(req.validationData[0]), tensors(req.validationData[1])];
      const relay = new RelayCallback(
        (event) => post({ id: req.id, event }),
        req.batchLogs,
        runQueued,
        () => {
          // fit clears stopTraining as it starts; a stop that came before that still counts.
          if (stopRequested) m.stopTraining = true;
        },
      );
      const history = await m.fit(tensors(req.x), tensors(req.y), { ...args, callbacks: [relay] });
      return { epoch: history.epoch, history: history.history };
    } finally {
      tf.dispose(owned);
    }
  }

  async function evaluate(req: Extract<Request, { op: 'evaluate' }>): Promise<unknown> {
    const m = requireModel('evaluate');
    const x = decodeData(req.x);
    const y = decodeData(req.y);
    try {
      return await m.evaluate(x, y, { batchSize: req.batchSize, returnDict: req.returnDict, verbose: 0 });
    } finally {
      tf.dispose([x, y] as tf.TensorContainer);
    }
  }

  async function predict(data: EncodedData, batchSize?: number): Promise<[HostArray[], Transferable[]]> {
    const m = requireModel('predict');
    const x = decodeData(data);
    let out: tf.Tensor | tf.Tensor[] | null = null;
    try {
      out = m.predict(x, { batchSize, verbose: 0 }) as tf.Tensor | tf.Tensor[];
      const list = Array.isArray(out) ? out : [out];
      const arrays: HostArray[] = [];
      for (const t of list) {
        arrays.push({ data: (await t.data()) as Float32Array | Int32Array, shape: t.shape });
      }
      return [arrays, arrays.map((a) => a.data.buffer as ArrayBuffer)];
    } finally {
      tf.dispose([x, out ?? []] as tf.TensorContainer);
    }
  }

  async function save(destination: string | null): Promise<[Uint8Array | null, Transferable[]]> {
    const m = requireModel('save');
    if (destination !== null) {
      await m.save(destination);
      return [null, []];
    }
    const target: CaptureTarget = {
      bytes: null,
      async write(files) {
        this.bytes = files[0].data;
      },
    };
    await m.save(target);
    const bytes = target.bytes!.slice();
    return [bytes, [bytes.buffer]];
  }

  endpoint.addEventListener('message', (event: MessageEvent) => {
    const req = event.data as Request;
    if (req.op === 'stop') {
      stopRequested = training;
      if (training && model) model.stopTraining = true;
      post({ id: req.id, ok: true, result: training });
      return;
    }
    if (training) {
      if (BETWEEN_BATCHES.has(req.op)) queued.push(req);
      else {
        post({
          id: req.id,
          ok: false,
          error: sendError(
            new RuntimeError(
              `WorkerModel.${req.op}() cannot run while fit() runs in the worker: call stop() and wait for fit's promise first.`,
            ),
          ),
        });
      }
      return;
    }
    if (req.op === 'fit') {
      // Set now, not when the chain reaches fit: requests that come in meanwhile wait for a batch's end.
      training = true;
      stopRequested = false;
      chain = chain.then(async () => {
        try {
          await answer(req);
        } finally {
          training = false;
          stopRequested = false;
          await runQueued();
        }
      });
      return;
    }
    chain = chain.then(() => answer(req));
  });
  endpoint.start?.();
}
