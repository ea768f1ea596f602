import {
  type CallKwargs,
  deserializeKerasObject,
  isKerasObjectJSON,
  type KerasObjectJSON,
  Layer,
  type LayerArgs,
  register,
  type Shape,
  serializeKerasObject,
  ValueError,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import type { RNN } from './rnn.js';

/** How `Bidirectional` combines the forward and backward outputs: Keras's `merge_mode` argument. */
export type BidirectionalMergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;

/** Constructor arguments of `Bidirectional`: Keras's arguments of the same names, in camelCase. */
export interface BidirectionalArgs extends LayerArgs {
  /** The recurrent layer to run forwards; a copy with `goBackwards` flipped runs backwards. */
  layer: RNN | KerasObjectJSON;
  /** How the two outputs combine: 'concat' (default), 'sum', 'mul', 'ave', or null for a list of both. */
  mergeMode?: BidirectionalMergeMode;
  /** A layer to use for the backward direction instead of a copy of `layer`. */
  backwardLayer?: RNN | KerasObjectJSON | null;
}

const MERGE_MODES = ['concat', 'sum', 'mul', 'ave', null];

function toLayer(value: RNN | KerasObjectJSON): RNN {
  return (isKerasObjectJSON(value) ? deserializeKerasObject<Layer>('layer', value) : value) as RNN;
}

function stripPrefix(name: string, prefix: string): string {
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/** A fresh layer of the same class from a config (Keras rebuilds the wrapped layer so no state carries over). */
function recreate(layer: RNN, overrides: Record<string, unknown>): RNN {
  const json = serializeKerasObject('layer', layer);
  const rebuilt = deserializeKerasObject<RNN>('layer', {
    ...json,
    build_config: undefined,
    config: { ...json.config, ...overrides },
  });
  return rebuilt;
}

/**
 * Bidirectional wrapper for RNNs: runs the layer forwards and a copy backwards over the sequence and
 * merges the two outputs (`forward_layer` and `backward_layer` hold the weights, as in Keras 3). With
 * `returnSequences` the backward output is flipped back into forward time order before merging.
 *
 * Keras: `keras.layers.Bidirectional`
 *
 * @example
 * ```ts
 * const bi = new Bidirectional({ layer: new LSTM({ units: 8, returnSequences: true }) });
 * bi.apply(tf.ones([2, 5, 3])); // shape [2, 5, 16]
 * ```
 */
export class Bidirectional extends Layer {
  static override className = 'Bidirectional';
  readonly forwardLayer: RNN;
  readonly backwardLayer: RNN;
  readonly mergeMode: BidirectionalMergeMode;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly stateful: boolean;

  constructor(args: BidirectionalArgs) {
    if (args?.layer == null || !(isKerasObjectJSON(args.layer) || args.layer instanceof Layer)) {
      throw new ValueError(
        `Please initialize \`Bidirectional\` layer with a \`Layer\` instance. Received: layer=${String(args?.layer)}`,
      );
    }
    const mergeMode = args.mergeMode === undefined ? 'concat' : args.mergeMode;
    if (!MERGE_MODES.includes(mergeMode)) {
      throw new ValueError(
        `Invalid merge mode. Received: ${mergeMode}. Merge mode should be one of {"sum", "mul", "ave", "concat", null}`,
      );
    }
    super(args);
    const layer = toLayer(args.layer);
    if (typeof (layer as Partial<RNN>).goBackwards !== 'boolean') {
      throw new ValueError(
        `Bidirectional needs a recurrent layer (with \`go_backwards\`). Received: layer=${layer.getClassName()}`,
      );
    }
    this.forwardLayer = recreate(layer, { name: `forward_${stripPrefix(layer.name, 'forward_')}` });
    if (args.backwardLayer != null) {
      this.backwardLayer = toLayer(args.backwardLayer);
    } else {
      this.backwardLayer = recreate(layer, {
        name: `backward_${stripPrefix(layer.name, 'backward_')}`,
        go_backwards: !layer.goBackwards,
      });
    }
    // A template rebuilt here from JSON is only copied from: free its weights (a user's own layer stays theirs).
    if (isKerasObjectJSON(args.layer)) layer.dispose();
    this.verifyLayers();
    // Keras outputs zeros at masked steps of both directions when returning sequences.
    this.forwardLayer.zeroOutputForMask = this.forwardLayer.returnSequences;
    this.backwardLayer.zeroOutputForMask = this.backwardLayer.returnSequences;
    this.mergeMode = mergeMode as BidirectionalMergeMode;
    this.returnSequences = layer.returnSequences;
    this.returnState = layer.returnState;
    this.stateful = layer.stateful;
    this.supportsMasking = true;
    this.inputSpec = { ndim: 3 };
  }

  private verifyLayers(): void {
    const f = this.forwardLayer;
    const b = this.backwardLayer;
    if (f.goBackwards === b.goBackwards) {
      throw new ValueError(
        'Forward layer and backward layer should have different `go_backwards` value. Received: ' +
          `forward_layer.go_backwards ${f.goBackwards}, backward_layer.go_backwards=${b.goBackwards}`,
      );
    }
    for (const attr of ['stateful', 'returnSequences', 'returnState'] as const) {
      if (f[attr] !== b[attr]) {
        throw new ValueError(
          `Forward layer and backward layer are expected to have the same value for attribute "${attr}", ` +
            `got "${f[attr]}" for forward layer and "${b[attr]}" for backward layer`,
        );
      }
    }
  }

  override get subLayers(): Layer[] {
    return [this.forwardLayer, this.backwardLayer];
  }

  override kerasSaveChildren(): Record<string, Layer> {
    return { forward_layer: this.forwardLayer, backward_layer: this.backwardLayer };
  }

  override build(inputShape: Shape | Shape[]): void {
    this.forwardLayer.maybeBuild(inputShape);
    this.backwardLayer.maybeBuild(inputShape);
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs = {}): tf.Tensor | tf.Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const x = list[0];
    let forwardState: tf.Tensor[] | undefined;
    let backwardState: tf.Tensor[] | undefined;
    const initial =
      (kwargs.initialState as tf.Tensor[] | undefined) ?? (list.length > 1 ? list.slice(1) : undefined);
    if (initial) {
      const half = Math.floor(initial.length / 2);
      forwardState = initial.slice(0, half);
      backwardState = initial.slice(half);
    }
    const inner = { training: kwargs.training, mask: kwargs.mask };
    // The two directions run outside the tidy so that the activity penalties they add survive it.
    const forwardOut = this.forwardLayer.callWithActivityPenalty(x, { ...inner, initialState: forwardState });
    const backwardOut = this.backwardLayer.callWithActivityPenalty(x, {
      ...inner,
      initialState: backwardState,
    });
    const result = tf.tidy(() => {
      let y = forwardOut;
      let yRev = backwardOut;
      let states: tf.Tensor[] = [];
      if (this.returnState) {
        const f = y as tf.Tensor[];
        const b = yRev as tf.Tensor[];
        states = [...f.slice(1), ...b.slice(1)];
        y = f[0];
        yRev = b[0];
      }
      let backward = yRev as tf.Tensor;
      if (this.returnSequences) backward = tf.reverse(backward, 1);
      const forward = y as tf.Tensor;
      let output: tf.Tensor | tf.Tensor[];
      switch (this.mergeMode) {
        case 'concat':
          output = tf.concat([forward, backward], -1);
          break;
        case 'sum':
          output = tf.add(forward, backward);
          break;
        case 'ave':
          output = tf.div(tf.add(forward, backward), 2);
          break;
        case 'mul':
          output = tf.mul(forward, backward);
          break;
        default:
          output = [forward, backward];
      }
      if (!this.returnState) return output;
      return [...(Array.isArray(output) ? output : [output]), ...states];
    });
    const returned = new Set([result].flat());
    tf.dispose([forwardOut, backwardOut].flat().filter((t) => !returned.has(t)));
    return result;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    let output = this.forwardLayer.computeOutputShape(inputShape);
    let stateShapes: Shape[] = [];
    if (this.returnState) {
      stateShapes = (output as Shape[]).slice(1);
      output = (output as Shape[])[0];
    }
    let merged: Shape | Shape[] = output as Shape;
    if (this.mergeMode === 'concat') {
      const s = (output as Shape).slice();
      s[s.length - 1] = s[s.length - 1] == null ? null : (s[s.length - 1] as number) * 2;
      merged = s;
    } else if (this.mergeMode === null) {
      merged = [output as Shape, output as Shape];
    }
    if (!this.returnState) return merged;
    const head = this.mergeMode === null ? (merged as Shape[]) : [merged as Shape];
    return [...head, ...stateShapes, ...stateShapes];
  }

  override computeMask(
    _inputs: tf.Tensor | tf.Tensor[],
    mask?: tf.Tensor | null | (tf.Tensor | null)[],
  ): tf.Tensor | null | (tf.Tensor | null)[] {
    const m = (Array.isArray(mask) ? mask[0] : mask) ?? null;
    let outputMask: (tf.Tensor | null) | (tf.Tensor | null)[];
    if (this.returnSequences) outputMask = this.mergeMode === null ? [m, m] : m;
    else outputMask = this.mergeMode === null ? [null, null] : null;
    if (!this.returnState) return outputMask;
    const stateMasks = this.forwardLayer.stateSize.map(() => null);
    return [...(Array.isArray(outputMask) ? outputMask : [outputMask]), ...stateMasks, ...stateMasks];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      mergeMode: this.mergeMode,
      layer: serializeKerasObject('layer', this.forwardLayer),
      backwardLayer: serializeKerasObject('layer', this.backwardLayer),
    };
  }
}

register('layer', 'Bidirectional', Bidirectional);
