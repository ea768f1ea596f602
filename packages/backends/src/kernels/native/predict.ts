/**
 * `predict` on the native backend as one ONNX Runtime call per batch (issue 20): the model is exported to
 * ONNX in memory (`@strata/onnx`'s `toOnnx`) and its session runs the whole forward pass, where the
 * uncompiled path runs ~10 kernels, each paying tfjs's dispatch and an ONNX Runtime call of its own.
 *
 * Weights are the graph's initializers, not inputs: ONNX Runtime then pre-packs them once for its matrix
 * products and convolutions. Measured on the bench MLP (784-512-10, same ops, one thread, 2 shared cores),
 * initializers against inputs: batch 1 26.8 against 30.4 µs (load 1.5) and 38.0 against 50.6 µs (load 6);
 * batch 1,024 225,822 against 149,291 samples/s and 108,970 against 86,322. The price is a new export when
 * a weight changes. Every write to a Strata weight (`Variable.assign`, an optimizer's update, a compiled
 * training step, `setWeights`, loading) goes through tfjs's `Variable.assign`, which gives the variable a
 * new `dataId`, except a compiled step that updates its resident arrays in place (step/resident.ts), which
 * counts those updates (`writeCount`); each run compares the weights' `dataId`s and counts with the ones
 * the session was exported from (a few comparisons), so training between two predicts never serves stale
 * weights.
 *
 * The batch dimension is symbolic: one session serves every batch size, on `configureNative({ threads })`
 * threads. Its idle workers spin for up to `SPIN_MICROS` before they sleep, so a worker is awake between the
 * ops of one call and for the next call in quick succession; waking a sleeping worker (a futex, through
 * the hypervisor here) cost more than a small batch's share of work saved. Measured on the 2 shared cores
 * (2026-12-08, load ~1, medians, predict and reading the result): two threads with the bounded spin against
 * one thread, as small batches ran before, and against two threads that sleep at once:
 * - MLP batch 1: 45 against 59-63 µs (one thread) and 101 µs (sleeping); batch 16: 72-87 against 104-113
 *   µs; batch 64: 182-230 against 309-337 µs;
 * - CNN batch 1: 54-63 against 49-52 µs; batch 16: 302-322 against 495-509 µs; batch 64: 1.21-1.23 against
 *   2.03-2.13 ms;
 * - batches of 128 and 1,024 the same within the noise (MLP 483-505 against 446 µs and 2.80-2.94 against
 *   2.86-3.09 ms, CNN 2.37-2.65 against 2.70-3.02 ms and 21.5-22.8 against 21.7-21.9 ms).
 * The price is CPU time: a worker that finds no work spins 100 µs. The MLP at batch 1 took 68 µs of CPU
 * per call against 45 on one thread; with a call every 2 ms, 52-78 against 24 ms per 200 calls.
 *
 * Lifetime: a model's sessions live in a WeakMap keyed by the model. They are released when its weights
 * change (and a new export replaces them), when the backend is disposed or `configureNative` changes the
 * thread count (`releaseSessions`), and after the model is garbage-collected (a FinalizationRegistry).
 */
import {
  type CompiledPredict,
  type Model,
  type PredictRequest,
  RuntimeError,
  type SymbolicTensor,
} from '@strata/core';
import { toOnnx } from '@strata/onnx';
import * as tf from '@tensorflow/tfjs-core';

import { typedAs } from '../cpu/mat-mul.js';
import { ModelSession, nativeOptions, type Operand, type OrtOutput } from './ort.js';
import { writeCount } from './step/resident.js';

/** How long an idle worker of a predict session spins for work before it sleeps (see above). */
const SPIN_MICROS = 100;

/**
 * A model's compiled predict: the graph (by its output tensors) and weights (the variables and their
 * storage) it was exported from, or why it cannot be; and its sessions, one per thread count, made on use.
 */
interface Compiled {
  outputs: readonly SymbolicTensor[];
  variables: readonly tf.Variable[];
  dataIds: readonly object[];
  /** The in-place update counts of those storages (see `writeCount`). */
  writes: readonly number[];
  refused: string | null;
  /** One map for the model's life, so that the finalizer holds it (and never the model). */
  readonly sessions: Map<number, ModelSession>;
}

const compiled = new WeakMap<Model, Compiled>();
const finalizer = new FinalizationRegistry<Map<number, ModelSession>>(releaseAll);

/**
 * The native backend's `compilePredict` (core's step-compiler contract): the model's forward pass for
 * batches of the request's signature as one ONNX Runtime call each, or why the model cannot run this way
 * (a subclassed model, a layer the ONNX exporter cannot express, an input or output that is not float32).
 * The model is exported and its session made here, so that a refusal is known before `predict` runs.
 */
export function compileNativePredict(request: PredictRequest): CompiledPredict | string {
  const model = request.model as unknown as Model;
  const nonFloat = request.inputs.find((x) => x.dtype !== 'float32');
  if (nonFloat) return `an input is ${nonFloat.dtype}; the compiled predict takes float32 inputs`;
  const session = sessionFor(model, nativeOptions().threads);
  if (typeof session === 'string') return session;
  return {
    // The thread count is read per run: `configureNative` may change it after this.
    run: (xs) => runPredict(model, xs, nativeOptions().threads),
    // The trainer drops its compiled passes together (on compile() and dispose()): the model's sessions go.
    dispose: () => {
      const entry = compiled.get(model);
      if (entry) releaseAll(entry.sessions);
    },
  };
}

/** One batch through the model's session on `threads` threads (exported again if its weights changed). */
function runPredict(model: Model, xs: readonly tf.Tensor[], threads: number): tf.Tensor[] {
  const session = sessionFor(model, threads);
  // Not met in practice: a graph the exporter took it takes again, and a model whose layers changed has
  // other weights, for which the trainer compiles anew. Should it happen, say so rather than run another graph.
  if (typeof session === 'string')
    throw new RuntimeError(`predict() cannot run model "${model.name}" compiled: ${session}`);
  const operands: Operand[] = xs.map((x) => ({
    values: typedAs(x.dataSync(), 'float32') as Float32Array,
    shape: x.shape,
  }));
  let outputs: OrtOutput[];
  try {
    outputs = session.run(operands);
  } catch (err) {
    throw new RuntimeError(
      `predict() failed running model "${model.name}" in ONNX Runtime (the native backend's compiled ` +
        `predict): ${(err as Error)?.message ?? err}`,
    );
  }
  return outputs.map(({ values, shape }) => tf.tensor(values, shape, 'float32'));
}

/**
 * The model's session on `threads` threads, exported again when the model's graph or weights differ from
 * the ones its sessions were made from; or why the model cannot be compiled.
 */
function sessionFor(model: Model, threads: number): ModelSession | string {
  const outputs = model.outputs ?? [];
  let entry = compiled.get(model);
  if (!entry) {
    entry = { outputs, variables: [], dataIds: [], writes: [], refused: null, sessions: new Map() };
    compiled.set(model, entry);
    finalizer.register(model, entry.sessions);
    refresh(entry, model);
  } else if (!sameTensors(entry.outputs, outputs) || (entry.refused === null && !isCurrent(entry))) {
    entry.outputs = outputs;
    refresh(entry, model);
  }
  if (entry.refused !== null) return entry.refused;
  let session = entry.sessions.get(threads);
  if (!session) {
    try {
      session = new ModelSession(toOnnx(model), threads, SPIN_MICROS);
    } catch (err) {
      entry.refused = (err as Error)?.message ?? String(err);
      return entry.refused;
    }
    entry.sessions.set(threads, session);
  }
  return session;
}

/** Forgets the model's sessions and records the weights (or the refusal) the next ones are made for. */
function refresh(entry: Compiled, model: Model): void {
  releaseAll(entry.sessions);
  entry.refused = null;
  const dtypes = [...(model.inputs ?? []), ...entry.outputs].filter((t) => t.dtype !== 'float32');
  if (dtypes.length > 0) {
    entry.refused = `${dtypes[0].name} is ${dtypes[0].dtype}; the compiled predict runs float32 models`;
    return;
  }
  entry.variables = model.weights.map((v) => v.value);
  entry.dataIds = entry.variables.map((v) => v.dataId);
  entry.writes = entry.dataIds.map(writeCount);
}

/** Whether the model's weights are still the ones its sessions were exported from, and those sessions live. */
function isCurrent(entry: Compiled): boolean {
  for (const session of entry.sessions.values()) if (session.released) return false;
  return entry.variables.every(
    (v, i) => v.dataId === entry.dataIds[i] && writeCount(v.dataId) === entry.writes[i],
  );
}

function releaseAll(sessions: Map<number, ModelSession>): void {
  for (const session of sessions.values()) session.release();
  sessions.clear();
}

function sameTensors(a: readonly SymbolicTensor[], b: readonly SymbolicTensor[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
