/**
 * The compiled step's resident state on the native backend (issue 20, route 1): with Adam, AdamW, SGD or
 * RMSprop the step updates each weight's and optimizer slot's array in place, on the host. Nothing a caller
 * holds may change with it: values read out (`dataSync`, `data`, `arraySync`), tensors made from a weight or
 * slot (`slice`, `unstack`, `split`: tfjs-cpu views of the input's array; `reshape`, `clone`: the same
 * storage) keep the values they had. Writes by anyone else (`assign`, `setWeights`, the uncompiled step)
 * are honoured, `predict` after training sees the new weights, and releasing a step or the backend leaves
 * the variables their values on arrays of their own. No tensor leaks.
 */
import { Sequential } from '@strata/core';
import { expectClose, seededValues } from '@strata/core/testing';
import { Dense, Flatten } from '@strata/layers';
import '@strata/losses-metrics';
import { Adam, AdamW, ExponentialDecay, type Optimizer } from '@strata/optimizers';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../src/cpu.js';
import { setBackend } from '../src/index.js';
import { ownValues, residentStateCount } from '../src/kernels/native/step/resident.js';
import { resolvesInNode } from '../src/node-paths.js';

const hasOrt = resolvesInNode('onnxruntime-node', import.meta.url);

function build(optimizer: Optimizer, jitCompile: boolean): Sequential {
  const model = new Sequential([
    new Flatten({ inputShape: [6, 6] }),
    new Dense({ units: 12, activation: 'relu' }),
    new Dense({ units: 4, activation: 'softmax' }),
  ]);
  model.compile({ optimizer, loss: 'sparse_categorical_crossentropy', jitCompile });
  // The same starting weights for every model.
  tf.tidy(() =>
    model.setWeights(
      model.weights.map((w, i) =>
        tf.tensor(seededValues(tf.util.sizeFromShape(w.shape), 50 + i, -0.3, 0.3), w.shape),
      ),
    ),
  );
  return model;
}

function batch() {
  const x = tf.tensor(seededValues(16 * 36, 7, 0, 1), [16, 6, 6]);
  const y = tf.tensor1d(
    Array.from({ length: 16 }, (_, i) => (i * 3) % 4),
    'int32',
  );
  return { x, y };
}

const backendOf = () => tf.backend() as MathBackendCPU;
/** Whether `t`'s storage is an array of a compiled step's arena. */
const resident = (t: tf.Tensor) => {
  const values = backendOf().data.get(t.dataId).values;
  return ownValues(values) !== values;
};
const valuesOf = (t: tf.Tensor) => Array.from(t.dataSync());

describe.skipIf(!hasOrt)("the compiled step's resident state on the native backend", () => {
  it('updates weights and optimizer slots in place on arena arrays, without new tensors from step to step', async () => {
    await setBackend('native');
    const model = build(new Adam({ learningRate: 0.01 }), true);
    const { x, y } = batch();
    await model.trainOnBatch(x, y);
    const variables = [
      ...model.trainableWeights,
      ...model.optimizer!.variables.filter((v) => v.dtype === 'float32'),
    ];
    const slots = variables.filter((v) => !model.trainableWeights.includes(v) && v.shape.length > 0);
    expect(slots.length).toBe(2 * model.trainableWeights.length);
    for (const v of [...model.trainableWeights, ...slots])
      expect([v.path, resident(v.value)]).toEqual([v.path, true]);
    const ids = model.trainableWeights.map((v) => v.value.dataId);
    const tensors = tf.memory().numTensors;
    const before = valuesOf(model.trainableWeights[0].value);
    await model.trainOnBatch(x, y);
    // Same storage, new values.
    expect(model.trainableWeights.map((v) => v.value.dataId)).toEqual(ids);
    expect(valuesOf(model.trainableWeights[0].value)).not.toEqual(before);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('values read out and tensors made from a weight or a slot between two steps keep their values', async () => {
    await setBackend('native');
    const model = build(new Adam({ learningRate: 0.01 }), true);
    const { x, y } = batch();
    await model.trainOnBatch(x, y);
    const kernel = model.trainableWeights[0].value; // [36, 12]
    const bias = model.trainableWeights[1].value; // [12]
    const momentum = model.optimizer!.variables.find(
      (v) => v.path.endsWith('kernel_momentum') || v.name.endsWith('kernel_momentum'),
    )!.value;
    expect(resident(momentum)).toBe(true);
    const tensorsBefore = tf.memory().numTensors;

    const read = kernel.dataSync();
    const readAsync = await bias.data();
    const nested = kernel.arraySync();
    const held: [string, tf.Tensor, number[]][] = [];
    const hold = (name: string, t: tf.Tensor) => held.push([name, t, valuesOf(t)]);
    // Contiguous row slices: tfjs-cpu's slice returns a view of the input's array.
    hold('slice of the kernel', tf.slice(kernel, [3, 0], [5, 12]));
    hold('slice of the bias', tf.slice(bias, [2], [6]));
    tf.unstack(kernel).forEach((row, i) => {
      hold(`unstacked kernel row ${i}`, row);
    });
    tf.split(momentum, 4).forEach((part, i) => {
      hold(`split momentum part ${i}`, part);
    });
    hold('reshaped kernel', tf.reshape(kernel, [-1]));
    hold('clone of the bias', tf.clone(bias));
    hold('reshaped momentum', tf.reshape(momentum, [12, 36]));
    const copies = {
      read: Array.from(read),
      readAsync: Array.from(readAsync),
      nested: JSON.stringify(nested),
    };

    await model.trainOnBatch(x, y);
    // The step ran, and moved the weights and the slot.
    expect(valuesOf(kernel)).not.toEqual(copies.read);
    expect(valuesOf(bias)).not.toEqual(copies.readAsync);
    expect(valuesOf(momentum)).not.toEqual(held.find(([name]) => name === 'reshaped momentum')![2]);
    // What was read or made before it did not.
    expect(Array.from(read)).toEqual(copies.read);
    expect(Array.from(readAsync)).toEqual(copies.readAsync);
    expect(JSON.stringify(nested)).toEqual(copies.nested);
    for (const [name, t, values] of held) expect([name, valuesOf(t)]).toEqual([name, values]);
    // The shared storages (reshape, clone) kept a copy; the variables moved on to resident arrays.
    for (const [, t] of held) expect(resident(t)).toBe(false);
    for (const v of [kernel, bias, momentum]) expect(resident(v)).toBe(true);
    // And the step after that is in place again, the held tensors still unchanged.
    await model.trainOnBatch(x, y);
    for (const [name, t, values] of held) expect([name, valuesOf(t)]).toEqual([name, values]);
    tf.dispose(held.map(([, t]) => t));
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('a tensor sharing a resident storage keeps its values when an uncompiled step moves the weight off it', async () => {
    await setBackend('native');
    const model = build(new Adam({ learningRate: 0.01 }), true);
    const { x, y } = batch();
    await model.trainOnBatch(x, y);
    const kernel = model.trainableWeights[0].value;
    const held = tf.reshape(kernel, [-1]);
    const values = valuesOf(held);
    model.jitCompile = false;
    await model.trainOnBatch(x, y);
    model.jitCompile = true;
    // The compiled step copies the new weights into its arena, over the values `held` stands on.
    await model.trainOnBatch(x, y);
    expect(resident(kernel)).toBe(true);
    expect(valuesOf(kernel)).not.toEqual(values);
    expect(valuesOf(held)).toEqual(values);
    tf.dispose([held, x, y]);
    model.dispose();
  });

  it('assign and setWeights between compiled steps are honoured, as by the uncompiled step (AdamW, a schedule)', async () => {
    await setBackend('native');
    const optimizer = () =>
      new AdamW({
        learningRate: new ExponentialDecay({ initialLearningRate: 0.02, decaySteps: 1, decayRate: 0.7 }),
        weightDecay: 0.1,
      });
    const compiled = build(optimizer(), true);
    const reference = build(optimizer(), false);
    const { x, y } = batch();
    const losses: [number, number][] = [];
    const step = async () => {
      losses.push([
        (await compiled.trainOnBatch(x, y)) as number,
        (await reference.trainOnBatch(x, y)) as number,
      ]);
    };
    await step();
    // After the first steps built the optimizers' slots.
    const tensors = tf.memory().numTensors;
    await step();
    expect(resident(compiled.trainableWeights[0].value)).toBe(true);
    // A user's assign of a weight, and of an optimizer slot.
    for (const model of [compiled, reference]) {
      const kernel = model.trainableWeights[2];
      const value = tf.fill(kernel.shape, 0.05);
      kernel.assign(value);
      value.dispose();
      const velocity = model.optimizer!.variables.find((v) => v.name.endsWith('kernel_velocity'))!;
      const v = tf.fill(velocity.shape, 0.01);
      velocity.assign(v);
      v.dispose();
    }
    await step();
    // Loading weights.
    const start = tf.tidy(() => compiled.getWeights().map((w) => tf.mul(w, 0.5)));
    compiled.setWeights(start);
    reference.setWeights(start);
    tf.dispose(start);
    await step();
    // An uncompiled step on the compiled model, then compiled again.
    compiled.jitCompile = false;
    await step();
    compiled.jitCompile = true;
    await step();
    for (const [a, b] of losses) expectClose([a], [b], 1e-4);
    const [weights, expected] = [compiled.getWeights(), reference.getWeights()];
    weights.forEach((w, i) => {
      expectClose(w.dataSync(), expected[i].dataSync(), 1e-4);
    });
    tf.dispose([...weights, ...expected]);
    compiled.optimizer!.variables.forEach((v, i) => {
      expectClose(v.value.dataSync(), reference.optimizer!.variables[i].value.dataSync(), 1e-4);
    });
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([x, y]);
    compiled.dispose();
    reference.dispose();
  });

  it("predict after in-place steps serves the new weights (compiled predict's cache sees the writes)", async () => {
    await setBackend('native');
    const model = build(new Adam({ learningRate: 0.05 }), true);
    const reference = build(new Adam({ learningRate: 0.05 }), false);
    const { x, y } = batch();
    for (const m of [model, reference]) await m.trainOnBatch(x, y);
    const first = model.predict(x) as tf.Tensor;
    for (const m of [model, reference]) await m.trainOnBatch(x, y);
    const second = model.predict(x) as tf.Tensor;
    reference.jitCompile = false;
    const expected = reference.predict(x) as tf.Tensor;
    expect(valuesOf(second)).not.toEqual(valuesOf(first));
    expectClose(second.dataSync(), expected.dataSync(), 1e-4);
    tf.dispose([first, second, expected, x, y]);
    model.dispose();
    reference.dispose();
  });

  it('dropping the step (compile again) or the backend releases the arenas; the variables keep their values', async () => {
    await setBackend('native');
    const model = build(new Adam({ learningRate: 0.01 }), true);
    const { x, y } = batch();
    const count = residentStateCount();
    await model.trainOnBatch(x, y);
    expect(residentStateCount()).toBe(count + 1);
    const values = model.trainableWeights.map((v) => valuesOf(v.value));
    const slots = model.optimizer!.variables.map((v) => valuesOf(v.value));
    model.compile({ optimizer: model.optimizer!, loss: 'sparse_categorical_crossentropy', jitCompile: true });
    expect(residentStateCount()).toBe(count);
    for (const v of [...model.trainableWeights, ...model.optimizer!.variables])
      expect(resident(v.value)).toBe(false);
    expect(model.trainableWeights.map((v) => valuesOf(v.value))).toEqual(values);
    expect(model.optimizer!.variables.map((v) => valuesOf(v.value))).toEqual(slots);
    // A new step attaches again and continues from there.
    await model.trainOnBatch(x, y);
    expect(residentStateCount()).toBe(count + 1);
    expect(model.optimizer!.iterations.value.dataSync()[0]).toBe(2);
    tf.dispose([x, y]);
    model.dispose();
    tf.removeBackend('native');
    expect(residentStateCount()).toBe(0);
    await setBackend('native');
  });
});
