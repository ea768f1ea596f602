/**
 * Resident state of a compiled training step (issue 20, route 1): each float32 weight and optimizer slot
 * the step updates on the host lives in one persistent Float32Array, a view into the step's own
 * `WebAssembly.Memory` (the arena), and that view IS the variable's backing array in the native backend.
 * The ONNX graph returns only the loss, the predictions and the gradients; the optimizer's update then runs
 * in one fused WebAssembly pass per weight (csrc/strata-update.c) over those arrays, in place. Where the step
 * made fresh arrays for every new weight and slot each batch (three 1.6 MB copies out of ONNX Runtime for the
 * bench MLP's first Dense, then garbage for V8 and glibc to reclaim), it now copies one gradient per weight.
 *
 * In-place updates are only safe while nothing else holds one of these arrays. The native backend copies a
 * resident array wherever tfjs would hand it out or store it as another tensor's values (`readSync`, `read`,
 * `write`, `move`: see `ownValues`), and `attach`, at the start of every step, checks each variable:
 * - still on its resident storage and the storage's only holder: updated in place;
 * - its storage shared (a `reshape`, `clone`, `identity`, … of it is alive): the other holders keep a
 *   copy of the current values and the variable gets a fresh resident storage;
 * - re-assigned by anyone else (`assign`, loading weights, the uncompiled step, another compiled step, data
 *   moved to another backend): its new values are copied into the arena and it is attached again.
 * `release` (the step's `dispose`, the backend's) gives every attached storage a copy of its values and
 * drops the arena.
 */
import type { Variable } from '@strata/core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

import { UPDATE_WASM_BASE64 } from './update-wasm.js';

/** The arenas' buffers: an array over one of them belongs to a compiled step. */
const arenaBuffers = new WeakSet<ArrayBufferLike>();

/**
 * `values` itself, or a copy when it is a view into a compiled step's arena: what the native backend hands
 * out or stores as a tensor's values, so that no caller ever holds an array a step updates in place.
 */
export function ownValues<T>(values: T): T {
  if (ArrayBuffer.isView(values) && arenaBuffers.has(values.buffer)) {
    return (values as unknown as Float32Array).slice() as unknown as T;
  }
  return values;
}

/** How many times each resident storage (by `dataId`) was updated in place; see `writeCount`. */
const writeCounts = new WeakMap<object, number>();

/**
 * How many times the storage `dataId` was updated in place by a compiled step (0 for any other storage):
 * a cache of a variable's values (compiled predict's exported weights) is current while both its `dataId`
 * and this count are the same.
 */
export function writeCount(dataId: object): number {
  return writeCounts.get(dataId) ?? 0;
}

/** Adam's per-step values after its arrays and size (see csrc/strata-update.c). */
type AdamScalars = [
  alpha: number,
  oneMinusBeta1: number,
  oneMinusBeta2: number,
  epsilon: number,
  decay: number,
];

/** The exports of csrc/strata-update.c; pointers are byte offsets into the step's memory. */
export interface UpdateKernels {
  adam(w: number, m: number, v: number, g: number, n: number, ...scalars: AdamScalars): void;
  adam_amsgrad(
    w: number,
    m: number,
    v: number,
    vHat: number,
    g: number,
    n: number,
    ...scalars: AdamScalars
  ): void;
  sgd(w: number, g: number, n: number, lr: number, decay: number): void;
  sgd_momentum(
    w: number,
    velocity: number,
    g: number,
    n: number,
    lr: number,
    momentum: number,
    nesterov: number,
    decay: number,
  ): void;
  rmsprop(
    w: number,
    v: number,
    momentum: number,
    average: number,
    g: number,
    n: number,
    lr: number,
    rho: number,
    oneMinusRho: number,
    epsilon: number,
    momentumFactor: number,
    decay: number,
  ): void;
}

/** Where one weight's update finds its arrays in the step's memory (byte offsets) and its size. */
export interface UpdatePointers {
  /** The weight. */
  readonly w: number;
  /** Its optimizer slots, in the order of the rule's slots. */
  readonly slots: readonly number[];
  /** Its gradient (ONNX Runtime writes it there, see `gradientValues`). */
  readonly g: number;
  /** Elements. */
  readonly n: number;
}

let updateModule: WebAssembly.Module | undefined;

/** One variable's arena view and the storage that currently stands on it (null: none attached). */
interface Slot {
  readonly variable: Variable;
  readonly offset: number;
  view: Float32Array;
  dataId: object | null;
}

/** Every step state holding an arena, released with the backend; weakly, so a dropped step's goes with it. */
const live = new Set<WeakRef<ResidentState>>();

/** How many compiled steps hold an arena now (for tests). */
export function residentStateCount(): number {
  return [...live].filter((ref) => ref.deref()).length;
}

/** Releases every compiled step's resident state (the native backend's `dispose`). */
export function releaseResidentStates(): void {
  for (const ref of live) ref.deref()?.release();
  live.clear();
}

/** Bytes, rounded up to whole SIMD vectors. */
const aligned = (bytes: number) => Math.ceil(bytes / 16) * 16;

/** Where the arrays start: csrc/build.sh gives the module a 4 KiB stack, then its heap. */
const HEAP_BASE = 4096;
/** The most a WebAssembly (wasm32) memory holds: 65,536 pages of 64 KiB. */
const MAX_MEMORY_BYTES = 65536 * 65536;

/**
 * The resident arrays of one compiled step: for each weight its array, its slots' arrays and an array for
 * its gradient, which the step's ONNX Runtime call writes into. The memory is made on the first `attach`
 * (and again after a `release`), at its final size: it never grows, so its buffer and the views stay valid.
 */
export class ResidentState {
  private memory: WebAssembly.Memory | null = null;
  private kernelsOf: UpdateKernels | null = null;
  private readonly slots: Slot[];
  /** Per weight: the byte offset of its gradient. */
  private readonly gradients: number[];
  private readonly bytes: number;
  private backend: MathBackendCPU | null = null;
  /** Per weight: the indices in `slots` of the weight, then of its optimizer slots. */
  private readonly groups: number[][];
  private readonly ref = new WeakRef(this);

  /** Whether the arrays of `weights`, their slots `state` and their gradients fit in one memory. */
  static fits(
    weights: readonly Pick<Variable, 'shape'>[],
    state: readonly (readonly Pick<Variable, 'shape'>[])[],
  ): boolean {
    const bytes = (v: Pick<Variable, 'shape'>) => aligned(tf.util.sizeFromShape(v.shape) * 4);
    let total = HEAP_BASE;
    weights.forEach((w, i) => {
      total += 2 * bytes(w) + state[i].reduce((sum, v) => sum + bytes(v), 0);
    });
    return total <= MAX_MEMORY_BYTES;
  }

  /** `weights[i]` is updated with the optimizer slots `state[i]`. */
  constructor(weights: readonly Variable[], state: readonly (readonly Variable[])[]) {
    let offset = HEAP_BASE;
    this.slots = [];
    this.groups = weights.map((w, i) =>
      [w, ...state[i]].map((variable) => {
        this.slots.push({ variable, offset, view: new Float32Array(0), dataId: null });
        offset += aligned(tf.util.sizeFromShape(variable.shape) * 4);
        return this.slots.length - 1;
      }),
    );
    this.gradients = weights.map((w) => {
      const at = offset;
      offset += aligned(tf.util.sizeFromShape(w.shape) * 4);
      return at;
    });
    this.bytes = offset;
  }

  /** The kernels, on this state's memory (after `attach`). */
  get kernels(): UpdateKernels {
    if (!this.kernelsOf) throw new Error('the resident state is not attached');
    return this.kernelsOf;
  }

  /** Weight `i`'s resident array (after `attach`): the step feeds it to ONNX Runtime as it is. */
  weightValues(i: number): Float32Array {
    return this.slots[this.groups[i][0]].view;
  }

  /** The array weight `i`'s gradient is written into (after `attach`). */
  gradientValues(i: number): Float32Array {
    return new Float32Array(
      this.memory!.buffer,
      this.gradients[i],
      this.slots[this.groups[i][0]].view.length,
    );
  }

  /** Where weight `i`'s update finds its arrays. */
  pointers(i: number): UpdatePointers {
    const [w, ...slots] = this.groups[i].map((k) => this.slots[k]);
    return { w: w.offset, slots: slots.map((s) => s.offset), g: this.gradients[i], n: w.view.length };
  }

  /** Counts an in-place update of every attached storage (see `writeCount`). */
  updated(): void {
    for (const { dataId } of this.slots) if (dataId) writeCounts.set(dataId, writeCount(dataId) + 1);
  }

  /**
   * Makes every variable stand on its resident array, alone (see the module's description). Changes which
   * storage backs a variable, never a value.
   */
  attach(backend: MathBackendCPU): void {
    if (!this.memory) this.allocate();
    this.backend = backend;
    for (const slot of this.slots) {
      const tensor = slot.variable.value;
      const id = tensor.dataId;
      const data = id === slot.dataId && backend.data.has(id) ? backend.data.get(id) : undefined;
      if (data?.values === slot.view) {
        if (data.refCount <= 1) continue;
        // Others hold this storage too: they keep the current values; the variable moves on.
        data.values = slot.view.slice();
      } else {
        // The variable moved off its resident storage; whoever still holds that keeps its values.
        this.detach(slot);
        // tfjs's data storage moves values made on another backend here as they are read.
        slot.view.set(backend.data.get(id).values as ArrayLike<number>);
      }
      // The cpu backend's own `write`: the native backend's would copy an arena's array.
      const dataId = MathBackendCPU.prototype.write.call(backend, slot.view, tensor.shape, 'float32');
      const t = tf.engine().makeTensorFromDataId(dataId, tensor.shape, 'float32', backend);
      tensor.assign(t);
      t.dispose();
      slot.dataId = dataId;
    }
  }

  /**
   * Gives every storage still standing on the arena a copy of its values and drops the arena (a later
   * `attach` makes a new one). The compiled step's `dispose` and the backend's call it.
   */
  release(): void {
    for (const slot of this.slots) {
      this.detach(slot);
      slot.view = new Float32Array(0);
    }
    this.memory = null;
    this.kernelsOf = null;
    this.backend = null;
    live.delete(this.ref);
  }

  /** Gives the storage last attached to `slot`, where it still stands on the arena, a copy of its values. */
  private detach(slot: Slot): void {
    const id = slot.dataId;
    if (this.backend && id && this.backend.data.has(id)) {
      const data = this.backend.data.get(id);
      if (data.values === slot.view) data.values = slot.view.slice();
    }
    slot.dataId = null;
  }

  private allocate(): void {
    const pages = Math.ceil(this.bytes / 65536);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    updateModule ??= new WebAssembly.Module(Buffer.from(UPDATE_WASM_BASE64, 'base64'));
    const instance = new WebAssembly.Instance(updateModule, { env: { memory } });
    arenaBuffers.add(memory.buffer);
    for (const slot of this.slots) {
      slot.view = new Float32Array(memory.buffer, slot.offset, tf.util.sizeFromShape(slot.variable.shape));
    }
    this.memory = memory;
    this.kernelsOf = instance.exports as unknown as UpdateKernels;
    live.add(this.ref);
  }
}
