import { StrataAdamUpdate, Variable } from '@strata/core';
import { seededValues } from '@strata/core/testing';
import { Adam, AdamW } from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';

import '../cpu.js';
import '../wasm.js';
import { installedKernelFixes, installKernelFixes, removeKernelFixes } from '../kernel-fixes.js';
import { cpuKernelFixes } from './cpu/index.js';
import { adamSimdLoop } from './wasm/adam-update-simd.js';
import { wasmKernelFixes } from './wasm/index.js';

const BACKENDS = [
  { name: 'cpu', fixes: cpuKernelFixes },
  { name: 'wasm', fixes: wasmKernelFixes },
] as const;

// Odd sizes, a scalar, a one-element vector and the MLP's first weight.
const SHAPES: number[][] = [[784, 512], [7], [3, 5, 11], [], [1], [13, 17]];
const STEPS = 5;

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

type MakeOptimizer = () => Adam;

interface Run {
  values: Float32Array[];
  kernels: string[];
}

/** Trains fresh variables for STEPS steps with fixed gradients; returns every optimizer and model value. */
async function train(makeOptimizer: MakeOptimizer): Promise<Run> {
  const vars = SHAPES.map(
    (shape, i) =>
      new Variable({ initialValue: tf.tensor(seededValues(sizeOf(shape), 10 + i), shape), name: `w${i}` }),
  );
  const opt = makeOptimizer();
  const kernels = new Set<string>();
  for (let step = 0; step < STEPS; step++) {
    const grads = SHAPES.map((shape, i) => tf.tensor(seededValues(sizeOf(shape), 100 * step + i), shape));
    const profile = await tf.profile(() => opt.apply(grads, vars));
    for (const k of profile.kernels) kernels.add(k.name);
    tf.dispose(grads);
  }
  const values = [...vars, ...opt.variables].map((v) => v.value.dataSync() as Float32Array);
  for (const v of vars) v.dispose();
  opt.dispose();
  return { values, kernels: [...kernels] };
}

/** The same training without Strata's kernels on `backend`: the optimizer's composite path. */
async function trainComposite(
  backend: (typeof BACKENDS)[number],
  makeOptimizer: MakeOptimizer,
): Promise<Run> {
  removeKernelFixes(backend.name);
  try {
    return await train(makeOptimizer);
  } finally {
    installKernelFixes(backend.fixes);
  }
}

/** Largest |a - b| / |b| over all values (|b| below 1e-3 counts as 1e-3: a float32 weight near 0 keeps its absolute rounding). */
function worstRelative(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  expect(a.length).toBe(b.length);
  for (const [i, x] of a.entries()) {
    expect(x.length).toBe(b[i].length);
    for (let j = 0; j < x.length; j++) {
      const d = Math.abs(x[j] - b[i][j]) / Math.max(Math.abs(b[i][j]), 1e-3);
      worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(worst, d);
    }
  }
  return worst;
}

interface KernelCase {
  w: Float32Array;
  g: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

function kernelCase(n: number, seed: number): KernelCase {
  const v = seededValues(n, seed + 3).map((x) => x * x * 0.01);
  return {
    w: seededValues(n, seed),
    g: seededValues(n, seed + 1),
    m: seededValues(n, seed + 2).map((x) => x * 0.1),
    v,
  };
}

function runKernel(
  c: KernelCase,
  shape: number[],
  attrs: Record<string, number>,
  dtypes: Partial<Record<keyof KernelCase, 'float32' | 'int32'>> = {},
): Float32Array[] {
  const t = (name: keyof KernelCase) => tf.tensor(c[name], shape, dtypes[name] ?? 'float32');
  const inputs = { variable: t('w'), gradient: t('g'), m: t('m'), v: t('v') };
  try {
    const out = tf.engine().runKernel(StrataAdamUpdate, inputs, attrs) as tf.Tensor[];
    const values = out.map((o) => o.dataSync() as Float32Array);
    expect(out.map((o) => o.shape)).toEqual([shape, shape, shape]);
    tf.dispose(out);
    return values;
  } finally {
    tf.dispose(Object.values(inputs));
  }
}

describe('StrataAdamUpdate (Adam in one pass)', () => {
  afterEach(async () => {
    vi.restoreAllMocks();
    await tf.setBackend('cpu');
  });

  for (const backend of BACKENDS) {
    describe(backend.name, () => {
      it('is registered by the backend entry', () => {
        expect(installedKernelFixes(backend.name)).toContain(StrataAdamUpdate);
        expect(tf.getKernel(StrataAdamUpdate, backend.name)).toBeDefined();
      });

      const optimizers: Array<[string, MakeOptimizer]> = [
        ['Adam', () => new Adam({ learningRate: 0.01 })],
        ['AdamW', () => new AdamW({ learningRate: 0.01, weightDecay: 0.1 })],
        [
          'Adam (beta1 0.5, beta2 0.9, epsilon 1e-3)',
          () => new Adam({ beta1: 0.5, beta2: 0.9, epsilon: 1e-3 }),
        ],
      ];
      for (const [name, make] of optimizers) {
        it(`${name}: five steps through the kernel match the composite path to 1e-6`, async () => {
          await tf.setBackend(backend.name);
          const fused = await train(make);
          const composite = await trainComposite(backend, make);
          expect(fused.kernels).toContain(StrataAdamUpdate);
          expect(fused.kernels).not.toContain('Sqrt');
          expect(composite.kernels).not.toContain(StrataAdamUpdate);
          expect(composite.kernels).toContain('Sqrt');
          expect(worstRelative(fused.values, composite.values)).toBeLessThanOrEqual(1e-6);
        });
      }

      it('amsgrad keeps the composite path', async () => {
        await tf.setBackend(backend.name);
        const run = await train(() => new Adam({ amsgrad: true }));
        expect(run.kernels).not.toContain(StrataAdamUpdate);
        expect(run.kernels).toContain('Maximum');
      });

      it('matches a float64 hand loop to float32 rounding', async () => {
        await tf.setBackend(backend.name);
        const attrs = { alpha: 0.0031, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
        for (const [k, shape] of [[5, 7], [1031], []].entries()) {
          const c = kernelCase(sizeOf(shape), 40 + k);
          const [w, m, v] = runKernel(c, shape, attrs);
          for (let i = 0; i < c.w.length; i++) {
            const g = c.g[i];
            const mRef = c.m[i] + (g - c.m[i]) * (1 - attrs.beta1);
            const vRef = c.v[i] + (g * g - c.v[i]) * (1 - attrs.beta2);
            const step = (attrs.alpha * mRef) / (Math.sqrt(vRef) + attrs.epsilon);
            const wRef = c.w[i] - step;
            // Float32 rounding is relative to the operands' magnitudes, not to a result that may cancel.
            const tol = 1e-6;
            expect(Math.abs(m[i] - mRef)).toBeLessThanOrEqual(tol * Math.max(Math.abs(c.m[i]), Math.abs(g)));
            expect(Math.abs(v[i] - vRef)).toBeLessThanOrEqual(tol * Math.max(c.v[i], g * g));
            expect(Math.abs(w[i] - wRef)).toBeLessThanOrEqual(
              tol * Math.max(Math.abs(c.w[i]), Math.abs(step)),
            );
          }
        }
      });

      it('leaves only its three outputs, and a training loop leaks nothing', async () => {
        await tf.setBackend(backend.name);
        const wasTest = tf.env().getBool('IS_TEST');
        // With IS_TEST tfjs's engine also checks that the kernel leaves exactly its outputs in the backend.
        tf.env().set('IS_TEST', true);
        try {
          const vars = SHAPES.map(
            (shape, i) => new Variable({ initialValue: tf.zeros(shape), name: `leak${i}` }),
          );
          const opt = new Adam();
          const counts: Array<[number, number]> = [];
          for (let step = 0; step < 4; step++) {
            const grads = SHAPES.map((shape, i) =>
              tf.tensor(seededValues(sizeOf(shape), 7 * step + i), shape),
            );
            opt.apply(grads, vars);
            tf.dispose(grads);
            counts.push([tf.memory().numTensors, tf.backend().numDataIds()]);
          }
          // The first step builds the optimizer's variables; every later one must end where it began.
          expect(counts.slice(2)).toEqual([counts[1], counts[1]]);
          for (const v of vars) v.dispose();
          opt.dispose();
        } finally {
          tf.env().set('IS_TEST', wasTest);
        }
      });

      it('rejects a non-float32 input and mismatched shapes, naming the kernel', async () => {
        await tf.setBackend(backend.name);
        const attrs = { alpha: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
        const before = tf.memory().numTensors;
        const c = kernelCase(6, 1);
        expect(() => runKernel(c, [2, 3], attrs, { g: 'int32' })).toThrow(
          'StrataAdamUpdate supports float32 tensors only. Received: gradient dtype=int32',
        );
        const inputs = {
          variable: tf.zeros([2, 3]),
          gradient: tf.zeros([3, 2]),
          m: tf.zeros([2, 3]),
          v: tf.zeros([2, 3]),
        };
        expect(() => tf.engine().runKernel(StrataAdamUpdate, inputs, attrs)).toThrow(
          'StrataAdamUpdate needs variable, gradient, m and v of one shape. Received: variable=[2, 3], gradient=[3, 2]',
        );
        tf.dispose(Object.values(inputs));
        expect(() => runKernel(c, [2, 3], { ...attrs, alpha: Number.NaN })).toThrow(
          "StrataAdamUpdate needs a finite number attr 'alpha'. Received: alpha=NaN",
        );
        expect(tf.memory().numTensors).toBe(before);
      });
    });
  }

  it("on wasm runs its f32x4 loop on the backend's memory", async () => {
    await tf.setBackend('wasm');
    const { wasm } = tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } };
    // Without it the kernel still works (the JavaScript loop) but is slower than the composite.
    expect(adamSimdLoop(wasm.asm.memory)).toBeTypeOf('function');
  });

  it("runs its f32x4 loop on a shared memory too (tfjs-wasm's threaded build), following Keras 3's formulas", () => {
    const n = 64;
    const c = kernelCase(n, 21);
    const [keepM, keepV, alpha, epsilon] = [0.1, 0.001, 0.01, 1e-7];
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
    const loop = adamSimdLoop(memory);
    expect(loop).toBeTypeOf('function');
    const heap = new Float32Array(memory.buffer);
    for (const [i, values] of [c.w, c.g, c.m, c.v].entries()) heap.set(values, i * n);
    const f = Math.fround;
    loop!(0, 4 * n, 8 * n, 12 * n, 16 * n, 20 * n, 24 * n, n, f(keepM), f(keepV), f(alpha), f(epsilon));
    for (let i = 0; i < n; i++) {
      const m = c.m[i] + (c.g[i] - c.m[i]) * keepM;
      const v = c.v[i] + (c.g[i] * c.g[i] - c.v[i]) * keepV;
      const w = c.w[i] - (m * alpha) / (Math.sqrt(v) + epsilon);
      expect(heap[5 * n + i]).toBeCloseTo(m, 6);
      expect(heap[6 * n + i]).toBeCloseTo(v, 6);
      expect(heap[4 * n + i]).toBeCloseTo(w, 5);
    }
  });

  it('on wasm reads and writes the heap without copying a tensor off it', async () => {
    await tf.setBackend('wasm');
    const readSync = vi.spyOn(tf.backend(), 'readSync');
    const shape = [64, 33];
    const c = kernelCase(sizeOf(shape), 9);
    const inputs = {
      variable: tf.tensor(c.w, shape),
      gradient: tf.tensor(c.g, shape),
      m: tf.tensor(c.m, shape),
      v: tf.tensor(c.v, shape),
    };
    const out = tf.engine().runKernel(StrataAdamUpdate, inputs, {
      alpha: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
    }) as tf.Tensor[];
    expect(readSync).not.toHaveBeenCalled();
    expect(out).toHaveLength(3);
    tf.dispose([...out, ...Object.values(inputs)]);
  });
});
