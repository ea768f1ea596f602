import * as tf from '@tensorflow/tfjs-core';
import { checkArgumentNames } from './argument-names.js';
import { type GraphMap, mapGraph } from './engine/graph.js';
import { mapSymbolic, type Node, type Shape, SymbolicTensor } from './engine/symbolic-tensor.js';
import { formatShape, RuntimeError, ValueError } from './errors.js';
import { InputLayer } from './input-layer.js';
import { type CallKwargs, Layer, type LayerArgs } from './layer.js';
import { BASE_LAYER_ARGUMENTS } from './layer-arguments.js';
import { camelToSnake, mapKeys, snakeToCamel } from './naming.js';
import { register, registry } from './registry.js';
import {
  configFromKeras,
  configToKeras,
  deserializeKerasObject,
  type KerasObjectJSON,
  serializeKerasObject,
} from './serialization.js';
import { printSummary } from './summary.js';
import { describeArgument, isPlainRecord, type SymbolicStructure, Trainer } from './trainers/trainer.js';

export type {
  CompileArgs,
  EvaluateArgs,
  FitArgs,
  ModelOutput,
  OptimizerIdentifier,
  PredictArgs,
  StepData,
  StepInputs,
  StepLogs,
  SymbolicStructure,
} from './trainers/trainer.js';

/** Arguments of the functional `Model` constructor: its symbolic `inputs` and `outputs`, and a name. */
export interface ModelArgs<Outputs extends SymbolicStructure = SymbolicStructure> extends LayerArgs {
  inputs: SymbolicStructure;
  outputs: Outputs;
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

/** The layers a subclassed model holds in its fields, arrays or records, in field order (each once). */
function trackedLayers(owner: object): Layer[] {
  const out: Layer[] = [];
  const seen = new Set<Layer>([owner as Layer]);
  const visit = (v: unknown, depth: number) => {
    if (v instanceof Layer) {
      if (!seen.has(v)) {
        seen.add(v);
        out.push(v);
      }
    } else if (depth < 4 && Array.isArray(v)) {
      for (const e of v) visit(e, depth + 1);
    } else if (depth < 4 && isPlainRecord(v)) {
      for (const e of Object.values(v as object)) visit(e, depth + 1);
    }
  };
  for (const key of Object.keys(owner)) {
    // Engine state (trainers' metrics, the optimizer, callbacks' history) is not a layer of the model.
    if (key.startsWith('_')) continue;
    visit((owner as Record<string, unknown>)[key], 0);
  }
  return out;
}

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
export class Model<Outputs extends SymbolicStructure = SymbolicStructure> extends Trainer<Outputs> {
  static override className = 'Functional';
  /** Models check their own constructor arguments; a subclassed model's are its author's. */
  static checksArguments = false;

  inputs: SymbolicTensor[] = [];
  outputs: SymbolicTensor[] = [];
  protected graph: GraphMap | null = null;

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

  /**
   * A subclassed model: no graph, and its own `call`. Its layers are the ones it holds in fields, arrays or
   * records (found when they are first read, since class fields are set after this constructor runs).
   */
  protected override get isSubclassed(): boolean {
    return this.graph === null && this.call !== Model.prototype.call;
  }

  /**
   * The model's layers in Keras order (input layers included for functional models); for a subclassed model,
   * the layers held in its fields, arrays and records.
   */
  get layers(): Layer[] {
    if (this.graph) return this.graph.layers.slice();
    return this.isSubclassed ? trackedLayers(this) : [];
  }

  override get subLayers(): Layer[] {
    return this.layers;
  }

  /**
   * Where Keras 3's weights files keep this model's layers: a functional model's under `layers`; a
   * subclassed model's under its attribute names in snake_case (`d1`, `dense_block`), a list or record of
   * layers as a container, so Python's same subclass reads and writes the same paths (used by @strata/io).
   */
  override kerasSaveChildren(): Record<string, Layer | Layer[]> {
    if (!this.isSubclassed) return { layers: this.layers };
    const out: Record<string, Layer | Layer[]> = {};
    const seen = new Set<Layer>();
    for (const key of Object.keys(this)) {
      if (key.startsWith('_')) continue;
      const v = (this as unknown as Record<string, unknown>)[key];
      const members =
        v instanceof Layer ? [v] : Array.isArray(v) ? v : isPlainRecord(v) ? Object.values(v as object) : [];
      const layers = members.filter(
        (m): m is Layer => m instanceof Layer && m !== (this as Layer) && !seen.has(m),
      );
      if (layers.length === 0) continue;
      for (const l of layers) seen.add(l);
      out[camelToSnake(key)] = v instanceof Layer ? v : layers;
    }
    return out;
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

  protected override ensureGraph(_inputs?: tf.Tensor[]): void {
    if (!this.graph && !this.isSubclassed)
      throw new RuntimeError(`Model "${this.name}" has no inputs yet: build it or call it on data first.`);
  }

  /** Checks concrete inputs against the model's input shapes, in Keras's words. */
  protected override checkInputs(xs: tf.Tensor[]): void {
    if (!this.graph) return;
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
      const out = node.layer.callWithActivityPenalty(arg, kwargs);
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

  /**
   * A functional model's config is its graph; a subclassed model's is the base layer config (name,
   * trainable, dtype) unless it overrides `getConfig` with its constructor arguments, as in Keras. Keys are
   * camelCase as every `getConfig` writes them (`inputLayers`, `outputLayers`); the layers in it are Keras
   * objects, as nested objects are in layer configs. `getKerasConfig` (what files hold) is the snake_case form.
   */
  override getConfig(): Record<string, unknown> {
    if (this.isSubclassed) return super.getConfig();
    return configFromKeras(this.getKerasConfig());
  }

  /**
   * Keras 3's Functional config: layers with inbound_nodes, input_layers, output_layers. For a subclassed
   * model, its `getConfig()` in Keras's snake_case.
   */
  getKerasConfig(): Record<string, unknown> {
    if (this.isSubclassed) return configToKeras(this.getConfig());
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

  /**
   * A functional model is built by its graph. A subclassed model is built as Keras builds it from a file:
   * by calling it once on zeros of the recorded input shape (unknown sizes as 1), so its layers create their
   * weights before the weights are loaded.
   */
  override buildFromConfig(config: Record<string, unknown>): void {
    if (!this.isSubclassed || this.built) return;
    const shape = config?.input_shape as Shape | Shape[] | null | undefined;
    if (shape == null) return;
    const shapes = (Array.isArray(shape[0]) ? shape : [shape]) as Shape[];
    this.inputsKind = shapes.length === 1 && !Array.isArray(shape[0]) ? 'single' : 'list';
    this.inputNames = shapes.map((_, i) => `input_${i + 1}`);
    const zeros = shapes.map((sh) => tf.zeros(sh.map((d) => d ?? 1)));
    try {
      this.buildOnData(zeros);
    } finally {
      tf.dispose(zeros);
    }
  }

  /**
   * Rebuilds a functional model from its graph config. A subclass that does not override `fromConfig` is
   * constructed from its config (Keras's default `cls(**config)`).
   */
  static override fromConfig<T extends Layer>(this: new (args: any) => T, config: Record<string, any>): T {
    if ((this as unknown) !== Model && !Array.isArray(config?.layers))
      return Layer.fromConfig.call(this as never, config) as T;
    return functionalFromConfig(configToKeras(config)) as unknown as T;
  }

  static fromKerasConfig(config: Record<string, unknown>): Model {
    // A registered subclass's config is its own: its fromConfig takes the camelCase arguments.
    if (this !== Model && !Array.isArray(config?.layers))
      return (this as unknown as { fromConfig(c: Record<string, unknown>): Model }).fromConfig(
        configFromKeras(config),
      );
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

  /**
   * Exports the model for serving outside Strata, as Keras 3's `model.export`. A format comes from a
   * plug-in that registers it under the registry's `export` kind: `import '@strata/onnx'` adds
   * `'onnx'`, which writes an ONNX file for ONNX Runtime (Node, onnxruntime-web, Triton).
   *
   * @example
   * ```ts
   * // With `import '@strata/onnx'` once in the program:
   * await model.export('model.onnx', { format: 'onnx' });
   * ```
   */
  async export(target: unknown, options: ExportOptions): Promise<void> {
    const format = options?.format;
    if (!registry.has('export', String(format))) {
      const registered = registry.list('export');
      if (format === 'onnx')
        throw new RuntimeError(
          `Exporting to ONNX needs @strata/onnx: import '@strata/onnx' (it registers the 'onnx' format).`,
        );
      throw new ValueError(
        `Unrecognized export format. Expected one of: ${registered.length ? registered.map((f) => `'${f}'`).join(', ') : "'onnx' (import '@strata/onnx')"}. ` +
          `Received: format=${describeArgument(format)}`,
      );
    }
    const exporter = registry.get<(m: Model, t: unknown, o: ExportOptions) => Promise<void>>(
      'export',
      format,
    );
    await exporter(this, target, options);
  }
}

/** Options of `Model.export`: the `format` (a name registered under the registry's `export` kind, such as `'onnx'`), plus the format's own options. */
export interface ExportOptions {
  /** The export format, e.g. `'onnx'` once `@strata/onnx` is imported. */
  format: string;
  [option: string]: unknown;
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
      const kwargs = mapKeys(
        (nodeData[0] as [unknown, unknown, unknown, Record<string, unknown>?])[3] ?? {},
        snakeToCamel,
      );
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

export { Callback } from './callback.js';

// Callbacks see the model as this class; callback.ts names no model module, so there is no import cycle.
declare module './callback.js' {
  interface CallbackModelTypes {
    model: Model;
  }
}
