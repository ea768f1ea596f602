import * as tf from '@tensorflow/tfjs-core';

import { formatShape, ValueError } from '../errors.js';

/** Arrays of numbers are accepted wherever a tensor is, as Keras accepts NumPy arrays. */
export type TensorLike =
  | tf.Tensor
  | number[]
  | number[][]
  | number[][][]
  | number[][][][]
  | Float32Array
  | Int32Array;

/** Model inputs or targets: one tensor, a list in model order, or a record keyed by input/output name. */
export type ModelData = TensorLike | TensorLike[] | Record<string, TensorLike>;

/** One batch of a dataset: `{xs, ys}` (TF.js style) or `[x, y]` / `[x, y, sampleWeight]` (Keras style). */
export type Batch =
  | { xs: ModelData; ys?: ModelData; sampleWeight?: ModelData }
  | [ModelData]
  | [ModelData, ModelData]
  | [ModelData, ModelData, ModelData];

/**
 * An (async) iterable of `{ xs, ys }` batches, accepted by `fit`, `evaluate` and `predict` in place of
 * tensors (Keras's generators and `tf.data` datasets).
 */
export type Dataset = Iterable<Batch> | AsyncIterable<Batch>;

export function isDataset(x: unknown): x is Dataset {
  if (x == null || typeof x !== 'object' || Array.isArray(x) || x instanceof tf.Tensor) return false;
  if (ArrayBuffer.isView(x)) return false;
  return Symbol.asyncIterator in x || Symbol.iterator in x;
}

function isTensorLike(x: unknown): x is TensorLike {
  return (
    x instanceof tf.Tensor ||
    ArrayBuffer.isView(x) ||
    (Array.isArray(x) && !x.some((v) => v instanceof tf.Tensor))
  );
}

/**
 * Converts user data to a list of tensors in `names` order. Tensors created here from arrays are
 * recorded in `owned` so the caller can dispose them.
 */
export function standardizeData(
  data: ModelData | null | undefined,
  names: string[],
  what: 'input' | 'target' | 'sample weight',
  owner: string,
  owned: tf.Tensor[],
): tf.Tensor[] {
  if (data == null) return [];
  const toTensor = (x: TensorLike): tf.Tensor => {
    if (x instanceof tf.Tensor) return x;
    if (Array.isArray(x)) nestedArrayShape(x, what);
    const t = tf.tensor(x as number[]);
    owned.push(t);
    return t;
  };
  let list: TensorLike[];
  if (isTensorLike(data)) {
    // A plain array may be a list of per-input arrays (several inputs) or one nested array.
    if (
      Array.isArray(data) &&
      names.length > 1 &&
      data.length === names.length &&
      data.every((d) => Array.isArray(d) || ArrayBuffer.isView(d))
    ) {
      list = data as TensorLike[];
    } else {
      list = [data];
    }
  } else if (Array.isArray(data)) {
    list = data as TensorLike[];
  } else if (typeof data === 'object') {
    const rec = data as Record<string, TensorLike>;
    const unknown = Object.keys(rec).filter((k) => !names.includes(k));
    if (unknown.length) {
      throw new ValueError(
        `Model "${owner}" received ${what} data with unknown key(s) [${unknown.join(', ')}]. Expected keys: [${names.join(', ')}].`,
      );
    }
    list = names.map((n) => {
      if (!(n in rec))
        throw new ValueError(
          `Model "${owner}" is missing ${what} data for '${n}'. Received keys: [${Object.keys(rec).join(', ')}].`,
        );
      return rec[n];
    });
  } else {
    throw new ValueError(`Model "${owner}" expects ${what} data as tensors. Received: ${String(data)}`);
  }
  if (what !== 'sample weight' && list.length !== names.length) {
    const kind = what === 'input' ? 'input(s)' : 'target(s)';
    throw new ValueError(
      `Layer "${owner}" expects ${names.length} ${kind}, but it received ${list.length} ${what} tensors. ` +
        `Expected: [${names.join(', ')}]`,
    );
  }
  return list.map(toTensor);
}

/**
 * The shape of a nested array of numbers, checking that it is rectangular: tfjs would zero-pad a ragged
 * array silently, where Keras refuses it.
 */
export function nestedArrayShape(x: unknown, what = 'input'): number[] {
  const shape: number[] = [];
  for (let level: unknown = x; Array.isArray(level); level = level[0]) shape.push(level.length);
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number' && typeof v !== 'boolean')
        throw new ValueError(
          `Expected ${what} data of numbers. Received: ${typeof v === 'string' ? `'${v}'` : String(v)} at ${what}${path}`,
        );
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth])
      throw new ValueError(
        `Expected ${what} data as a rectangular nested array of shape ${formatShape(shape)}, but it is ragged: ` +
          `${what}${path} has ${Array.isArray(v) ? `${v.length} entries` : 'no entries (not an array)'} where ${shape[depth]} were expected.`,
      );
    v.forEach((e, i) => {
      walk(e, depth + 1, `${path}[${i}]`);
    });
  };
  walk(x, 0, '');
  return shape;
}

/** Keras's "Data cardinality is ambiguous" check: every array must have the same number of samples. */
export function checkCardinality(groups: { name: string; tensors: tf.Tensor[] }[]): number {
  const sizes = groups.flatMap((g) => g.tensors.map((t) => t.shape[0] ?? 1));
  const n = sizes[0];
  if (sizes.some((s) => s !== n)) {
    const lines = groups
      .filter((g) => g.tensors.length > 0)
      .map((g) => `'${g.name}' sizes: ${g.tensors.map((t) => t.shape[0]).join(', ')}`);
    throw new ValueError(
      `Data cardinality is ambiguous. Make sure all arrays contain the same number of samples. ${lines.join('; ')}`,
    );
  }
  for (const g of groups) {
    for (const t of g.tensors) {
      if (t.rank === 0)
        throw new ValueError(
          `Expected ${g.name} data with a batch axis. Received a scalar of shape ${formatShape(t.shape)}.`,
        );
    }
  }
  return n ?? 0;
}

export function validateBatchSize(batchSize: number | undefined, name = 'batch_size'): number {
  const b = batchSize ?? 32;
  if (!Number.isInteger(b) || b <= 0) {
    throw new ValueError(`Expected \`${name}\` to be a positive integer. Received: ${name}=${batchSize}`);
  }
  return b;
}

/** Slices rows [start, start+size) of every tensor. */
export function sliceRows(tensors: tf.Tensor[], start: number, size: number): tf.Tensor[] {
  return tensors.map((t) => tf.slice(t, start, size));
}

/** Converts Keras's class_weight to per-sample weights from one-hot or integer targets. */
export function classWeightToSampleWeight(y: tf.Tensor, classWeight: Record<number, number>): tf.Tensor {
  return tf.tidy(() => {
    const ids =
      y.rank > 1 && y.shape[y.rank - 1]! > 1
        ? tf.argMax(y, -1)
        : tf.cast(tf.reshape(y, [y.shape[0]!]), 'int32');
    const maxId = Math.max(...Object.keys(classWeight).map(Number));
    const table = new Float32Array(maxId + 1).fill(1);
    for (const [k, v] of Object.entries(classWeight)) table[Number(k)] = v;
    return tf.gather(tf.tensor1d(table), tf.clipByValue(ids, 0, maxId));
  });
}

/** Yields to the event loop so a page stays responsive (no requestAnimationFrame: it stalls in background tabs). */
export function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel !== 'undefined') {
    return new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
