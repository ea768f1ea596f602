import type { Shape } from '@strata/core';

import { AttrType, ElemType } from './proto/onnx-proto.js';

/** An ONNX attribute value: a number is an int unless wrapped by `floatAttr`; arrays likewise. */
export type AttrValue = number | string | number[] | string[] | { float: number } | { floats: number[] };

/** Marks a number (or numbers) as an ONNX float attribute. */
export function floatAttr(v: number): { float: number };
export function floatAttr(v: number[]): { floats: number[] };
export function floatAttr(v: number | number[]): { float: number } | { floats: number[] } {
  return Array.isArray(v) ? { floats: v } : { float: v };
}

function attributeProto(name: string, v: AttrValue): Record<string, unknown> {
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
export type ValueType = 'float32' | 'int32' | 'bool';

const ELEM: Record<ValueType, number> = {
  float32: ElemType.FLOAT,
  int32: ElemType.INT32,
  bool: ElemType.BOOL,
};

/**
 * An ONNX graph under construction: nodes in execution order, initializers (weights and constants), and
 * the graph's inputs and outputs. Every value gets a unique name derived from the layer that makes it.
 */
export class OnnxGraph {
  private readonly nodes: Record<string, unknown>[] = [];
  private readonly initializers: Record<string, unknown>[] = [];
  private readonly inputs: Record<string, unknown>[] = [];
  private readonly outputs: Record<string, unknown>[] = [];
  private readonly names = new Set<string>();
  /** The prefix of names made now: the layer being converted. */
  scope = '';

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
    const outputs = Array.from({ length: outputCount }, (_, i) =>
      this.scoped(outputCount === 1 ? opType : `${opType}_out${i}`),
    );
    this.nodes.push({
      name: this.scoped(`${opType}_node`),
      opType,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attributeProto(k, v)),
    });
    return outputs;
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

  /** Declares a graph input; its first dimension (the batch) and any other unknown one are symbolic. */
  addInput(name: string, shape: Shape, type: ValueType): void {
    this.names.add(name);
    this.inputs.push(valueInfo(name, shape, type));
  }

  /** Declares a graph output, copying `value` into it under `name`. */
  addOutput(name: string, value: string, shape: Shape, type: ValueType): void {
    this.names.add(name);
    this.nodes.push({
      name: this.uniqueName(`${name}/Identity_node`),
      opType: 'Identity',
      input: [value],
      output: [name],
    });
    this.outputs.push(valueInfo(name, shape, type));
  }

  /** The `onnx.GraphProto` as a plain object. */
  toProto(name: string): Record<string, unknown> {
    return {
      name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    };
  }
}

function valueInfo(name: string, shape: Shape, type: ValueType): Record<string, unknown> {
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
