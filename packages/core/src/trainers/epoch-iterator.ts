import * as tf from '@tensorflow/tfjs-core';
import { activeBackendMemory } from '../backend-check.js';
import type { Batch, Dataset } from '../engine/data-adapter.js';

/** One batch (or a whole data set) as the trainer passes it around: inputs, targets and sample weights. */
export interface BatchData {
  xs: tf.Tensor[];
  ys: tf.Tensor[];
  sws: (tf.Tensor | null)[];
  size: number;
}

/**
 * Whether the active backend keeps tensor values in host memory (the JS heap or wasm's), so batches can be
 * copied there without a device read. Backend plug-ins say so in their registry entry (`hostMemory: true`); a
 * backend without an entry gets device gathers, which are right everywhere.
 */
export function backendKeepsHostMemory(): boolean {
  return activeBackendMemory() === 'host';
}

/** Opens an (async) iterable of batches. */
export function openIterator(ds: Dataset): Iterator<Batch> | AsyncIterator<Batch> {
  return Symbol.asyncIterator in ds
    ? (ds as AsyncIterable<Batch>)[Symbol.asyncIterator]()
    : (ds as Iterable<Batch>)[Symbol.iterator]();
}

/** Splits arrays into training and validation parts (Keras's `validation_split`: the last rows validate). */
export function splitValidation(
  data: BatchData,
  at: number,
  owned: tf.Tensor[],
): { train: BatchData; val: BatchData } {
  const cut = (ts: tf.Tensor[], from: number, size: number) => {
    const out = ts.map((t) => tf.slice(t, from, size));
    owned.push(...out);
    return out;
  };
  const rest = data.size - at;
  return {
    train: {
      xs: cut(data.xs, 0, at),
      ys: cut(data.ys, 0, at),
      sws: data.sws.map((s) => (s ? cut([s], 0, at)[0] : null)),
      size: at,
    },
    val: {
      xs: cut(data.xs, at, rest),
      ys: cut(data.ys, at, rest),
      sws: data.sws.map((s) => (s ? cut([s], at, rest)[0] : null)),
      size: rest,
    },
  };
}

/**
 * Runs `fn` on the batches of in-memory arrays, shuffled once per epoch when asked. Each batch's tensors are
 * released after `fn`. `stop()` is checked after every batch.
 */
export async function forEachArrayBatch(
  data: BatchData,
  batchSize: number,
  shuffle: boolean,
  steps: number,
  fn: (step: number, batch: BatchData) => Promise<void>,
  stop: () => boolean,
): Promise<void> {
  // Shuffle once per epoch: one permutation of the sample indices, after which each batch takes its
  // rows straight from the data (no shuffled copy of the epoch). Slicing batches out of a shuffled
  // copy would cost a copy of the whole epoch per batch on tfjs's wasm backend, whose Slice kernel
  // reads its entire input to the host first.
  let order = shuffle && data.size > 1 ? Int32Array.from(tf.util.createShuffledIndices(data.size)) : null;
  // Where tensors live in host memory (cpu, wasm), copying the rows on the host beats both backends'
  // Gather kernels (element-wise loops) several times over, and wasm's Slice (a full copy of its
  // input per call) by far; the values are read once per epoch, never per batch.
  const host = backendKeepsHostMemory() ? new Map<tf.Tensor, tf.TypedArray>() : null;
  if (host && !order) order = Int32Array.from({ length: data.size }, (_, i) => i);
  for (let step = 0; step < steps; step++) {
    const start = step * batchSize;
    if (start >= data.size) break;
    const size = Math.min(batchSize, data.size - start);
    const batch = order
      ? gatherBatch(data, order.subarray(start, start + size), host)
      : sliceBatch(data, start, size);
    try {
      await fn(step, batch);
    } finally {
      // Several outputs may share one sample-weight tensor: dispose each batch tensor once.
      tf.dispose([...new Set([...batch.xs, ...batch.ys, ...(batch.sws.filter((s) => s) as tf.Tensor[])])]);
    }
    if (stop()) break;
  }
}

/** The rows `indices` of every tensor in `data` (a tensor shared by several slots is gathered once). */
export function gatherBatch(
  data: BatchData,
  indices: Int32Array,
  host: Map<tf.Tensor, tf.TypedArray> | null,
): BatchData {
  let idxTensor: tf.Tensor1D | null = null;
  const idx = () => {
    idxTensor ??= tf.tensor1d(indices, 'int32');
    return idxTensor;
  };
  try {
    const cache = new Map<tf.Tensor, tf.Tensor>();
    const take = (t: tf.Tensor): tf.Tensor => {
      if (!host || t.dtype === 'string' || t.rank === 0) return tf.gather(t, idx());
      let values = host.get(t);
      if (!values) {
        values = t.dataSync() as tf.TypedArray;
        host.set(t, values);
      }
      const row = t.shape[0] === 0 ? 0 : t.size / t.shape[0];
      const out = new (values.constructor as new (n: number) => tf.TypedArray)(indices.length * row);
      for (let i = 0; i < indices.length; i++) {
        const from = indices[i] * row;
        out.set(values.subarray(from, from + row), i * row);
      }
      return tf.tensor(out, [indices.length, ...t.shape.slice(1)], t.dtype);
    };
    const pick = (t: tf.Tensor) => {
      if (!cache.has(t)) cache.set(t, take(t));
      return cache.get(t)!;
    };
    return {
      xs: data.xs.map(pick),
      ys: data.ys.map(pick),
      sws: data.sws.map((s) => (s ? pick(s) : null)),
      size: indices.length,
    };
  } finally {
    (idxTensor as tf.Tensor1D | null)?.dispose();
  }
}

/** Rows `start` to `start + size` of every tensor in `data`. */
export function sliceBatch(data: BatchData, start: number, size: number): BatchData {
  const cache = new Map<tf.Tensor, tf.Tensor>();
  const cut = (t: tf.Tensor) => {
    if (!cache.has(t)) cache.set(t, tf.slice(t, start, size));
    return cache.get(t)!;
  };
  return {
    xs: data.xs.map(cut),
    ys: data.ys.map(cut),
    sws: data.sws.map((s) => (s ? cut(s) : null)),
    size,
  };
}

/**
 * Runs `fn` on the batches of an (async) iterable. A re-iterable dataset starts over each epoch; a one-shot
 * iterator continues where it stopped. `toBatch` turns a dataset item into tensors it records in `owned`,
 * which are released after `fn`.
 */
export async function forEachDatasetBatch(
  iterator: Iterator<Batch> | AsyncIterator<Batch>,
  ds: Dataset,
  steps: number | null,
  toBatch: (item: Batch, owned: tf.Tensor[]) => BatchData,
  fn: (step: number, batch: BatchData) => Promise<void>,
  stop: () => boolean,
): Promise<void> {
  let it = iterator;
  const reiterable = (it as unknown) !== (ds as unknown);
  if (reiterable && steps == null) it = openIterator(ds);
  for (let step = 0; steps == null || step < steps; step++) {
    const next = await it.next();
    if (next.done) {
      if (steps != null && step === 0 && reiterable) {
        it = openIterator(ds);
        continue;
      }
      break;
    }
    const owned: tf.Tensor[] = [];
    try {
      const batch = toBatch(next.value, owned);
      await fn(step, batch);
    } finally {
      tf.dispose(owned);
    }
    if (stop()) break;
  }
}
