/**
 * Training in a Web Worker (exported by `@strata/backends`): train, evaluate, predict and save a model in a
 * dedicated Web Worker, driven from the page. The page creates a {@link WorkerModel} on a `Worker`; the worker script calls
 * {@link serveModel}. Arrays cross as transferred typed arrays; training reports every batch and epoch
 * back to the page for live charts.
 */
export type { HostArray, HostTypedArray, WorkerData } from './worker/host-array.js';
export type { WorkerFitOptions, WorkerMemory, WorkerModelInfo } from './worker/protocol.js';
export { type ServeEndpoint, serveModel } from './worker/serve-model.js';
export {
  WorkerCrashedError,
  type WorkerEndpoint,
  type WorkerFitArgs,
  type WorkerFitCallbacks,
  type WorkerHistory,
  WorkerModel,
} from './worker/worker-model.js';
