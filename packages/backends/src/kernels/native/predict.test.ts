import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { input, Model, RuntimeError, Sequential, type SymbolicTensor } from '@strata/core';
import { expectTensorsClose } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { resolvesInNode } from '../../node-paths.js';

// onnxruntime-node is an optional peer: without it there is nothing to test.
const hasOrt = resolvesInNode('onnxruntime-node', import.meta.url);
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../io/test/fixtures');

describe.skipIf(!hasOrt)('compiled predict on the native backend', () => {
  let nativePredict: typeof import('./predict.js').nativePredict;
  let ort: typeof import('./ort.js');
  let L: typeof import('@strata/layers');
  let previous: string;

  beforeAll(async () => {
    await import('../../native.js');
    ({ nativePredict } = await import('./predict.js'));
    ort = await import('./ort.js');
    L = await import('@strata/layers');
    previous = tf.getBackend();
    await tf.setBackend('native');
  });
  afterAll(async () => {
    await tf.setBackend(previous);
  });

  /** The model's own (uncompiled) forward pass: `predictStep`, which runs its layers' kernels. */
  function reference(model: Model, xs: tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const out = model.predictStep(xs.length === 1 ? xs[0] : xs);
      return out instanceof tf.Tensor ? [out] : Object.values(out);
    });
  }

  /** Runs the compiled predict, checks it against the model's forward pass within 1e-5, and for leaks. */
  function expectMatches(model: Model, xs: tf.Tensor[]): void {
    const expected = reference(model, xs);
    const before = tf.memory().numTensors;
    const actual = nativePredict(model, xs);
    if (typeof actual === 'string') throw new Error(`not compiled: ${actual}`);
    expect(tf.memory().numTensors).toBe(before + expected.length);
    expect(actual).toHaveLength(expected.length);
    actual.forEach((a, i) => {
      expectTensorsClose(a, expected[i], { atol: 1e-5, rtol: 1e-5 });
    });
    tf.dispose([...actual, ...expected]);
  }

  function mlp(): Sequential {
    return new Sequential([
      new L.Flatten({ inputShape: [28, 28] }),
      new L.Dense({ units: 32, activation: 'relu' }),
      new L.Dropout({ rate: 0.5 }),
      new L.Dense({ units: 10, activation: 'softmax' }),
    ]);
  }

  it('matches the MLP at batch 1, 3 and 1,024 (one session for small batches)', () => {
    const model = mlp();
    const sessions = ort.modelSessionCount();
    for (const [rows, seed] of [
      [1, 1],
      [3, 2],
    ]) {
      const x = tf.randomUniform([rows, 28, 28], 0, 1, 'float32', seed);
      expectMatches(model, [x]);
      x.dispose();
    }
    expect(ort.modelSessionCount()).toBe(sessions + 1);
    const big = tf.randomUniform([1024, 28, 28], 0, 1, 'float32', 3);
    expectMatches(model, [big]);
    big.dispose();
    const threaded = ort.nativeOptions().threads > 1 ? 1 : 0;
    expect(ort.modelSessionCount()).toBe(sessions + 1 + threaded);
  });

  it('matches a CNN', () => {
    const model = new Sequential([
      new L.Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [12, 10, 2] }),
      new L.MaxPooling2D({ poolSize: 2 }),
      new L.Conv2D({ filters: 6, kernelSize: 3, padding: 'same', strides: 2 }),
      new L.Flatten(),
      new L.Dense({ units: 5, activation: 'softmax' }),
    ]);
    const x = tf.randomUniform([2, 12, 10, 2], 0, 1, 'float32', 4);
    expectMatches(model, [x]);
    x.dispose();
  });

  it('matches a functional model with two inputs and two outputs, in the model order', () => {
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
    const out = nativePredict(model, xs) as tf.Tensor[];
    expect(out.map((t) => t.shape)).toEqual([
      [5, 1],
      [5, 3],
    ]);
    tf.dispose(out);
    expectMatches(model, xs);
    tf.dispose(xs);
  });

  it('matches an LSTM', () => {
    const model = new Sequential([
      new L.LSTM({ units: 6, inputShape: [5, 3], returnSequences: true }),
      new L.LSTM({ units: 4 }),
      new L.Dense({ units: 2 }),
    ]);
    const x = tf.randomUniform([3, 5, 3], -1, 1, 'float32', 7);
    expectMatches(model, [x]);
    x.dispose();
  });

  it('matches a committed Keras fixture (mnist-cnn-seq.keras)', async () => {
    const { loadModel } = await import('@strata/io');
    const model = await loadModel(path.join(FIXTURES, 'mnist-cnn-seq.keras'), { warn: () => {} });
    const x = tf.randomUniform([2, ...(model.inputs[0].shape.slice(1) as number[])], 0, 1, 'float32', 8);
    expectMatches(model, [x]);
    x.dispose();
  });

  it('serves the new weights after they change, with no stale session left', () => {
    const model = mlp();
    const x = tf.randomUniform([2, 28, 28], 0, 1, 'float32', 9);
    expectMatches(model, [x]);
    const sessions = ort.modelSessionCount();
    // An optimizer's update, setWeights and loading all write through the variables' assign.
    const kernel = model.layers[1].weights[0];
    tf.tidy(() => kernel.assign(tf.mul(kernel.value, -2)));
    expectMatches(model, [x]);
    model.setWeights(model.getWeights().map((w) => tf.tidy(() => tf.add(w, 0.25))));
    expectMatches(model, [x]);
    expect(ort.modelSessionCount()).toBe(sessions);
    x.dispose();
  });

  it("is released with the backend's sessions and made again on the next call", () => {
    const model = mlp();
    const x = tf.randomUniform([1, 28, 28], 0, 1, 'float32', 10);
    expectMatches(model, [x]);
    ort.releaseSessions();
    expect(ort.modelSessionCount()).toBe(0);
    expectMatches(model, [x]);
    expect(ort.modelSessionCount()).toBe(1);
    x.dispose();
  });

  it('says why it cannot compile a model, and makes no session', () => {
    const sessions = ort.modelSessionCount();
    const cropped = new Sequential([
      new L.CenterCrop({ height: 2, width: 2, inputShape: [4, 4, 1] }),
      new L.Flatten(),
      new L.Dense({ units: 2 }),
    ]);
    const x = tf.zeros([1, 4, 4, 1]);
    expect(nativePredict(cropped, [x])).toMatch(/center_crop.*\(CenterCrop\): no ONNX converter/);
    // Asked again, it answers from its cache.
    expect(nativePredict(cropped, [x])).toMatch(/CenterCrop/);

    class Doubler extends Model {
      override call(inputs: tf.Tensor): tf.Tensor {
        return tf.mul(inputs, 2);
      }
    }
    const doubler = new Doubler();
    tf.dispose(doubler.predict(x));
    expect(nativePredict(doubler, [x])).toMatch(/subclassed model/);

    const ids = tf.zeros([1, 28, 28], 'int32');
    expect(nativePredict(mlp(), [ids])).toMatch(/int32; the compiled predict takes float32 inputs/);
    expect(ort.modelSessionCount()).toBe(sessions);
    tf.dispose([x, ids]);
  });

  it('fails naming predict when ONNX Runtime fails, and leaks nothing', () => {
    const model = mlp();
    const wrong = tf.zeros([1, 27, 28]);
    const before = tf.memory().numTensors;
    let caught: unknown;
    try {
      nativePredict(model, [wrong]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RuntimeError);
    expect((caught as Error).message).toMatch(
      /predict\(\) failed running model "sequential.*" in ONNX Runtime/,
    );
    expect(tf.memory().numTensors).toBe(before);
    wrong.dispose();
  });
});
