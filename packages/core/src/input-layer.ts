import type * as tf from '@tensorflow/tfjs-core';

import type { Shape } from './engine/symbolic-tensor.js';
import { Node, SymbolicTensor } from './engine/symbolic-tensor.js';
import { formatShape, ValueError } from './errors.js';
import { type CallKwargs, Layer, type LayerArgs } from './layer.js';
import { uniqueName } from './naming.js';
import { register } from './registry.js';

/** Constructor arguments of `InputLayer`: Keras's `InputLayer` arguments, in camelCase. */
export interface InputLayerArgs extends LayerArgs {
  shape?: Shape;
  sparse?: boolean;
  ragged?: boolean;
  optional?: boolean;
}

/**
 * The entry point of a functional graph (Keras's `InputLayer`); `input()` creates one.
 *
 * Keras: `keras.layers.InputLayer`
 *
 * @example
 * ```ts
 * const model = new Sequential([new InputLayer({ shape: [784] }), new Dense({ units: 10 })]);
 * ```
 */
export class InputLayer extends Layer {
  static override className = 'InputLayer';
  /** `shape` is written to the config as `batchShape`. */
  static extraArguments = ['shape'];

  readonly batchShape: Shape;
  readonly output: SymbolicTensor;
  private readonly inputDtype: tf.DataType;

  constructor(args: InputLayerArgs = {}) {
    // `dtype` is the input's dtype (string inputs included), not a compute dtype: Layer does not see it.
    super({ ...args, dtype: undefined, name: args.name ?? uniqueName('input_layer') });
    const batchShape =
      args.batchShape ??
      args.batchInputShape ??
      (args.shape ? [args.batchSize ?? null, ...args.shape] : null);
    if (!batchShape) {
      throw new ValueError(
        'An InputLayer needs a shape: pass `shape` (without the batch axis) or `batchShape`.',
      );
    }
    for (const d of batchShape) {
      if (d !== null && (!Number.isInteger(d) || d < 0)) {
        throw new ValueError(
          `Input shape dimensions must be non-negative integers or null. Received: shape=${formatShape(batchShape)}`,
        );
      }
    }
    if (args.sparse || args.ragged) throw new ValueError('Sparse and ragged inputs are not supported.');
    this.batchShape = batchShape.slice();
    this.batchInputShape = this.batchShape;
    const dtype =
      args.dtype == null
        ? 'float32'
        : typeof args.dtype === 'string'
          ? args.dtype
          : (args.dtype.config?.name ?? 'float32');
    this.inputDtype = (dtype === 'int64' ? 'int32' : dtype) as tf.DataType;
    this.dtype = 'float32';
    this.built = true;
    this.output = new SymbolicTensor(this.batchShape, this.inputDtype, this.name);
    this.output.sourceLayer = this;
    this.output.nodeIndex = 0;
    this.output.tensorIndex = 0;
    // The input node has no inbound tensors.
    this.inboundNodes.push(new Node(this, [], [this.output], false));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs): tf.Tensor | tf.Tensor[] {
    return inputs;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override getConfig(): Record<string, unknown> {
    return {
      batchShape: this.batchShape,
      dtype: this.inputDtype,
      sparse: false,
      ragged: false,
      name: this.name,
    };
  }

  override getBuildConfig(): null {
    return null;
  }
}

/** Arguments of `input`: Keras's `keras.Input` arguments, in camelCase. */
export interface InputArgs {
  /** Shape of one sample, without the batch axis. */
  shape?: Shape;
  batchSize?: number;
  batchShape?: Shape;
  name?: string;
  dtype?: string;
}

/** Creates a symbolic input for the functional API (Keras's `keras.Input`). */
export function input(args: InputArgs): SymbolicTensor {
  return new InputLayer(args).output;
}

register('layer', 'InputLayer', InputLayer, { module: '@strata/core' });
