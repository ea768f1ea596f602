/**
 * The native backend (`@strata/backends/native`): selecting it, its options, the error without
 * onnxruntime-node, training parity with cpu, and its ONNX Runtime sessions' lifetime.
 */
import { RuntimeError, Sequential, ValueError } from '@strata/core';
import { seededValues } from '@strata/core/testing';
import { Conv2D, Dense, Dropout, Flatten, MaxPooling2D } from '@strata/layers';
import '@strata/losses-metrics';
import { availableParallelism } from 'node:os';
import { Adam } from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../src/cpu.js';
import { findBackend, getBackend, setBackend } from '../src/index.js';
import { resolvesInNode } from '../src/node-paths.js';
import { setEntryImporter } from '../src/set-backend.js';
import { checkAdamUpdate } from './adam-update-check.js';

const hasOrt = resolvesInNode('onnxruntime-node', import.meta.url);

describe('native backend without onnxruntime-node', () => {
  it("setBackend('native') fails with the package to install", async () => {
    expect(findBackend('native')).toBeUndefined();
    // What Node's require throws from dist/native.js when the optional peer is not installed.
    const previous = setEntryImporter(async () => {
      const err = new Error(
        "Cannot find module 'onnxruntime-node'\nRequire stack:\n- /app/node_modules/@strata/backends/dist/kernels/native/ort.js",
      ) as Error & { code: string };
      err.code = 'MODULE_NOT_FOUND';
      throw err;
    });
    try {
      const error = await setBackend('native').catch((e) => e);
      expect(error).toBeInstanceOf(RuntimeError);
      expect(error.message).toBe(
        "Backend 'native' needs the package onnxruntime-node: npm install onnxruntime-node",
      );
      expect(getBackend()).toBe('cpu');
    } finally {
      setEntryImporter(previous);
    }
  });
});

interface Spec {
  name: string;
  xShape: number[];
  build(): Sequential;
}

const specs: Spec[] = [
  {
    name: 'MLP',
    xShape: [32, 64],
    build: () =>
      new Sequential([
        new Dense({ units: 48, activation: 'relu', inputShape: [64] }),
        new Dropout({ rate: 0.25, seed: 1 }),
        new Dense({ units: 10, activation: 'softmax' }),
      ]),
  },
  {
    name: 'small CNN',
    xShape: [8, 28, 28, 1],
    build: () =>
      new Sequential([
        new Conv2D({ filters: 16, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
        new MaxPooling2D({ poolSize: 2 }),
        // 48 filters: the Dense kernel (7·7·48 × 10) is large enough for the native Adam update.
        new Conv2D({ filters: 48, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
        new Flatten(),
        new Dropout({ rate: 0.5, seed: 2 }),
        new Dense({ units: 10, activation: 'softmax' }),
      ]),
  },
];

/** Builds the model on `backend` from `weights` (or its own), takes 3 Adam steps; losses before and after each. */
async function train(backend: 'cpu' | 'native', spec: Spec, weights: Float32Array[] | null) {
  await setBackend(backend);
  const model = spec.build();
  // The native kernels against cpu's, step by step: the uncompiled step (the compiled one, whose Dropout masks
  // come from ONNX Runtime, is checked against this one in native-step.test.ts).
  model.compile({
    optimizer: new Adam({ learningRate: 0.01 }),
    loss: 'sparse_categorical_crossentropy',
    jitCompile: false,
  });
  const n = spec.xShape[0];
  const x = tf.tensor(
    seededValues(
      spec.xShape.reduce((a, b) => a * b, 1),
      7,
    ),
    spec.xShape,
  );
  const y = tf.tensor1d(
    Array.from({ length: n }, (_, i) => (i * 7 + 3) % 10),
    'int32',
  );
  tf.dispose(model.predict(x) as tf.Tensor); // builds the weights
  const start = weights ?? model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(start[i], w.shape)));
  const losses: number[] = [];
  const tensorCounts: number[] = [];
  for (let step = 0; step < 3; step++) {
    losses.push(Number(await model.testOnBatch(x, y)));
    await model.trainOnBatch(x, y);
    tensorCounts.push(tf.memory().numTensors);
  }
  losses.push(Number(await model.testOnBatch(x, y)));
  tf.dispose([x, y]);
  return { losses, start, tensorCounts };
}

describe.skipIf(!hasOrt)('native backend', () => {
  it("setBackend('native') selects it, and it runs ONNX Runtime sessions", async () => {
    await expect(setBackend('native')).resolves.toBe('native');
    const { sessionCount } = await import('../src/kernels/native/ort.js');
    const before = sessionCount();
    const y = tf.matMul(tf.ones([40, 30]), tf.fill([30, 20], 0.5));
    // Each entry is 30 · 0.5, computed by ONNX Runtime (a new session for this signature).
    expect(Array.from(await y.data()).every((v) => v === 15)).toBe(true);
    expect(sessionCount()).toBe(before + 1);
    tf.dispose(y);
  });

  it('takes its thread count from configureNative, every core by default', async () => {
    const { configureNative, nativeOptions } = await import('../src/native.js');
    expect(nativeOptions().threads).toBe(availableParallelism());
    expect(() => configureNative({ threads: 0 })).toThrow(ValueError);
    expect(() => configureNative({ threads: 1.5 })).toThrow(
      'configureNative expects threads to be a positive integer. Received: threads=1.5',
    );
    configureNative({ threads: 1 });
    expect(nativeOptions().threads).toBe(1);
    configureNative({ threads: availableParallelism() });
  });

  it("StrataAdamUpdate follows Keras 3's Adam formulas, on ONNX Runtime for a large weight", async () => {
    await setBackend('native');
    const { sessionCount } = await import('../src/kernels/native/ort.js');
    const before = sessionCount();
    const checks = await checkAdamUpdate('native');
    // [784, 512] ran as a new ONNX Runtime model; the small weights on the cpu kernel.
    expect(sessionCount()).toBe(before + 1);
    for (const c of checks) {
      expect(c.kernel).toBe(true);
      expect(c.leakedData).toBe(0);
      expect(c.worst).toBeLessThan(1e-6);
    }
  });

  for (const spec of specs) {
    it(`${spec.name}: Adam training matches cpu within 1e-4 for 3 steps, with no tensors left behind`, async () => {
      const cpu = await train('cpu', spec, null);
      const native = await train('native', spec, cpu.start);
      expect(native.losses.every(Number.isFinite)).toBe(true);
      expect(native.losses[3]).toBeLessThan(native.losses[0]);
      // Steps after the first (which creates the optimizer's slots) leave no tensors behind.
      expect(native.tensorCounts[2]).toBe(native.tensorCounts[1]);
      for (let i = 0; i < 4; i++) expect(Math.abs(cpu.losses[i] - native.losses[i])).toBeLessThan(1e-4);
    });
  }

  it('fails an op with a clear error when ONNX Runtime rejects its model, leaving nothing behind', async () => {
    await setBackend('native');
    const { runModel } = await import('../src/kernels/native/ort.js');
    const before = tf.memory().numTensors;
    expect(() =>
      runModel(
        'bad',
        (g) => {
          g.addInput('a', [2, 3], 'float32');
          // [2, 3] · [2, 3]: ONNX Runtime's shape inference refuses the model.
          g.addOutput('y', g.op1('MatMul', ['a', 'a']), [2, 3], 'float32');
        },
        { a: { values: new Float32Array(6), shape: [2, 3] } },
        6,
      ),
    ).toThrow(/^ONNX Runtime failed running bad: /);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('releases its sessions when the backend is disposed, and works again after', async () => {
    await setBackend('native');
    const { sessionCount } = await import('../src/kernels/native/ort.js');
    const before = sessionCount();
    tf.dispose(tf.matMul(tf.ones([33, 30]), tf.ones([30, 21])));
    expect(sessionCount()).toBe(before + 1);
    tf.removeBackend('native');
    expect(sessionCount()).toBe(0);
    await expect(setBackend('native')).resolves.toBe('native');
    const y = tf.matMul(tf.ones([33, 30]), tf.ones([30, 21]));
    expect((await y.data())[0]).toBe(30);
    expect(sessionCount()).toBe(1);
    tf.dispose(y);
  });
});
