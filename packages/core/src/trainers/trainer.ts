import '../register-gradients.js';
import * as tf from '@tensorflow/tfjs-core';
import { checkArgumentNames } from '../argument-names.js';
import { assertBackendRegistered } from '../backend-check.js';
import { Callback, type CallbackModel, type History, type Logs } from '../callback.js';
import { discardAbandonedTape } from '../engine/abandoned-tape.js';
import { CallbackList } from '../engine/callback-list.js';
import {
  type LossIdentifier,
  MeanTracker,
  type MetricIdentifier,
  perOutput,
  resolveLoss,
  resolveMetric,
  serializeCompileArg,
  UnweightedMetricView,
} from '../engine/compile.js';
import {
  type Batch,
  checkCardinality,
  classWeightToSampleWeight,
  type Dataset,
  isDataset,
  type ModelData,
  sliceRows,
  standardizeData,
  validateBatchSize,
  yieldToEventLoop,
} from '../engine/data-adapter.js';
import type { Shape, SymbolicTensor } from '../engine/symbolic-tensor.js';
import { formatShape, RuntimeError, ValueError } from '../errors.js';
import { type CallKwargs, Layer } from '../layer.js';
import type { Loss } from '../loss.js';
import type { Metric } from '../metric.js';
import type { Model } from '../model.js';
import type { Optimizer } from '../optimizer.js';
import { type OptimizerIds, registry } from '../registry.js';
import {
  deserializeKerasObject,
  isKerasObjectJSON,
  type KerasObjectJSON,
  serializeKerasObject,
} from '../serialization.js';
import {
  activeBackendDescription,
  type BackendDescription,
  type CompiledPredict,
  type CompiledTrainStep,
  type TensorSignature,
} from '../step-compiler.js';
import type { Variable } from '../variable.js';
import {
  type BatchData,
  forEachArrayBatch,
  forEachDatasetBatch,
  openIterator,
  splitValidation,
} from './epoch-iterator.js';

/**
 * The inputs or outputs of a functional model: one symbolic tensor, a list of them, or a record keyed by
 * name.
 */
export type SymbolicStructure = SymbolicTensor | SymbolicTensor[] | Record<string, SymbolicTensor>;

/**
 * What `predict` returns for a model whose outputs were given as `Outputs`: one tensor for a single
 * symbolic tensor, a list (in output order) for a list or a record of them.
 */
export type ModelOutput<Outputs extends SymbolicStructure = SymbolicStructure> =
  Outputs extends SymbolicTensor ? tf.Tensor : tf.Tensor[];

/**
 * What `compile`'s `optimizer` accepts: an Optimizer, a registered name such as `'adam'`, or a Keras config.

 */
export type OptimizerIdentifier = Optimizer | keyof OptimizerIds | KerasObjectJSON;

/** Arguments of `Model.compile`: Keras's `compile` arguments, in camelCase. */
export interface CompileArgs {
  optimizer: OptimizerIdentifier;
  loss?: LossIdentifier | LossIdentifier[] | Record<string, LossIdentifier>;
  metrics?: MetricIdentifier[] | MetricIdentifier[][] | Record<string, MetricIdentifier | MetricIdentifier[]>;
  weightedMetrics?:
    | MetricIdentifier[]
    | MetricIdentifier[][]
    | Record<string, MetricIdentifier | MetricIdentifier[]>;
  lossWeights?: number[] | Record<string, number>;
  /**
   * Whether `fit`, `trainOnBatch` and `predict` run steps compiled by the backend, each one call per batch
   * (Keras's `jit_compile`). `'auto'` (the default): where the active backend offers a step compiler that
   * accepts the model, else the uncompiled step. `true`: always; a step that cannot be compiled throws why,
   * before any weight moves. `false`: never.
   */
  jitCompile?: boolean | 'auto';
}

/** Arguments of `Model.fit`: Keras's `fit` arguments, in camelCase. */
export interface FitArgs {
  batchSize?: number;
  epochs?: number;
  verbose?: 0 | 1 | 2 | 'auto';
  callbacks?: Callback[];
  validationSplit?: number;
  validationData?: [ModelData, ModelData] | [ModelData, ModelData, ModelData] | Dataset;
  shuffle?: boolean;
  classWeight?: Record<number, number>;
  sampleWeight?: ModelData;
  initialEpoch?: number;
  stepsPerEpoch?: number;
  validationSteps?: number;
  validationBatchSize?: number;
  validationFreq?: number | number[];
}

/** Arguments of `Model.evaluate`: Keras's `evaluate` arguments, in camelCase. */
export interface EvaluateArgs {
  batchSize?: number;
  verbose?: 0 | 1 | 2 | 'auto';
  sampleWeight?: ModelData;
  steps?: number;
  callbacks?: Callback[];
  returnDict?: boolean;
}

/** Arguments of `Model.predict`: Keras's `predict` arguments, in camelCase. */
export interface PredictArgs {
  batchSize?: number;
  verbose?: 0 | 1 | 2 | 'auto';
  steps?: number;
  callbacks?: Callback[];
}

interface MetricSlot {
  spec: MetricIdentifier;
  output: number;
  weighted: boolean;
  metric: Metric | null;
  logName: string;
  /** What `model.metrics` lists for an unweighted slot. */
  view?: UnweightedMetricView;
}

const COMPILE_ARGS = ['optimizer', 'loss', 'metrics', 'weightedMetrics', 'lossWeights', 'jitCompile'];
const FIT_ARGS = [
  'batchSize',
  'epochs',
  'verbose',
  'callbacks',
  'validationSplit',
  'validationData',
  'shuffle',
  'classWeight',
  'sampleWeight',
  'initialEpoch',
  'stepsPerEpoch',
  'validationSteps',
  'validationBatchSize',
  'validationFreq',
];
const EVALUATE_ARGS = ['batchSize', 'verbose', 'sampleWeight', 'steps', 'callbacks', 'returnDict'];
const PREDICT_ARGS = ['batchSize', 'verbose', 'steps', 'callbacks'];

export function isPlainRecord(v: unknown): boolean {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** A short description of a received value for error messages: `42 (of type number)`. */
export function describeArgument(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return `${v} (of type string)`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${v} (of type ${typeof v})`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (v instanceof tf.Tensor) return `a tensor of shape ${formatShape(v.shape)}`;
  const ctor = (v as object).constructor?.name;
  return ctor && ctor !== 'Object' ? `an instance of ${ctor}` : Object.prototype.toString.call(v);
}

function checkCallbacks(callbacks: unknown): void {
  if (callbacks == null) return;
  if (!Array.isArray(callbacks))
    throw new ValueError(
      `Expected \`callbacks\` to be a list of Callback instances. Received: callbacks=${describeArgument(callbacks)}`,
    );
  callbacks.forEach((cb, i) => {
    if (!(cb instanceof Callback) && !(cb && typeof (cb as Callback).setModel === 'function')) {
      throw new ValueError(
        `Expected every entry of \`callbacks\` to be a Callback instance. Received: callbacks[${i}]=${describeArgument(cb)}`,
      );
    }
  });
}

function checkValidationFreq(freq: unknown): void {
  if (freq == null) return;
  const ok = Array.isArray(freq)
    ? freq.every((e) => Number.isInteger(e) && e >= 1)
    : Number.isInteger(freq) && (freq as number) >= 1;
  if (!ok) {
    const shown = Array.isArray(freq) ? `[${freq.join(', ')}]` : describeArgument(freq);
    throw new ValueError(
      `\`validation_freq\` must be a positive integer or a list of positive epoch numbers. Received: validation_freq=${shown}`,
    );
  }
}

function checkSteps(steps: unknown, name: string): void {
  if (steps != null && !(Number.isInteger(steps) && (steps as number) > 0))
    throw new ValueError(`Expected \`${name}\` to be a positive integer. Received: ${name}=${String(steps)}`);
}

function checkNotEmpty(size: number, xs: tf.Tensor[]): void {
  if (size === 0)
    throw new ValueError(
      `Expected at least one sample, but the data is empty. Received: x with shape ${formatShape(xs[0]?.shape ?? [0])}`,
    );
}

/** Fails at compile time on a metric that cannot be resolved, as Keras does on the first batch. */
function checkMetricIdentifier(spec: unknown): void {
  if (typeof spec === 'string') {
    // The registry's error names the kind, what is registered and which package to import.
    registry.get('metric', spec);
    return;
  }
  const usable =
    typeof spec === 'function' ||
    (typeof spec === 'object' &&
      spec !== null &&
      (isKerasObjectJSON(spec) || typeof (spec as Metric).updateState === 'function'));
  if (!usable)
    throw new ValueError(
      `Could not interpret metric identifier. Expected a metric name, a Metric instance or a function. Received: ${describeArgument(spec)}`,
    );
}

function checkJitCompile(value: unknown): void {
  if (value !== undefined && value !== true && value !== false && value !== 'auto')
    throw new ValueError(
      `Expected \`jit_compile\` to be true, false or 'auto'. Received: jit_compile=${describeArgument(value)}`,
    );
}

function signatureOf(t: tf.Tensor): TensorSignature {
  return { shape: t.shape, dtype: t.dtype };
}

function verboseLevel(v: FitArgs['verbose']): number {
  return v === undefined || v === 'auto' ? 1 : v;
}

function isLossLeaf(v: unknown): boolean {
  return (
    typeof v === 'string' ||
    typeof v === 'function' ||
    (typeof v === 'object' && v !== null && !Array.isArray(v) && (isKerasObjectJSON(v) || 'apply' in v))
  );
}

function isMetricLeaf(v: unknown): boolean {
  return (
    typeof v === 'string' ||
    typeof v === 'function' ||
    (typeof v === 'object' && v !== null && !Array.isArray(v) && (isKerasObjectJSON(v) || 'updateState' in v))
  );
}

/** The inputs of one step, structured as the model's `call` takes them. */
export type StepInputs = tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>;

/**
 * One batch as `trainStep` and `testStep` receive it (Keras's `data`, unpacked): the inputs as `call` takes
 * them, the targets (one tensor for a single output, else a list in output order; `null` when fit got none)
 * and the sample weights (likewise, `null` when none were given).
 */
export interface StepData {
  x: StepInputs;
  y: tf.Tensor | tf.Tensor[] | null;
  sampleWeight: tf.Tensor | (tf.Tensor | null)[] | null;
}

/** What `trainStep` and `testStep` return: log names to scalar tensors (or numbers), as Keras's step logs. */
export type StepLogs = Record<string, tf.Tensor | number>;

/**
 * The training half of a model (Keras 3's `Trainer`): compile, the overridable `trainStep` / `testStep` /
 * `predictStep`, and fit / evaluate / predict and the *OnBatch calls that drive them. The steps call the
 * model (`this.call(x, { training })`), so a subclass with its own `call` trains like a functional model.
 * `Model` (functional, Sequential or subclassed) is the class to extend; this one is not used alone.
 */
/** The output names a subclassed model takes from compile's `loss`: a record's keys, or one per list entry. */
function outputNamesFromLoss(loss: CompileArgs['loss']): string[] | null {
  if (loss != null && isPlainRecord(loss) && !isLossLeaf(loss)) return Object.keys(loss);
  if (Array.isArray(loss)) return loss.map((_, i) => `output_${i + 1}`);
  return ['output_1'];
}

/** Checks that a custom step returned a logs record: names to scalar tensors or numbers. */
function checkStepLogs(out: unknown, name: string): void {
  const ok =
    isPlainRecord(out) &&
    Object.values(out as object).every(
      (v) => typeof v === 'number' || (v instanceof tf.Tensor && v.size === 1),
    );
  if (!ok)
    throw new ValueError(
      `${name}() must return a record of logs: metric names to scalar tensors or numbers. Received: ${describeArgument(out)}`,
    );
}

/** Log values from a step's returned record, each read from the device only when a callback reads it. */
function lazyStepLogs(logs: StepLogs): Logs {
  const out: Logs = {};
  for (const [name, v] of Object.entries(logs)) {
    let cached: number | undefined = typeof v === 'number' ? v : undefined;
    Object.defineProperty(out, name, {
      enumerable: true,
      configurable: true,
      get: () => {
        cached ??= (v as tf.Tensor).dataSync()[0];
        return cached;
      },
    });
  }
  return out;
}

/** A step's logs read to numbers. */
async function readStepLogs(logs: StepLogs): Promise<Logs> {
  const values = await Promise.all(
    Object.values(logs).map(async (v) => (typeof v === 'number' ? v : (await v.data())[0])),
  );
  return Object.fromEntries(Object.keys(logs).map((k, i) => [k, values[i]]));
}

/** The `metrics` getter a model (or prototype) resolves to. */
function metricsGetterOf(obj: object): unknown {
  for (let p: object | null = obj; p; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, 'metrics');
    if (d) return d.get;
  }
  return undefined;
}

function disposeStepLogs(logs: StepLogs | null): void {
  if (logs) tf.dispose(Object.values(logs).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
}

export abstract class Trainer<Outputs extends SymbolicStructure = SymbolicStructure> extends Layer {
  /** The names of the model's inputs (functional: the input layers' names or the record's keys). */
  inputNames: string[] = [];
  /** The names of the model's outputs; for a subclassed model they come from compile's `loss` structure. */
  outputNames: string[] = [];
  protected inputsKind: 'single' | 'list' | 'dict' = 'single';
  protected outputsKind: 'single' | 'list' | 'dict' = 'single';
  protected outputKeys: string[] = [];

  optimizer: Optimizer | null = null;
  compiled = false;
  /** Set by a callback to end `fit` after the current batch. */
  stopTraining = false;
  history: History | null = null;
  /**
   * Set by a callback during onTrainBegin (BackupAndRestore) to resume at a later epoch, as Keras 3's
   * `model._initial_epoch`; fit reads it once and clears it.
   */
  _initialEpoch: number | null = null;
  /**
   * Whether steps run compiled by the backend (Keras's `jit_compile`; see `CompileArgs.jitCompile`). Set by
   * `compile`; `'auto'` on a model never compiled (its `predict`).
   */
  jitCompile: boolean | 'auto' = 'auto';

  private _compileArgs: CompileArgs | null = null;
  private _compiledLosses: (Loss | null)[] = [];
  private _lossWeights: number[] = [];
  private _metricSlots: MetricSlot[] = [];
  private _metricsBuilt = false;
  private _lossTracker: MeanTracker | null = null;
  private _outputLossTrackers: (MeanTracker | null)[] = [];
  private _stepLogsChecked = false;
  /** The backend's compiled steps (or why there is none), by kind, backend and batch signature; cleared by compile. */
  private _compiledSteps = new Map<string, CompiledTrainStep | CompiledPredict | string>();

  // ---- hooks for the model --------------------------------------------------------------------------

  /** Whether the model runs its own `call` (a subclass) rather than a graph of layer calls. */
  protected get isSubclassed(): boolean {
    return true;
  }

  protected ensureGraph(_inputs?: tf.Tensor[]): void {}

  protected checkInputs(_xs: tf.Tensor[]): void {}

  /** Hook for Sequential's deferred build. */
  protected maybeBuildFrom(_x: ModelData, _owned: tf.Tensor[]): void {}

  // ---- calling the model ----------------------------------------------------------------------------

  /** The inputs of a subclassed model as a list, remembering their structure for `call`. */
  private subclassInputs(x: ModelData, owned: tf.Tensor[]): tf.Tensor[] {
    let names: string[];
    if (Array.isArray(x) && x.length > 0 && x.every((t) => t instanceof tf.Tensor)) {
      this.inputsKind = 'list';
      names = x.map((_, i) => `input_${i + 1}`);
    } else if (isPlainRecord(x)) {
      this.inputsKind = 'dict';
      names = Object.keys(x as object);
    } else {
      this.inputsKind = 'single';
      names = ['input_1'];
    }
    this.inputNames = names;
    return standardizeData(x, names, 'input', this.name, owned);
  }

  /** A list of input tensors in the structure `call` takes. */
  protected packInputs(xs: tf.Tensor[]): StepInputs {
    if (!this.isSubclassed) return xs;
    if (this.inputsKind === 'single') return xs[0];
    if (this.inputsKind === 'list') return xs;
    return Object.fromEntries(this.inputNames.map((n, i) => [n, xs[i]]));
  }

  /** `call`'s result as a list of tensors; anything but a tensor or a list or record of them is an error. */
  protected flattenOutputs(out: unknown): tf.Tensor[] {
    if (out instanceof tf.Tensor) return [out];
    if (Array.isArray(out) && out.length > 0 && out.every((t) => t instanceof tf.Tensor)) return out;
    if (isPlainRecord(out)) {
      const values = Object.values(out as object);
      if (values.length > 0 && values.every((t) => t instanceof tf.Tensor)) return values as tf.Tensor[];
    }
    throw new ValueError(
      `Model "${this.name}": call() must return a tensor, or a list or record of tensors. Received: ${describeArgument(out)}`,
    );
  }

  /** Runs the model on a batch's inputs (Keras's `self(x, training=...)`); returns one tensor per output. */
  protected forward(xs: tf.Tensor[], training: boolean): tf.Tensor[] {
    return this.flattenOutputs(
      this.call(this.packInputs(xs) as tf.Tensor | tf.Tensor[], { training } as CallKwargs),
    );
  }

  /**
   * Builds a subclassed model on its first data (Keras builds on the first call): runs `call` once so the
   * layers it uses create their weights. A call that fails is reported as a model that cannot be built from
   * this data; nothing is trained.
   */
  protected buildOnData(xs: tf.Tensor[]): void {
    if (!this.isSubclassed || this.built) return;
    const shapes = xs.map((t) => t.shape as Shape);
    try {
      if (this.build !== Layer.prototype.build) this.build(shapes.length === 1 ? shapes[0] : shapes);
      tf.tidy(() => {
        this.clearCallLosses();
        this.forward(xs, false);
        this.clearCallLosses();
      });
    } catch (e) {
      this.clearCallLosses();
      const msg = e instanceof Error ? e.message : String(e);
      throw new ValueError(
        `Model "${this.name}" could not be built from the data: its call() failed on inputs of shape ` +
          `${shapes.map((sh) => formatShape(sh)).join(', ')}. ${msg}`,
      );
    }
    this.built = true;
    this.buildInputShape ??= shapes.length === 1 ? shapes[0] : shapes;
  }
  /** Configures the model for training (Keras's `compile`). */
  compile(args: CompileArgs): void {
    if (args == null || args.optimizer == null) {
      throw new ValueError(
        'compile() needs an optimizer, e.g. compile({ optimizer: "adam", loss: "mse" }). Received: optimizer=undefined',
      );
    }
    checkArgumentNames(args, COMPILE_ARGS, 'compile()');
    // A subclassed model has no symbolic outputs: as in Keras, compile's `loss` structure names them
    // (a record's keys, or one output per list entry), and a single loss means a single output.
    const subclassOutputs = this.isSubclassed ? outputNamesFromLoss(args.loss) : null;
    if (this.outputNames.length === 0 && !subclassOutputs) {
      throw new ValueError(`Model "${this.name}" has no outputs yet: add layers before compile().`);
    }
    const outputNames = subclassOutputs ?? this.outputNames;
    // Everything is checked and resolved before the optimizer is created, so a failed compile creates
    // nothing and leaves an earlier compile in place.
    if (
      args.loss != null &&
      !isLossLeaf(args.loss) &&
      !Array.isArray(args.loss) &&
      !isPlainRecord(args.loss)
    ) {
      throw new ValueError(
        'Could not interpret loss identifier. Expected a loss name, a Loss instance, a function, or a list or ' +
          `record of them. Received: loss=${describeArgument(args.loss)}`,
      );
    }
    const lossSpecs = perOutput(args.loss, outputNames, 'loss', isLossLeaf);
    lossSpecs.forEach((l, i) => {
      if (l != null && !isLossLeaf(l)) {
        throw new ValueError(
          `Could not interpret loss identifier for output "${outputNames[i]}". Expected a loss name, ` +
            `a Loss instance or a function. Received: loss=${describeArgument(l)}`,
        );
      }
    });
    const losses = lossSpecs.map((l) => resolveLoss(l as LossIdentifier | null));
    const weightsSpec =
      args.lossWeights == null
        ? outputNames.map(() => 1)
        : perOutput(args.lossWeights, outputNames, 'loss_weights', (v) => typeof v === 'number');
    weightsSpec.forEach((w, i) => {
      if (w != null && !(typeof w === 'number' && Number.isFinite(w))) {
        throw new ValueError(
          `Expected \`loss_weights\` to hold finite numbers. Received: loss_weights[${i}]=${describeArgument(w)}`,
        );
      }
    });
    for (const [key, spec] of [
      ['metrics', args.metrics],
      ['weighted_metrics', args.weightedMetrics],
    ] as const) {
      if (spec != null && (typeof spec !== 'object' || isMetricLeaf(spec))) {
        throw new ValueError(
          `Expected \`${key}\` argument to be a list, tuple, or dict. Received instead: ${key}=${describeArgument(spec)}`,
        );
      }
    }
    const slots: MetricSlot[] = [];
    const addMetrics = (spec: CompileArgs['metrics'], weighted: boolean) => {
      if (spec == null) return;
      const multi = outputNames.length > 1;
      let perOut: (MetricIdentifier | MetricIdentifier[] | null)[];
      if (Array.isArray(spec) && (!multi || !spec.some(Array.isArray))) {
        // A flat list applies to every output, as in Keras.
        perOut = outputNames.map(() => spec as MetricIdentifier[]);
      } else {
        perOut = perOutput(
          spec as MetricIdentifier[][] | Record<string, MetricIdentifier | MetricIdentifier[]>,
          outputNames,
          'metrics',
          isMetricLeaf,
        ) as (MetricIdentifier | MetricIdentifier[] | null)[];
      }
      perOut.forEach((entry, output) => {
        if (entry == null) return;
        for (const m of Array.isArray(entry) ? entry : [entry]) {
          slots.push({ spec: m, output, weighted, metric: null, logName: '' });
        }
      });
    };
    addMetrics(args.metrics, false);
    addMetrics(args.weightedMetrics, true);
    for (const slot of slots) checkMetricIdentifier(slot.spec);
    checkJitCompile(args.jitCompile);
    const optimizer = this.resolveOptimizer(args.optimizer);

    this.optimizer = optimizer;
    this.outputNames = outputNames;
    this._compiledLosses = losses;
    this._lossWeights = weightsSpec.map((w) => (w == null ? 1 : (w as number)));
    this.disposeTrackers();
    this._metricSlots = slots;
    this._metricsBuilt = false;
    this._lossTracker = new MeanTracker({ name: 'loss' });
    const withLoss = losses.filter((l) => l != null).length;
    this._outputLossTrackers = losses.map((l, i) =>
      l != null && withLoss > 1 ? new MeanTracker({ name: `${outputNames[i]}_loss` }) : null,
    );
    this._compileArgs = args;
    this.jitCompile = args.jitCompile ?? 'auto';
    this.disposeCompiledSteps();
    this.compiled = true;
  }

  private resolveOptimizer(id: OptimizerIdentifier): Optimizer {
    if (typeof id === 'string') {
      const cls = registry.get<new (a: object) => Optimizer>('optimizer', id);
      return new cls({});
    }
    if (isKerasObjectJSON(id)) return deserializeKerasObject<Optimizer>('optimizer', id);
    if (id == null || typeof (id as Optimizer).apply !== 'function') {
      throw new ValueError(`Could not interpret optimizer identifier: ${describeArgument(id)}`);
    }
    return id as Optimizer;
  }

  private disposeTrackers(): void {
    this._lossTracker?.dispose();
    for (const t of this._outputLossTrackers) t?.dispose();
    for (const s of this._metricSlots) if (s.metric && typeof s.spec !== 'object') s.metric.dispose();
  }

  /** Keras's compile_config, written into `.keras` files. */
  getCompileConfig(): Record<string, unknown> | null {
    if (!this.compiled || !this._compileArgs) return null;
    const a = this._compileArgs;
    return {
      optimizer:
        this.optimizer && registry.entryOf('optimizer', this.optimizer.constructor)
          ? serializeKerasObject('optimizer', this.optimizer)
          : serializeCompileArg('optimizer', a.optimizer),
      loss: serializeCompileArg('loss', a.loss),
      loss_weights: a.lossWeights ?? null,
      metrics: serializeCompileArg('metric', a.metrics),
      weighted_metrics: serializeCompileArg('metric', a.weightedMetrics),
      run_eagerly: false,
      steps_per_execution: 1,
      jit_compile: this.jitCompile,
    };
  }

  /** Compiles from a Keras compile_config (Keras's `compile_from_config`). */
  compileFromConfig(config: Record<string, any>): void {
    const optimizer = config.optimizer ?? 'rmsprop';
    this.compile({
      optimizer,
      loss: config.loss ?? undefined,
      metrics: config.metrics ?? undefined,
      weightedMetrics: config.weighted_metrics ?? undefined,
      lossWeights: config.loss_weights ?? undefined,
      // Keras writes its resolved 'auto' (true on JAX) and, loading a `true` where the model cannot be
      // compiled, proceeds uncompiled: that is Strata's 'auto'.
      jitCompile: config.jit_compile === false ? false : 'auto',
    });
  }

  private assertCompiled(method: string): void {
    assertBackendRegistered(method);
    if (!this.compiled)
      throw new RuntimeError(`You must call \`compile()\` before using the model (called ${method}).`);
  }

  // ---- metrics ------------------------------------------------------------------------------------

  /** Resolves the compiled metrics against the shapes of a batch's targets and the model's outputs. */
  private buildMetrics(
    yShapes: readonly (readonly number[])[],
    predShapes: readonly (readonly number[])[],
  ): void {
    if (this._metricsBuilt) return;
    const multi = this.outputNames.length > 1;
    const used = new Set<string>();
    for (const slot of this._metricSlots) {
      const written = typeof slot.spec === 'string' ? slot.spec : undefined;
      slot.metric = resolveMetric(slot.spec, {
        name: written ?? '',
        yTrueShape: yShapes[slot.output] as number[],
        yPredShape: predShapes[slot.output] as number[],
        loss: this._compiledLosses[slot.output] ?? undefined,
      });
      let base = written ?? slot.metric.name;
      if (slot.weighted && !written) base = `weighted_${base}`;
      let name = multi ? `${this.outputNames[slot.output]}_${base}` : base;
      while (used.has(name)) name = `${name}_1`;
      used.add(name);
      slot.logName = name;
    }
    this._metricsBuilt = true;
  }

  /** All stateful metrics (loss trackers first), as Keras's `model.metrics`. */
  get metrics(): Metric[] {
    const out: Metric[] = [];
    if (this._lossTracker) out.push(this._lossTracker);
    for (const s of this._metricSlots) {
      if (!s.metric) continue;
      // Compiled `metrics` take no sample weights in Keras, whoever updates them.
      if (!s.weighted && s.view?.metric !== s.metric) s.view = new UnweightedMetricView(s.metric);
      out.push(s.weighted ? s.metric : s.view!);
    }
    for (const t of this._outputLossTrackers) if (t) out.push(t);
    return out;
  }

  /** The log keys in Keras order: loss, compiled metrics, per-output losses. */
  get metricsNames(): string[] {
    return this.metricEntries().map(([n]) => n);
  }

  private metricEntries(): [string, Metric][] {
    // A subclass that lists its own metrics (a `metrics` getter, as in Keras's guide) names the logs.
    if (metricsGetterOf(this) !== metricsGetterOf(Trainer.prototype))
      return this.metrics.map((m) => [m.name, m] as [string, Metric]);
    const out: [string, Metric][] = [];
    if (this._lossTracker) out.push(['loss', this._lossTracker]);
    for (const s of this._metricSlots) if (s.metric) out.push([s.logName, s.metric]);
    this._outputLossTrackers.forEach((t) => {
      if (t) out.push([t.name, t]);
    });
    return out;
  }

  resetMetrics(): void {
    for (const m of this.metrics) m.resetState();
  }

  /** Reads every metric's current value from the device (one async read per metric). */
  async readLogs(): Promise<Logs> {
    const entries = this.metricEntries();
    const tensors = entries.map(([, m]) => m.result());
    try {
      const values = await Promise.all(tensors.map((t) => t.data()));
      return Object.fromEntries(entries.map(([n], i) => [n, values[i][0]]));
    } finally {
      tf.dispose(tensors);
    }
  }

  /** Logs whose values are read from the device only when a callback reads them. */
  private lazyLogs(): Logs {
    const logs: Logs = {};
    for (const [name, metric] of this.metricEntries()) {
      let cached: number | undefined;
      Object.defineProperty(logs, name, {
        enumerable: true,
        configurable: true,
        get: () => {
          if (cached === undefined) {
            const t = metric.result();
            cached = t.dataSync()[0];
            t.dispose();
          }
          return cached;
        },
      });
    }
    return logs;
  }

  // ---- steps --------------------------------------------------------------------------------------

  /**
   * The compiled loss for targets `y` and predictions `yPred` (weighted by `sampleWeight`), plus the losses
   * the model's layers added during the last call (`addLoss`, regularizers): Keras's `compute_loss`. Use
   * it in a custom `trainStep`.
   */
  computeLoss(args: {
    x?: StepInputs;
    y: tf.Tensor | tf.Tensor[] | null;
    yPred: tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>;
    sampleWeight?: tf.Tensor | (tf.Tensor | null)[] | null;
    training?: boolean;
  }): tf.Scalar {
    if (args == null || typeof args !== 'object')
      throw new ValueError(
        `computeLoss() takes { y, yPred, sampleWeight }. Received: ${describeArgument(args)}`,
      );
    checkArgumentNames(args, ['x', 'y', 'yPred', 'sampleWeight', 'training'], 'computeLoss()');
    this.assertCompiled('computeLoss');
    const preds = this.flattenOutputs(args.yPred);
    const ys = args.y == null ? [] : Array.isArray(args.y) ? args.y : [args.y];
    const sw = args.sampleWeight;
    const sws = sw == null ? [] : Array.isArray(sw) ? sw : preds.map(() => sw);
    return this.compiledLoss(ys, preds, sws, []);
  }

  private compiledLoss(
    ys: tf.Tensor[],
    preds: tf.Tensor[],
    sws: (tf.Tensor | null)[],
    perOutput: tf.Tensor[],
  ): tf.Scalar {
    let total: tf.Tensor = tf.scalar(0);
    this._compiledLosses.forEach((loss, i) => {
      if (!loss) return;
      if (ys[i] == null)
        throw new ValueError(`No target given for output "${this.outputNames[i]}", which has a loss.`);
      if (preds[i] == null)
        throw new ValueError(
          `Model "${this.name}" has a loss for output "${this.outputNames[i]}", but its call() returned ${preds.length} output(s).`,
        );
      const value = loss.apply(ys[i], preds[i], sws[i] ?? null);
      perOutput[i] = value;
      total = tf.add(total, this._lossWeights[i] === 1 ? value : tf.mul(value, this._lossWeights[i]));
    });
    for (const l of this.losses) total = tf.add(total, l);
    return total as tf.Scalar;
  }

  private updateTrackers(
    loss: tf.Tensor,
    perOutput: tf.Tensor[],
    batch: BatchData,
    ys: tf.Tensor[],
    preds: tf.Tensor[],
  ): void {
    this._lossTracker!.updateState(loss, undefined, batch.size);
    this._outputLossTrackers.forEach((t, i) => {
      if (t && perOutput[i]) t.updateState(perOutput[i], undefined, batch.size);
    });
    this.buildMetrics(
      ys.map((y) => y.shape),
      preds.map((p) => p.shape),
    );
    for (const s of this._metricSlots)
      s.metric!.updateState(ys[s.output], preds[s.output], s.weighted ? (batch.sws[s.output] ?? null) : null);
  }

  /** The step's data as `trainStep` and `testStep` see it. */
  private stepData(batch: BatchData): StepData {
    const one = <T>(list: T[]): T | T[] | null =>
      list.length === 0 ? null : list.length === 1 ? list[0] : list;
    const sws = batch.sws.some((w) => w != null) ? batch.sws : [];
    return {
      x: this.packInputs(batch.xs),
      y: one(batch.ys),
      sampleWeight: one(sws) as StepData['sampleWeight'],
    };
  }

  /** A step's data (as `trainStep` gets it) back as lists. */
  private batchOf(data: StepData): BatchData {
    if (data == null || typeof data !== 'object' || !('x' in data))
      throw new ValueError(`Expected step data { x, y, sampleWeight }. Received: ${describeArgument(data)}`);
    const x = data.x;
    const xs =
      x instanceof tf.Tensor
        ? [x]
        : Array.isArray(x)
          ? x
          : this.inputsKind === 'dict'
            ? this.inputNames.map((n) => (x as Record<string, tf.Tensor>)[n])
            : Object.values(x as Record<string, tf.Tensor>);
    const ys = data.y == null ? [] : Array.isArray(data.y) ? data.y : [data.y];
    const sw = data.sampleWeight;
    const sws = sw == null ? ys.map(() => null) : Array.isArray(sw) ? sw : ys.map(() => sw);
    return { xs, ys, sws, size: xs[0]?.shape[0] ?? 0 };
  }

  /** The default training step on lists of tensors; everything it creates is released before it returns. */
  private defaultTrainStep(batch: BatchData): void {
    const vars = this.trainableWeights;
    const optimizer = this.optimizer!;
    let preds: tf.Tensor[] = [];
    const perOutput: tf.Tensor[] = [];
    try {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => {
            this.clearCallLosses();
            preds = this.forward(batch.xs, true);
            const loss = this.compiledLoss(batch.ys, preds, batch.sws, perOutput);
            for (const t of [...preds, ...perOutput]) if (t) tf.keep(t);
            return loss;
          },
          vars.map((v) => v.value),
        );
        this.clearCallLosses();
        // Metrics resolve against the first batch's shapes; a metric that cannot must fail before any update.
        this.buildMetrics(
          batch.ys.map((y) => y.shape),
          preds.map((p) => p.shape),
        );
        const gradList = vars.map((v) => grads[v.value.name] ?? null);
        optimizer.apply(gradList as tf.Tensor[], vars);
        this.updateTrackers(value, perOutput, batch, batch.ys, preds);
      });
    } catch (e) {
      // A loss that throws (targets shaped unlike the outputs, say) must leave the engine as it was.
      this.clearCallLosses();
      discardAbandonedTape();
      throw e;
    } finally {
      tf.dispose([...preds, ...perOutput.filter((t) => t)]);
    }
  }

  private defaultTestStep(batch: BatchData): void {
    tf.tidy(() => {
      this.clearCallLosses();
      const preds = this.forward(batch.xs, false);
      const perOutput: tf.Tensor[] = [];
      const loss = this.compiledLoss(batch.ys, preds, batch.sws, perOutput);
      this.clearCallLosses();
      this.updateTrackers(loss, perOutput, batch, batch.ys, preds);
    });
  }

  /**
   * One training step (Keras's `train_step`): runs the model on `data.x`, computes the loss, applies the
   * gradients and updates the metrics; returns the metrics' current values. Override it to customize what
   * `fit` does (Keras's guide "Customizing what happens in fit()"); the returned record becomes the logs that
   * callbacks and the progress bar see.
   */
  trainStep(data: StepData): StepLogs {
    this.defaultTrainStep(this.batchOf(data));
    return this.getMetricsResult();
  }

  /** One evaluation step (Keras's `test_step`): updates the metrics; returns their current values. */
  testStep(data: StepData): StepLogs {
    this.defaultTestStep(this.batchOf(data));
    return this.getMetricsResult();
  }

  /** One prediction step (Keras's `predict_step`): the model's outputs for a batch of inputs. */
  predictStep(x: StepInputs): tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor> {
    return this.call(x as tf.Tensor | tf.Tensor[], { training: false } as CallKwargs);
  }

  /** The metrics' current values as scalar tensors, keyed by log name (Keras's `get_metrics_result`). */
  getMetricsResult(): Record<string, tf.Tensor> {
    return Object.fromEntries(this.metricEntries().map(([n, m]) => [n, m.result()]));
  }

  /**
   * Runs one training or test step. The built-in step takes the fast path (nothing returned, logs read
   * lazily from the metrics); an overridden one gets the step data and its returned logs are checked and
   * kept (the caller releases them).
   */
  private runStep(kind: 'train' | 'test', batch: BatchData): StepLogs | null {
    const own = kind === 'train' ? Trainer.prototype.trainStep : Trainer.prototype.testStep;
    const step = kind === 'train' ? this.trainStep : this.testStep;
    if (step === own) {
      if (kind === 'test') this.defaultTestStep(batch);
      else if (!this.compiledTrainStep(batch)) this.defaultTrainStep(batch);
      return null;
    }
    const name = kind === 'train' ? 'trainStep' : 'testStep';
    if (kind === 'train') this.refuseJitCompile('train', `model "${this.name}" overrides trainStep()`);
    // Compiled metrics resolve against the shapes of the first batch's targets and predictions.
    if (!this._metricsBuilt && this._metricSlots.length > 0 && batch.ys.length > 0) {
      tf.tidy(() =>
        this.buildMetrics(
          batch.ys.map((y) => y.shape),
          this.forward(batch.xs, false).map((p) => p.shape),
        ),
      );
    }
    // The first call's result is checked before its weight updates are kept: a step that returns something
    // other than a logs record leaves the weights as they were.
    const backup = this._stepLogsChecked ? null : this.weights.map((v) => tf.clone(v.value));
    try {
      const logs = tf.tidy(() => {
        const out = step.call(this, this.stepData(batch)) as unknown;
        checkStepLogs(out, name);
        return out as tf.TensorContainer;
      }) as StepLogs;
      this._stepLogsChecked = true;
      return logs;
    } catch (e) {
      discardAbandonedTape();
      this.clearCallLosses();
      if (backup) {
        const ws = this.weights;
        for (let i = 0; i < backup.length; i++) ws[i].value.assign(backup[i]);
      }
      throw e;
    } finally {
      if (backup) tf.dispose(backup);
    }
  }

  // ---- compiled steps ------------------------------------------------------------------------------

  /**
   * The built-in training step, run as the backend's compiled step: one call for the whole step, then the
   * compiled metrics updated from its outputs as the uncompiled step updates them. False when there is no
   * compiled step for this batch (the caller runs the uncompiled one).
   */
  private compiledTrainStep(batch: BatchData): boolean {
    if (this.jitCompile === false) return false;
    const sampleWeighted = batch.sws.some((w) => w != null);
    const step = this.jitStep<CompiledTrainStep>(
      'train',
      batch.xs.map(signatureOf),
      (description, inputs) => {
        if (this._outputLossTrackers.some((t) => t != null))
          return 'the per-output losses of a model with several losses are not outputs of a compiled step';
        return description.compileTrainStep!({
          model: this as unknown as Model,
          optimizer: this.optimizer!,
          variables: this.trainableWeights,
          losses: this._compiledLosses,
          lossWeights: this._lossWeights,
          inputs,
          targets: batch.ys.map(signatureOf),
          sampleWeighted,
        });
      },
      `${batch.ys.map((y) => `${y.shape}:${y.dtype}`)} sw=${sampleWeighted} vars=${this.trainableWeights.map((v) => v.value.id)}`,
    );
    if (!step) return false;
    // Metrics resolve against the first batch's shapes; a metric that cannot must fail before any update.
    this.buildMetrics(
      batch.ys.map((y) => y.shape),
      step.outputShapes,
    );
    const result = step.run(batch.xs, batch.ys);
    if (!result) return false;
    const { loss, outputs } = result;
    try {
      tf.tidy(() => this.updateTrackers(loss, [], batch, batch.ys, outputs));
    } finally {
      tf.dispose([loss, ...outputs]);
    }
    return true;
  }

  /**
   * The backend's compiled step of `kind` for batches of these inputs (and `key`: the rest of the
   * signature), compiled by `compile` on first use and kept until the next `compile()`; null to run
   * uncompiled. Under `jitCompile: true` a step that cannot be compiled throws why.
   */
  private jitStep<T extends CompiledTrainStep | CompiledPredict>(
    kind: 'train' | 'predict',
    inputs: TensorSignature[],
    compile: (description: BackendDescription, inputs: TensorSignature[]) => T | string,
    key = '',
  ): T | null {
    if (this.jitCompile === false) return null;
    const backend = tf.getBackend();
    const fullKey = `${kind} ${backend} ${inputs.map((x) => `${x.shape}:${x.dtype}`)} ${key}`;
    let entry = this._compiledSteps.get(fullKey);
    if (entry === undefined) {
      const description = activeBackendDescription();
      const offered = kind === 'train' ? description?.compileTrainStep : description?.compilePredict;
      entry = offered ? compile(description!, inputs) : `the backend '${backend}' offers no step compiler`;
      this._compiledSteps.set(fullKey, entry);
    }
    if (typeof entry === 'string') {
      this.refuseJitCompile(kind, entry);
      return null;
    }
    return entry as T;
  }

  /** Under `jitCompile: true`, throws that the `kind` step cannot be compiled, and why. */
  private refuseJitCompile(kind: 'train' | 'predict', reason: string): void {
    if (this.jitCompile !== true) return;
    throw new ValueError(
      `Model "${this.name}" was compiled with jit_compile=true, but its ${kind === 'train' ? 'training' : 'predict'} ` +
        `step cannot be compiled: ${reason}. Use jitCompile: 'auto' to run the uncompiled step where ` +
        'compiling is not possible.',
    );
  }

  private disposeCompiledSteps(): void {
    for (const step of this._compiledSteps.values()) if (typeof step !== 'string') step.dispose();
    this._compiledSteps.clear();
  }

  // ---- data -------------------------------------------------------------------------------------

  private prepareArrays(
    x: ModelData,
    y: ModelData | undefined,
    sampleWeight: ModelData | undefined,
    owned: tf.Tensor[],
    classWeight?: Record<number, number>,
  ): BatchData {
    this.maybeBuildFrom(x, owned);
    this.ensureGraph();
    const xs = this.isSubclassed
      ? this.subclassInputs(x, owned)
      : standardizeData(x, this.inputNames, 'input', this.name, owned);
    const ys = y == null ? [] : standardizeData(y, this.outputNames, 'target', this.name, owned);
    let sws: (tf.Tensor | null)[] = this.outputNames.map(() => null);
    if (sampleWeight != null) {
      const list = standardizeData(sampleWeight, this.outputNames, 'sample weight', this.name, owned);
      sws = list.length === 1 ? this.outputNames.map(() => list[0]) : list;
    }
    if (classWeight) {
      if (ys.length !== 1)
        throw new ValueError('`class_weight` is only supported for models with a single output.');
      if (sampleWeight != null)
        throw new ValueError('You cannot pass both `class_weight` and `sample_weight`.');
      const w = classWeightToSampleWeight(ys[0], classWeight);
      owned.push(w);
      sws = [w];
    }
    const size = checkCardinality([
      { name: 'x', tensors: xs },
      { name: 'y', tensors: ys },
      { name: 'sample_weight', tensors: sws.filter((s): s is tf.Tensor => s != null) },
    ]);
    checkNotEmpty(size, xs);
    this.checkInputs(xs);
    this.buildOnData(xs);
    return { xs, ys, sws, size };
  }

  private batchFromDataset(item: Batch, owned: tf.Tensor[]): BatchData {
    let x: ModelData;
    let y: ModelData | undefined;
    let sw: ModelData | undefined;
    if (Array.isArray(item)) [x, y, sw] = item as [ModelData, ModelData?, ModelData?];
    else ({ xs: x, ys: y, sampleWeight: sw } = item);
    return this.prepareArrays(x, y, sw, owned);
  }

  /**
   * Whether the second argument of `fit(x, …)` is the options record rather than targets: a plain record whose
   * keys are all option names and none an output name.
   */
  private looksLikeArgs(v: unknown, names: string[]): boolean {
    if (!isPlainRecord(v)) return false;
    const keys = Object.keys(v as object);
    return keys.every((k) => names.includes(k) && !this.outputNames.includes(k));
  }

  // ---- fit ----------------------------------------------------------------------------------------

  /** Trains the model (Keras's `fit`). Accepts tensors, or an (async) iterable of `{xs, ys}` batches. */
  async fit(x: Dataset, args?: FitArgs): Promise<History>;
  async fit(x: ModelData, y: ModelData | null, args?: FitArgs): Promise<History>;
  /**
   * Arrays without targets, as Keras's `fit(x)`: for a model whose `trainStep` needs none (an autoencoder's
   * step, say, or losses added in `call`).
   */
  async fit(x: ModelData, args?: FitArgs): Promise<History>;
  async fit(
    x: ModelData | Dataset,
    yOrArgs?: ModelData | FitArgs | null,
    maybeArgs?: FitArgs,
  ): Promise<History> {
    this.assertCompiled('fit');
    const datasetMode = isDataset(x);
    const argsSecond = datasetMode || (maybeArgs === undefined && this.looksLikeArgs(yOrArgs, FIT_ARGS));
    const args: FitArgs = (argsSecond ? (yOrArgs as FitArgs) : maybeArgs) ?? {};
    const y = argsSecond ? undefined : ((yOrArgs ?? undefined) as ModelData | undefined);
    checkArgumentNames(args, FIT_ARGS, 'fit()');
    const batchSize = validateBatchSize(args.batchSize);
    checkCallbacks(args.callbacks);
    checkValidationFreq(args.validationFreq);
    checkSteps(args.validationSteps, 'validation_steps');
    if (args.initialEpoch != null && !(Number.isInteger(args.initialEpoch) && args.initialEpoch >= 0))
      throw new ValueError(
        `Expected \`initial_epoch\` to be a non-negative integer. Received: initial_epoch=${args.initialEpoch}`,
      );
    if (args.validationData != null && !isDataset(args.validationData)) {
      const vd = args.validationData as unknown[];
      if (!Array.isArray(vd) || vd.length < 2 || vd.length > 3)
        throw new ValueError(
          'Expected `validation_data` to be a tuple `(x_val, y_val)` or `(x_val, y_val, val_sample_weights)`, ' +
            `or a dataset. Received: validation_data=${describeArgument(args.validationData)}`,
        );
    }
    const epochs = args.epochs ?? 1;
    const initialEpoch = args.initialEpoch ?? 0;
    if (!Number.isInteger(epochs) || epochs < 0)
      throw new ValueError(
        `Expected \`epochs\` to be a non-negative integer. Received: epochs=${args.epochs}`,
      );
    const split = args.validationSplit ?? 0;
    if (!(split >= 0 && split < 1))
      throw new ValueError(`\`validation_split\` must be in [0, 1). Received: validation_split=${split}`);
    if (args.validationBatchSize != null)
      validateBatchSize(args.validationBatchSize, 'validation_batch_size');
    if (args.stepsPerEpoch != null && !(Number.isInteger(args.stepsPerEpoch) && args.stepsPerEpoch > 0)) {
      throw new ValueError(
        `Expected \`steps_per_epoch\` to be a positive integer. Received: steps_per_epoch=${args.stepsPerEpoch}`,
      );
    }
    if (datasetMode && split > 0)
      throw new ValueError(
        '`validation_split` is only supported for tensors, not for datasets or iterables.',
      );

    const owned: tf.Tensor[] = [];
    try {
      let train: BatchData | null = null;
      let val: BatchData | null = null;
      let valDataset: Dataset | null = null;
      if (!datasetMode) {
        // The built-in step needs targets only for compiled losses (losses added in `call` need none).
        if (
          y == null &&
          this.trainStep === Trainer.prototype.trainStep &&
          this._compiledLosses.some((l) => l)
        )
          throw new ValueError('fit() needs targets `y` when `x` is not a dataset.');
        train = this.prepareArrays(x as ModelData, y, args.sampleWeight, owned, args.classWeight);
        if (split > 0) {
          const at = Math.floor(train.size * (1 - split));
          if (at === 0 || at === train.size) {
            throw new ValueError(
              `validation_split=${split} leaves no ${at === 0 ? 'training' : 'validation'} samples out of ${train.size}.`,
            );
          }
          ({ train, val } = splitValidation(train, at, owned));
        }
      }
      if (args.validationData != null) {
        if (isDataset(args.validationData)) valDataset = args.validationData;
        else {
          const [vx, vy, vsw] = args.validationData as [ModelData, ModelData, ModelData?];
          val = this.prepareArrays(vx, vy, vsw, owned);
        }
      }
      const stepsPerEpoch = train
        ? Math.min(Math.ceil(train.size / batchSize), args.stepsPerEpoch ?? Number.POSITIVE_INFINITY)
        : (args.stepsPerEpoch ?? null);
      const verbose = verboseLevel(args.verbose);
      const callbacks = new CallbackList(args.callbacks ?? [], {
        model: this as unknown as CallbackModel,
        addHistory: true,
        addProgbar: verbose !== 0,
        params: { verbose, epochs, steps: stepsPerEpoch },
      });
      this.history = callbacks.history;
      this.stopTraining = false;
      const shuffle = args.shuffle ?? true;
      const datasetIterator = datasetMode ? openIterator(x as Dataset) : null;

      this._initialEpoch = null;
      await callbacks.onTrainBegin();
      const startEpoch = this._initialEpoch ?? initialEpoch;
      this._initialEpoch = null;
      let trainingLogs: Logs = {};
      const stop = () => this.stopTraining;
      for (let epoch = startEpoch; epoch < epochs; epoch++) {
        this.resetMetrics();
        await callbacks.onEpochBegin(epoch);
        let lastYield = Date.now();
        let stepLogs: StepLogs | null = null;
        const runBatch = async (step: number, batch: BatchData) => {
          await callbacks.onTrainBatchBegin(step);
          disposeStepLogs(stepLogs);
          stepLogs = this.runStep('train', batch);
          const logs = stepLogs;
          await callbacks.onTrainBatchEnd(step, () => (logs ? lazyStepLogs(logs) : this.lazyLogs()));
          if (Date.now() - lastYield > 25) {
            await yieldToEventLoop();
            lastYield = Date.now();
          }
        };
        let epochLogs: Logs;
        try {
          if (train) {
            await forEachArrayBatch(train, batchSize, shuffle, stepsPerEpoch!, runBatch, stop);
          } else {
            await forEachDatasetBatch(
              datasetIterator!,
              x as Dataset,
              args.stepsPerEpoch ?? null,
              (item, o) => this.batchFromDataset(item, o),
              runBatch,
              stop,
            );
          }
          epochLogs = await this.epochLogs(stepLogs);
        } finally {
          // A custom step's last logs (kept for the epoch's logs) are released, also when a step threw.
          disposeStepLogs(stepLogs);
        }
        if ((val || valDataset) && this.shouldValidate(epoch, args.validationFreq ?? 1)) {
          const valLogs = (await this.evaluateInternal(val, valDataset, {
            batchSize: args.validationBatchSize ?? batchSize,
            steps: args.validationSteps,
            callbacks,
          })) as Logs;
          for (const [k, v] of Object.entries(valLogs)) epochLogs[`val_${k}`] = v;
        }
        await callbacks.onEpochEnd(epoch, epochLogs);
        trainingLogs = epochLogs;
        if (this.stopTraining) break;
      }
      if (epochs > startEpoch)
        (this.optimizer as { finalizeVariableValues?: (v: Variable[]) => void }).finalizeVariableValues?.(
          this.trainableWeights,
        );
      await callbacks.onTrainEnd(trainingLogs);
      return this.history!;
    } finally {
      tf.dispose(owned);
    }
  }

  /**
   * The logs at the end of an epoch: the metrics' values, or (as Keras does) the last step's logs when a
   * custom step returned names that are not metrics.
   */
  private async epochLogs(last: StepLogs | null): Promise<Logs> {
    if (last) {
      const names = new Set(this.metricsNames);
      if (!Object.keys(last).every((k) => names.has(k))) return readStepLogs(last);
    }
    return this.readLogs();
  }

  private shouldValidate(epoch: number, freq: number | number[]): boolean {
    if (Array.isArray(freq)) return freq.includes(epoch + 1);
    return (epoch + 1) % freq === 0;
  }

  // ---- evaluate -----------------------------------------------------------------------------------

  /** Returns the loss and metrics on the data (Keras's `evaluate`). */
  async evaluate(x: Dataset, args: EvaluateArgs & { returnDict: true }): Promise<Logs>;
  async evaluate(x: Dataset, args?: EvaluateArgs & { returnDict?: false }): Promise<number | number[]>;
  async evaluate(x: Dataset, args?: EvaluateArgs): Promise<number | number[] | Logs>;
  async evaluate(x: ModelData, y: ModelData, args: EvaluateArgs & { returnDict: true }): Promise<Logs>;
  async evaluate(
    x: ModelData,
    y: ModelData,
    args?: EvaluateArgs & { returnDict?: false },
  ): Promise<number | number[]>;
  async evaluate(x: ModelData, y: ModelData, args?: EvaluateArgs): Promise<number | number[] | Logs>;
  async evaluate(
    x: ModelData | Dataset,
    yOrArgs?: ModelData | EvaluateArgs,
    maybeArgs?: EvaluateArgs,
  ): Promise<number | number[] | Logs> {
    this.assertCompiled('evaluate');
    const datasetMode = isDataset(x);
    const args: EvaluateArgs = (datasetMode ? (yOrArgs as EvaluateArgs) : maybeArgs) ?? {};
    checkArgumentNames(args, EVALUATE_ARGS, 'evaluate()');
    const batchSize = validateBatchSize(args.batchSize);
    checkSteps(args.steps, 'steps');
    checkCallbacks(args.callbacks);
    if (!datasetMode && yOrArgs == null)
      throw new ValueError('evaluate() needs targets `y` when `x` is not a dataset.');
    const owned: tf.Tensor[] = [];
    try {
      const data = datasetMode
        ? null
        : this.prepareArrays(x as ModelData, yOrArgs as ModelData, args.sampleWeight, owned);
      const verbose = verboseLevel(args.verbose);
      const steps = data ? Math.ceil(data.size / batchSize) : (args.steps ?? null);
      const callbacks = new CallbackList(args.callbacks ?? [], {
        model: this as unknown as CallbackModel,
        addHistory: false,
        addProgbar: verbose !== 0,
        params: { verbose, steps },
      });
      const logs = await this.evaluateInternal(data, datasetMode ? (x as Dataset) : null, {
        batchSize,
        steps: args.steps,
        callbacks,
      });
      if (args.returnDict) return logs;
      const values = this.metricsNames.map((n) => logs[n]);
      return values.length === 1 ? values[0] : values;
    } finally {
      tf.dispose(owned);
    }
  }

  private async evaluateInternal(
    data: BatchData | null,
    ds: Dataset | null,
    opts: { batchSize: number; steps?: number; callbacks: CallbackList },
  ): Promise<Logs> {
    this.resetMetrics();
    await opts.callbacks.onTestBegin();
    let stepLogs: StepLogs | null = null;
    const runBatch = async (step: number, batch: BatchData) => {
      await opts.callbacks.onTestBatchBegin(step);
      disposeStepLogs(stepLogs);
      stepLogs = this.runStep('test', batch);
      const logs = stepLogs;
      await opts.callbacks.onTestBatchEnd(step, () => (logs ? lazyStepLogs(logs) : this.lazyLogs()));
    };
    const stopFlag = this.stopTraining;
    this.stopTraining = false;
    const stop = () => this.stopTraining;
    let logs: Logs;
    try {
      if (data) {
        const steps = Math.min(Math.ceil(data.size / opts.batchSize), opts.steps ?? Number.POSITIVE_INFINITY);
        await forEachArrayBatch(data, opts.batchSize, false, steps, runBatch, stop);
      } else {
        await forEachDatasetBatch(
          openIterator(ds!),
          ds!,
          opts.steps ?? null,
          (item, o) => this.batchFromDataset(item, o),
          runBatch,
          stop,
        );
      }
      this.stopTraining = stopFlag;
      logs = await this.epochLogs(stepLogs);
    } finally {
      disposeStepLogs(stepLogs);
    }
    await opts.callbacks.onTestEnd(logs);
    return logs;
  }

  // ---- predict ------------------------------------------------------------------------------------

  /** Computes outputs in batches (Keras's `predict`); returns one tensor per output. */
  predict(x: ModelData, args: PredictArgs = {}): ModelOutput<Outputs> {
    assertBackendRegistered('predict');
    checkArgumentNames(args, PREDICT_ARGS, 'predict()');
    const batchSize = validateBatchSize(args.batchSize);
    checkSteps(args.steps, 'steps');
    checkCallbacks(args.callbacks);
    const owned: tf.Tensor[] = [];
    try {
      this.maybeBuildFrom(x, owned);
      const xs = this.isSubclassed
        ? this.subclassInputs(x, owned)
        : standardizeData(x, this.inputNames, 'input', this.name, owned);
      const size = checkCardinality([{ name: 'x', tensors: xs }]);
      checkNotEmpty(size, xs);
      this.checkInputs(xs);
      this.buildOnData(xs);
      const steps = Math.min(Math.ceil(size / batchSize), args.steps ?? Number.POSITIVE_INFINITY);
      // predict is synchronous (it returns tensors), so its hooks run without being awaited. The progress
      // bar is shown only when verbose is given, to keep the common predict call quiet.
      const verbose = args.verbose === undefined || args.verbose === 'auto' ? 0 : args.verbose;
      const callbacks =
        (args.callbacks?.length ?? 0) > 0 || verbose !== 0
          ? new CallbackList(args.callbacks ?? [], {
              model: this as unknown as CallbackModel,
              addHistory: false,
              addProgbar: verbose !== 0,
              params: { verbose, steps },
            })
          : null;
      const fire = (p: void | Promise<void>) => {
        if (p instanceof Promise) p.catch((e) => console.error(e));
      };
      if (callbacks) fire(callbacks.onPredictBegin());
      const perOutput: tf.Tensor[][] = [];
      const custom = this.predictStep !== Trainer.prototype.predictStep;
      if (custom) this.refuseJitCompile('predict', `model "${this.name}" overrides predictStep()`);
      try {
        for (let step = 0; step < steps; step++) {
          if (callbacks) fire(callbacks.onPredictBatchBegin(step));
          const start = step * batchSize;
          const n = Math.min(batchSize, size - start);
          const compiled =
            custom || this.jitCompile === false
              ? null
              : this.jitStep<CompiledPredict>(
                  'predict',
                  xs.map((t) => ({ shape: [n, ...t.shape.slice(1)], dtype: t.dtype })),
                  (description, inputs) =>
                    description.compilePredict!({ model: this as unknown as Model, inputs }),
                  `weights=${this.weights.map((v) => v.value.id)}`,
                );
          const whole = steps === 1 && n === size;
          // A compiled pass over the whole input makes no tensor but its outputs (the contract): no tidy
          // scope to pay for in a batch-1 predict.
          const outs =
            compiled && whole
              ? compiled.run(xs)
              : tf.tidy(() => {
                  const batch = whole ? xs : sliceRows(xs, start, n);
                  if (compiled) return compiled.run(batch);
                  return custom
                    ? this.flattenOutputs(this.predictStep(this.packInputs(batch)))
                    : this.forward(batch, false);
                });
          outs.forEach((o, i) => {
            perOutput[i] ??= [];
            perOutput[i].push(o);
          });
          if (callbacks) fire(callbacks.onPredictBatchEnd(step, () => ({})));
        }
      } catch (e) {
        // A batch that fails (a compiled step that cannot be had under jitCompile: true, say) leaves no outputs.
        tf.dispose(perOutput.flat());
        throw e;
      }
      const outs = perOutput.map((parts) => {
        if (parts.length === 1) return parts[0];
        const joined = tf.concat(parts, 0);
        tf.dispose(parts);
        return joined;
      });
      if (callbacks) fire(callbacks.onPredictEnd());
      return (outs.length === 1 && this.outputsKind === 'single' ? outs[0] : outs) as ModelOutput<Outputs>;
    } finally {
      tf.dispose(owned);
    }
  }

  predictOnBatch(x: ModelData): ModelOutput<Outputs> {
    return this.predict(x, { batchSize: Number.MAX_SAFE_INTEGER });
  }

  /** One gradient step on one batch; returns this batch's loss (and metrics): Keras 3 resets the metrics first. */
  async trainOnBatch(
    x: ModelData,
    y: ModelData,
    args: { sampleWeight?: ModelData; classWeight?: Record<number, number>; returnDict?: boolean } = {},
  ): Promise<number | number[] | Logs> {
    this.assertCompiled('trainOnBatch');
    checkArgumentNames(args, ['sampleWeight', 'classWeight', 'returnDict'], 'trainOnBatch()');
    if (y == null) throw new ValueError('trainOnBatch() needs targets `y`.');
    const owned: tf.Tensor[] = [];
    try {
      const batch = this.prepareArrays(x, y, args.sampleWeight, owned, args.classWeight);
      this.resetMetrics();
      return this.flattenLogs(await this.stepResult(this.runStep('train', batch)), args.returnDict);
    } finally {
      tf.dispose(owned);
    }
  }

  async testOnBatch(
    x: ModelData,
    y: ModelData,
    args: { sampleWeight?: ModelData; returnDict?: boolean } = {},
  ): Promise<number | number[] | Logs> {
    this.assertCompiled('testOnBatch');
    checkArgumentNames(args, ['sampleWeight', 'returnDict'], 'testOnBatch()');
    if (y == null) throw new ValueError('testOnBatch() needs targets `y`.');
    const owned: tf.Tensor[] = [];
    try {
      const batch = this.prepareArrays(x, y, args.sampleWeight, owned);
      this.resetMetrics();
      return this.flattenLogs(await this.stepResult(this.runStep('test', batch)), args.returnDict);
    } finally {
      tf.dispose(owned);
    }
  }

  private async stepResult(logs: StepLogs | null): Promise<Logs> {
    try {
      return await this.epochLogs(logs);
    } finally {
      disposeStepLogs(logs);
    }
  }

  private flattenLogs(logs: Logs, returnDict?: boolean): number | number[] | Logs {
    if (returnDict) return logs;
    const names = this.metricsNames.filter((n) => n in logs);
    const values = (names.length > 0 ? names : Object.keys(logs)).map((n) => logs[n]);
    return values.length === 1 ? values[0] : values;
  }

  override dispose(): void {
    super.dispose();
    this.disposeCompiledSteps();
    this.disposeTrackers();
    this.optimizer?.dispose();
  }
}
