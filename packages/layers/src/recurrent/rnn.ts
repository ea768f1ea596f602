import {
  type ApplyKwargs,
  BASE_LAYER_ARGUMENTS,
  type CallKwargs,
  deserializeKerasObject,
  formatShape,
  isKerasObjectJSON,
  type KerasObjectJSON,
  Layer,
  type LayerArgs,
  register,
  type Shape,
  type SymbolicTensor,
  serializeKerasObject,
  ValueError,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
import { serializeRegularizer } from '../regularizers/index.js';
import { isSequenceCell, type SequenceCell } from './base-rnn-cell.js';
import { outputSizeOf, StackedRNNCells, stateSizeOf } from './stacked-rnn-cells.js';

/** The arguments of every recurrent layer (Keras's `RNN` base), besides the cell. */
export interface BaseRNNArgs extends LayerArgs {
  /** Return the full output sequence `[batch, time, units]` instead of the last output. Default false. */
  returnSequences?: boolean;
  /** Also return the final states, as `[output, ...states]`. Default false. */
  returnState?: boolean;
  /** Process the sequence backwards (and return the reversed sequence). Default false. */
  goBackwards?: boolean;
  /** Carry the last states of each batch over as the initial states of the next. Default false. */
  stateful?: boolean;
  /** Accepted for Keras compatibility; the loop is the same either way. Default false. */
  unroll?: boolean;
  /** Output zeros (rather than the previous output) at masked timesteps. Default false. */
  zeroOutputForMask?: boolean;
}

export interface RNNArgs extends BaseRNNArgs {
  /** A cell (a layer with `stateSize` whose call maps `[x, ...states]` to `[output, ...states]`), or a list to stack. */
  cell: Layer | Layer[] | KerasObjectJSON | KerasObjectJSON[];
}

/** Keyword arguments of an RNN layer's call: `initialState`, `mask` and `training`. */
export interface RNNCallKwargs extends CallKwargs {
  /**
   * Initial states, one `[batch, stateSize]` tensor per state (a single tensor for a one-state cell);
   * default zeros, or the carried states when stateful. Applied to symbolic inputs they may be symbolic
   * tensors, e.g. an encoder's returned states, which then feed the call like its inputs.
   */
  initialState?: tf.Tensor | tf.Tensor[];
}

/** The RNN layer's own arguments; with the base layer arguments, what stays with the layer. */
const BASE_RNN_KEYS: readonly string[] = [
  'returnSequences',
  'returnState',
  'goBackwards',
  'stateful',
  'unroll',
  'zeroOutputForMask',
];

/**
 * Splits the flat arguments of LSTM, GRU and SimpleRNN into the layer's and the cell's (Keras builds the
 * cell from all the rest). `inputDim` stays with the layer, as Keras 2's way of giving the input shape.
 */
export function splitRNNArgs<A extends BaseRNNArgs>(
  args: A,
): { layerArgs: BaseRNNArgs; cellArgs: Omit<A, keyof BaseRNNArgs> } {
  const layerArgs: Record<string, unknown> = {};
  const cellArgs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args ?? {})) {
    if (BASE_RNN_KEYS.includes(k) || BASE_LAYER_ARGUMENTS.includes(k)) {
      layerArgs[k] = v;
    } else if (k !== 'useCudnn' && k !== 'implementation') {
      cellArgs[k] = v;
    }
  }
  cellArgs.dtype = args?.dtype;
  cellArgs.trainable = args?.trainable;
  return { layerArgs: layerArgs as BaseRNNArgs, cellArgs: cellArgs as Omit<A, keyof BaseRNNArgs> };
}

function resolveCell(cell: RNNArgs['cell']): Layer {
  if (Array.isArray(cell)) return new StackedRNNCells({ cells: cell });
  const resolved = isKerasObjectJSON(cell) ? deserializeKerasObject<Layer>('layer', cell) : cell;
  if (!(resolved instanceof Layer)) {
    throw new ValueError(
      `Argument \`cell\` should be a Layer instance with a \`stateSize\` attribute. Received: cell=${String(cell)}`,
    );
  }
  stateSizeOf(resolved);
  return resolved;
}

/**
 * Base class for recurrent layers (Keras's `RNN`): runs a cell over the time axis of a
 * `[batch, time, features]` input. The input projections of all timesteps are computed in one matmul
 * before the loop, so each step does only the recurrent matmul and the gate math.
 *
 * Masking: with a `[batch, time]` mask (from `Embedding({maskZero: true})` or `Masking`), masked
 * timesteps keep the previous states and repeat the previous output (zeros with `zeroOutputForMask`).
 * As in Keras, a functional model passes the sequence's mask to the call only when no other argument
 * holds tensors: with `initialState` tensors the call does not see it (the output still carries it), unless
 * a `mask` tensor, e.g. a model input, is given explicitly.
 *
 * Keras: `keras.layers.RNN`
 *
 * @example
 * ```ts
 * const layer = new RNN({ cell: new LSTMCell({ units: 8 }), returnSequences: true });
 * layer.apply(tf.ones([2, 5, 3])); // shape [2, 5, 8]
 * // Encoder-decoder: the decoder starts from the encoder's final states.
 * const encoderInputs = input({ shape: [10, 3] });
 * const decoderInputs = input({ shape: [7, 3] });
 * // With returnState, apply returns [output, ...states]; its type says one tensor, hence the cast.
 * const [, h, c] = new LSTM({ units: 8, returnState: true }).apply(encoderInputs) as unknown as SymbolicTensor[];
 * const decoded = new LSTM({ units: 8, returnSequences: true }).apply(decoderInputs, { initialState: [h!, c!] });
 * ```
 */
export class RNN extends Layer {
  static override className = 'RNN';
  readonly cell: Layer;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  readonly unroll: boolean;
  zeroOutputForMask: boolean;
  /** The carried states of a stateful layer (not weights: Keras does not save them either). */
  private carriedStates: tf.Variable[] | null = null;

  constructor(args: RNNArgs) {
    if (args == null || args.cell == null) {
      throw new ValueError('Argument `cell` is required for RNN. Received: cell=undefined');
    }
    const cell = resolveCell(args.cell);
    super(args);
    this.cell = cell;
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.stateful = args.stateful ?? false;
    this.unroll = args.unroll ?? false;
    this.zeroOutputForMask = args.zeroOutputForMask ?? false;
    this.supportsMasking = true;
    this.inputSpec = { ndim: 3 };
  }

  override get subLayers(): Layer[] {
    return [this.cell];
  }

  get stateSize(): number[] {
    return stateSizeOf(this.cell);
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    if (shape.length !== 3) {
      throw new ValueError(
        `Input 0 of layer "${this.name}" is incompatible with the layer: expected ndim=3, found ndim=${shape.length}. ` +
          `Full shape received: ${formatShape(shape)}`,
      );
    }
    if (this.stateful && shape[0] == null) {
      throw new ValueError(
        `Layer "${this.name}": when using \`stateful=True\` in a RNN, the batch size must be static. ` +
          `Found dynamic batch size: sequence.shape=${formatShape(shape)}`,
      );
    }
    this.cell.maybeBuild([shape[0], shape[2]]);
    this.inputSpec = { ndim: 3, axes: shape[2] == null ? {} : { [-1]: shape[2] } };
    super.build(inputShape);
  }

  /** Zeroes the carried states of a stateful layer (Keras's `reset_state`). */
  resetStates(): void {
    if (!this.stateful)
      throw new ValueError(`Layer "${this.name}" is not stateful; it has no states to reset.`);
    for (const v of this.carriedStates ?? []) v.assign(tf.zerosLike(v));
  }

  resetState(): void {
    this.resetStates();
  }

  /** The carried states of a stateful layer (null until its first call). */
  get states(): tf.Variable[] | null {
    return this.carriedStates;
  }

  /** Initial states must be one `[batch, size]` tensor per state; unknown dimensions fit anything. */
  private checkInitialStates(batch: number | null, shapes: Shape[]): void {
    const sizes = this.stateSize;
    if (shapes.length !== sizes.length) {
      throw new ValueError(
        `Layer "${this.name}" expects ${sizes.length} initial state(s), but received ${shapes.length}.`,
      );
    }
    shapes.forEach((s, i) => {
      const fits = (d: number | null, want: number | null) => d == null || want == null || d === want;
      if (s.length !== 2 || !fits(s[0], batch) || !fits(s[1], sizes[i])) {
        throw new ValueError(
          `Layer "${this.name}": initial state ${i} should have shape ${formatShape([batch, sizes[i]])}. ` +
            `Received: shape=${formatShape(s)}`,
        );
      }
    });
  }

  protected override checkSymbolicCall(inputs: SymbolicTensor[], kwargs: ApplyKwargs): void {
    const given = kwargs.initialState as SymbolicTensor | SymbolicTensor[] | null | undefined;
    if (given == null || inputs[0].rank !== 3) return;
    this.checkInitialStates(
      inputs[0].shape[0],
      (Array.isArray(given) ? given : [given]).map((s) => s.shape),
    );
  }

  private initialStates(batch: number, given: tf.Tensor[] | undefined): tf.Tensor[] {
    const sizes = this.stateSize;
    if (given != null) {
      this.checkInitialStates(
        batch,
        given.map((s) => s.shape),
      );
      return given;
    }
    if (this.stateful) {
      if (this.carriedStates == null) {
        this.carriedStates = sizes.map((s) => tf.variable(tf.zeros([batch, s]), false));
      } else if (this.carriedStates[0].shape[0] !== batch) {
        throw new ValueError(
          `Layer "${this.name}" is stateful with batch size ${this.carriedStates[0].shape[0]}, ` +
            `but received a batch of ${batch}. Every batch of a stateful RNN must have the same size.`,
        );
      }
      return this.carriedStates;
    }
    return sizes.map((s) => tf.zeros([batch, s]));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: RNNCallKwargs = {}): tf.Tensor | tf.Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const x = list[0];
    if (x.rank !== 3) {
      throw new ValueError(
        `Input 0 of layer "${this.name}" is incompatible with the layer: expected ndim=3, found ndim=${x.rank}. ` +
          `Full shape received: ${formatShape(x.shape)}`,
      );
    }
    const rawMask = Array.isArray(kwargs.mask) ? kwargs.mask[0] : kwargs.mask;
    const [batch, time] = x.shape;
    if (rawMask != null && (rawMask.rank !== 2 || rawMask.shape[0] !== batch || rawMask.shape[1] !== time)) {
      throw new ValueError(
        `Layer "${this.name}": the mask should have shape ${formatShape([batch, time])}. ` +
          `Received: mask.shape=${formatShape(rawMask.shape)}`,
      );
    }
    const state = kwargs.initialState;
    const given =
      state == null ? (list.length > 1 ? list.slice(1) : undefined) : Array.isArray(state) ? state : [state];
    const training = kwargs.training ?? false;
    const result = tf.tidy(() => {
      const initial = this.initialStates(batch, given);
      return this.runLoop(x, rawMask ?? null, initial, training);
    });
    const [output, ...states] = result;
    if (this.stateful) {
      this.carriedStates!.forEach((v, i) => {
        v.assign(states[i]);
      });
    }
    if (this.returnState) return [output, ...states];
    // The last output is often the same tensor as the first state.
    tf.dispose(states.filter((s) => s !== output));
    return output;
  }

  /** The time loop; returns `[output, ...finalStates]`. Runs inside the caller's tidy. */
  private runLoop(
    x: tf.Tensor,
    mask: tf.Tensor | null,
    initial: tf.Tensor[],
    training: boolean,
  ): tf.Tensor[] {
    const [batch, time, inputDim] = x.shape;
    const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
    const batched =
      isSequenceCell(this.cell) && (!(this.cell instanceof StackedRNNCells) || this.cell.batched);
    // Built-in cells run feature-major ([features, batch], see SequenceCell); other cells get Keras's
    // [batch, features]. Either way time leads, so each timestep is one contiguous block.
    let sequence = tf.transpose(xf, [1, 0, 2]) as tf.Tensor3D;
    if (this.goBackwards) sequence = tf.reverse(sequence, 0);
    let stepMasks: tf.Tensor[] | null = null;
    if (mask != null) {
      let m = tf.expandDims(tf.transpose(tf.cast(mask, 'bool')), batched ? 1 : -1);
      if (this.goBackwards) m = tf.reverse(m, 0);
      stepMasks = tf.unstack(m);
    }
    const outputSize = outputSizeOf(this.cell);
    const zeros = mask != null ? tf.zeros(batched ? [outputSize, batch] : [batch, outputSize]) : null;
    const cell = this.cell as SequenceCell;
    let states = batched ? initial.map((s) => tf.transpose(s)) : initial;
    let previous = zeros;
    const outputs: tf.Tensor[] = [];
    if (batched) cell.beginSequence(batch, inputDim, training);
    try {
      let steps: tf.Tensor[];
      if (batched) {
        // Rows of a rank-2 view: contiguous copies (unstacking rank 3 is far slower on some backends).
        // On WASM this needs @strata/backends' SplitV, which copies each piece alone (tfjs's reads the
        // whole tensor per piece).
        const projected = cell.projectSequence(sequence);
        const [, width] = projected.shape;
        steps = tf
          .split(tf.reshape(projected, [time, -1]), time, 0)
          .map((s) => tf.reshape(s, [width, batch]));
      } else {
        steps = tf.unstack(sequence);
      }
      for (let t = 0; t < time; t++) {
        const stepOut = tf.tidy(() => {
          let output: tf.Tensor;
          let next: tf.Tensor[];
          if (batched) {
            const out = cell.step(steps[t] as tf.Tensor2D, states as tf.Tensor2D[]);
            output = out.output;
            next = out.states;
          } else {
            [output, ...next] = this.cell.call([steps[t], ...states], { training }) as tf.Tensor[];
          }
          if (stepMasks != null) {
            const keep = stepMasks[t];
            next = next.map((s, i) => tf.where(keep, s, states[i]));
            output = tf.where(keep, output, this.zeroOutputForMask ? zeros! : previous!);
          }
          return [output, ...next];
        });
        const [output, ...next] = stepOut;
        outputs.push(output);
        previous = output;
        states = next;
      }
    } finally {
      if (batched) cell.endSequence();
    }
    if (!batched) {
      const output = this.returnSequences ? tf.stack(outputs, 1) : outputs[outputs.length - 1];
      return [output, ...states];
    }
    const output = this.returnSequences
      ? tf.transpose(tf.stack(outputs), [2, 0, 1])
      : tf.transpose(outputs[outputs.length - 1]);
    return [output, ...states.map((s) => tf.transpose(s))];
  }

  override computeMask(
    _inputs: tf.Tensor | tf.Tensor[],
    mask?: tf.Tensor | null | (tf.Tensor | null)[],
  ): tf.Tensor | null | (tf.Tensor | null)[] {
    const m = (Array.isArray(mask) ? mask[0] : mask) ?? null;
    const outputMask = this.returnSequences ? m : null;
    if (this.returnState) return [outputMask, ...this.stateSize.map(() => null)];
    return outputMask;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const units = outputSizeOf(this.cell);
    const output: Shape = this.returnSequences ? [shape[0], shape[1], units] : [shape[0], units];
    if (!this.returnState) return output;
    return [output, ...this.stateSize.map((s) => [shape[0], s])];
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(),
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
      unroll: this.unroll,
      zeroOutputForMask: this.zeroOutputForMask,
      cell: serializeKerasObject('layer', this.cell),
    };
    return config;
  }

  /**
   * The config of LSTM, GRU and SimpleRNN: the RNN's own keys and the cell's arguments, flat, without the
   * `cell` entry (as Keras writes them).
   */
  protected flatConfig(): Record<string, unknown> {
    const { cell: _cell, ...base } = this.getRNNConfig();
    const { name: _n, trainable: _t, dtype: _d, ...cellConfig } = this.cell.getConfig();
    return { ...base, ...cellConfig, activityRegularizer: serializeRegularizer(this.activityRegularizer) };
  }

  private getRNNConfig(): Record<string, unknown> {
    return RNN.prototype.getConfig.call(this);
  }

  override dispose(): void {
    tf.dispose(this.carriedStates ?? []);
    this.carriedStates = null;
    super.dispose();
  }
}

register('layer', 'RNN', RNN);
