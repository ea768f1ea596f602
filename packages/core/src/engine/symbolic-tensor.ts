import * as tf from '@tensorflow/tfjs-core';

import { formatShape } from '../errors.js';
import { camelToSnake } from '../naming.js';
import type { Shape } from './shape.js';

export type { Shape } from './shape.js';

/**
 * The layer type graph nodes refer to. layer.ts fills it in by declaration merging
 * (`interface GraphLayerTypes { layer: Layer }`), so this module imports no layer (no import cycle).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by declaration merging from layer.ts
export interface GraphLayerTypes {}

/** A layer as symbolic tensors and nodes see it (`Layer` from @strata/core). */
type Layer = GraphLayerTypes extends { layer: infer L } ? L : never;

let nextId = 0;

/**
 * A placeholder for a tensor in a functional graph (Keras's `KerasTensor`): it has a shape and a dtype
 * but no values, and remembers which layer call produced it (`keras_history`).
 *
 * Keras: `keras.KerasTensor`
 *
 * @example
 * ```ts
 * const x = input({ shape: [28, 28, 1] });
 * x.shape; // [null, 28, 28, 1]
 * const y = new Flatten().apply(x);
 * y.shape; // [null, 784]
 * ```
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

/**
 * Whether a value is a SymbolicTensor (a placeholder of the functional API) rather than a concrete tensor.
 */
export function isSymbolic(x: unknown): x is SymbolicTensor {
  return x instanceof SymbolicTensor;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * Copies a call argument (arrays and plain objects, nested) with every symbolic tensor in it replaced by
 * `fn(tensor)`; other values are kept as they are.
 */
export function mapSymbolic(value: unknown, fn: (t: SymbolicTensor) => unknown): unknown {
  if (value instanceof SymbolicTensor) return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapSymbolic(v, fn));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapSymbolic(v, fn)]));
  }
  return value;
}

/** Whether a call argument (arrays and plain objects, nested) is, or holds, a value that passes `test`. */
function holds(value: unknown, test: (x: unknown) => boolean): boolean {
  if (test(value)) return true;
  if (Array.isArray(value)) return value.some((v) => holds(v, test));
  if (isPlainObject(value)) return Object.values(value).some((v) => holds(v, test));
  return false;
}

/** Whether a call argument is, or holds, a symbolic tensor. */
export function holdsSymbolic(value: unknown): boolean {
  return holds(value, (x) => x instanceof SymbolicTensor);
}

/** Whether a call argument is, or holds, a tensor (symbolic or concrete). */
function holdsTensor(value: unknown): boolean {
  return holds(value, (x) => x instanceof SymbolicTensor || x instanceof tf.Tensor);
}

/**
 * The symbolic tensors in a call's keyword arguments, in the order Keras flattens them: keys sorted by
 * their Keras (snake_case) names, nested keys sorted too, arrays in order.
 */
export function symbolicTensorsIn(kwargs: Record<string, unknown>): SymbolicTensor[] {
  const out: SymbolicTensor[] = [];
  const visit = (v: unknown): void => {
    if (v instanceof SymbolicTensor) out.push(v);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (isPlainObject(v)) for (const k of Object.keys(v).sort()) visit(v[k]);
  };
  const keys = Object.keys(kwargs).map((k) => [camelToSnake(k), k] as const);
  keys.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [, k] of keys) visit(kwargs[k]);
  return out;
}

/**
 * One call of a layer in a functional graph (Keras's `Node`). Symbolic tensors in the keyword arguments
 * (an attention mask, an RNN's initial state) are edges of the graph as much as the positional inputs.
 *
 * Keras: `keras.src.ops.node.Node` (internal)
 *
 * @example
 * ```ts
 * const x = input({ shape: [3] });
 * const y = new Dense({ units: 2 }).apply(x);
 * const node: Node = y.sourceLayer.inboundNodes[y.nodeIndex]!; // the Dense call from x to y
 * node.inputTensors[0] === x; // true
 * ```
 */
export class Node {
  /** The symbolic tensors inside `kwargs`, in Keras's order. */
  readonly kwargsTensors: SymbolicTensor[];
  /** Whether any keyword argument holds a tensor, symbolic or concrete (Keras then stops filling in `mask`). */
  readonly hasTensorKwargs: boolean;

  constructor(
    readonly layer: Layer,
    readonly inputTensors: SymbolicTensor[],
    readonly outputTensors: SymbolicTensor[],
    /** Whether the layer was called with a list (true) or a single tensor (false). */
    readonly inputsWereList: boolean,
    readonly kwargs: Record<string, unknown> = {},
  ) {
    this.kwargsTensors = symbolicTensorsIn(kwargs);
    this.hasTensorKwargs = Object.values(kwargs).some(holdsTensor);
  }

  /** A graph entry point: an InputLayer's node, which has no inputs. */
  get isInput(): boolean {
    return this.inputTensors.length === 0;
  }

  /** Every tensor the call depends on: the positional inputs, then the keyword arguments' (Keras's `input_tensors`). */
  get inboundTensors(): SymbolicTensor[] {
    return this.kwargsTensors.length === 0
      ? this.inputTensors
      : [...this.inputTensors, ...this.kwargsTensors];
  }

  /** The keyword arguments with each symbolic tensor replaced by its value. */
  resolveKwargs(valueFor: (t: SymbolicTensor) => unknown): Record<string, unknown> {
    if (this.kwargsTensors.length === 0) return { ...this.kwargs };
    return mapSymbolic(this.kwargs, valueFor) as Record<string, unknown>;
  }

  /** The nodes whose outputs feed this node, one entry per inbound tensor. */
  get parentNodes(): Node[] {
    return this.inboundTensors.map((t) => t.sourceLayer.inboundNodes[t.nodeIndex]);
  }
}
