import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

import { input, Model, RuntimeError, Sequential, type SymbolicTensor, ValueError } from '@strata/core';
import { expectTensorsClose } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { resolvesInNode } from '../../node-paths.js';

// onnxruntime-node is an optional peer: without it there is nothing to test.
const hasOrt = resolvesInNode('onnxruntime-node', import.meta.url);
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../io/test/fixtures');

describe.skipIf(!hasOrt)('compiled predict on the native backend', () => {
  let ort: typeof import('./ort.js');
  let L: typeof import('@strata/layers');
  let previous: string;

  beforeAll(async () => {
    await import('../../native.js');
    ort = await import('./ort.js');
    L = await import('@strata/layers');
    await import('@strata/optimizers');
    await import('@strata/losses-metrics');
    previous = tf.getBackend();
    await tf.setBackend('native');
  });
  afterAll(async () => {
    await tf.setBackend(previous);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** The model's own forward pass (`predictStep` runs its layers' kernels), one tensor per output. */
  function reference(model: Model, xs: tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const out = model.predictStep(xs.length === 1 ? xs[0] : xs);
      return out instanceof tf.Tensor ? [out] : Object.values(out);
    });
  }

  /**
   * `predict` in `batches` ONNX Runtime runs, against the model's forward pass within 1e-5, leaving only
   * its outputs behind; returns the session of each run.
   */
  function expectCompiled(
    model: Model,
    xs: tf.Tensor[],
    batches: number,
    batchSize?: number,
  ): InstanceType<typeof ort.ModelSession>[] {
    const expected = reference(model, xs);
    const runs = vi.spyOn(ort.ModelSession.prototype, 'run');
    const before = tf.memory().numTensors;
    const out = model.predict(xs.length === 1 ? xs[0] : xs, { batchSize });
    const actual = out instanceof tf.Tensor ? [out] : (out as tf.Tensor[]);
    expect(tf.memory().numTensors).toBe(before + expected.length);
    expect(runs).toHaveBeenCalledTimes(batches);
    const sessions = runs.mock.contexts as InstanceType<typeof ort.ModelSession>[];
    runs.mockRestore();
    expect(actual).toHaveLength(expected.length);
    actual.forEach((a, i) => {
      expectTensorsClose(a, expected[i], { atol: 1e-5, rtol: 1e-5 });
    });
    tf.dispose([...actual, ...expected]);
    return sessions;
  }

  function mlp(): Sequential {
    return new Sequential([
      new L.Flatten({ inputShape: [28, 28] }),
      new L.Dense({ units: 32, activation: 'relu' }),
      new L.Dropout({ rate: 0.5 }),
      new L.Dense({ units: 10, activation: 'softmax' }),
    ]);
  }

  it('runs the MLP as one call per batch, at batch 1, 3 and 1,024, on one session', () => {
    const model = mlp();
    const sessions = ort.modelSessionCount();
    const one = tf.randomUniform([1, 28, 28], 0, 1, 'float32', 1);
    expectCompiled(model, [one], 1);
    const five = tf.randomUniform([5, 28, 28], 0, 1, 'float32', 2);
    // Batches of 3 and 2: two signatures, one session.
    expectCompiled(model, [five], 2, 3);
    expect(ort.modelSessionCount()).toBe(sessions + 1);
    const big = tf.randomUniform([1024, 28, 28], 0, 1, 'float32', 3);
    expectCompiled(model, [big], 1, 1024);
    expect(ort.modelSessionCount()).toBe(sessions + 1);
    tf.dispose([one, five, big]);
  });

  it("runs every batch size on configureNative's thread count, with workers that spin 100 µs before they sleep", () => {
    const threads = ort.nativeOptions().threads;
    try {
      const model = mlp();
      const one = tf.randomUniform([1, 28, 28], 0, 1, 'float32', 16);
      const big = tf.randomUniform([256, 28, 28], 0, 1, 'float32', 17);
      ort.configureNative({ threads: 2 });
      ort.releaseSessions();
      const [small] = expectCompiled(model, [one], 1);
      const [large] = expectCompiled(model, [big], 1, 256);
      expect(ort.modelSessionCount()).toBe(1);
      // Both ran on the one session: every thread, with the bounded spin.
      expect(large).toBe(small);
      expect([small.threadCount, small.spinMicros]).toEqual([2, 100]);
      // A new thread count releases every session.
      ort.configureNative({ threads: 1 });
      expect(ort.modelSessionCount()).toBe(0);
      const [again] = expectCompiled(model, [big], 1, 256);
      expect(expectCompiled(model, [one], 1)).toEqual([again]);
      expect(ort.modelSessionCount()).toBe(1);
      expect([again.threadCount, again.spinMicros]).toEqual([1, 100]);
      tf.dispose([one, big]);
    } finally {
      ort.configureNative({ threads });
    }
  });

  it('runs a CNN', () => {
    const model = new Sequential([
      new L.Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [12, 10, 2] }),
      new L.MaxPooling2D({ poolSize: 2 }),
      new L.Conv2D({ filters: 6, kernelSize: 3, padding: 'same', strides: 2 }),
      new L.Flatten(),
      new L.Dense({ units: 5, activation: 'softmax' }),
    ]);
    const x = tf.randomUniform([2, 12, 10, 2], 0, 1, 'float32', 4);
    expectCompiled(model, [x], 1);
    x.dispose();
  });

  it('runs a functional model with two inputs and two outputs, in the model order', () => {
    const a = input({ shape: [6], name: 'a' });
    const b = input({ shape: [4], name: 'b' });
    const merged = new L.Concatenate().apply([
      new L.Dense({ units: 8, activation: 'tanh' }).apply(a),
      new L.Dense({ units: 8, activation: 'relu' }).apply(b),
    ]) as SymbolicTensor;
    const model = new Model({
      inputs: [a, b],
      outputs: [
        new L.Dense({ units: 1, activation: 'sigmoid' }).apply(merged),
        new L.Dense({ units: 3 }).apply(merged),
      ],
    });
    const xs = [tf.randomUniform([5, 6], -1, 1, 'float32', 5), tf.randomUniform([5, 4], -1, 1, 'float32', 6)];
    const out = model.predict(xs) as tf.Tensor[];
    expect(out.map((t) => t.shape)).toEqual([
      [5, 1],
      [5, 3],
    ]);
    tf.dispose(out);
    expectCompiled(model, xs, 1);
    tf.dispose(xs);
  });

  it('runs an LSTM', () => {
    const model = new Sequential([
      new L.LSTM({ units: 6, inputShape: [5, 3], returnSequences: true }),
      new L.LSTM({ units: 4 }),
      new L.Dense({ units: 2 }),
    ]);
    const x = tf.randomUniform([3, 5, 3], -1, 1, 'float32', 7);
    expectCompiled(model, [x], 1);
    x.dispose();
  });

  it('runs a committed Keras fixture, and keeps to the jit_compile its file says', async () => {
    const { loadModel } = await import('@strata/io');
    const load = (name: string) => loadModel(path.join(FIXTURES, name), { warn: () => {} });
    const sample = (model: Model, seed: number) =>
      tf.randomUniform([2, ...(model.inputs[0].shape.slice(1) as number[])], 0, 1, 'float32', seed);
    // Saved by Keras with jit_compile=true (Strata's 'auto'), and with jit_compile=false.
    const mlpFixture = await load('mnist-mlp-seq.keras');
    expect(mlpFixture.jitCompile).toBe('auto');
    const x = sample(mlpFixture, 8);
    expectCompiled(mlpFixture, [x], 1);
    const cnnFixture = await load('mnist-cnn-seq.keras');
    expect(cnnFixture.jitCompile).toBe(false);
    const image = sample(cnnFixture, 9);
    expectCompiled(cnnFixture, [image], 0);
    tf.dispose([x, image]);
  });

  it('serves the new weights after training, setWeights or an assign, with no stale session left', async () => {
    const model = mlp();
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = tf.randomUniform([4, 28, 28], 0, 1, 'float32', 9);
    const y = tf.randomUniform([4, 10], 0, 1, 'float32', 10);
    expectCompiled(model, [x], 1);
    const sessions = ort.modelSessionCount();
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    expectCompiled(model, [x], 1);
    // Scaled, not shifted: adding 0.25 to every weight made logits of ~800, whose float32 rounding (the two
    // forward passes sum in different orders) moved probabilities by up to 4e-5.
    model.setWeights(model.getWeights().map((w) => tf.tidy(() => tf.mul(w, 1.5))));
    expectCompiled(model, [x], 1);
    const kernel = model.layers[1].weights[0];
    tf.tidy(() => kernel.assign(tf.mul(kernel.value, -2)));
    expectCompiled(model, [x], 1);
    expect(ort.modelSessionCount()).toBe(sessions);
    tf.dispose([x, y]);
  });

  it("is released with the backend's sessions and with the model", () => {
    const model = mlp();
    const x = tf.randomUniform([1, 28, 28], 0, 1, 'float32', 11);
    expectCompiled(model, [x], 1);
    ort.releaseSessions();
    expect(ort.modelSessionCount()).toBe(0);
    expectCompiled(model, [x], 1);
    expect(ort.modelSessionCount()).toBe(1);
    model.dispose();
    expect(ort.modelSessionCount()).toBe(0);
    x.dispose();
  });

  it('releases the sessions of a model that is garbage-collected', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const x = tf.randomUniform([1, 28, 28], 0, 1, 'float32', 15);
    const before = ort.modelSessionCount();
    (() => {
      const model = mlp();
      tf.dispose(model.predict(x));
      // Its weights go; the model itself is only dropped, never disposed.
      for (const v of model.weights) v.dispose();
    })();
    expect(ort.modelSessionCount()).toBe(before + 1);
    for (let i = 0; i < 50 && ort.modelSessionCount() > before; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(ort.modelSessionCount()).toBe(before);
    x.dispose();
  });

  it("falls back to the model's own forward pass under 'auto', and throws why under jitCompile: true", () => {
    const cropped = () =>
      new Sequential([
        new L.CenterCrop({ height: 2, width: 2, inputShape: [4, 4, 1] }),
        new L.Flatten(),
        new L.Dense({ units: 2 }),
      ]);
    const x = tf.randomUniform([3, 4, 4, 1], 0, 1, 'float32', 12);
    const sessions = ort.modelSessionCount();
    expectCompiled(cropped(), [x], 0);

    const strict = cropped();
    strict.compile({ optimizer: 'sgd', loss: 'mse', jitCompile: true });
    const before = tf.memory().numTensors;
    expect(() => strict.predict(x)).toThrow(ValueError);
    expect(() => strict.predict(x)).toThrow(/center_crop.*\(CenterCrop\): no ONNX converter/);
    expect(tf.memory().numTensors).toBe(before);

    class Doubler extends Model {
      override call(inputs: tf.Tensor): tf.Tensor {
        return tf.mul(inputs, 2);
      }
    }
    const doubler = new Doubler();
    doubler.compile({ optimizer: 'sgd', loss: 'mse', jitCompile: true });
    expect(() => doubler.predict(x)).toThrow(/subclassed model/);

    const ids = input({ shape: [3], dtype: 'int32' });
    const embedded = new Model({
      inputs: ids,
      outputs: new L.Dense({ units: 2 }).apply(
        new L.Flatten().apply(new L.Embedding({ inputDim: 5, outputDim: 2 }).apply(ids)),
      ),
    });
    const tokens = tf.tensor2d([[0, 4, 2]], [1, 3], 'int32');
    expectCompiled(embedded, [tokens], 0);
    embedded.compile({ optimizer: 'sgd', loss: 'mse', jitCompile: true });
    expect(() => embedded.predict(tokens)).toThrow(/int32; the compiled predict takes float32 inputs/);

    const offline = mlp();
    offline.compile({ optimizer: 'sgd', loss: 'mse', jitCompile: false });
    const digits = tf.randomUniform([2, 28, 28], 0, 1, 'float32', 13);
    expectCompiled(offline, [digits], 0);
    expect(ort.modelSessionCount()).toBe(sessions);
    tf.dispose([x, digits, tokens]);
  });

  it('fails naming predict when ONNX Runtime fails, and leaks nothing', () => {
    const model = mlp();
    const x = tf.randomUniform([2, 28, 28], 0, 1, 'float32', 14);
    expectCompiled(model, [x], 1);
    vi.spyOn(ort.ModelSession.prototype, 'run').mockImplementation(() => {
      throw new Error('bad allocation');
    });
    const before = tf.memory().numTensors;
    let caught: unknown;
    try {
      model.predict(x);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RuntimeError);
    expect((caught as Error).message).toMatch(
      /predict\(\) failed running model "sequential.*" in ONNX Runtime .*: bad allocation/,
    );
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
