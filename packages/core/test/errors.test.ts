import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';

import { input, Model, Registry, RegistryError, register, registry, Sequential } from '../src/index.js';
import { registerTestClasses, TestDense, TestMSE, TestSGD } from './fixtures.js';

beforeAll(() => registerTestClasses());

function compiled(): Sequential {
  const m = new Sequential([
    new TestDense({ units: 4, inputShape: [3], seed: 2 }),
    new TestDense({ units: 1, seed: 4 }),
  ]);
  m.compile({ optimizer: new TestSGD(), loss: new TestMSE() });
  return m;
}

/** Runs `fn`, expects it to throw matching `pattern`, and checks the weights did not move. */
async function expectFailsUnchanged(model: Model, fn: () => unknown, pattern: RegExp): Promise<void> {
  const before = model.getWeights();
  await expect(Promise.resolve().then(fn)).rejects.toThrow(pattern);
  const after = model.getWeights();
  before.forEach((w, i) => {
    expect(Array.from(after[i].dataSync())).toEqual(Array.from(w.dataSync()));
  });
  tf.dispose([...before, ...after]);
}

describe('bad input gives clear errors and leaves weights unchanged', () => {
  test('input shape mismatch names the layer and both shapes', async () => {
    const m = compiled();
    const x = tf.zeros([8, 5]);
    const y = tf.zeros([8, 1]);
    await expectFailsUnchanged(
      m,
      () => m.fit(x, y, { verbose: 0 }),
      /Input 0 of layer "sequential(_\d+)?" is incompatible with the layer: expected shape=\(None, 3\), found shape=\(8, 5\)/,
    );
    await expectFailsUnchanged(m, () => m.predict(x), /expected shape=\(None, 3\), found shape=\(8, 5\)/);
    tf.dispose([x, y]);
  });

  test('the wrong last axis for a layer called directly names the layer', () => {
    const layer = new TestDense({ units: 2, name: 'dense_1' });
    const ok = layer.apply(tf.zeros([2, 784])) as tf.Tensor;
    ok.dispose();
    expect(() => layer.apply(tf.zeros([32, 100]))).toThrow(
      'Input 0 of layer "dense_1" is incompatible with the layer: expected axis -1 of input shape to have value 784, but received input with shape (32, 100)',
    );
  });

  test('wrong number of inputs', async () => {
    const a = input({ shape: [2] });
    const b = input({ shape: [2] });
    const { TestConcat } = await import('./fixtures.js');
    const m = new Model({
      inputs: [a, b],
      outputs: new TestDense({ units: 1 }).apply(new TestConcat().apply([a, b]) as never),
    });
    m.compile({ optimizer: new TestSGD(), loss: new TestMSE() });
    const x = tf.zeros([4, 2]);
    const y = tf.zeros([4, 1]);
    await expectFailsUnchanged(
      m,
      () => m.fit(x, y, { verbose: 0 }),
      /expects 2 input\(s\), but it received 1 input tensors/,
    );
    expect(() => m.predict([x, x, x])).toThrow(/expects 2 input\(s\), but it received 3/);
    tf.dispose([x, y]);
  });

  test('fit before compile', async () => {
    const m = new Sequential([new TestDense({ units: 1, inputShape: [3] })]);
    const x = tf.zeros([4, 3]);
    await expectFailsUnchanged(
      m,
      () => m.fit(x, tf.zeros([4, 1]), { verbose: 0 }),
      /You must call `compile\(\)` before using the model/,
    );
    x.dispose();
  });

  test('batchSize 0', async () => {
    const m = compiled();
    const x = tf.zeros([4, 3]);
    const y = tf.zeros([4, 1]);
    await expectFailsUnchanged(
      m,
      () => m.fit(x, y, { batchSize: 0, verbose: 0 }),
      /Expected `batch_size` to be a positive integer. Received: batch_size=0/,
    );
    tf.dispose([x, y]);
  });

  test('x and y with different sample counts', async () => {
    const m = compiled();
    const x = tf.zeros([10, 3]);
    const y = tf.zeros([9, 1]);
    await expectFailsUnchanged(
      m,
      () => m.fit(x, y, { verbose: 0 }),
      /Data cardinality is ambiguous.*'x' sizes: 10.*'y' sizes: 9/,
    );
    tf.dispose([x, y]);
  });

  test('unknown registry name says what is registered and which package to import', () => {
    const m = new Sequential([new TestDense({ units: 1, inputShape: [3] })]);
    expect(() => m.compile({ optimizer: 'adamx' as never, loss: new TestMSE() })).toThrow(
      /Unknown optimizer: 'adamx'. Built-in optimizers are registered by importing '@strata\/optimizers'. Registered optimizers: .*TestSGD/,
    );
    expect(() => m.compile({ optimizer: new TestSGD(), loss: 'acme>Focal' as never })).toThrow(
      /Unknown loss: 'acme>Focal'.*third-party plug-in 'acme'/,
    );
  });

  test('duplicate registration is loud', () => {
    class Other extends TestSGD {}
    expect(() => register('optimizer', 'TestSGD', Other)).toThrow(RegistryError);
    expect(() => register('optimizer', 'TestSGD', Other)).toThrow(/already registered/);
    // The same value again is harmless (a module evaluated twice).
    expect(() => register('optimizer', 'TestSGD', TestSGD)).not.toThrow();
  });

  test('bad compile arguments', () => {
    const m = compiled();
    expect(() => m.compile({ optimizer: new TestSGD(), loss: [new TestMSE(), new TestMSE()] })).toThrow(
      /one entry per model output/,
    );
    expect(() => m.compile({} as never)).toThrow(/needs an optimizer/);
  });
});

describe('registry', () => {
  test('is one instance on globalThis', () => {
    expect((globalThis as Record<symbol, unknown>)[Symbol.for('strata.registry')]).toBe(registry);
  });

  test('finds Keras names, aliases and camelCase/snake_case forms; third parties get package>Name', () => {
    const r = new Registry();
    class Foo {}
    r.register('loss', 'CategoricalCrossentropy', Foo, { aliases: ['categorical_crossentropy'] });
    expect(r.get('loss', 'categoricalCrossentropy')).toBe(Foo);
    expect(r.get('loss', 'categorical_crossentropy')).toBe(Foo);
    const e = r.register('layer', 'Lion2', Foo, { package: 'acme', module: '@acme/strata-plugin' });
    expect(e.key).toBe('acme>Lion2');
    expect(r.get('layer', 'acme>Lion2')).toBe(Foo);
    expect(() => r.get('layer', 'acme>Nope', { module: '@acme/strata-plugin' })).toThrow(
      /import '@acme\/strata-plugin'/,
    );
    expect(r.list('loss')).toEqual(['CategoricalCrossentropy']);
  });
});
