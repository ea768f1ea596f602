import type * as tf from '@tensorflow/tfjs-core';

import { formatShape } from '../errors.js';
import type { Layer } from '../layer.js';

/** A shape whose batch (and sometimes other) dimensions may be unknown. */
export type Shape = (number | null)[];

let nextId = 0;

/**
 * A placeholder for a tensor in a functional graph (Keras's `KerasTensor`): it has a shape and a dtype
 * but no values, and remembers which layer call produced it (`keras_history`).
 */
export class SymbolicTensor {
  readonly id = nextId++;
  readonly shape: Shape;
  readonly dtype: tf.DataType;
  readonly name: string;
  /** The layer call that produced this tensor: [layer, node index, tensor index]. */
  sourceLayer!: Layer;
  nodeIndex = 0;
  tensorIndex = 0;

  constructor(shape: Shape, dtype: tf.DataType = 'float32', name = 'keras_tensor') {
    this.shape = shape.slice();
    this.dtype = dtype;
    this.name = name;
  }

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `<SymbolicTensor shape=${formatShape(this.shape)}, dtype=${this.dtype}, name=${this.name}>`;
  }
}

export function isSymbolic(x: unknown): x is SymbolicTensor {
  return x instanceof SymbolicTensor;
}

/** One call of a layer in a functional graph (Keras's `Node`). */
export class Node {
  constructor(
    readonly layer: Layer,
    readonly inputTensors: SymbolicTensor[],
    readonly outputTensors: SymbolicTensor[],
    /** Whether the layer was called with a list (true) or a single tensor (false). */
    readonly inputsWereList: boolean,
    readonly kwargs: Record<string, unknown> = {},
  ) {}

  /** Layers whose outputs feed this node, one entry per input tensor. */
  get parentNodes(): Node[] {
    return this.inputTensors.map((t) => t.sourceLayer.inboundNodes[t.nodeIndex]);
  }
}
