import { input, Model, Sequential, type SymbolicTensor } from '@strata/core';
import { expectNoLeakedTensors } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadModel, loadWeights, MemoryTarget, saveModel, saveWeights } from '../src/index.js';
import type { H5Dataset } from '../src/internal.js';
import { getNode, readHdf5, readKerasArchive } from '../src/internal.js';
import { DEFAULT_READ_LIMITS } from '../src/limits.js';
import { TestConcat, TestDense, TestShift } from './test-layers.js';

function bitsEqual(a: tf.Tensor, b: tf.Tensor): void {
  expect(a.shape).toEqual(b.shape);
  const x = new Uint32Array((a.dataSync() as Float32Array).slice().buffer);
  const y = new Uint32Array((b.dataSync() as Float32Array).slice().buffer);
  expect(Buffer.from(x.buffer).equals(Buffer.from(y.buffer))).toBe(true);
}

function seqModel(): Sequential {
  return new Sequential([
    new TestDense({ units: 5, inputShape: [4] }),
    new TestShift({}),
    new TestDense({ units: 3 }),
  ]);
}

describe('Keras 3 .keras round trip with test layers', () => {
  it('Sequential: same predictions bit for bit, same config, Keras paths', async () => {
    const model = seqModel();
    const x = tf.randomNormal([6, 4]);
    const before = model.predict(x) as tf.Tensor;
    const mem = new MemoryTarget();
    await expectNoLeakedTensors(() => saveModel(model, mem));
    const count = tf.memory().numTensors;
    const loaded = await loadModel(mem);
    // The loaded model's own variables are the only new tensors.
    expect(tf.memory().numTensors - count).toBe(loaded.weights.length);
    const after = loaded.predict(x) as tf.Tensor;
    bitsEqual(after, before);
    const archive = readKerasArchive(mem.bytes, DEFAULT_READ_LIMITS);
    const again = new MemoryTarget();
    await saveModel(loaded, again);
    expect(readKerasArchive(again.bytes, DEFAULT_READ_LIMITS).config).toEqual(archive.config);
    expect(archive.config.class_name).toBe('Sequential');
    expect(archive.config.module).toBe('keras');
    const tree = await readHdf5(archive.weights);
    // Unique snake_case class names in layer order, not the config names.
    expect((getNode(tree, 'layers/test_dense/vars/0') as H5Dataset).shape).toEqual([4, 5]);
    expect((getNode(tree, 'layers/test_dense_1/vars/0') as H5Dataset).shape).toEqual([5, 3]);
    expect((getNode(tree, 'layers/test_shift/vars/1') as H5Dataset).dtype).toBe('int64');
    expect(getNode(tree, 'layers/input_layer')).toBeUndefined();
    tf.dispose([x, before, after]);
    model.dispose();
    loaded.dispose();
  });

  it('functional multi-input with a nested model', async () => {
    const inner = new Sequential([new TestDense({ units: 2, inputShape: [3] }), new TestShift({})]);
    const a = input({ shape: [3] });
    const b = input({ shape: [4] });
    const ha = inner.apply(a);
    const hb = new TestDense({ units: 2 }).apply(b);
    const out = new TestDense({ units: 1 }).apply(new TestConcat({}).apply([ha, hb]) as SymbolicTensor);
    const model = new Model({ inputs: [a, b], outputs: out });
    const xa = tf.randomNormal([5, 3]);
    const xb = tf.randomNormal([5, 4]);
    const before = model.predict([xa, xb]) as tf.Tensor;
    const mem = new MemoryTarget();
    await saveModel(model, mem);
    const loaded = await loadModel(mem);
    const after = loaded.predict([xa, xb]) as tf.Tensor;
    bitsEqual(after, before);
    const archive = readKerasArchive(mem.bytes, DEFAULT_READ_LIMITS);
    expect(archive.config.class_name).toBe('Functional');
    const tree = await readHdf5(archive.weights);
    expect(getNode(tree, 'layers/input_layer/vars')).toBeDefined();
    expect(getNode(tree, 'layers/input_layer_1/vars')).toBeDefined();
    expect((getNode(tree, 'layers/sequential/layers/test_dense/vars/0') as H5Dataset).shape).toEqual([3, 2]);
    tf.dispose([xa, xb, before, after]);
    model.dispose();
    loaded.dispose();
  });

  it('a failed loadWeights leaves the weights untouched', async () => {
    const model = seqModel();
    const other = new Sequential([
      new TestDense({ units: 5, inputShape: [4] }),
      new TestShift({}),
      new TestDense({ units: 4 }),
    ]);
    const mem = new MemoryTarget();
    await saveWeights(other, mem);
    const before = model.getWeights();
    await expect(loadWeights(model, mem)).rejects.toThrow(/expects shape \(5, 3\)/);
    const after = model.getWeights();
    for (const [i, t] of before.entries()) bitsEqual(after[i], t);
    tf.dispose([...before, ...after]);
    model.dispose();
    other.dispose();
  });

  it('weights-only round trip', async () => {
    const a = seqModel();
    const b = seqModel();
    const mem = new MemoryTarget();
    await saveWeights(a, mem);
    await expectNoLeakedTensors(() => loadWeights(b, mem));
    const wa = a.getWeights();
    const wb = b.getWeights();
    for (const [i, t] of wa.entries()) bitsEqual(wb[i], t);
    tf.dispose([...wa, ...wb]);
    a.dispose();
    b.dispose();
  });

  it('legacy .h5 and TF.js round trips', async () => {
    for (const format of ['h5', 'tfjs'] as const) {
      const model = seqModel();
      const x = tf.randomNormal([2, 4]);
      const before = model.predict(x) as tf.Tensor;
      const mem = new MemoryTarget();
      await saveModel(model, mem, { format });
      const loaded = await loadModel(mem);
      const after = loaded.predict(x) as tf.Tensor;
      bitsEqual(after, before);
      tf.dispose([x, before, after]);
      model.dispose();
      loaded.dispose();
    }
  });
});
