import type { Shape } from '@strata/core';

import { AttrType, ElemType } from './proto/onnx-proto.js';

/**
 * An ONNX attribute value: a number is an int unless wrapped by `floatAttr`; arrays likewise. A graph (the
 * body of a Loop) is an `OnnxGraph`.
 */
export type AttrValue =
  | number
  | string
  | number[]
  | string[]
  | { float: number }
  | { floats: number[] }
  | OnnxGraph;

/** Marks a number (or numbers) as an ONNX float attribute. */
export function floatAttr(v: number): { float: number };
export function floatAttr(v: number[]): { floats: number[] };
export function floatAttr(v: number | number[]): { float: number } | { floats: number[] } {
  return Array.isArray(v) ? { floats: v } : { float: v };
}

function attributeProto(name: string, v: AttrValue): Record<string, unknown> {
  if (v instanceof OnnxGraph) return { name, type: AttrType.GRAPH, g: v.toProto(name) };
  if (typeof v === 'number') return { name, type: AttrType.INT, i: v };
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string'))
      return {
        name,
        type: AttrType.STRINGS,
        strings: (v as string[]).map((x) => new TextEncoder().encode(x)),
      };
    return { name, type: AttrType.INTS, ints: v };
  }
  if ('float' in v) return { name, type: AttrType.FLOAT, f: v.float };
  return { name, type: AttrType.FLOATS, floats: v.floats };
}

/** The element type of a graph input or output. */
export type ValueType = 'float32' | 'int32' | 'int64' | 'bool' | 'string';

const ELEM: Record<ValueType, number> = {
  float32: ElemType.FLOAT,
  int32: ElemType.INT32,
  int64: ElemType.INT64,
  bool: ElemType.BOOL,
  string: ElemType.STRING,
};

/** The opset of the default domain the exporter writes unless a layer needs a newer one. */
export const BASE_OPSET = 17;

/** Reductions whose axes became an input (rather than an attribute) in opset 18; ReduceSum's did in 13. */
const AXES_INPUT_SINCE_18 = new Set(['ReduceMax', 'ReduceMin', 'ReduceMean', 'ReduceProd', 'ReduceL2']);

/**
 * An ONNX graph under construction: nodes in execution order, initializers (weights and constants), and
 * the graph's inputs and outputs. Every value gets a unique name derived from the layer that makes it.
 */
export class OnnxGraph {
  private readonly nodes: Record<string, unknown>[] = [];
  private readonly initializers: Record<string, unknown>[] = [];
  private readonly inputs: Record<string, unknown>[] = [];
  private readonly outputs: Record<string, unknown>[] = [];
  private readonly valueInfos: Record<string, unknown>[] = [];
  /** The prefix of names made now: the layer being converted. */
  scope = '';
  /** Operator sets of other domains the graph uses (`ai.onnx.ml`, `com.microsoft`), with their versions. */
  readonly domains: Map<string, number>;
  private readonly names: Set<string>;

  /**
   * @param opset the default domain's opset the nodes are written for (it decides the form of a few ops).
   * @param parent the graph a Loop body belongs to: ONNX names are unique across a graph and its subgraphs,
   *   and the operator sets are the model's.
   */
  constructor(
    readonly opset = BASE_OPSET,
    parent?: OnnxGraph,
  ) {
    this.names = parent?.names ?? new Set();
    this.domains = parent?.domains ?? new Map();
    this.scope = parent?.scope ?? '';
  }

  /** An empty graph for a Loop's body. */
  subgraph(): OnnxGraph {
    return new OnnxGraph(this.opset, this);
  }

  /** A name not used yet in the graph, from `base` (`base`, `base_1`, ...). */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  private scoped(base: string): string {
    return this.uniqueName(this.scope ? `${this.scope}/${base}` : base);
  }

  /** Adds a node; returns the names of its `outputCount` outputs. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputCount = 1): string[] {
    return this.opIn('', opType, inputs, attrs, outputCount);
  }

  /** Adds a node of an operator set other than the default one (`ai.onnx.ml` at version 3, `com.microsoft` at 1). */
  opIn(
    domain: '' | 'ai.onnx.ml' | 'com.microsoft',
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    outputCount = 1,
  ): string[] {
    if (domain) this.domains.set(domain, domain === 'ai.onnx.ml' ? 3 : 1);
    const outputs = Array.from({ length: outputCount }, (_, i) =>
      this.scoped(outputCount === 1 ? opType : `${opType}_out${i}`),
    );
    this.nodes.push({
      name: this.scoped(`${opType}_node`),
      opType,
      ...(domain ? { domain } : {}),
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attributeProto(k, v)),
    });
    return outputs;
  }

  /** A reduction over `axes`, in the form the graph's opset takes (axes as an attribute before opset 18). */
  reduce(opType: string, x: string, axes: number[], keepdims: boolean): string {
    const k = keepdims ? 1 : 0;
    if (opType === 'ReduceSum' || (AXES_INPUT_SINCE_18.has(opType) && this.opset >= 18))
      return this.op1(opType, [x, this.int64s('axes', axes)], { keepdims: k });
    return this.op1(opType, [x], { axes, keepdims: k });
  }

  /** Adds a node with one output; returns its name. */
  op1(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.op(opType, inputs, attrs)[0];
  }

  /** A float32 initializer (a weight or constant) of the given shape. */
  floats(base: string, data: ArrayLike<number>, dims: number[]): string {
    const name = this.scoped(base);
    this.initializers.push({
      name,
      dataType: ElemType.FLOAT,
      dims,
      rawData: toBytes(Float32Array.from(data)),
    });
    return name;
  }

  /** An int64 initializer (shapes, axes, indices). */
  int64s(base: string, data: number[], dims: number[] = [data.length]): string {
    const name = this.scoped(base);
    this.initializers.push({
      name,
      dataType: ElemType.INT64,
      dims,
      rawData: toBytes(BigInt64Array.from(data.map(BigInt))),
    });
    return name;
  }

  /** A string initializer. */
  strings(base: string, data: string[], dims: number[] = [data.length]): string {
    const name = this.scoped(base);
    const encoder = new TextEncoder();
    this.initializers.push({
      name,
      dataType: ElemType.STRING,
      dims,
      stringData: data.map((s) => encoder.encode(s)),
    });
    return name;
  }

  /**
   * Declares a graph input; its first dimension (the batch) and any other unknown one are symbolic. A
   * null shape (a Loop body's inputs) leaves the shape out.
   */
  addInput(name: string, shape: Shape | null, type: ValueType): void {
    this.names.add(name);
    this.inputs.push(valueInfo(name, shape, type));
  }

  /** Declares a graph output, copying `value` into it under `name`. */
  addOutput(name: string, value: string, shape: Shape | null, type: ValueType): void {
    this.names.add(name);
    this.nodes.push({
      name: this.uniqueName(`${name}/Identity_node`),
      opType: 'Identity',
      input: [value],
      output: [name],
    });
    this.outputs.push(valueInfo(name, shape, type));
  }

  /**
   * Records the element type of a value whose op the ONNX package cannot infer (one of ONNX Runtime's own
   * domain), for the checker's shape inference downstream.
   */
  declare(name: string, type: ValueType): void {
    this.valueInfos.push(valueInfo(name, null, type));
  }

  /** The `onnx.GraphProto` as a plain object. */
  toProto(name: string): Record<string, unknown> {
    return {
      name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
      valueInfo: this.valueInfos,
    };
  }
}

function valueInfo(name: string, shape: Shape | null, type: ValueType): Record<string, unknown> {
  if (shape == null) return { name, type: { tensorType: { elemType: ELEM[type] } } };
  const dim = shape.map((d, i) =>
    d == null ? { dimParam: i === 0 ? 'batch' : `${name}_dim${i}` } : { dimValue: d },
  );
  return { name, type: { tensorType: { elemType: ELEM[type], shape: { dim } } } };
}

/** The little-endian bytes of a typed array: ONNX's raw_data is little-endian whatever the host's order. */
function toBytes(a: Float32Array | BigInt64Array): Uint8Array {
  const out = new Uint8Array(a.byteLength);
  const view = new DataView(out.buffer);
  if (a instanceof Float32Array) for (let i = 0; i < a.length; i++) view.setFloat32(i * 4, a[i], true);
  else for (let i = 0; i < a.length; i++) view.setBigInt64(i * 8, a[i], true);
  return out;
}
