/**
 * Runs one-op (or few-op) ONNX models on ONNX Runtime's CPU kernels, synchronously, for the native
 * backend's kernels (tfjs kernels are synchronous).
 *
 * Why the binding and not `InferenceSession`: onnxruntime-node's public API is async only, but its
 * native binding (`dist/binding.js`) runs a model synchronously; the public `run` only defers that call
 * with `setImmediate` and wraps it in a Promise. Measured here (2 shared cores, one `MatMul` model):
 * 8.7 µs per call through the binding against 49.5 µs through the Promise, and only the binding can
 * serve a synchronous kernel at all. A worker blocked on `Atomics.wait` would add a thread hop and a
 * copy of every operand to the same native call.
 *
 * Each model is built once per signature (op, shapes, attributes) and its session kept; a session
 * copies nothing on input (ORT reads the tensors' Float32Arrays in place).
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';

import { RuntimeError, ValueError } from '@strata/core';
import { encodeModelProto, OnnxGraph } from '@strata/onnx/graph';
import type { TensorInfo } from '@tensorflow/tfjs-core';

import { type CpuData, valuesOf } from '../cpu/mat-mul.js';
import type { Backend } from '../wasm/call-kernel.js';

/** The parts of onnxruntime-node's Tensor these kernels use. */
interface OrtTensor {
  readonly data: Float32Array | Int32Array;
  readonly dims: readonly number[];
}

/** onnxruntime-node's session object (`binding.InferenceSession`), as its `dist/binding.d.ts` declares it. */
interface BindingSession {
  loadModel(
    buffer: ArrayBuffer,
    byteOffset: number,
    byteLength: number,
    options: object,
  ): void | Promise<void>;
  readonly inputMetadata: { name: string }[];
  readonly outputMetadata: { name: string }[];
  run(
    feeds: Record<string, OrtTensor>,
    // A fetch given as a tensor: ONNX Runtime writes the output into its array (the binding returns a
    // copy all the same).
    fetches: Record<string, OrtTensor | null>,
    options: object,
  ): Record<string, OrtTensor>;
  dispose(): void;
}

interface OrtBinding {
  binding: { InferenceSession: new () => BindingSession };
  initOrt(): void;
}

const require = createRequire(import.meta.url);
// Loaded when the native entry is imported, so a missing package fails `setBackend('native')` there.
const ort = require('onnxruntime-node') as {
  Tensor: new (
    type: 'float32' | 'int32',
    data: Float32Array | Int32Array,
    dims: readonly number[],
  ) => OrtTensor;
};
const { binding, initOrt } = require('onnxruntime-node/dist/binding.js') as OrtBinding;

/** The ONNX opset of the kernels' models (ONNX Runtime 1.14 and newer run it). */
const OPSET = 17;
/** ONNX IR version 8 goes with opset 17. */
const IR_VERSION = 8;

/** Options of the native backend. */
export interface NativeOptions {
  /**
   * Threads each ONNX Runtime kernel runs on (`intraOpNumThreads`). Default: the number of cores
   * (`os.availableParallelism()`).
   */
  threads?: number;
}

let threads = availableParallelism();
const sessions = new Map<string, BindingSession>();
/** The live sessions of whole models (`ModelSession`), released with the kernels' sessions. */
const modelSessions = new Set<ModelSession>();

/** Sets the native backend's options; sessions made with other options are released. */
export function configureNative(options: NativeOptions = {}): void {
  if (options.threads !== undefined) {
    if (!Number.isInteger(options.threads) || options.threads < 1) {
      throw new ValueError(
        `configureNative expects threads to be a positive integer. Received: threads=${options.threads}`,
      );
    }
    if (options.threads !== threads) releaseSessions();
    threads = options.threads;
  }
}

/** The native backend's options now in force. */
export function nativeOptions(): Required<NativeOptions> {
  return { threads };
}

/** The number of cached ONNX Runtime sessions (one per kernel signature run so far). */
export function sessionCount(): number {
  return sessions.size;
}

/** Releases every cached session and every model session (the backend's `dispose`, or a change of options). */
export function releaseSessions(): void {
  for (const session of sessions.values()) session.dispose();
  sessions.clear();
  for (const session of [...modelSessions]) session.release();
}

/**
 * Kernels with less work than this (multiply-adds, or elements) run on one thread: waking a second one
 * costs more than it saves (a batch-1 `predict` is all such kernels).
 */
const MIN_PARALLEL_WORK = 1 << 18;

/**
 * Builds and loads a model. `wholeStep`: a compiled training step (one session per model and batch size), which
 * keeps its memory arena.
 */
function createSession(
  key: string,
  build: (graph: OnnxGraph) => void,
  threadCount: number,
  wholeStep = false,
): BindingSession {
  const bytes = modelBytes(key, build);
  // Without the arena each session's buffers are freed after its run: with one arena per session (one per
  // kernel signature) a CNN's training and predict shapes held ~1 GB more. A whole step is one session, and
  // its intermediates are large: freed and mapped again every run, the bench CNN's step took 271 ms
  // against 55 ms with the arena (onnxruntime 1.30 in Python, 2 threads, load 3).
  return loadSession(bytes, threadCount, wholeStep);
}

/** The ONNX file of the model `build` emits, as the sessions load it (also for profiling a compiled step). */
export function modelBytes(key: string, build: (graph: OnnxGraph) => void): Uint8Array {
  const graph = new OnnxGraph();
  build(graph);
  return encodeModelProto({
    irVersion: IR_VERSION,
    producerName: 'strata-native',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: withoutOutputCopies(graph.toProto(key)),
  });
}

/**
 * An ONNX Runtime session of the model `bytes`; `arena` keeps its buffers from one run to the next.
 * `spinMicros`: how long an idle worker thread spins for work before it sleeps (0: it sleeps at once).
 */
function loadSession(bytes: Uint8Array, threadCount: number, arena: boolean, spinMicros = 0): BindingSession {
  initOrt();
  const session = new binding.InferenceSession();
  const loading = session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, {
    intraOpNumThreads: threadCount,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: arena,
    // Kernels run one after another from JS; a pool spinning after its kernel ends would take the cores
    // the next kernel (another session, another pool) needs. A bounded spin (`spinMicros`) keeps a worker
    // awake only between the ops of one run and for calls in quick succession.
    extra: {
      session: {
        intra_op:
          spinMicros > 0
            ? { allow_spinning: '1', spin_duration_us: String(spinMicros) }
            : { allow_spinning: '0' },
      },
    },
  });
  // onnxruntime-node 1.30 throws here; 1.31 returns a Promise, settled already for a session without
  // JavaScript callbacks (these), whose rejection cannot be read synchronously: the metadata says whether
  // the session is ready.
  if (loading instanceof Promise) loading.catch(() => {});
  try {
    void session.inputMetadata;
  } catch {
    throw new Error('ONNX Runtime could not load the model');
  }
  return session;
}

interface NodeProto {
  opType: string;
  input: string[];
  output: string[];
  attribute?: { g?: unknown }[];
}

/**
 * The graph without the `Identity` copies `OnnxGraph.addOutput` puts before its outputs: the copied value
 * takes the output's name instead. ONNX Runtime drops such a copy only when nothing else reads the value;
 * in a compiled step the new optimizer slots also feed the weight update, so each would be a full copy of a
 * weight's slot every step (measured: 11% of the bench MLP's step). Graphs with subgraphs (Loop bodies,
 * which may read outer values by name) are left as they are.
 */
function withoutOutputCopies(proto: Record<string, unknown>): Record<string, unknown> {
  const nodes = proto.node as NodeProto[];
  if (nodes.some((n) => n.attribute?.some((a) => a.g !== undefined))) return proto;
  const names = (list: unknown) => (list as { name: string }[]).map((v) => v.name);
  const fixed = new Set([...names(proto.input), ...names(proto.initializer)]);
  const outputs = new Set(names(proto.output));
  const renamed = new Map<string, string>();
  const kept = nodes.filter((n) => {
    const [from] = n.input;
    if (n.opType !== 'Identity' || !outputs.has(n.output[0])) return true;
    if (fixed.has(from) || outputs.has(from) || renamed.has(from)) return true;
    renamed.set(from, n.output[0]);
    return false;
  });
  if (renamed.size === 0) return proto;
  const rename = (v: string) => renamed.get(v) ?? v;
  const node = kept.map((n) => ({ ...n, input: n.input.map(rename), output: n.output.map(rename) }));
  return { ...proto, node };
}

/** An output of a model session: its values and shape. */
export interface OrtOutput {
  values: Float32Array;
  shape: number[];
}

/**
 * A session of a whole model's ONNX file (a compiled `predict`), owned by its caller rather than cached by
 * signature here. It keeps ONNX Runtime's memory arena: a whole model's activations are large (a CNN's
 * first layer at batch 1,024 is 88 MB) and fresh pages for them on every run cost more than the compute
 * (measured: CNN batch 1,024 at 1,118 samples/s without the arena, 15,688 with it). `releaseSessions`
 * releases it with the rest; a released session fails to run, so callers check `released` first.
 */
export class ModelSession {
  private session: BindingSession | null;
  /** The graph's input names, in the model's order. */
  readonly inputNames: readonly string[];
  /** The graph's output names, in the model's order. */
  readonly outputNames: readonly string[];
  private readonly fetches: Record<string, null>;

  /**
   * Loads the model `bytes` on `threadCount` threads, whose idle workers spin for `spinMicros` before they
   * sleep; throws ONNX Runtime's error when it cannot.
   */
  constructor(
    bytes: Uint8Array,
    readonly threadCount: number,
    readonly spinMicros = 0,
  ) {
    const session = loadSession(bytes, threadCount, true, spinMicros);
    this.session = session;
    this.inputNames = session.inputMetadata.map((m) => m.name);
    this.outputNames = session.outputMetadata.map((m) => m.name);
    this.fetches = Object.fromEntries(this.outputNames.map((name) => [name, null]));
    modelSessions.add(this);
  }

  /** Whether the session was released (by `release` or `releaseSessions`). */
  get released(): boolean {
    return this.session === null;
  }

  /** Runs the model on one float32 operand per input, in `inputNames` order; returns the outputs in order. */
  run(inputs: readonly Operand[]): OrtOutput[] {
    if (!this.session) throw new RuntimeError('The ONNX Runtime session was released.');
    const feeds: Record<string, OrtTensor> = {};
    inputs.forEach(({ values, shape }, i) => {
      feeds[this.inputNames[i]] = new ort.Tensor('float32', values, shape);
    });
    const results = this.session.run(feeds, this.fetches, {});
    // The compiled predict's models have float32 outputs only.
    return this.outputNames.map((name) => ({
      values: results[name].data as Float32Array,
      shape: results[name].dims.slice(),
    }));
  }

  /** Frees the session's native memory; releasing twice is harmless. */
  release(): void {
    this.session?.dispose();
    this.session = null;
    modelSessions.delete(this);
  }
}

/** The number of live model sessions. */
export function modelSessionCount(): number {
  return modelSessions.size;
}

/** A float32 operand: its values and the shape to give it in the model. */
export interface Operand {
  values: Float32Array;
  shape: readonly number[];
}

/**
 * Runs the model for signature `key` (built by `build` the first time) on `feeds` and returns its
 * outputs' values, in the order of `outputs`. `build` declares inputs named as `feeds` and those outputs.
 * `work` (multiply-adds, or elements for element-wise models) decides whether it gets more than one thread.
 */
export function runModel(
  key: string,
  build: (graph: OnnxGraph) => void,
  feeds: Record<string, Operand>,
  work: number,
  outputs: readonly string[] = ['y'],
): Float32Array[] {
  try {
    const threadCount = work < MIN_PARALLEL_WORK ? 1 : threads;
    return runSession(key, build, threadCount, feeds, outputs, false) as Float32Array[];
  } catch (err) {
    throw new RuntimeError(`ONNX Runtime failed running ${key}: ${(err as Error)?.message ?? err}`);
  }
}

/** The cached session of model `key` on `threadCount` threads, built (`createSession`) on first use. */
function cachedSession(
  key: string,
  build: (graph: OnnxGraph) => void,
  threadCount: number,
  wholeStep: boolean,
): BindingSession {
  const sessionKey = `${key} threads=${threadCount}`;
  let session = sessions.get(sessionKey);
  if (!session) {
    session = createSession(key, build, threadCount, wholeStep);
    sessions.set(sessionKey, session);
  }
  return session;
}

/** Runs model `key` on `threadCount` threads, building its session on first use; returns the outputs' values. */
function runSession(
  key: string,
  build: (graph: OnnxGraph) => void,
  threadCount: number,
  feeds: Record<string, TypedOperand>,
  outputs: readonly string[],
  wholeStep: boolean,
  into: Record<string, TypedOperand> = {},
): (Float32Array | Int32Array)[] {
  const session = cachedSession(key, build, threadCount, wholeStep);
  const tensor = ({ values, shape }: TypedOperand) =>
    new ort.Tensor(values instanceof Int32Array ? 'int32' : 'float32', values, shape);
  const tensors: Record<string, OrtTensor> = {};
  for (const [name, operand] of Object.entries(feeds)) tensors[name] = tensor(operand);
  const fetches = Object.fromEntries(outputs.map((name) => [name, into[name] ? tensor(into[name]) : null]));
  const results = session.run(tensors, fetches, {});
  return outputs.map((name) => results[name].data);
}

/**
 * Runs a kernel's model on the native backend's tensors: declares each of `inputs` (a tensor, or values
 * with a shape) as a float32 graph input of its name, lets `build` add the ops and return the output's
 * value name, and returns the output `shape` as a new tensor of the backend. `work` as for `runModel`.
 */
export function runKernelModel(
  backend: Backend,
  key: string,
  inputs: Record<string, TensorInfo | Operand>,
  shape: number[],
  work: number,
  build: (graph: OnnxGraph) => string,
): TensorInfo {
  const feeds: Record<string, Operand> = {};
  for (const [name, input] of Object.entries(inputs))
    feeds[name] = 'dataId' in input ? { values: valuesOf(backend, input), shape: input.shape } : input;
  const [out] = runModel(
    key,
    (g) => {
      for (const [name, { shape: dims }] of Object.entries(feeds))
        g.addInput(name, dims as number[], 'float32');
      g.addOutput('y', build(g), shape, 'float32');
    },
    feeds,
    work,
  );
  return (backend as unknown as CpuData).makeTensorInfo(shape, 'float32', out);
}

/** An operand of a whole-step model: float32 values (activations, weights) or int32 ones (labels, counters). */
export interface TypedOperand {
  values: Float32Array | Int32Array;
  shape: readonly number[];
}

/**
 * Runs a whole-step model (a compiled training step: many ops, on every thread) on `feeds`, built by `build`
 * the first time and cached under `key` with the kernels' sessions, so it is released with them (the
 * backend's `dispose`, `configureNative`) and rebuilt on the next run. Returns the outputs' values in the
 * order of `outputs`; an ONNX Runtime failure throws a RuntimeError naming `key`. An output named in `into`
 * is written into that array too (ONNX Runtime writes it there; the binding still returns a copy): one
 * memory pass less than copying the returned array (1.6 MB: 201 against 242 µs, load ~9).
 */
export function runStepModel(
  key: string,
  build: (graph: OnnxGraph) => void,
  feeds: Record<string, TypedOperand>,
  outputs: readonly string[],
  into: Record<string, TypedOperand> = {},
): (Float32Array | Int32Array)[] {
  try {
    return runSession(key, build, threads, feeds, outputs, true, into);
  } catch (err) {
    throw new RuntimeError(`ONNX Runtime failed running the ${key}: ${(err as Error)?.message ?? err}`);
  }
}

/**
 * Makes the session of whole-step model `key` ahead of its first run (see `runStepModel`); returns why ONNX
 * Runtime refused the model, or null.
 */
export function prepareStepModel(key: string, build: (graph: OnnxGraph) => void): string | null {
  try {
    cachedSession(key, build, threads, true);
    return null;
  } catch (err) {
    return `ONNX Runtime refused the step's model: ${(err as Error)?.message ?? err}`;
  }
}

/** Releases the sessions of model `key` (at any thread count), e.g. a compiled step the trainer dropped. */
export function releaseSession(key: string): void {
  for (const [sessionKey, session] of sessions) {
    if (sessionKey.startsWith(`${key} threads=`)) {
      session.dispose();
      sessions.delete(sessionKey);
    }
  }
}
