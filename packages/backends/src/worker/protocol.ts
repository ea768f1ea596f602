/**
 * The messages between a page's WorkerModel and a worker's serveModel. Internal: both ends are this
 * package, so the format may change between versions without notice.
 */
import type { Logs } from '@strata/core';

import type { EncodedData } from './host-array.js';

/** The fit arguments that can cross to a worker (numbers, booleans and arrays; no callback objects). */
export interface WorkerFitOptions {
  batchSize?: number;
  epochs?: number;
  initialEpoch?: number;
  validationSplit?: number;
  shuffle?: boolean;
  classWeight?: Record<number, number>;
  stepsPerEpoch?: number;
  validationSteps?: number;
  validationBatchSize?: number;
  validationFreq?: number | number[];
}

/** What the page asks for. Every request carries an id; its answer carries the same id. */
export type Request =
  | { id: number; op: 'setBackend'; name: string }
  | { id: number; op: 'load'; source: Uint8Array | string }
  | {
      id: number;
      op: 'fit';
      x: EncodedData;
      y: EncodedData;
      validationData?: [EncodedData, EncodedData];
      options: WorkerFitOptions;
      batchLogs: boolean;
    }
  | { id: number; op: 'stop' }
  | { id: number; op: 'evaluate'; x: EncodedData; y: EncodedData; batchSize?: number; returnDict?: boolean }
  | { id: number; op: 'predict'; x: EncodedData; batchSize?: number }
  | { id: number; op: 'save'; destination: string | null }
  | { id: number; op: 'memory' };

/** What fit reports while it runs, tagged with the fit request's id. */
export type TrainingEvent =
  | { kind: 'trainBegin'; epochs: number; steps: number | null }
  | { kind: 'epochBegin'; epoch: number }
  | { kind: 'batchEnd'; epoch: number; batch: number; logs: Logs }
  | { kind: 'epochEnd'; epoch: number; logs: Logs };

/** An error thrown in the worker, as it crosses back: its class name (ValueError, RuntimeError, …) and message. */
export interface SentError {
  name: string;
  message: string;
}

/** What the worker sends back. */
export type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: SentError }
  | { id: number; event: TrainingEvent };

/** What `WorkerModel.load` resolves to: enough about the model to show it without asking again. */
export interface WorkerModelInfo {
  /** The model's name (`model.name`). */
  name: string;
  /** Each input's shape, batch axis first (null where free). */
  inputShapes: (number | null)[][];
  /** Each output's shape, batch axis first. */
  outputShapes: (number | null)[][];
  /** Whether the model is compiled (a `.keras` file saved after compile carries its compile config). */
  compiled: boolean;
  /** `model.summary()`'s lines. */
  summary: string[];
}

/** What `WorkerModel.memory` resolves to: the worker's tfjs memory, for leak checks. */
export interface WorkerMemory {
  /** The tfjs backend active in the worker. */
  backend: string;
  /** `tf.memory().numTensors` in the worker. */
  numTensors: number;
  /** `tf.memory().numBytes` in the worker. */
  numBytes: number;
}
