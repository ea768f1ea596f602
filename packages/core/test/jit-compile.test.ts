/**
 * `compile({ jitCompile })` and the step-compiler contract (step-compiler.ts): the trainer asks the active
 * backend's description for a compiled step once per batch signature, runs it per batch, updates the
 * metrics from its outputs, falls back under 'auto' and throws under `true`. The backend here is tfjs's cpu
 * with a test description whose compiler builds its step from tfjs ops: the compiled step's contract in
 * plain terms, so the results must equal the uncompiled step's exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';

import {
  type BackendDescription,
  type CompiledPredict,
  type CompiledTrainStep,
  type PredictRequest,
  registry,
  Sequential,
  type StepData,
  type StepLogs,
  type TrainStepRequest,
  ValueError,
} from '../src/index.js';
import { registerTestClasses, TestDense, TestMSE, TestSGD, xorData } from './fixtures.js';

beforeAll(() => registerTestClasses());

/** What the test compiler did, and what it answers. */
const log = {
  trainRequests: [] as TrainStepRequest[],
  predictRequests: [] as PredictRequest[],
  runs: 0,
  predictRuns: 0,
  disposed: 0,
  /** A reason to refuse with, or null to compile. */
  refuse: null as string | null,
  /** Batches `run` declines (returns null for), by run number. */
  decline: new Set<number>(),
};

/** A compiled step from tfjs ops: forward, the compiled loss, gradients and the optimizer's update. */
function compileTrainStep(request: TrainStepRequest): CompiledTrainStep | string {
  log.trainRequests.push(request);
  if (log.refuse) return log.refuse;
  const { model, optimizer, variables, losses } = request;
  return {
    outputShapes: [[request.inputs[0].shape[0], 1]],
    run(xs, ys) {
      log.runs++;
      if (log.decline.has(log.runs)) return null;
      let outputs: tf.Tensor[] = [];
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => {
            const pred = model.call(xs[0], { training: true }) as tf.Tensor;
            outputs = [tf.keep(pred)];
            return losses[0]!.apply(ys[0], pred) as tf.Scalar;
          },
          variables.map((v) => v.value),
        );
        optimizer.apply(
          variables.map((v) => grads[v.value.name]),
          variables.slice(),
        );
        return value;
      });
      return { loss, outputs };
    },
    dispose() {
      log.disposed++;
    },
  };
}

function compilePredict(request: PredictRequest): CompiledPredict | string {
  log.predictRequests.push(request);
  return {
    run(xs) {
      log.predictRuns++;
      return [request.model.call(xs[0], { training: false }) as tf.Tensor];
    },
    dispose() {},
  };
}

const description: BackendDescription = { hostMemory: true, compileTrainStep, compilePredict };
// The backend's own entry (if a package registered one) comes back after this file.
const ownEntry = registry.find('backend', tf.getBackend());
registry.register('backend', tf.getBackend(), description, { override: true });
afterAll(() => {
  registry.unregister('backend', tf.getBackend());
  if (ownEntry) registry.register('backend', ownEntry.key, ownEntry.value, { module: ownEntry.module });
});

afterEach(() => {
  log.trainRequests = [];
  log.predictRequests = [];
  log.runs = 0;
  log.predictRuns = 0;
  log.disposed = 0;
  log.refuse = null;
  log.decline.clear();
});

function model(): Sequential {
  return new Sequential([
    new TestDense({ units: 8, activation: 'tanh', inputShape: [2], seed: 11 }),
    new TestDense({ units: 1, activation: 'sigmoid', seed: 23 }),
  ]);
}

async function train(jitCompile: boolean | 'auto' | undefined, n = 40) {
  const m = model();
  m.compile({
    optimizer: new TestSGD({ learningRate: 0.5 }),
    loss: new TestMSE(),
    metrics: ['test_acc' as never],
    ...(jitCompile === undefined ? {} : { jitCompile }),
  });
  const { x, y } = xorData(n);
  const history = await m.fit(x, y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });
  const weights = m.getWeights().map((w) => Array.from(w.dataSync()));
  tf.dispose([x, y]);
  return { model: m, history: history.history, weights };
}

describe('compile({ jitCompile })', () => {
  test("defaults to 'auto', is kept on the model and written to compile_config", () => {
    const m = model();
    expect(m.jitCompile).toBe('auto');
    m.compile({ optimizer: new TestSGD(), loss: new TestMSE() });
    expect(m.jitCompile).toBe('auto');
    expect(m.getCompileConfig()?.jit_compile).toBe('auto');
    m.compile({ optimizer: new TestSGD(), loss: new TestMSE(), jitCompile: false });
    expect(m.jitCompile).toBe(false);
    expect(m.getCompileConfig()?.jit_compile).toBe(false);
    m.dispose();
  });

  test('refuses other values, leaving the earlier compile in place', () => {
    const m = model();
    m.compile({ optimizer: new TestSGD(), loss: new TestMSE(), jitCompile: false });
    const optimizer = m.optimizer;
    expect(() =>
      m.compile({ optimizer: new TestSGD(), loss: new TestMSE(), jitCompile: 'yes' as never }),
    ).toThrow(
      new ValueError(
        "Expected `jit_compile` to be true, false or 'auto'. Received: jit_compile=yes (of type string)",
      ),
    );
    expect(m.jitCompile).toBe(false);
    expect(m.optimizer).toBe(optimizer);
    m.dispose();
  });

  test("compileFromConfig keeps false and reads Keras's resolved true (and 'auto') as 'auto'", () => {
    const m = model();
    for (const [saved, read] of [
      [false, false],
      [true, 'auto'],
      ['auto', 'auto'],
      [undefined, 'auto'],
    ] as const) {
      m.compileFromConfig({ optimizer: 'test_sgd', loss: 'test_mse', jit_compile: saved });
      expect(m.jitCompile).toBe(read);
    }
    m.dispose();
  });
});

describe('the step-compiler contract', () => {
  test('fit runs the compiled step per batch, with the uncompiled logs and weights', async () => {
    const reference = await train(false);
    expect(log.trainRequests).toHaveLength(0);
    const compiled = await train(undefined);
    // 40 samples in batches of 16: two signatures (16 and 8), each compiled once; 3 batches in each of 2 epochs.
    expect(log.trainRequests.map((r) => r.inputs[0].shape)).toEqual([
      [16, 2],
      [8, 2],
    ]);
    expect(log.runs).toBe(6);
    const request = log.trainRequests[0];
    expect(request.model).toBe(compiled.model);
    expect(request.variables).toEqual(compiled.model.trainableWeights);
    expect(request.targets).toEqual([{ shape: [16, 1], dtype: 'float32' }]);
    expect(request.lossWeights).toEqual([1]);
    expect(request.sampleWeighted).toBe(false);
    expect(compiled.history).toEqual(reference.history);
    expect(compiled.weights).toEqual(reference.weights);
    expect(compiled.model.optimizer!.iterations.value.dataSync()[0]).toBe(6);
    // Compiling again drops the compiled steps.
    compiled.model.compile({ optimizer: new TestSGD(), loss: new TestMSE() });
    expect(log.disposed).toBe(2);
    compiled.model.dispose();
    reference.model.dispose();
  });

  test("a batch the compiled step declines runs uncompiled; 'auto' falls back silently on a refusal", async () => {
    const reference = await train(false);
    log.decline.add(2);
    const declined = await train('auto');
    expect(log.runs).toBe(6);
    expect(declined.history).toEqual(reference.history);
    expect(declined.weights).toEqual(reference.weights);
    log.refuse = 'the test compiler refuses';
    log.trainRequests = [];
    const refused = await train('auto');
    // Asked once per signature, the reason kept.
    expect(log.trainRequests).toHaveLength(2);
    expect(refused.history).toEqual(reference.history);
    for (const m of [reference.model, declined.model, refused.model]) m.dispose();
  });

  test('jitCompile: true throws the reason before any weight moves, and without leaking tensors', async () => {
    log.refuse = 'the test compiler refuses';
    const m = model();
    m.compile({ optimizer: new TestSGD(), loss: new TestMSE(), jitCompile: true });
    const { x, y } = xorData(16);
    tf.dispose(m.predict(x) as tf.Tensor);
    const before = m.getWeights().map((w) => Array.from(w.dataSync()));
    const tensors = tf.memory().numTensors;
    await expect(m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 })).rejects.toThrow(
      new ValueError(
        `Model "${m.name}" was compiled with jit_compile=true, but its training step cannot be compiled: ` +
          "the test compiler refuses. Use jitCompile: 'auto' to run the uncompiled step where compiling is not possible.",
      ),
    );
    expect(tf.memory().numTensors).toBe(tensors);
    expect(m.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
    tf.dispose([x, y]);
    m.dispose();
  });

  test('a custom trainStep is not compiled: it runs under auto, and true throws', async () => {
    class Custom extends Sequential {
      override trainStep(data: StepData): StepLogs {
        return super.trainStep(data);
      }
    }
    const m = new Custom([new TestDense({ units: 1, inputShape: [2], seed: 1 })]);
    m.compile({ optimizer: new TestSGD(), loss: new TestMSE() });
    const { x, y } = xorData(16);
    await m.trainOnBatch(x, y);
    expect(log.trainRequests).toHaveLength(0);
    m.compile({ optimizer: new TestSGD(), loss: new TestMSE(), jitCompile: true });
    await expect(m.trainOnBatch(x, y)).rejects.toThrow(/overrides trainStep\(\)/);
    tf.dispose([x, y]);
    m.dispose();
  });

  test('predict runs the compiled forward pass per batch signature; jitCompile false does not ask', () => {
    const m = model();
    const { x } = xorData(40);
    const expected = tf.tidy(() => (m.call(x, {}) as tf.Tensor).dataSync());
    const out = m.predict(x, { batchSize: 16 }) as tf.Tensor;
    expect(log.predictRequests.map((r) => r.inputs[0].shape)).toEqual([
      [16, 2],
      [8, 2],
    ]);
    expect(log.predictRuns).toBe(3);
    expect(Array.from(out.dataSync())).toEqual(Array.from(expected));
    m.compile({ optimizer: new TestSGD(), loss: new TestMSE(), jitCompile: false });
    tf.dispose(m.predict(x));
    expect(log.predictRuns).toBe(3);
    tf.dispose([x, out]);
    m.dispose();
  });
});
