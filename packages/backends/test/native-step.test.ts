/**
 * The compiled training step on the native backend (issue 20): `fit` with `jitCompile` 'auto' or true runs
 * the whole step as one ONNX Runtime session call per batch. The uncompiled step on the same backend
 * (`jitCompile: false`, its kernels checked against tfjs elsewhere) is the reference: per-batch logs, weights
 * and optimizer state agree within 1e-4. Also: the fallback of 'auto', the errors of `true`, Dropout's mask,
 * tensor leaks, sessions' lifetime, and a script that exits by itself after `fit`.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  Callback,
  input,
  type Logs,
  Model,
  type Optimizer,
  RuntimeError,
  Sequential,
  type StepData,
  type StepLogs,
  type SymbolicTensor,
  ValueError,
} from '@strata/core';
import { expectClose, seededValues } from '@strata/core/testing';
import {
  Activation,
  AveragePooling2D,
  BatchNormalization,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  GlobalAveragePooling2D,
  MaxPooling2D,
} from '@strata/layers';
import '@strata/losses-metrics';
import { Adam, RMSprop, SGD } from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';

import '../src/cpu.js';
import { findBackend, setBackend } from '../src/index.js';
import { trainStepGraph } from '../src/kernels/native/step/compile-step.js';
import { ownValues } from '../src/kernels/native/step/resident.js';
import { resolvesInNode } from '../src/node-paths.js';

const hasOrt = resolvesInNode('onnxruntime-node', import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

/** Records each batch's logs and the live tensor count after it. */
class Recorder extends Callback {
  readonly logs: Record<string, number>[] = [];
  readonly tensorCounts: number[] = [];
  override onTrainBatchEnd(_batch: number, logs?: Logs): void {
    this.logs.push({ ...logs });
    this.tensorCounts.push(tf.memory().numTensors);
  }
}

interface Case {
  name: string;
  build(): Sequential;
  xShape: number[];
  classes: number;
  batchSize: number;
  optimizer(): Optimizer;
  loss: 'sparse_categorical_crossentropy' | 'categorical_crossentropy' | 'binary_crossentropy';
}

const mlp = () =>
  new Sequential([
    new Flatten({ inputShape: [8, 8] }),
    new Dense({ units: 32, activation: 'relu' }),
    new Dropout({ rate: 0 }),
    new Dense({ units: 10, activation: 'softmax' }),
  ]);

/** The bench CNN (bench/src/models.ts) with Dropout(0). */
const cnn = () =>
  new Sequential([
    new Conv2D({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
    new MaxPooling2D({ poolSize: 2 }),
    new Conv2D({ filters: 64, kernelSize: 3, activation: 'relu' }),
    new MaxPooling2D({ poolSize: 2 }),
    new Flatten(),
    new Dropout({ rate: 0 }),
    new Dense({ units: 10, activation: 'softmax' }),
  ]);

/** A functional chain: Dense on rank-3 inputs (its last axis), tanh, an Activation layer, sigmoid output. */
const functionalChain = () => {
  const x = input({ shape: [4, 6] });
  let h = new Dense({ units: 8, activation: 'tanh' }).apply(x) as SymbolicTensor;
  h = new Activation({ activation: 'relu' }).apply(
    new Flatten().apply(h) as SymbolicTensor,
  ) as SymbolicTensor;
  const out = new Dense({ units: 1, activation: 'sigmoid' }).apply(h) as SymbolicTensor;
  return new Model({ inputs: x, outputs: out }) as unknown as Sequential;
};

/** Average pooling, a strided 'same' convolution, tanh, and global average pooling into the classifier. */
const poolingCnn = () =>
  new Sequential([
    new Conv2D({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [12, 12, 3] }),
    new AveragePooling2D({ poolSize: 2 }),
    new Conv2D({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
    new GlobalAveragePooling2D(),
    new Dense({ units: 4, activation: 'softmax' }),
  ]);

const cases: Case[] = [
  {
    name: 'MLP, Adam, sparse crossentropy',
    build: mlp,
    xShape: [80, 8, 8],
    classes: 10,
    batchSize: 16,
    optimizer: () => new Adam({ learningRate: 0.01 }),
    loss: 'sparse_categorical_crossentropy',
  },
  {
    name: 'MLP, SGD with momentum, categorical crossentropy, a smaller last batch',
    build: mlp,
    xShape: [72, 8, 8],
    classes: 10,
    batchSize: 16,
    optimizer: () => new SGD({ learningRate: 0.1, momentum: 0.9 }),
    loss: 'categorical_crossentropy',
  },
  {
    name: 'functional chain (rank-3 Dense, tanh, Activation, sigmoid), RMSprop, binary crossentropy',
    build: functionalChain,
    xShape: [48, 4, 6],
    classes: 2,
    batchSize: 16,
    optimizer: () => new RMSprop({ learningRate: 0.01 }),
    loss: 'binary_crossentropy',
  },
  {
    name: 'CNN with average pooling and global average pooling, Nesterov SGD, sparse crossentropy',
    build: poolingCnn,
    xShape: [32, 12, 12, 3],
    classes: 4,
    batchSize: 8,
    optimizer: () => new SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true }),
    loss: 'sparse_categorical_crossentropy',
  },
  {
    name: 'bench CNN, Adam, sparse crossentropy',
    build: cnn,
    xShape: [40, 28, 28, 1],
    classes: 10,
    batchSize: 8,
    optimizer: () => new Adam({ learningRate: 1e-3 }),
    loss: 'sparse_categorical_crossentropy',
  },
  {
    name: 'bench CNN, SGD, categorical crossentropy',
    build: cnn,
    xShape: [40, 28, 28, 1],
    classes: 10,
    batchSize: 8,
    optimizer: () => new SGD({ learningRate: 0.05 }),
    loss: 'categorical_crossentropy',
  },
];

/** The model's weights' values (the tensors `getWeights` makes are released). */
function weightValues(model: Sequential): Float32Array[] {
  const weights = model.getWeights();
  const values = weights.map((w) => w.dataSync().slice() as Float32Array);
  tf.dispose(weights);
  return values;
}

/**
 * Fixed starting weights (uniform within ±sqrt(3 / fan-in), biases ±0.05), so every run compares the same
 * trajectories: from a random start a pre-activation or a pooling window's two largest values can sit
 * close enough together that float rounding picks a different ReLU side or maximum in the two steps.
 */
function seededWeights(model: Sequential): Float32Array[] {
  return model.weights.map((w, i) => {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const fanIn = w.shape.length > 1 ? size / w.shape[w.shape.length - 1] : 0;
    const limit = fanIn > 0 ? Math.sqrt(3 / fanIn) : 0.05;
    return seededValues(size, 100 + i, -limit, limit);
  });
}

function data(c: Case) {
  const n = c.xShape[0];
  const x = tf.tensor(seededValues(tf.util.sizeFromShape(c.xShape), 11, 0, 1), c.xShape);
  const labels = Array.from({ length: n }, (_, i) => (i * 7 + 3) % c.classes);
  let y: tf.Tensor;
  if (c.loss === 'sparse_categorical_crossentropy') y = tf.tensor1d(labels, 'int32');
  else if (c.loss === 'binary_crossentropy') y = tf.tensor2d(labels, [n, 1]);
  else y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), c.classes).toFloat());
  return { x, y };
}

/** Trains one epoch (no shuffling) from `start` weights; what it logged, the weights and optimizer state after. */
async function train(c: Case, jitCompile: boolean | 'auto', start: Float32Array[] | null) {
  await setBackend('native');
  const model = c.build();
  const { x, y } = data(c);
  // Built (by an uncompiled model's predict) before compile.
  tf.tidy(() => {
    model.predict(x.slice(0, 1));
  });
  model.compile({ optimizer: c.optimizer(), loss: c.loss, metrics: ['accuracy'], jitCompile });
  const weights = start ?? seededWeights(model);
  tf.tidy(() => model.setWeights(model.getWeights().map((w, i) => tf.tensor(weights[i], w.shape))));
  const recorder = new Recorder();
  await model.fit(x, y, {
    epochs: 1,
    batchSize: c.batchSize,
    shuffle: false,
    verbose: 0,
    callbacks: [recorder],
  });
  const after = weightValues(model);
  const optimizer = model.optimizer!;
  const state = optimizer.variables.map((v) => v.value.dataSync().slice());
  const iterations = optimizer.iterations.value.dataSync()[0];
  tf.dispose([x, y]);
  model.dispose();
  return {
    logs: recorder.logs,
    tensorCounts: recorder.tensorCounts,
    start: weights,
    after,
    state,
    iterations,
  };
}

describe.skipIf(!hasOrt)('compiled training step on the native backend', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  for (const c of cases) {
    it(`${c.name}: per-batch logs, weights and optimizer state match the uncompiled step within 1e-4`, async () => {
      await setBackend('native');
      const compiler = vi.spyOn(findBackend('native')!, 'compileTrainStep');
      const reference = await train(c, false, null);
      expect(compiler).not.toHaveBeenCalled();
      const compiled = await train(c, true, reference.start);
      // One compiled step per batch signature (a smaller last batch is another).
      const signatures = c.xShape[0] % c.batchSize === 0 ? 1 : 2;
      expect(compiler).toHaveBeenCalledTimes(signatures);
      for (const result of compiler.mock.results) expect(typeof result.value).toBe('object');

      const steps = Math.ceil(c.xShape[0] / c.batchSize);
      expect(compiled.logs).toHaveLength(steps);
      expect(Object.keys(compiled.logs[0])).toEqual(['loss', 'accuracy']);
      for (let i = 0; i < steps; i++) {
        expectClose([compiled.logs[i].loss], [reference.logs[i].loss], 1e-4);
        expectClose([compiled.logs[i].accuracy], [reference.logs[i].accuracy], 1e-6);
      }
      // The weights moved, and equally.
      expect(compiled.after.some((w, i) => w.some((v, j) => v !== reference.start[i][j]))).toBe(true);
      compiled.after.forEach((w, i) => {
        expectClose(w, reference.after[i], 1e-4);
      });
      expect(compiled.iterations).toBe(steps);
      expect(compiled.iterations).toBe(reference.iterations);
      compiled.state.forEach((s, i) => {
        expectClose(s, reference.state[i], 1e-4);
      });
      // No tensor growth from batch to batch (the first creates the metrics' state).
      expect(new Set(compiled.tensorCounts.slice(1)).size).toBe(1);
    });
  }

  it('the first layer with weights computes no input gradient (its Dense after a Flatten: no third product)', async () => {
    await setBackend('native');
    const c = cases[0];
    const model = c.build();
    model.compile({ optimizer: c.optimizer(), loss: c.loss, jitCompile: true });
    const compiler = vi.spyOn(findBackend('native')!, 'compileTrainStep');
    const { x, y } = data(c);
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    const graph = trainStepGraph(compiler.mock.calls[0][0]);
    if (typeof graph === 'string') throw new Error(graph);
    const ops = (graph.toProto('step').node as { opType: string }[]).map((n) => n.opType);
    // Two Dense layers: two forward products and two kernel gradients, and the input gradient of the
    // second only (the first's input is the data).
    expect(ops.filter((op) => op === 'Gemm')).toHaveLength(5);
    tf.dispose([x, y]);
    model.dispose();
  });

  it("'auto' compiles by default, and a later uncompiled step continues from the compiled state", async () => {
    await setBackend('native');
    const c = cases[0];
    const model = c.build();
    model.compile({ optimizer: c.optimizer(), loss: c.loss });
    expect(model.jitCompile).toBe('auto');
    const compiler = vi.spyOn(findBackend('native')!, 'compileTrainStep');
    const { x, y } = data(c);
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    expect(compiler).toHaveBeenCalledTimes(1);
    expect(model.optimizer!.iterations.value.dataSync()[0]).toBe(5);
    model.jitCompile = false;
    const loss = (await model.trainOnBatch(x, y)) as number;
    expect(Number.isFinite(loss)).toBe(true);
    expect(model.optimizer!.iterations.value.dataSync()[0]).toBe(6);
    // Sample weights: not compiled, so 'auto' runs those batches uncompiled.
    model.jitCompile = 'auto';
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, classWeight: { 0: 2 } });
    expect(compiler).toHaveBeenCalledTimes(2);
    expect(compiler.mock.results[1].value).toBe(
      'the batches carry sample weights (sampleWeight or classWeight)',
    );
    expect(model.optimizer!.iterations.value.dataSync()[0]).toBe(11);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('pixels cast from int32 (tfjs-cpu keeps their Int32Array under float32) run on the native kernels, compiled fit and compiled predict', async () => {
    await setBackend('native');
    const before = tf.memory().numTensors;
    // 64 images of 28 x 28 = 50,176 values: above the size where element-wise ops go to ONNX Runtime.
    const raw = Int32Array.from({ length: 64 * 28 * 28 }, (_, i) => (i * 37) % 256);
    const labels = Int32Array.from({ length: 64 }, (_, i) => i % 10);
    const pixels = tf.tensor(raw, [64, 28, 28], 'int32');
    const x = tf.div(pixels, 255);
    // By hand: pixel / 255, the same op tfjs-cpu computes.
    expectClose(
      Array.from(x.dataSync()),
      Array.from(raw, (v) => v / 255),
      1e-6,
    );
    const cast = tf.cast(pixels, 'float32');
    const y = tf.tensor(labels, [64], 'int32');
    const make = () => {
      const m = new Sequential([
        new Flatten({ inputShape: [28, 28] }),
        new Dense({ units: 10, activation: 'softmax', kernelInitializer: 'zeros' }),
      ]);
      m.compile({ optimizer: new SGD({ learningRate: 1e-4 }), loss: 'sparse_categorical_crossentropy' });
      return m;
    };
    const compiled = make();
    const reference = make();
    reference.jitCompile = false;
    const compiler = vi.spyOn(findBackend('native')!, 'compileTrainStep');
    await compiled.fit(cast, y, { epochs: 1, batchSize: 32, verbose: 0, shuffle: false });
    const scaled = x.mul(255);
    await reference.fit(scaled, y, { epochs: 1, batchSize: 32, verbose: 0, shuffle: false });
    expect(typeof compiler.mock.results[0].value).toBe('object');
    const [p, q] = [compiled.predict(cast) as tf.Tensor, reference.predict(cast) as tf.Tensor];
    expectClose(Array.from(p.dataSync()), Array.from(q.dataSync()), 1e-5);
    tf.dispose([pixels, x, cast, scaled, y, p, q]);
    compiled.dispose();
    reference.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('weights made on another backend, and trained there between compiled steps, move to native', async () => {
    const c = cases[0];
    const { x, y } = data(c);
    await setBackend('cpu');
    const model = c.build();
    tf.tidy(() => {
      model.predict(x.slice(0, 1));
    });
    model.compile({ optimizer: c.optimizer(), loss: c.loss, jitCompile: 'auto' });
    await setBackend('native');
    const compiler = vi.spyOn(findBackend('native')!, 'compileTrainStep');
    const first = (await model.trainOnBatch(x, y)) as number;
    expect(typeof compiler.mock.results[0].value).toBe('object');
    await setBackend('cpu');
    await model.trainOnBatch(x, y);
    await setBackend('native');
    const third = (await model.trainOnBatch(x, y)) as number;
    expect(third).toBeLessThan(first);
    expect(model.optimizer!.iterations.value.dataSync()[0]).toBe(3);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('validation, History and stopTraining around the compiled step are those of the uncompiled one', async () => {
    const c = cases[0];
    const { x, y } = data(c);
    const run = async (jitCompile: boolean, start: Float32Array[] | null) => {
      await setBackend('native');
      const model = c.build();
      tf.tidy(() => {
        model.predict(x.slice(0, 1));
      });
      const weights = start ?? seededWeights(model);
      tf.tidy(() => model.setWeights(model.getWeights().map((w, i) => tf.tensor(weights[i], w.shape))));
      model.compile({ optimizer: c.optimizer(), loss: c.loss, metrics: ['accuracy'], jitCompile });
      // Stops after the third batch of the second epoch.
      const stopper = new (class extends Callback {
        epoch = 0;
        override onEpochBegin(epoch: number): void {
          this.epoch = epoch;
        }
        override onTrainBatchEnd(batch: number): void {
          if (this.epoch === 1 && batch === 2) model.stopTraining = true;
        }
      })();
      const history = await model.fit(x, y, {
        epochs: 3,
        batchSize: 16,
        shuffle: false,
        validationSplit: 0.2,
        verbose: 0,
        callbacks: [stopper],
      });
      const iterations = model.optimizer!.iterations.value.dataSync()[0];
      model.dispose();
      return { history: history.history, iterations, weights };
    };
    const reference = await run(false, null);
    const compiled = await run(true, reference.weights);
    // 64 training samples: 4 batches in epoch 1, 3 in epoch 2.
    expect(compiled.iterations).toBe(7);
    expect(reference.iterations).toBe(7);
    expect(Object.keys(compiled.history)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    for (const key of Object.keys(reference.history)) {
      expect(compiled.history[key]).toHaveLength(2);
      expectClose(compiled.history[key], reference.history[key], 1e-4);
    }
    tf.dispose([x, y]);
  });

  it('Dropout in the compiled step keeps about 1 - rate of the values, scaled by 1 / (1 - rate), and its gradient takes the same mask', async () => {
    await setBackend('native');
    // x = 1 → Dense(ones) gives 1000 ones → Dropout(0.5) → Dense(ones) sums them: each prediction is
    // 2 · (the kept count). With MSE against 0, dL/dpred_n = 2·pred_n/N, so both kernels' gradients are
    // Σ_n 2·pred_n/N · 2·mask_nj: equal only if the backward pass used the forward pass's mask and scale.
    const model = new Sequential([
      new Dense({ units: 1000, useBias: false, kernelInitializer: 'ones', inputShape: [1] }),
      new Dropout({ rate: 0.5 }),
      new Dense({ units: 1, useBias: false, kernelInitializer: 'ones' }),
    ]);
    const predictions: number[] = [];
    const capture = (_yTrue: tf.Tensor, yPred: tf.Tensor) => {
      predictions.push(...yPred.dataSync());
      return tf.zerosLike(yPred);
    };
    model.compile({
      optimizer: new SGD({ learningRate: 1e-3 }),
      loss: 'mse',
      metrics: [capture],
      jitCompile: true,
    });
    const x = tf.ones([64, 1]);
    const y = tf.zeros([64, 1]);
    await model.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 });
    expect(predictions).toHaveLength(64);
    for (const p of predictions) {
      expect(p % 2).toBe(0);
      // 2 · Binomial(1000, 0.5): mean 1000, standard deviation 31.6; 6 deviations either side.
      expect(Math.abs(p - 1000)).toBeLessThan(190);
    }
    expect(new Set(predictions).size).toBeGreaterThan(1);
    const [k1, k2] = weightValues(model);
    const d1 = Array.from(k1, (v) => 1 - v);
    const d2 = Array.from(k2, (v) => 1 - v);
    expect(d1.some((d) => d > 0)).toBe(true);
    expectClose(d1, d2, 1e-4);
    tf.dispose([x, y]);
    model.dispose();
  });

  /** Each step's predictions of ones through Dense(ones), Dropout(0.5, seed) and Dense(ones): 2 · (kept count). */
  async function dropoutSteps(seed: number | null): Promise<number[][]> {
    await setBackend('native');
    const model = new Sequential([
      new Dense({ units: 64, useBias: false, kernelInitializer: 'ones', inputShape: [1] }),
      new Dropout({ rate: 0.5, seed }),
      new Dense({ units: 1, useBias: false, kernelInitializer: 'ones' }),
    ]);
    const steps: number[][] = [];
    const capture = (_yTrue: tf.Tensor, yPred: tf.Tensor) => {
      steps.push(Array.from(yPred.dataSync()));
      return tf.zerosLike(yPred);
    };
    model.compile({
      optimizer: new SGD({ learningRate: 0 }),
      loss: 'mse',
      metrics: [capture],
      jitCompile: true,
    });
    const x = tf.ones([24, 1]);
    const y = tf.zeros([24, 1]);
    await model.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    tf.dispose([x, y]);
    model.dispose();
    return steps;
  }

  it('Dropout draws a new mask every step', async () => {
    const steps = await dropoutSteps(null);
    expect(steps).toHaveLength(3);
    // The same inputs and weights each step: only the masks can make the steps' predictions differ.
    expect(new Set(steps.map((p) => p.join())).size).toBe(3);
    // Unseeded: another model draws other masks.
    expect((await dropoutSteps(null)).join()).not.toBe(steps.join());
  });

  it("a Dropout seed makes the compiled step's masks repeat from model to model", async () => {
    const steps = await dropoutSteps(7);
    expect(new Set(steps.map((p) => p.join())).size).toBe(3);
    expect((await dropoutSteps(7)).join()).toBe(steps.join());
    expect((await dropoutSteps(8)).join()).not.toBe(steps.join());
  });

  it("'auto' falls back to the uncompiled step for a model it cannot compile, with exactly its results", async () => {
    const build = () =>
      new Sequential([
        new Dense({ units: 8, inputShape: [5] }),
        new BatchNormalization(),
        new Dense({ units: 3, activation: 'softmax' }),
      ]);
    const x = tf.tensor(seededValues(40 * 5, 3), [40, 5]);
    const y = tf.tensor1d(
      Array.from({ length: 40 }, (_, i) => i % 3),
      'int32',
    );
    const run = async (jitCompile: boolean | 'auto', start: tf.Tensor[] | null) => {
      await setBackend('native');
      const model = build();
      model.compile({
        optimizer: new Adam({ learningRate: 0.01 }),
        loss: 'sparse_categorical_crossentropy',
        jitCompile,
      });
      tf.dispose(model.predict(x) as tf.Tensor);
      if (start) model.setWeights(start);
      const history = await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
      const weights = model.getWeights();
      model.dispose();
      return { loss: history.history.loss, weights };
    };
    const compiler = vi.spyOn(findBackend('native')!, 'compileTrainStep');
    const initial = (await run(false, null)).weights;
    const reference = await run(false, initial);
    const auto = await run('auto', initial);
    expect(compiler).toHaveBeenCalledTimes(1);
    expect(compiler.mock.results[0].value).toMatch(
      /^layer "batch_normalization[_\d]*" \(BatchNormalization\) has no compiled form$/,
    );
    expect(auto.loss).toEqual(reference.loss);
    expect(auto.weights.map((w) => Array.from(w.dataSync()))).toEqual(
      reference.weights.map((w) => Array.from(w.dataSync())),
    );
    tf.dispose([x, y, ...initial, ...reference.weights, ...auto.weights]);
  });

  it('a batch with class ids out of range runs uncompiled, which reports its own error before any weight moves', async () => {
    await setBackend('native');
    const c = cases[0];
    const { x } = data(c);
    const xb = x.slice(0, 16);
    const bad = tf.tensor1d(
      Array.from({ length: 16 }, (_, i) => (i === 5 ? 10 : i % 10)),
      'int32',
    );
    const errors: string[] = [];
    for (const jitCompile of [false, true]) {
      const model = c.build();
      tf.tidy(() => {
        model.predict(xb);
      });
      model.compile({ optimizer: c.optimizer(), loss: c.loss, jitCompile });
      const before = weightValues(model);
      const error = await model.trainOnBatch(xb, bad).catch((e) => e);
      expect(error).toBeInstanceOf(Error);
      errors.push(error.message);
      expect(weightValues(model)).toEqual(before);
      model.dispose();
    }
    expect(errors[1]).toBe(errors[0]);
    tf.dispose([x, xb, bad]);
  });

  it("a subclass of a compiled layer class is not compiled: its call may differ from its parent's", async () => {
    await setBackend('native');
    class ScaledDense extends Dense {
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.tidy(() => tf.mul(super.call(inputs), 2));
      }
    }
    const model = new Sequential([new ScaledDense({ units: 3, inputShape: [5], activation: 'softmax' })]);
    model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
    const compiler = vi.spyOn(findBackend('native')!, 'compileTrainStep');
    const x = tf.ones([4, 5]);
    const y = tf.tensor1d([0, 1, 2, 0], 'int32');
    await model.trainOnBatch(x, y);
    expect(compiler.mock.results[0].value).toMatch(/^layer "[^"]+" \(Dense\) is not one of Strata's layers$/);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('jitCompile: true throws why the step cannot be compiled, before any weight moves', async () => {
    await setBackend('native');
    const x = tf.tensor(seededValues(16 * 5, 4), [16, 5]);
    const y = tf.tensor1d(
      Array.from({ length: 16 }, (_, i) => i % 3),
      'int32',
    );
    const model = new Sequential([
      new Dense({ units: 8, inputShape: [5] }),
      new BatchNormalization(),
      new Dense({ units: 3, activation: 'softmax' }),
    ]);
    tf.tidy(() => {
      model.predict(x);
    });
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', jitCompile: true });
    const before = weightValues(model);
    const tensors = tf.memory().numTensors;
    await expect(model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 })).rejects.toThrow(
      new ValueError(
        'Model "' +
          model.name +
          '" was compiled with jit_compile=true, but its training step cannot be compiled: layer "' +
          model.layers.find((l) => l instanceof BatchNormalization)!.name +
          "\" (BatchNormalization) has no compiled form. Use jitCompile: 'auto' to run the uncompiled step where compiling is not possible.",
      ),
    );
    expect(tf.memory().numTensors).toBe(tensors);
    expect(weightValues(model)).toEqual(before);
    expect(model.optimizer!.iterations.value.dataSync()[0]).toBe(0);

    // A custom trainStep: Strata compiles only its own.
    class Custom extends Sequential {
      override trainStep(data: StepData): StepLogs {
        return super.trainStep(data);
      }
    }
    const custom = new Custom([new Dense({ units: 3, inputShape: [5], activation: 'softmax' })]);
    custom.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', jitCompile: true });
    await expect(custom.trainOnBatch(x, y)).rejects.toThrow(
      /its training step cannot be compiled: model "[^"]+" overrides trainStep\(\)/,
    );
    custom.jitCompile = 'auto';
    expect(Number.isFinite((await custom.trainOnBatch(x, y)) as number)).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
    custom.dispose();
  });

  for (const rate of [0, 0.3])
    it(`an ONNX Runtime failure fails the step with an error naming it, assigning nothing and leaving no tensor behind (Dropout rate ${rate})`, async () => {
      await setBackend('native');
      const c = cases[0];
      // At a rate above 0 the step also feeds the mask's random numbers.
      const model = new Sequential([
        new Flatten({ inputShape: [8, 8] }),
        new Dense({ units: 32, activation: 'relu' }),
        new Dropout({ rate }),
        new Dense({ units: 10, activation: 'softmax' }),
      ]);
      model.compile({ optimizer: c.optimizer(), loss: c.loss, jitCompile: true });
      const { x, y } = data(c);
      const xb = x.slice(0, 16);
      const yb = y.slice(0, 16);
      await model.trainOnBatch(xb, yb);
      const before = weightValues(model);
      const state = model.optimizer!.variables.map((v) => v.value.dataSync().slice());
      const backendData = (tf.backend() as unknown as { data: { get(id: object): { values: Float32Array } } })
        .data;
      // Adam updates on the host, in place: the weights stand on the step's resident arrays.
      const kernel = backendData.get(model.trainableWeights[0].value.dataId).values;
      expect(ownValues(kernel)).not.toBe(kernel);
      // The batch's values, swapped for an array of the wrong size: ONNX Runtime refuses that feed. (The
      // weights are fed from the step's resident arrays, which a test cannot swap.)
      const entry = backendData.get(xb.dataId);
      const values = entry.values;
      entry.values = new Float32Array(values.length + 1);
      const tensors = tf.memory().numTensors;
      let error: Error;
      try {
        error = await model.trainOnBatch(xb, yb).catch((e) => e);
      } finally {
        entry.values = values;
      }
      expect(error).toBeInstanceOf(RuntimeError);
      expect(error.message).toMatch(
        /^ONNX Runtime failed running the compiled training step of model "[^"]+" for batches of 16 \(#\d+\): ./,
      );
      expect(tf.memory().numTensors).toBe(tensors);
      expect(weightValues(model)).toEqual(before);
      expect(model.optimizer!.variables.map((v) => v.value.dataSync().slice())).toEqual(state);
      // The step works again with the right values.
      expect(Number.isFinite((await model.trainOnBatch(xb, yb)) as number)).toBe(true);
      tf.dispose([x, y, xb, yb]);
      model.dispose();
    });

  it("releases the step's session with the backend's sessions, and builds it again on the next step", async () => {
    await setBackend('native');
    const ort = await import('../src/kernels/native/ort.js');
    const { configureNative, nativeOptions } = await import('../src/native.js');
    const threads = nativeOptions().threads;
    const c = cases[0];
    const model = c.build();
    model.compile({ optimizer: c.optimizer(), loss: c.loss, jitCompile: true });
    const { x, y } = data(c);
    const xb = x.slice(0, 16);
    const yb = y.slice(0, 16);
    await model.trainOnBatch(xb, yb);
    expect(ort.sessionCount()).toBeGreaterThan(0);
    // A new thread count releases every session; the step builds its own again.
    configureNative({ threads: threads === 1 ? 2 : 1 });
    try {
      expect(ort.sessionCount()).toBe(0);
      expect(Number.isFinite((await model.trainOnBatch(xb, yb)) as number)).toBe(true);
      expect(ort.sessionCount()).toBe(1);
    } finally {
      configureNative({ threads });
    }
    await model.trainOnBatch(xb, yb);
    const count = ort.sessionCount();
    // Compiling again drops the step and its session.
    model.compile({ optimizer: c.optimizer(), loss: c.loss });
    expect(ort.sessionCount()).toBe(count - 1);
    tf.dispose([x, y, xb, yb]);
    model.dispose();
    // Disposing the backend releases them all.
    tf.removeBackend('native');
    expect(ort.sessionCount()).toBe(0);
    await setBackend('native');
  });

  it('a script exits by itself after fit with the compiled step', () => {
    const script = join(here, 'child', 'fit-native.ts');
    const out = execFileSync(process.execPath, ['--conditions=strata-source', '--import', 'tsx', script], {
      cwd: join(here, '..'),
      encoding: 'utf8',
      timeout: 100_000,
    });
    const { loss, sessions } = JSON.parse(out.trim().split('\n').pop()!);
    expect(loss).toHaveLength(2);
    expect(loss[1]).toBeLessThan(loss[0]);
    // The whole step ran as one session: no kernel sessions.
    expect(sessions).toBe(1);
  });
});
