import * as tf from '@tensorflow/tfjs-core';

import { assertBackendRegistered } from './backend-check.js';
import { assertInputCompatibility, type InputSpec } from './engine/input-spec.js';
import {
  holdsSymbolic,
  isSymbolic,
  mapSymbolic,
  Node,
  type Shape,
  SymbolicTensor,
} from './engine/symbolic-tensor.js';
import { formatShape, ValueError } from './errors.js';
import { checkLayerArguments, withoutArgumentCheck } from './layer-arguments.js';
import { toSnakeCase, uniqueName } from './naming.js';
import { resolveIdentifier } from './resolve.js';
import type { KerasStateArray } from './saved-state.js';
import { type KerasObjectJSON, serializeKerasObject } from './serialization.js';
import {
  activeWeightsFromFile,
  type Constraint,
  type Initializer,
  type Regularizer,
  Variable,
} from './variable.js';

export type { Shape };

/**
 * Arguments every layer accepts: Keras's base `Layer` keyword arguments (`name`, `trainable`, `dtype`, ...),
 * in camelCase.
 */
export interface LayerArgs {
  name?: string;
  trainable?: boolean;
  /** A dtype name or a Keras DTypePolicy object; only float32 compute is supported. */
  dtype?: string | { config?: { name?: string } } | null;
  /** Shape of one sample, without the batch axis; makes the layer the first of a Sequential model. */
  inputShape?: Shape;
  batchSize?: number;
  batchInputShape?: Shape;
  /** Keras 2 spelled the batch shape `batch_input_shape`; `batchShape` is Keras 3's InputLayer spelling. */
  batchShape?: Shape;
  inputDim?: number;
  /**
   * A penalty on the layer's outputs, added as a loss while training (Keras's `activity_regularizer`): a
   * Regularizer, a name such as `'l2'`, or a Keras config.
   */
  activityRegularizer?: RegularizerIdentifier | null;
}

/** Keyword arguments of a layer's `call`: `training`, `mask`, and any a layer defines. */
export interface CallKwargs {
  training?: boolean;
  mask?: tf.Tensor | null | (tf.Tensor | null)[];
  [key: string]: unknown;
}

type MaskValue = tf.Tensor | SymbolicTensor | null;

/**
 * Keyword arguments of `apply`: those of `call`, except that on symbolic inputs any of them may hold
 * symbolic tensors (an explicit `mask`, an attention mask, an RNN's initial states). Those become inputs of
 * the recorded call, fed with their values when the model runs.
 */
export interface ApplyKwargs {
  training?: boolean;
  mask?: MaskValue | MaskValue[];
  [key: string]: unknown;
}

/**
 * An initializer as a layer argument: an Initializer, a name such as `'glorot_uniform'`, or a Keras config.
 */
export type InitializerIdentifier = Initializer | string | KerasObjectJSON;
/** A regularizer as a layer argument: a Regularizer, a name such as `'l2'`, or a Keras config. */
export type RegularizerIdentifier = Regularizer | string | KerasObjectJSON;
/** A constraint as a layer argument: a Constraint, a name such as `'max_norm'`, or a Keras config. */
export type ConstraintIdentifier = Constraint | string | KerasObjectJSON;

/** Options of `Layer.addWeight`: shape, initializer, regularizer, constraint, dtype and trainability. */
export interface AddWeightOptions {
  shape: number[];
  initializer?: InitializerIdentifier | null;
  regularizer?: RegularizerIdentifier | null;
  constraint?: ConstraintIdentifier | null;
  trainable?: boolean;
  dtype?: tf.DataType;
}

type TensorOrList = tf.Tensor | tf.Tensor[];
type SymbolicOrList = SymbolicTensor | SymbolicTensor[];

/** Keras's DTypePolicy object for float32, as Keras 3.6+ writes it per layer. */
export function dtypePolicyJSON(name = 'float32'): KerasObjectJSON {
  return { module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null };
}

function dtypeName(dtype: LayerArgs['dtype']): string {
  if (dtype == null) return 'float32';
  if (typeof dtype === 'string') return dtype;
  return dtype.config?.name ?? 'float32';
}

function toList<T>(x: T | T[]): T[] {
  return Array.isArray(x) ? x : [x];
}

/**
 * The base class of every layer (Keras's `Layer`). A subclass validates its arguments in the
 * constructor, adds weights in `build`, computes in `call`, and describes itself in `getConfig`.
 *
 * Keras: `keras.layers.Layer`
 *
 * @example
 * ```ts
 * class Scale extends Layer {
 *   private factor!: Variable;
 *   override build(inputShape: Shape) {
 *     this.factor = this.addWeight('factor', { shape: [inputShape.at(-1)!], initializer: 'ones' });
 *     super.build(inputShape);
 *   }
 *   override call(x: tf.Tensor) {
 *     return tf.mul(x, this.factor.value);
 *   }
 * }
 * register('layer', 'Scale', Scale, { package: 'my_package' });
 * ```
 */
export abstract class Layer {
  /** The registered class name; set it on subclasses so that minified code still serializes. */
  static className = 'Layer';

  name: string;
  dtype: string;
  built = false;
  supportsMasking = false;
  inputSpec: InputSpec | InputSpec[] | null = null;
  /** Calls of this layer in functional graphs. */
  readonly inboundNodes: Node[] = [];
  /** The batch input shape given through `inputShape`/`batchInputShape` (for Sequential's first layer). */
  batchInputShape: Shape | null = null;
  /** The input shape the layer was built with (Keras's build_config). */
  buildInputShape: Shape | Shape[] | null = null;
  /** The penalty on the outputs added as a loss by each training call (see `callWithActivityPenalty`). */
  activityRegularizer: Regularizer | null;

  protected _trainable: boolean;
  private readonly _trainableVariables: Variable[] = [];
  private readonly _nonTrainableVariables: Variable[] = [];
  private _callLosses: tf.Scalar[] = [];

  constructor(args: LayerArgs = {}) {
    checkLayerArguments(new.target as never, args, Layer.prototype.getConfig);
    this.name = args.name ?? uniqueName(toSnakeCase(this.getClassName()));
    this._trainable = args.trainable ?? true;
    this.dtype = dtypeName(args.dtype);
    this.activityRegularizer = resolveIdentifier<Regularizer>(
      'regularizer',
      args.activityRegularizer ?? null,
    );
    if (this.dtype !== 'float32' && this.dtype !== 'int32') {
      throw new ValueError(
        `Layer "${this.name}": only float32 compute is supported. Received: dtype=${this.dtype}`,
      );
    }
    if (args.batchInputShape ?? args.batchShape) {
      this.batchInputShape = (args.batchInputShape ?? args.batchShape)!.slice();
    } else if (args.inputShape) {
      this.batchInputShape = [args.batchSize ?? null, ...args.inputShape];
    } else if (args.inputDim != null) {
      this.batchInputShape = [args.batchSize ?? null, args.inputDim];
    }
  }

  getClassName(): string {
    const ctor = this.constructor as typeof Layer;
    return Object.hasOwn(ctor, 'className') ? ctor.className : ctor.name;
  }

  get trainable(): boolean {
    return this._trainable;
  }

  set trainable(value: boolean) {
    this._trainable = value;
    for (const v of this._trainableVariables) v.trainable = value;
    for (const l of this.subLayers) l.trainable = value;
  }

  /** Layers this layer owns (a Model's layers); their weights count as this layer's. */
  get subLayers(): Layer[] {
    return [];
  }

  // ---- weights ----------------------------------------------------------------------------------

  /** Creates a weight. Initializer, regularizer and constraint may be names resolved through the registry. */
  addWeight(name: string, options: AddWeightOptions): Variable {
    assertBackendRegistered(`Layer "${this.name}" creating its weight '${name}'`);
    const initializer = resolveIdentifier<Initializer>(
      'initializer',
      options.initializer ?? 'glorot_uniform',
    )!;
    const regularizer = resolveIdentifier<Regularizer>('regularizer', options.regularizer ?? null);
    const constraint = resolveIdentifier<Constraint>('constraint', options.constraint ?? null);
    for (const d of options.shape) {
      if (!Number.isInteger(d) || d < 0) {
        throw new ValueError(
          `Layer "${this.name}": weight '${name}' needs a fully defined shape. Received: shape=${formatShape(options.shape)}`,
        );
      }
    }
    const trainable = options.trainable ?? true;
    const fromFile = activeWeightsFromFile();
    fromFile?.check({
      path: `${this.name}/${name}`,
      shape: options.shape,
      dtype: options.dtype ?? 'float32',
    });
    const initialValue = fromFile
      ? tf.zeros(options.shape, options.dtype ?? 'float32')
      : tf.tidy(() => {
          const v = initializer.apply(options.shape, options.dtype ?? 'float32');
          return options.dtype && v.dtype !== options.dtype ? tf.cast(v, options.dtype) : v;
        });
    const variable = new Variable({
      initialValue,
      name,
      path: `${this.name}/${name}`,
      trainable: trainable && this._trainable,
      constraint,
      regularizer,
    });
    initialValue.dispose();
    fromFile?.created(variable);
    (trainable ? this._trainableVariables : this._nonTrainableVariables).push(variable);
    return variable;
  }

  /** Trainable variables then non-trainable ones, this layer's own before its sub-layers' (Keras order). */
  get weights(): Variable[] {
    return this.uniqueVariables([
      ...this._trainableVariables,
      ...this._nonTrainableVariables,
      ...this.subLayers.flatMap((l) => l.weights),
    ]);
  }

  get trainableWeights(): Variable[] {
    if (!this._trainable) return [];
    return this.uniqueVariables([
      ...this._trainableVariables,
      ...this.subLayers.flatMap((l) => l.trainableWeights),
    ]);
  }

  get nonTrainableWeights(): Variable[] {
    if (!this._trainable) return this.weights;
    return this.uniqueVariables([
      ...this._nonTrainableVariables,
      ...this.subLayers.flatMap((l) => l.nonTrainableWeights),
    ]);
  }

  /** This layer's own variables in the order Keras saves them (`vars/0`, `vars/1`, ...). */
  get ownVariables(): Variable[] {
    return [...this._trainableVariables, ...this._nonTrainableVariables];
  }

  private uniqueVariables(vars: Variable[]): Variable[] {
    return [...new Set(vars)];
  }

  /** Copies of the weight values, in `weights` order. The caller owns them. */
  getWeights(): tf.Tensor[] {
    return this.weights.map((w) => w.read());
  }

  /** Sets all weights at once; every shape is checked before anything is written. */
  setWeights(values: tf.Tensor[]): void {
    const ws = this.weights;
    if (values.length !== ws.length) {
      throw new ValueError(
        `Layer "${this.name}" expects ${ws.length} weights, but received ${values.length} weights. ` +
          `Expected: [${ws.map((w) => `${w.name} ${formatShape(w.shape)}`).join(', ')}]`,
      );
    }
    ws.forEach((w, i) => {
      if (!tf.util.arraysEqual(values[i].shape, w.shape)) {
        throw new ValueError(
          `Layer "${this.name}" weight ${i} ('${w.name}') expects shape ${formatShape(w.shape)}, ` +
            `but received shape ${formatShape(values[i].shape)}.`,
        );
      }
    });
    ws.forEach((w, i) => {
      w.assign(values[i]);
    });
  }

  /** The number of weight values; the layer must be built (Keras raises otherwise). */
  countParams(): number {
    if (!this.built)
      throw new ValueError(
        `You tried to call \`countParams\` on layer '${this.name}', but the layer isn't built. ` +
          'You can build it manually via: `layer.build(inputShape)`.',
      );
    return this.weights.reduce((n, w) => n + w.size, 0);
  }

  // ---- losses -----------------------------------------------------------------------------------

  /** Adds a loss during `call` (activity regularization); collected by the training step. */
  addLoss(loss: tf.Scalar): void {
    this._callLosses.push(loss);
  }

  /** Losses added during the last call plus weight-regularization penalties, for this layer and its sub-layers. */
  get losses(): tf.Scalar[] {
    const out: tf.Scalar[] = [...this._callLosses];
    for (const v of [...this._trainableVariables, ...this._nonTrainableVariables]) {
      if (v.regularizer) out.push(v.regularizer.apply(v.value));
    }
    for (const l of this.subLayers) out.push(...l.losses);
    return out;
  }

  /** Forgets the losses added by calls (done by the training step before each forward pass). */
  clearCallLosses(): void {
    // Losses added outside a tf.tidy (an eager call in training mode) would otherwise leak.
    tf.dispose(this._callLosses);
    this._callLosses = [];
    for (const l of this.subLayers) l.clearCallLosses();
  }

  // ---- building and calling ---------------------------------------------------------------------

  /** Creates the layer's weights for the given input shape. Subclasses call `super.build` or set `built`. */
  build(inputShape: Shape | Shape[]): void {
    this.buildInputShape = inputShape;
    this.built = true;
  }

  /** The computation, on concrete tensors. */
  abstract call(inputs: TensorOrList, kwargs: CallKwargs): TensorOrList;

  /**
   * Whether Keras's `call` takes this layer's input tensors as separate positional arguments
   * (MultiHeadAttention's `query, value, key`) rather than one argument that may be a list. Strata passes
   * them as one list either way; this decides how a model config writes the call, and that each input's
   * mask still reaches the call when other keyword arguments hold tensors.
   */
  get separatePositionalInputs(): boolean {
    return false;
  }

  /**
   * The output shape for an input shape and the call's keyword arguments (Keras's `compute_output_spec`
   * receives them too: MultiHeadAttention returns its scores when `returnAttentionScores` is set). On a
   * symbolic call, `kwargs` are those the graph node records, so tensors in them are symbolic. The default
   * traces `call` on a small concrete input, which is correct for most layers; layers whose output shape
   * depends on unknown dimensions override it.
   */
  computeOutputShape(inputShape: Shape | Shape[], kwargs: ApplyKwargs = {}): Shape | Shape[] {
    return this.traceOutputShape(inputShape, kwargs);
  }

  /**
   * Runs `call` on zeros of the input shapes (unknown dimensions as 1) to read the output shape. Symbolic
   * tensors in `kwargs` are given zeros of their shapes in the same way.
   */
  protected traceOutputShape(inputShape: Shape | Shape[], kwargs: ApplyKwargs): Shape | Shape[] {
    const shapes = (isShapeList(inputShape) ? inputShape : [inputShape]) as Shape[];
    const zerosOf = (shape: Shape, dtype: tf.DataType = 'float32') =>
      tf.zeros(
        shape.map((d) => (d == null ? 1 : d)),
        dtype,
      );
    let result: Shape | Shape[] = [];
    tf.tidy(() => {
      const inputs = shapes.map((s) => zerosOf(s));
      const traced = mapSymbolic(kwargs, (t) => zerosOf(t.shape, t.dtype)) as CallKwargs;
      const out = this.call(isShapeList(inputShape) ? inputs : inputs[0], { ...traced, training: false });
      const replaceBatch = (t: tf.Tensor): Shape => {
        const s: Shape = t.shape.slice();
        if (shapes[0][0] == null && s.length > 0) s[0] = null;
        return s;
      };
      result = Array.isArray(out) ? out.map(replaceBatch) : replaceBatch(out);
    });
    return result;
  }

  /** The output mask; by default a masking layer passes its input mask through, others drop it. */
  computeMask(
    _inputs: TensorOrList,
    mask?: tf.Tensor | null | (tf.Tensor | null)[],
  ): tf.Tensor | null | (tf.Tensor | null)[] {
    if (!this.supportsMasking) return null;
    return mask ?? null;
  }

  /** Builds on first use, checking the input spec, and records the build shape. */
  maybeBuild(inputShape: Shape | Shape[]): void {
    if (this.built) return;
    const shapes = (isShapeList(inputShape) ? inputShape : [inputShape]) as Shape[];
    assertInputCompatibility(this.inputSpec, shapes, this.name);
    this.build(inputShape);
    this.built = true;
    this.buildInputShape ??= inputShape;
  }

  /**
   * Calls the layer. On symbolic tensors it records a node in the functional graph and returns symbolic
   * outputs; on concrete tensors it computes.
   */
  apply(inputs: SymbolicTensor, kwargs?: ApplyKwargs): SymbolicTensor;
  apply(inputs: SymbolicTensor[], kwargs?: ApplyKwargs): SymbolicOrList;
  apply(inputs: tf.Tensor, kwargs?: CallKwargs): tf.Tensor;
  apply(inputs: tf.Tensor[], kwargs?: CallKwargs): TensorOrList;
  apply(inputs: SymbolicOrList | TensorOrList, kwargs?: ApplyKwargs): SymbolicOrList | TensorOrList;
  apply(inputs: SymbolicOrList | TensorOrList, kwargs: ApplyKwargs = {}): SymbolicOrList | TensorOrList {
    const list = toList(inputs as SymbolicTensor | tf.Tensor);
    if (list.length === 0) throw new ValueError(`Layer "${this.name}" was called with no inputs.`);
    const symbolic = list.map(isSymbolic);
    if (symbolic.some((s) => s) && !symbolic.every((s) => s)) {
      throw new ValueError(
        `Layer "${this.name}" was called with a mix of symbolic and concrete tensors; pass all of one kind.`,
      );
    }
    if (symbolic[0]) return this.applySymbolic(inputs as SymbolicOrList, kwargs);
    const strayKey = Object.keys(kwargs).find((k) => holdsSymbolic(kwargs[k]));
    if (strayKey !== undefined) {
      throw new ValueError(
        `Layer "${this.name}" was called on concrete tensors, but its keyword argument '${strayKey}' holds a ` +
          'symbolic tensor. Pass symbolic inputs to build a functional model, or concrete tensors to compute.',
      );
    }
    for (const t of list) {
      if (!(t instanceof tf.Tensor)) {
        throw new ValueError(
          `Layer "${this.name}" expects tensors as inputs. Received: ${Object.prototype.toString.call(t)}`,
        );
      }
    }
    return this.applyConcrete(inputs as TensorOrList, kwargs as CallKwargs);
  }

  private shapesOf(inputs: SymbolicOrList | TensorOrList): Shape | Shape[] {
    return Array.isArray(inputs) ? inputs.map((t) => t.shape.slice()) : inputs.shape.slice();
  }

  /** Runs `call` on concrete tensors after building and checking the inputs. */
  applyConcrete(inputs: TensorOrList, kwargs: CallKwargs = {}): TensorOrList {
    const shape = this.shapesOf(inputs);
    this.maybeBuild(shape);
    assertInputCompatibility(this.inputSpec, (Array.isArray(inputs) ? shape : [shape]) as Shape[], this.name);
    return this.callWithActivityPenalty(inputs, kwargs);
  }

  /**
   * Runs `call` on concrete tensors of a built layer and, while training, adds the activity regularizer's
   * penalty on each output as a loss, divided by the output's batch size as Keras 3's `__call__` does.
   * Whatever calls a layer on behalf of a user (`apply`, a functional model, a wrapper) goes through here.
   */
  callWithActivityPenalty(inputs: TensorOrList, kwargs: CallKwargs = {}): TensorOrList {
    const outputs = this.call(inputs, kwargs);
    const regularizer = this.activityRegularizer;
    if (regularizer && kwargs.training) {
      for (const output of toList(outputs)) {
        this.addLoss(
          tf.tidy(() => {
            const penalty = regularizer.apply(output);
            // Keras's divide_no_nan by the batch size; the size is known here, so no op (and no gradient
            // of divNoNan's Equal, which tfjs lacks) is needed to guard against an empty batch.
            const batch = output.rank > 0 ? output.shape[0] : 1;
            if (batch === 1) return penalty;
            return batch === 0 ? tf.zerosLike(penalty) : tf.div(penalty, batch);
          }),
        );
      }
    }
    return outputs;
  }

  /**
   * Checks the keyword arguments of a call on symbolic inputs (the shapes of symbolic tensors in them)
   * before the call joins the graph, so a mistake fails where it is made rather than when the model runs.
   */
  protected checkSymbolicCall(_inputs: SymbolicTensor[], _kwargs: ApplyKwargs): void {}

  private applySymbolic(inputs: SymbolicOrList, kwargs: ApplyKwargs): SymbolicOrList {
    const shape = this.shapesOf(inputs);
    const inList = toList(inputs);
    this.checkSymbolicCall(inList, kwargs);
    this.maybeBuild(shape);
    assertInputCompatibility(
      this.inputSpec,
      inList.map((t) => t.shape),
      this.name,
    );
    // The node keeps the keyword arguments but `training` (the model decides it when it runs) and a `mask`
    // without symbolic tensors (the model passes its inputs' masks along itself).
    const nodeKwargs = Object.fromEntries(
      Object.entries(kwargs).filter(([k, v]) => k !== 'training' && (k !== 'mask' || holdsSymbolic(v))),
    );
    const outShape = this.computeOutputShape(shape, nodeKwargs);
    const outShapes = (isShapeList(outShape) ? outShape : [outShape]) as Shape[];
    const outputs = outShapes.map((s, i) => {
      const t = new SymbolicTensor(s, this.outputDtype(inList), `${this.name}_output_${i}`);
      t.sourceLayer = this;
      t.nodeIndex = this.inboundNodes.length;
      t.tensorIndex = i;
      return t;
    });
    this.inboundNodes.push(new Node(this, inList, outputs, Array.isArray(inputs), nodeKwargs));
    return isShapeList(outShape) ? outputs : outputs[0];
  }

  protected outputDtype(_inputs: SymbolicTensor[]): tf.DataType {
    return 'float32';
  }

  // ---- serialization ----------------------------------------------------------------------------

  /** The constructor arguments that rebuild this layer, camelCase (Keras's `get_config`). */
  getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      name: this.name,
      trainable: this.trainable,
      dtype: dtypePolicyJSON(this.dtype),
    };
    // Keras writes the key only for a layer that has an activity regularizer.
    if (this.activityRegularizer) {
      config.activityRegularizer = serializeKerasObject('regularizer', this.activityRegularizer);
    }
    return config;
  }

  /** Keras's build_config: the shape the layer was built with. */
  getBuildConfig(): Record<string, unknown> | null {
    return this.buildInputShape ? { input_shape: this.buildInputShape } : null;
  }

  /** Keras's build_from_config: builds the layer for the shape recorded in a file. */
  buildFromConfig(config: Record<string, unknown>): void {
    const shape = config.input_shape as Shape | Shape[] | undefined;
    if (shape && !this.built) this.maybeBuild(shape);
  }

  // ---- saving hooks (optional; @strata/io calls them where a layer has them) --------------------

  /**
   * Where Keras 3's weights file keeps this layer's sub-layers, by attribute name in snake_case (a list
   * becomes a numbered container). Needed by every layer that holds sub-layers, except a model's `layers`
   * and a recurrent layer's `cell`, which are found without it. Keras walks the object's attributes instead.
   */
  kerasSaveChildren?(): Record<string, Layer | Layer[]>;

  /** Arrays Keras saves in this layer's `vars` group next to its variables (Keras's `save_own_variables`). */
  kerasSaveState?(): Record<string, KerasStateArray>;

  /** Takes back what `kerasSaveState` gave, read from a weights file (Keras's `load_own_variables`). */
  kerasLoadState?(state: Record<string, KerasStateArray>): void;

  /** Files Keras saves under `assets/<this layer's path>/` in a `.keras` archive (Keras's `save_assets`). */
  kerasSaveAssets?(): Record<string, Uint8Array>;

  /**
   * Takes back the files `kerasSaveAssets` gave, read from an archive (Keras's `load_assets`); `where` is
   * their folder in the archive, for messages.
   */
  kerasLoadAssets?(files: Record<string, Uint8Array>, where?: string): void;

  /** The assets as config entries (snake_case), for formats that have no assets (legacy .h5, TF.js). */
  kerasInlineAssets?(): Record<string, unknown>;

  static fromConfig<T extends Layer>(this: new (args: any) => T, config: Record<string, any>): T {
    // A file may carry config keys of a newer Keras that Strata does not take; loading tolerates them.
    return withoutArgumentCheck(() => new this(config));
  }

  /** Frees this layer's variables and those of the sub-layers it tracks (`subLayers`). */
  dispose(): void {
    for (const v of this.ownVariables) v.dispose();
    for (const l of new Set(this.subLayers)) l.dispose();
  }
}

/** True for a list of shapes (as opposed to one shape). */
export function isShapeList(shape: unknown): shape is Shape[] {
  return Array.isArray(shape) && shape.length > 0 && (Array.isArray(shape[0]) || shape[0] === undefined);
}

// Symbolic tensors and graph nodes refer to layers as this class; symbolic-tensor.ts names no layer module,
// so there is no import cycle.
declare module './engine/symbolic-tensor.js' {
  interface GraphLayerTypes {
    layer: Layer;
  }
}
