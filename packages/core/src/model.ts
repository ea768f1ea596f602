import './register-gradients.js';
import * as tf from '@tensorflow/tfjs-core';
import { checkArgumentNames } from './argument-names.js';
import { assertBackendRegistered } from './backend-check.js';
import { Callback, type History, type Logs } from './callback.js';
import { discardAbandonedTape } from './engine/abandoned-tape.js';
import { CallbackList } from './engine/callback-list.js';
import {
  type LossIdentifier,
  MeanTracker,
  type MetricIdentifier,
  perOutput,
  resolveLoss,
  resolveMetric,
  serializeCompileArg,
} from './engine/compile.js';
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
} from './engine/data-adapter.js';
import { type GraphMap, mapGraph } from './engine/graph.js';
import { mapSymbolic, type Node, type Shape, SymbolicTensor } from './engine/symbolic-tensor.js';
import { formatShape, RuntimeError, ValueError } from './errors.js';
import { InputLayer } from './input-layer.js';
import { type CallKwargs, Layer, type LayerArgs } from './layer.js';
import { BASE_LAYER_ARGUMENTS } from './layer-arguments.js';
import type { Loss } from './loss.js';
import type { Metric } from './metric.js';
import { camelToSnake, snakeToCamel } from './naming.js';
import type { Optimizer } from './optimizer.js';
import { type OptimizerIds, register, registry } from './registry.js';
import {
  deserializeKerasObject,
  isKerasObjectJSON,
  type KerasObjectJSON,
  serializeKerasObject,
} from './serialization.js';
import { printSummary } from './summary.js';
import type { Variable } from './variable.js';

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

/** Arguments of the functional `Model` constructor: its symbolic `inputs` and `outputs`, and a name. */
export interface ModelArgs<Outputs extends SymbolicStructure = SymbolicStructure> extends LayerArgs {
  inputs: SymbolicStructure;
  outputs: Outputs;
}

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
}

interface BatchData {
  xs: tf.Tensor[];
  ys: tf.Tensor[];
  sws: (tf.Tensor | null)[];
  size: number;
}

function flattenStructure(s: SymbolicStructure): {
  list: SymbolicTensor[];
  kind: 'single' | 'list' | 'dict';
  keys: string[];
} {
  if (s instanceof SymbolicTensor) return { list: [s], kind: 'single', keys: [] };
  if (Array.isArray(s)) return { list: s, kind: 'list', keys: [] };
  if (!isPlainRecord(s))
    throw new ValueError(
      `Expected a symbolic tensor, a list or a record of them (from input() and layer calls). Received: ${describeArgument(s)}`,
    );
  const keys = Object.keys(s);
  return { list: keys.map((k) => s[k]), kind: 'dict', keys };
}

const COMPILE_ARGS = ['optimizer', 'loss', 'metrics', 'weightedMetrics', 'lossWeights'];
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

function isPlainRecord(v: unknown): boolean {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** A short description of a received value for error messages: `42 (of type number)`. */
function describeArgument(v: unknown): string {
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

/** Backends whose tensor values live in host memory (the JS heap or wasm's), read without a device copy. */
const HOST_MEMORY_BACKENDS = new Set(['cpu', 'wasm']);

/**
 * A functional model (Keras's `Model`/`Functional`): a graph of layer calls from `inputs` to `outputs`,
 * with the training API (compile, fit, evaluate, predict). A Model is itself a Layer, so it can be
 * called inside another model.
 *
 * Keras: `keras.Model`
 *
 * @example
 * ```ts
 * const inputs = input({ shape: [100] });
 * const hidden = new Dense({ units: 64, activation: 'relu' }).apply(inputs);
 * const outputs = new Dense({ units: 10, activation: 'softmax' }).apply(hidden);
 * const model = new Model({ inputs, outputs });
 * model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
 * await model.fit(x, y, { epochs: 5, batchSize: 32, verbose: 0 });
 * ```
 */
export class Model<Outputs extends SymbolicStructure = SymbolicStructure> extends Layer {
  static override className = 'Functional';
  /** Models check their own constructor arguments; a subclassed model's are its author's. */
  static checksArguments = false;

  inputs: SymbolicTensor[] = [];
  outputs: SymbolicTensor[] = [];
  inputNames: string[] = [];
  outputNames: string[] = [];
  protected graph: GraphMap | null = null;
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

  private compileArgs: CompileArgs | null = null;
  private losses_: (Loss | null)[] = [];
  private lossWeights: number[] = [];
  private metricSlots: MetricSlot[] = [];
  private metricsBuilt = false;
  private lossTracker: MeanTracker | null = null;
  private outputLossTrackers: (MeanTracker | null)[] = [];

  constructor(args?: ModelArgs<Outputs> | LayerArgs) {
    if (new.target === Model)
      checkArgumentNames(args, [...BASE_LAYER_ARGUMENTS, 'inputs', 'outputs'], 'Functional');
    super(args ?? {});
    if (args && 'inputs' in args && args.inputs != null) this.initGraph(args.inputs, args.outputs);
  }

  protected initGraph(inputs: SymbolicStructure, outputs: SymbolicStructure): void {
    const ins = flattenStructure(inputs);
    const outs = flattenStructure(outputs);
    for (const t of [...ins.list, ...outs.list]) {
      if (!(t instanceof SymbolicTensor)) {
        throw new ValueError(
          `Model "${this.name}": inputs and outputs must be symbolic tensors (from input() and layer calls). Received: ${String(t)}`,
        );
      }
    }
    for (const t of ins.list) {
      if (!(t.sourceLayer instanceof InputLayer)) {
        throw new ValueError(
          `Model "${this.name}": every input must come from input(). Received a tensor produced by layer "${t.sourceLayer.name}".`,
        );
      }
    }
    this.inputs = ins.list;
    this.outputs = outs.list;
    this.inputsKind = ins.kind;
    this.outputsKind = outs.kind;
    this.outputKeys = outs.keys;
    const graph = mapGraph(this.inputs, this.outputs);
    const seen = new Map<string, number>();
    for (const layer of graph.layers) seen.set(layer.name, (seen.get(layer.name) ?? 0) + 1);
    for (const [name, count] of seen) {
      if (count > 1)
        throw new ValueError(
          `The name "${name}" is used ${count} times in the model. All layer names should be unique.`,
        );
    }
    this.graph = graph;
    this.inputNames = ins.kind === 'dict' ? ins.keys : this.inputs.map((t) => t.sourceLayer.name);
    this.outputNames = outs.kind === 'dict' ? outs.keys : this.outputs.map((t) => t.sourceLayer.name);
    this.built = true;
    this.buildInputShape = this.inputs.length === 1 ? this.inputs[0].shape : this.inputs.map((t) => t.shape);
  }

  get isFunctional(): boolean {
    return this.graph !== null;
  }

  /** The model's layers in Keras order (input layers included for functional models). */
  get layers(): Layer[] {
    return this.graph ? this.graph.layers.slice() : [];
  }

  override get subLayers(): Layer[] {
    return this.layers;
  }

  getLayer(nameOrIndex: string | number): Layer {
    const layers = this.layers;
    if (typeof nameOrIndex === 'number') {
      if (nameOrIndex < 0 || nameOrIndex >= layers.length) {
        throw new ValueError(
          `Was asked to retrieve layer at index ${nameOrIndex} but model only has ${layers.length} layers.`,
        );
      }
      return layers[nameOrIndex];
    }
    const found = layers.find((l) => l.name === nameOrIndex);
    if (!found)
      throw new ValueError(
        `No such layer: ${nameOrIndex}. Existing layers are: [${layers.map((l) => l.name).join(', ')}].`,
      );
    return found;
  }

  // ---- the graph ----------------------------------------------------------------------------------

  protected ensureGraph(_inputs?: tf.Tensor[]): void {
    if (!this.graph)
      throw new RuntimeError(`Model "${this.name}" has no inputs yet: build it or call it on data first.`);
  }

  /** Checks concrete inputs against the model's input shapes, in Keras's words. */
  protected checkInputs(xs: tf.Tensor[]): void {
    if (xs.length !== this.inputs.length) {
      throw new ValueError(
        `Layer "${this.name}" expects ${this.inputs.length} input(s), but it received ${xs.length} input tensors.`,
      );
    }
    xs.forEach((x, i) => {
      const expected = this.inputs[i].shape;
      const ok = x.rank === expected.length && expected.every((d, j) => d == null || d === x.shape[j]);
      if (!ok) {
        throw new ValueError(
          `Input ${i} of layer "${this.name}" is incompatible with the layer: expected shape=${formatShape(expected)}, ` +
            `found shape=${formatShape(x.shape)}`,
        );
      }
    });
  }

  /**
   * Runs the graph on concrete tensors, in order, passing masks along. Symbolic tensors in a node's keyword
   * arguments are replaced by their values, so they are inputs of the call like the positional ones.
   */
  runGraph(xs: tf.Tensor[], training: boolean): tf.Tensor[] {
    this.ensureGraph(xs);
    const graph = this.graph!;
    const values = new Map<SymbolicTensor, tf.Tensor>();
    const masks = new Map<SymbolicTensor, tf.Tensor | null>();
    this.inputs.forEach((t, i) => {
      values.set(t, xs[i]);
    });
    const valueFor = (t: SymbolicTensor) => values.get(t)!;
    for (const node of graph.nodes) {
      const ins = node.inputTensors.map(valueFor);
      const inMasks = node.inputTensors.map((t) => masks.get(t) ?? null);
      const kwargs: CallKwargs = { ...node.resolveKwargs(valueFor), training };
      const anyMask = inMasks.some((m) => m != null);
      const inputMask = anyMask ? (node.inputsWereList ? inMasks : inMasks[0]) : null;
      // A `mask` given in the call wins. Otherwise Keras fills it in from the inputs only when the call has a
      // single tensor argument (or, for layers taking several positional tensors, one mask per input):
      // an RNN given `initialState` tensors does not see its sequence's mask. The output mask still follows
      // the inputs' masks either way.
      const explicitMask = 'mask' in node.kwargs;
      if (!explicitMask && anyMask && (!node.hasTensorKwargs || node.layer.separatePositionalInputs)) {
        kwargs.mask = inputMask;
      }
      const previousMask = explicitMask ? (kwargs.mask ?? null) : inputMask;
      const arg = node.inputsWereList ? ins : ins[0];
      const out = node.layer.call(arg, kwargs);
      const outs = Array.isArray(out) ? out : [out];
      let outMask: tf.Tensor | null | (tf.Tensor | null)[] = null;
      if (
        previousMask != null ||
        node.layer.supportsMasking ||
        node.layer.computeMask !== Layer.prototype.computeMask
      ) {
        outMask = node.layer.computeMask(arg, previousMask);
      }
      node.outputTensors.forEach((t, i) => {
        values.set(t, outs[i]);
        masks.set(t, Array.isArray(outMask) ? (outMask[i] ?? null) : outMask);
      });
    }
    return this.outputs.map((t) => values.get(t)!);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs = {}): tf.Tensor | tf.Tensor[] {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    const outs = this.runGraph(xs, kwargs.training ?? false);
    return outs.length === 1 && this.outputsKind === 'single' ? outs[0] : outs;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    this.ensureGraph();
    const batch =
      (Array.isArray(inputShape[0]) ? (inputShape as Shape[])[0][0] : (inputShape as Shape)[0]) ?? null;
    const shapes = this.outputs.map((t) => [batch, ...t.shape.slice(1)]);
    return shapes.length === 1 && this.outputsKind === 'single' ? shapes[0] : shapes;
  }

  // ---- compile ------------------------------------------------------------------------------------

  /** Configures the model for training (Keras's `compile`). */
  compile(args: CompileArgs): void {
    if (args == null || args.optimizer == null) {
      throw new ValueError(
        'compile() needs an optimizer, e.g. compile({ optimizer: "adam", loss: "mse" }). Received: optimizer=undefined',
      );
    }
    checkArgumentNames(args, COMPILE_ARGS, 'compile()');
    if (this.outputNames.length === 0) {
      throw new ValueError(`Model "${this.name}" has no outputs yet: add layers before compile().`);
    }
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
    const lossSpecs = perOutput(args.loss, this.outputNames, 'loss', isLossLeaf);
    lossSpecs.forEach((l, i) => {
      if (l != null && !isLossLeaf(l)) {
        throw new ValueError(
          `Could not interpret loss identifier for output "${this.outputNames[i]}". Expected a loss name, ` +
            `a Loss instance or a function. Received: loss=${describeArgument(l)}`,
        );
      }
    });
    const losses = lossSpecs.map((l) => resolveLoss(l as LossIdentifier | null));
    const weightsSpec =
      args.lossWeights == null
        ? this.outputNames.map(() => 1)
        : perOutput(args.lossWeights, this.outputNames, 'loss_weights', (v) => typeof v === 'number');
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
      const multi = this.outputNames.length > 1;
      let perOut: (MetricIdentifier | MetricIdentifier[] | null)[];
      if (Array.isArray(spec) && (!multi || !spec.some(Array.isArray))) {
        // A flat list applies to every output, as in Keras.
        perOut = this.outputNames.map(() => spec as MetricIdentifier[]);
      } else {
        perOut = perOutput(
          spec as MetricIdentifier[][] | Record<string, MetricIdentifier | MetricIdentifier[]>,
          this.outputNames,
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
    const optimizer = this.resolveOptimizer(args.optimizer);

    this.optimizer = optimizer;
    this.losses_ = losses;
    this.lossWeights = weightsSpec.map((w) => (w == null ? 1 : (w as number)));
    this.disposeTrackers();
    this.metricSlots = slots;
    this.metricsBuilt = false;
    this.lossTracker = new MeanTracker({ name: 'loss' });
    const withLoss = losses.filter((l) => l != null).length;
    this.outputLossTrackers = losses.map((l, i) =>
      l != null && withLoss > 1 ? new MeanTracker({ name: `${this.outputNames[i]}_loss` }) : null,
    );
    this.compileArgs = args;
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
    this.lossTracker?.dispose();
    for (const t of this.outputLossTrackers) t?.dispose();
    for (const s of this.metricSlots) if (s.metric && typeof s.spec !== 'object') s.metric.dispose();
  }

  /** Keras's compile_config, written into `.keras` files. */
  getCompileConfig(): Record<string, unknown> | null {
    if (!this.compiled || !this.compileArgs) return null;
    const a = this.compileArgs;
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
      jit_compile: false,
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
    });
  }

  private assertCompiled(method: string): void {
    assertBackendRegistered(method);
    if (!this.compiled)
      throw new RuntimeError(`You must call \`compile()\` before using the model (called ${method}).`);
  }

  // ---- metrics ------------------------------------------------------------------------------------

  private buildMetrics(ys: tf.Tensor[], preds: tf.Tensor[]): void {
    if (this.metricsBuilt) return;
    const multi = this.outputNames.length > 1;
    const used = new Set<string>();
    for (const slot of this.metricSlots) {
      const written = typeof slot.spec === 'string' ? slot.spec : undefined;
      slot.metric = resolveMetric(slot.spec, {
        name: written ?? '',
        yTrueShape: ys[slot.output].shape,
        yPredShape: preds[slot.output].shape,
        loss: this.losses_[slot.output] ?? undefined,
      });
      let base = written ?? slot.metric.name;
      if (slot.weighted && !written) base = `weighted_${base}`;
      let name = multi ? `${this.outputNames[slot.output]}_${base}` : base;
      while (used.has(name)) name = `${name}_1`;
      used.add(name);
      slot.logName = name;
    }
    this.metricsBuilt = true;
  }

  /** All stateful metrics (loss trackers first), as Keras's `model.metrics`. */
  get metrics(): Metric[] {
    const out: Metric[] = [];
    if (this.lossTracker) out.push(this.lossTracker);
    for (const s of this.metricSlots) if (s.metric) out.push(s.metric);
    for (const t of this.outputLossTrackers) if (t) out.push(t);
    return out;
  }

  /** The log keys in Keras order: loss, compiled metrics, per-output losses. */
  get metricsNames(): string[] {
    return this.metricEntries().map(([n]) => n);
  }

  private metricEntries(): [string, Metric][] {
    const out: [string, Metric][] = [];
    if (this.lossTracker) out.push(['loss', this.lossTracker]);
    for (const s of this.metricSlots) if (s.metric) out.push([s.logName, s.metric]);
    this.outputLossTrackers.forEach((t) => {
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

  private computeLoss(
    ys: tf.Tensor[],
    preds: tf.Tensor[],
    sws: (tf.Tensor | null)[],
    perOutput: tf.Tensor[],
  ): tf.Scalar {
    let total: tf.Tensor = tf.scalar(0);
    this.losses_.forEach((loss, i) => {
      if (!loss) return;
      if (ys[i] == null)
        throw new ValueError(`No target given for output "${this.outputNames[i]}", which has a loss.`);
      const value = loss.apply(ys[i], preds[i], sws[i] ?? null);
      perOutput[i] = value;
      total = tf.add(total, this.lossWeights[i] === 1 ? value : tf.mul(value, this.lossWeights[i]));
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
    this.lossTracker!.updateState(loss, undefined, batch.size);
    this.outputLossTrackers.forEach((t, i) => {
      if (t && perOutput[i]) t.updateState(perOutput[i], undefined, batch.size);
    });
    this.buildMetrics(ys, preds);
    for (const s of this.metricSlots)
      s.metric!.updateState(ys[s.output], preds[s.output], s.weighted ? (batch.sws[s.output] ?? null) : null);
  }

  /** One optimizer step; everything it creates is released before it returns. */
  private trainStep(batch: BatchData): void {
    const vars = this.trainableWeights;
    const optimizer = this.optimizer!;
    let preds: tf.Tensor[] = [];
    const perOutput: tf.Tensor[] = [];
    try {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => {
            this.clearCallLosses();
            preds = this.runGraph(batch.xs, true);
            const loss = this.computeLoss(batch.ys, preds, batch.sws, perOutput);
            for (const t of [...preds, ...perOutput]) if (t) tf.keep(t);
            return loss;
          },
          vars.map((v) => v.value),
        );
        this.clearCallLosses();
        // Metrics resolve against the first batch's shapes; a metric that cannot must fail before any update.
        this.buildMetrics(batch.ys, preds);
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

  private testStep(batch: BatchData): void {
    tf.tidy(() => {
      this.clearCallLosses();
      const preds = this.runGraph(batch.xs, false);
      const perOutput: tf.Tensor[] = [];
      const loss = this.computeLoss(batch.ys, preds, batch.sws, perOutput);
      this.clearCallLosses();
      this.updateTrackers(loss, perOutput, batch, batch.ys, preds);
    });
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
    const xs = standardizeData(x, this.inputNames, 'input', this.name, owned);
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

  // ---- fit ----------------------------------------------------------------------------------------

  /** Trains the model (Keras's `fit`). Accepts tensors, or an (async) iterable of `{xs, ys}` batches. */
  async fit(x: Dataset, args?: FitArgs): Promise<History>;
  async fit(x: ModelData, y: ModelData, args?: FitArgs): Promise<History>;
  async fit(x: ModelData | Dataset, yOrArgs?: ModelData | FitArgs, maybeArgs?: FitArgs): Promise<History> {
    this.assertCompiled('fit');
    const datasetMode = isDataset(x);
    const args: FitArgs = (datasetMode ? (yOrArgs as FitArgs) : maybeArgs) ?? {};
    const y = datasetMode ? undefined : (yOrArgs as ModelData);
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
        if (y == null) throw new ValueError('fit() needs targets `y` when `x` is not a dataset.');
        train = this.prepareArrays(x as ModelData, y, args.sampleWeight, owned, args.classWeight);
        if (split > 0) {
          const at = Math.floor(train.size * (1 - split));
          if (at === 0 || at === train.size) {
            throw new ValueError(
              `validation_split=${split} leaves no ${at === 0 ? 'training' : 'validation'} samples out of ${train.size}.`,
            );
          }
          const cut = (ts: tf.Tensor[], from: number, size: number) => {
            const out = sliceRows(ts, from, size);
            owned.push(...out);
            return out;
          };
          const swList = train.sws.map((s) => s);
          const valSws = swList.map((s) => (s ? cut([s], at, train!.size - at)[0] : null));
          const trSws = swList.map((s) => (s ? cut([s], 0, at)[0] : null));
          val = {
            xs: cut(train.xs, at, train.size - at),
            ys: cut(train.ys, at, train.size - at),
            sws: valSws,
            size: train.size - at,
          };
          train = { xs: cut(train.xs, 0, at), ys: cut(train.ys, 0, at), sws: trSws, size: at };
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
        model: this,
        addHistory: true,
        addProgbar: verbose !== 0,
        params: { verbose, epochs, steps: stepsPerEpoch },
      });
      this.history = callbacks.history;
      this.stopTraining = false;
      const shuffle = args.shuffle ?? true;
      const datasetIterator = datasetMode ? this.openIterator(x as Dataset) : null;

      this._initialEpoch = null;
      await callbacks.onTrainBegin();
      const startEpoch = this._initialEpoch ?? initialEpoch;
      this._initialEpoch = null;
      let trainingLogs: Logs = {};
      for (let epoch = startEpoch; epoch < epochs; epoch++) {
        this.resetMetrics();
        await callbacks.onEpochBegin(epoch);
        let lastYield = Date.now();
        const runBatch = async (step: number, batch: BatchData) => {
          await callbacks.onTrainBatchBegin(step);
          this.trainStep(batch);
          await callbacks.onTrainBatchEnd(step, () => this.lazyLogs());
          if (Date.now() - lastYield > 25) {
            await yieldToEventLoop();
            lastYield = Date.now();
          }
        };
        if (train) {
          await this.forEachArrayBatch(train, batchSize, shuffle, stepsPerEpoch!, runBatch);
        } else {
          await this.forEachDatasetBatch(
            datasetIterator!,
            x as Dataset,
            args.stepsPerEpoch ?? null,
            runBatch,
          );
        }
        const epochLogs = await this.readLogs();
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

  private shouldValidate(epoch: number, freq: number | number[]): boolean {
    if (Array.isArray(freq)) return freq.includes(epoch + 1);
    return (epoch + 1) % freq === 0;
  }

  private async forEachArrayBatch(
    data: BatchData,
    batchSize: number,
    shuffle: boolean,
    steps: number,
    fn: (step: number, batch: BatchData) => Promise<void>,
  ): Promise<void> {
    // Shuffle once per epoch: one permutation of the sample indices, after which each batch takes its
    // rows straight from the data (no shuffled copy of the epoch). Slicing batches out of a shuffled
    // copy would cost a copy of the whole epoch per batch on tfjs's wasm backend, whose Slice kernel
    // reads its entire input to the host first.
    let order = shuffle && data.size > 1 ? Int32Array.from(tf.util.createShuffledIndices(data.size)) : null;
    // Where tensors live in host memory (cpu, wasm), copying the rows on the host beats both backends'
    // Gather kernels (element-wise loops) several times over, and wasm's Slice (a full copy of its
    // input per call) by far; the values are read once per epoch, never per batch.
    const host = HOST_MEMORY_BACKENDS.has(tf.getBackend()) ? new Map<tf.Tensor, tf.TypedArray>() : null;
    if (host && !order) order = Int32Array.from({ length: data.size }, (_, i) => i);
    for (let step = 0; step < steps; step++) {
      const start = step * batchSize;
      if (start >= data.size) break;
      const size = Math.min(batchSize, data.size - start);
      const batch = order
        ? this.gatherBatch(data, order.subarray(start, start + size), host)
        : this.sliceBatch(data, start, size);
      try {
        await fn(step, batch);
      } finally {
        // Several outputs may share one sample-weight tensor: dispose each batch tensor once.
        tf.dispose([...new Set([...batch.xs, ...batch.ys, ...(batch.sws.filter((s) => s) as tf.Tensor[])])]);
      }
      if (this.stopTraining) break;
    }
  }

  /** The rows `indices` of every tensor in `data` (a tensor shared by several slots is gathered once). */
  private gatherBatch(
    data: BatchData,
    indices: Int32Array,
    host: Map<tf.Tensor, tf.TypedArray> | null,
  ): BatchData {
    let idxTensor: tf.Tensor1D | null = null;
    const idx = () => {
      idxTensor ??= tf.tensor1d(indices, 'int32');
      return idxTensor;
    };
    try {
      const cache = new Map<tf.Tensor, tf.Tensor>();
      const take = (t: tf.Tensor): tf.Tensor => {
        if (!host || t.dtype === 'string' || t.rank === 0) return tf.gather(t, idx());
        let values = host.get(t);
        if (!values) {
          values = t.dataSync() as tf.TypedArray;
          host.set(t, values);
        }
        const row = t.shape[0] === 0 ? 0 : t.size / t.shape[0];
        const out = new (values.constructor as new (n: number) => tf.TypedArray)(indices.length * row);
        for (let i = 0; i < indices.length; i++) {
          const from = indices[i] * row;
          out.set(values.subarray(from, from + row), i * row);
        }
        return tf.tensor(out, [indices.length, ...t.shape.slice(1)], t.dtype);
      };
      const pick = (t: tf.Tensor) => {
        if (!cache.has(t)) cache.set(t, take(t));
        return cache.get(t)!;
      };
      return {
        xs: data.xs.map(pick),
        ys: data.ys.map(pick),
        sws: data.sws.map((s) => (s ? pick(s) : null)),
        size: indices.length,
      };
    } finally {
      (idxTensor as tf.Tensor1D | null)?.dispose();
    }
  }

  private sliceBatch(data: BatchData, start: number, size: number): BatchData {
    const cache = new Map<tf.Tensor, tf.Tensor>();
    const cut = (t: tf.Tensor) => {
      if (!cache.has(t)) cache.set(t, tf.slice(t, start, size));
      return cache.get(t)!;
    };
    return {
      xs: data.xs.map(cut),
      ys: data.ys.map(cut),
      sws: data.sws.map((s) => (s ? cut(s) : null)),
      size,
    };
  }

  private openIterator(ds: Dataset): Iterator<Batch> | AsyncIterator<Batch> {
    return Symbol.asyncIterator in ds
      ? (ds as AsyncIterable<Batch>)[Symbol.asyncIterator]()
      : (ds as Iterable<Batch>)[Symbol.iterator]();
  }

  private async forEachDatasetBatch(
    iterator: Iterator<Batch> | AsyncIterator<Batch>,
    ds: Dataset,
    steps: number | null,
    fn: (step: number, batch: BatchData) => Promise<void>,
  ): Promise<void> {
    // A re-iterable dataset starts over each epoch; a one-shot iterator continues where it stopped.
    let it = iterator;
    const reiterable = (it as unknown) !== (ds as unknown);
    if (reiterable && steps == null) it = this.openIterator(ds);
    for (let step = 0; steps == null || step < steps; step++) {
      const next = await it.next();
      if (next.done) {
        if (steps != null && step === 0 && reiterable) {
          it = this.openIterator(ds);
          continue;
        }
        break;
      }
      const owned: tf.Tensor[] = [];
      try {
        const batch = this.batchFromDataset(next.value, owned);
        await fn(step, batch);
      } finally {
        tf.dispose(owned);
      }
      if (this.stopTraining) break;
    }
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
        model: this,
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
    const runBatch = async (step: number, batch: BatchData) => {
      await opts.callbacks.onTestBatchBegin(step);
      this.testStep(batch);
      await opts.callbacks.onTestBatchEnd(step, () => this.lazyLogs());
    };
    const stopFlag = this.stopTraining;
    this.stopTraining = false;
    if (data) {
      const steps = Math.min(Math.ceil(data.size / opts.batchSize), opts.steps ?? Number.POSITIVE_INFINITY);
      await this.forEachArrayBatch(data, opts.batchSize, false, steps, runBatch);
    } else {
      await this.forEachDatasetBatch(this.openIterator(ds!), ds!, opts.steps ?? null, runBatch);
    }
    this.stopTraining = stopFlag;
    const logs = await this.readLogs();
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
      const xs = standardizeData(x, this.inputNames, 'input', this.name, owned);
      const size = checkCardinality([{ name: 'x', tensors: xs }]);
      checkNotEmpty(size, xs);
      this.checkInputs(xs);
      const steps = Math.min(Math.ceil(size / batchSize), args.steps ?? Number.POSITIVE_INFINITY);
      // predict is synchronous (it returns tensors), so its hooks run without being awaited. The progress
      // bar is shown only when verbose is given, to keep the common predict call quiet.
      const verbose = args.verbose === undefined || args.verbose === 'auto' ? 0 : args.verbose;
      const callbacks =
        (args.callbacks?.length ?? 0) > 0 || verbose !== 0
          ? new CallbackList(args.callbacks ?? [], {
              model: this,
              addHistory: false,
              addProgbar: verbose !== 0,
              params: { verbose, steps },
            })
          : null;
      const fire = (p: void | Promise<void>) => {
        if (p instanceof Promise) p.catch((e) => console.error(e));
      };
      if (callbacks) fire(callbacks.onPredictBegin());
      const perOutput: tf.Tensor[][] = this.outputs.map(() => []);
      for (let step = 0; step < steps; step++) {
        if (callbacks) fire(callbacks.onPredictBatchBegin(step));
        const start = step * batchSize;
        const n = Math.min(batchSize, size - start);
        const outs = tf.tidy(() =>
          this.runGraph(steps === 1 && n === size ? xs : sliceRows(xs, start, n), false),
        );
        outs.forEach((o, i) => {
          perOutput[i].push(o);
        });
        if (callbacks) fire(callbacks.onPredictBatchEnd(step, () => ({})));
      }
      const outs = perOutput.map((parts) => {
        if (parts.length === 1) return parts[0];
        const joined = tf.concat(parts, 0);
        tf.dispose(parts);
        return joined;
      });
      if (callbacks) fire(callbacks.onPredictEnd());
      return this.structureOutputs(outs);
    } finally {
      tf.dispose(owned);
    }
  }

  /** Hook for Sequential's deferred build. */
  protected maybeBuildFrom(_x: ModelData, _owned: tf.Tensor[]): void {}

  private structureOutputs(outs: tf.Tensor[]): ModelOutput<Outputs> {
    return (outs.length === 1 && this.outputsKind === 'single' ? outs[0] : outs) as ModelOutput<Outputs>;
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
      this.trainStep(batch);
      return this.flattenLogs(await this.readLogs(), args.returnDict);
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
      this.testStep(batch);
      return this.flattenLogs(await this.readLogs(), args.returnDict);
    } finally {
      tf.dispose(owned);
    }
  }

  private flattenLogs(logs: Logs, returnDict?: boolean): number | number[] | Logs {
    if (returnDict) return logs;
    const values = this.metricsNames.map((n) => logs[n]);
    return values.length === 1 ? values[0] : values;
  }

  // ---- summary and serialization ------------------------------------------------------------------

  /** Prints the Keras 3 summary table to the console or through `printFn`. */
  summary(lineLength?: number, positions?: number[], printFn: (line: string) => void = console.log): void {
    printSummary(this, { lineLength, positions, printFn });
  }

  getKerasModule(): string {
    return 'keras.src.models.functional';
  }

  getRegisteredName(): string | null {
    return 'Functional';
  }

  override getConfig(): Record<string, unknown> {
    return this.getKerasConfig();
  }

  /** Keras 3's Functional config: layers with inbound_nodes, input_layers, output_layers. */
  getKerasConfig(): Record<string, unknown> {
    this.ensureGraph();
    const graph = this.graph!;
    const reindex = new Map<string, number>();
    const keyOf = (layer: Layer, i: number) => `${layer.name}#${i}`;
    for (const layer of graph.layers) {
      // Keras 3 numbers a nested model's calls from 0 (Keras 2 counted the model's own first node).
      let kept = 0;
      layer.inboundNodes.forEach((node, i) => {
        if (graph.nodeSet.has(node)) reindex.set(keyOf(layer, i), kept++);
      });
    }
    const tensorJSON = (t: SymbolicTensor) => {
      const idx = reindex.get(keyOf(t.sourceLayer, t.nodeIndex));
      return {
        class_name: '__keras_tensor__',
        config: {
          shape: t.shape,
          dtype: t.dtype,
          keras_history: [t.sourceLayer.name, idx ?? t.nodeIndex, t.tensorIndex],
        },
      };
    };
    const argsJSON = (node: Node) => {
      if (node.layer.separatePositionalInputs) return node.inputTensors.map(tensorJSON);
      return [node.inputsWereList ? node.inputTensors.map(tensorJSON) : tensorJSON(node.inputTensors[0])];
    };
    const layers = graph.layers.map((layer) => {
      const inbound = layer.inboundNodes
        .filter((n) => graph.nodeSet.has(n) && !n.isInput)
        .map((node) => ({
          args: argsJSON(node),
          kwargs: Object.fromEntries(
            Object.entries(node.kwargs).map(([k, v]) => [camelToSnake(k), mapSymbolic(v, tensorJSON)]),
          ),
        }));
      return { ...serializeKerasObject('layer', layer), name: layer.name, inbound_nodes: inbound };
    });
    const ref = (t: SymbolicTensor) => [
      t.sourceLayer.name,
      reindex.get(keyOf(t.sourceLayer, t.nodeIndex)) ?? 0,
      t.tensorIndex,
    ];
    const struct = (ts: SymbolicTensor[], kind: string, keys: string[]) =>
      kind === 'dict' ? Object.fromEntries(keys.map((k, i) => [k, ref(ts[i])])) : ts.map(ref);
    return {
      name: this.name,
      trainable: this.trainable,
      layers,
      input_layers: struct(this.inputs, this.inputsKind, this.inputNames),
      output_layers: struct(this.outputs, this.outputsKind, this.outputKeys),
    };
  }

  override getBuildConfig(): Record<string, unknown> | null {
    return { input_shape: this.buildInputShape ?? null };
  }

  override buildFromConfig(_config: Record<string, unknown>): void {}

  static override fromConfig<T extends Layer>(this: new (args: any) => T, config: Record<string, any>): T {
    return functionalFromConfig(config) as unknown as T;
  }

  static fromKerasConfig(config: Record<string, unknown>): Model {
    return functionalFromConfig(config);
  }

  /** The model config as a JSON string (Keras's `to_json`). */
  toJSON(): string {
    return JSON.stringify(serializeKerasObject('layer', this));
  }

  // ---- persistence (through @strata/io) -----------------------------------------------------------

  private ioFunction<F>(name: string): F {
    if (!registry.has('io', name)) {
      throw new RuntimeError(
        `Saving and loading need @strata/io: import '@strata/io' (it registers '${name}').`,
      );
    }
    return registry.get<F>('io', name);
  }

  /**
   * Saves the whole model (`.keras`, legacy `.h5`, or another target @strata/io knows). A file path's
   * folder must exist: as in Keras, saving fails rather than creating folders.
   */
  async save(target: unknown, options: Record<string, unknown> = {}): Promise<void> {
    await this.ioFunction<(m: Model, t: unknown, o: Record<string, unknown>) => Promise<void>>('saveModel')(
      this,
      target,
      options,
    );
  }

  async saveWeights(target: unknown, options: Record<string, unknown> = {}): Promise<void> {
    await this.ioFunction<(m: Model, t: unknown, o: Record<string, unknown>) => Promise<void>>('saveWeights')(
      this,
      target,
      options,
    );
  }

  async loadWeights(source: unknown, options: Record<string, unknown> = {}): Promise<void> {
    await this.ioFunction<(m: Model, s: unknown, o: Record<string, unknown>) => Promise<void>>('loadWeights')(
      this,
      source,
      options,
    );
  }

  override dispose(): void {
    for (const l of this.layers) l.dispose();
    this.disposeTrackers();
    this.optimizer?.dispose();
  }
}

/** Thrown while rebuilding a graph when a call needs a node that has not been recreated yet. */
class NodeNotReady extends Error {}

/** Rebuilds a functional model from Keras 3 (or Keras 2) config, as Keras's `functional_from_config`. */
export function functionalFromConfig(config: Record<string, any>): Model {
  const created = new Map<string, Layer>();
  const pending = new Map<Layer, unknown[]>();
  const order: Layer[] = [];
  for (const layerData of config.layers as Record<string, any>[]) {
    const layer = deserializeKerasObject<Layer>('layer', layerData as KerasObjectJSON);
    if (!(layer instanceof Layer)) throw new ValueError(`Config entry '${layerData.name}' is not a layer.`);
    const name = layerData.name ?? layer.name;
    created.set(name, layer);
    order.push(layer);
    pending.set(layer, [...(layerData.inbound_nodes ?? [])]);
  }
  // Keras 2 configs count a nested model's own first node; Keras 3 configs do not.
  const nodeOf = (layerName: string, nodeIndex: number, legacy = false): Layer['inboundNodes'][number] => {
    const layer = created.get(layerName);
    if (!layer) throw new ValueError(`Unknown layer in model config: '${layerName}'.`);
    if (layer instanceof InputLayer) return layer.inboundNodes[0];
    const idx = legacy && layer instanceof Model ? nodeIndex - 1 : nodeIndex;
    const node = layer.inboundNodes[idx];
    if (!node) throw new NodeNotReady(`node ${idx} of layer '${layerName}' is not recreated yet`);
    return node;
  };
  // Tensors may sit anywhere in a call's arguments: positional, or keyword ones such as an attention mask or
  // an RNN's initial states. A call waits until every tensor it names exists.
  const tensorOf = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(tensorOf);
    if (v && typeof v === 'object') {
      const obj = v as Record<string, unknown>;
      if (obj.class_name === '__keras_tensor__') {
        const [ln, ni, ti] = (v as { config: { keras_history: [string, number, number] } }).config
          .keras_history;
        return nodeOf(ln, ni).outputTensors[ti];
      }
      if (!('class_name' in obj))
        return Object.fromEntries(Object.entries(obj).map(([k, x]) => [k, tensorOf(x)]));
    }
    return v;
  };
  const process = (layer: Layer, nodeData: unknown) => {
    if (Array.isArray(nodeData)) {
      // Keras 2: [[layer, node, tensor, kwargs], ...]
      const tensors = (nodeData as [string, number, number, Record<string, unknown>?][]).map(
        ([ln, ni, ti]) => nodeOf(ln, ni, true).outputTensors[ti],
      );
      const kwargs = (nodeData[0] as unknown[])?.[3] ?? {};
      layer.apply(tensors.length === 1 ? tensors[0] : tensors, kwargs as CallKwargs);
      return;
    }
    const data = nodeData as { args: unknown[]; kwargs?: Record<string, unknown> };
    const args = data.args.map(tensorOf);
    const kwargs = Object.fromEntries(
      Object.entries(data.kwargs ?? {}).map(([k, v]) => [snakeToCamel(k), tensorOf(v)]),
    );
    // Keras passes several tensors (MultiHeadAttention's query, value) as separate arguments; our layers take a list.
    const isTensor = (a: unknown) => a instanceof SymbolicTensor;
    if (args.length > 1 && !args.every(isTensor)) {
      throw new ValueError(
        `Layer "${layer.name}": only tensor positional arguments are supported in a model config.`,
      );
    }
    layer.apply((args.length > 1 ? args : args[0]) as SymbolicTensor, kwargs as CallKwargs);
  };
  let progress = true;
  while (pending.size > 0 && progress) {
    progress = false;
    for (const layer of order) {
      const nodes = pending.get(layer);
      if (!nodes) continue;
      while (nodes.length > 0) {
        try {
          process(layer, nodes[0]);
        } catch (e) {
          if (e instanceof NodeNotReady) break;
          throw e;
        }
        nodes.shift();
        progress = true;
      }
      if (nodes.length === 0) pending.delete(layer);
    }
  }
  if (pending.size > 0)
    throw new ValueError(
      `Cannot rebuild the model graph: layers [${[...pending.keys()].map((l) => l.name).join(', ')}] have inputs that never appear.`,
    );
  const mapRefs = (refs: unknown): SymbolicStructure => {
    const leaf = (r: unknown[]) => {
      const layer = created.get(r[0] as string);
      // Keras writes a nested model's output reference with or without the model's own node.
      const n = r[1] as number;
      const idx = layer instanceof Model && !layer.inboundNodes[n] && n > 0 ? n - 1 : n;
      return nodeOf(r[0] as string, idx).outputTensors[r[2] as number];
    };
    if (Array.isArray(refs) && typeof refs[0] === 'string') return leaf(refs);
    if (Array.isArray(refs)) {
      const list = refs.map((r) => leaf(r as unknown[]));
      return list.length === 1 ? list[0] : list;
    }
    return Object.fromEntries(
      Object.entries(refs as Record<string, unknown[]>).map(([k, r]) => [k, leaf(r)]),
    );
  };
  return new Model({
    inputs: mapRefs(config.input_layers),
    outputs: mapRefs(config.output_layers),
    name: config.name,
    trainable: config.trainable,
  });
}

register('layer', 'Functional', Model, { aliases: ['Model'], module: '@strata/core' });

export { Callback };
