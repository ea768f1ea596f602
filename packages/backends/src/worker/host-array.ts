import { ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/** The typed arrays a {@link HostArray} may hold; each maps to one tensor dtype in the worker. */
export type HostTypedArray = Float32Array | Int32Array | Uint8Array;

/**
 * An array in host memory with its shape, the form in which data crosses to and from a worker:
 * `{ data: new Float32Array(n * 784), shape: [n, 784] }`. Float32Array becomes a float32 tensor in the
 * worker; Int32Array and Uint8Array become int32 tensors.
 */
export interface HostArray {
  /** The values, row-major. Its buffer is transferred, so this side can no longer read it. */
  data: HostTypedArray;
  /** The shape; its product must equal `data.length`. */
  shape: number[];
}

/**
 * What `WorkerModel.fit`, `evaluate` and `predict` accept for x and y: one array, a list of them (one per
 * model input or output) or a record keyed by input name. A `tf.Tensor` is read on the page first
 * (`await tensor.data()`, copied), then that copy is transferred; the tensor stays usable.
 */
export type WorkerData =
  | HostArray
  | tf.Tensor
  | (HostArray | tf.Tensor)[]
  | Record<string, HostArray | tf.Tensor>;

/** The same structure with every leaf a HostArray: what goes into `postMessage`. */
export type EncodedData = HostArray | HostArray[] | Record<string, HostArray>;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an Array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'object') return `an object with keys [${Object.keys(value as object).join(', ')}]`;
  return `${typeof value} ${String(value)}`;
}

const isTypedLeaf = (d: unknown): d is HostTypedArray =>
  d instanceof Float32Array || d instanceof Int32Array || d instanceof Uint8Array;

/** A HostArray with a valid shape, or a clear ValueError naming `what` (e.g. "x", "y[1]"). */
function checkHostArray(value: unknown, where: string, what: string): HostArray {
  const v = value as Partial<HostArray> | null;
  if (!v || typeof v !== 'object' || !('data' in v) || !('shape' in v)) {
    throw new ValueError(
      `${where} expects ${what} as a tf.Tensor or { data, shape } with data a Float32Array, Int32Array ` +
        `or Uint8Array (only typed arrays can be transferred to a worker). Received: ${what}=${describe(value)}`,
    );
  }
  if (!isTypedLeaf(v.data)) {
    throw new ValueError(
      `${where} expects ${what}.data to be a Float32Array, Int32Array or Uint8Array (only typed arrays can be ` +
        `transferred to a worker; wrap a plain array as new Float32Array(values)). Received: ${what}.data=${describe(v.data)}`,
    );
  }
  const shape = v.shape;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ValueError(
      `${where} expects ${what}.shape to be an array of non-negative integers. Received: ${what}.shape=${JSON.stringify(shape)}`,
    );
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (v.data.buffer instanceof ArrayBuffer && v.data.buffer.byteLength === 0 && size > 0) {
    throw new ValueError(
      `${where} received ${what} whose buffer was already transferred (detached): send each array once, ` +
        `or send a copy (data.slice()). Received: ${what}.data of length 0 for shape ${JSON.stringify(shape)}`,
    );
  }
  if (size !== v.data.length) {
    throw new ValueError(
      `${where} expects ${what}.data to hold the product of ${what}.shape = ${size} values. ` +
        `Received: ${v.data.length} values for shape ${JSON.stringify(shape)}`,
    );
  }
  return { data: v.data, shape: [...shape] };
}

async function encodeLeaf(value: unknown, where: string, what: string): Promise<HostArray> {
  if (value instanceof tf.Tensor) {
    if (value.dtype !== 'float32' && value.dtype !== 'int32' && value.dtype !== 'bool') {
      throw new ValueError(
        `${where} expects ${what} to be a float32, int32 or bool tensor. Received: a ${value.dtype} tensor`,
      );
    }
    // A copy always: the cpu and wasm backends hand out their own storage, which a transfer would detach.
    const data = (await value.data()) as Float32Array | Int32Array | Uint8Array;
    return { data: value.dtype === 'bool' ? Int32Array.from(data) : data.slice(), shape: value.shape };
  }
  return checkHostArray(value, where, what);
}

/**
 * Checks every leaf of x (or y) and turns tensors into host arrays; throws before anything is sent.
 * `where` names the call ("WorkerModel.fit"), `what` the argument ("x").
 */
export async function encodeData(value: unknown, where: string, what: string): Promise<EncodedData> {
  if (Array.isArray(value)) {
    const out: HostArray[] = [];
    for (let i = 0; i < value.length; i++) out.push(await encodeLeaf(value[i], where, `${what}[${i}]`));
    return out;
  }
  if (value && typeof value === 'object' && !(value instanceof tf.Tensor) && !('data' in value)) {
    const out: Record<string, HostArray> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await encodeLeaf(v, where, `${what}.${k}`);
    return out;
  }
  return encodeLeaf(value, where, what);
}

function leaves(data: EncodedData): HostArray[] {
  if (Array.isArray(data)) return data;
  if ('data' in data && 'shape' in data) return [data as HostArray];
  return Object.values(data as Record<string, HostArray>);
}

/**
 * The buffers to list in `postMessage`'s transfer list, so arrays move instead of being copied. A view
 * over part of a larger buffer is copied first (transferring would take the rest of the buffer with it),
 * and a SharedArrayBuffer is shared, not transferred.
 */
export function transferList(...data: (EncodedData | undefined)[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const d of data) {
    if (!d) continue;
    for (const leaf of leaves(d)) {
      const buf = leaf.data.buffer;
      if (!(buf instanceof ArrayBuffer)) continue;
      if (leaf.data.byteOffset !== 0 || leaf.data.byteLength !== buf.byteLength || buffers.has(buf)) {
        leaf.data = leaf.data.slice();
        buffers.add(leaf.data.buffer as ArrayBuffer);
      } else buffers.add(buf);
    }
  }
  return [...buffers];
}

/** In the worker: the encoded structure as tensors (the caller disposes them). */
export function decodeData(data: EncodedData): tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor> {
  const toTensor = (a: HostArray) =>
    tf.tensor(a.data instanceof Uint8Array ? Int32Array.from(a.data) : a.data, [...a.shape]);
  if (Array.isArray(data)) return data.map(toTensor);
  if ('data' in data && 'shape' in data) return toTensor(data as HostArray);
  return Object.fromEntries(
    Object.entries(data as Record<string, HostArray>).map(([k, v]) => [k, toTensor(v)]),
  );
}
