import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, expectTypeOf, test } from 'vitest';

import {
  type CallKwargs,
  deserializeKerasObject,
  input,
  Layer,
  type LayerArgs,
  type Logs,
  Model,
  Sequential,
  type SymbolicTensor,
  serializeKerasObject,
  uniqueName,
} from '../src/index.js';
import { registerTestClasses, TestDense, TestMSE, TestSGD } from './fixtures.js';

beforeAll(() => registerTestClasses());

function engineTape(): unknown {
  return (tf.engine() as unknown as { state: { activeTape: unknown } }).state.activeTape;
}

describe('a fit whose loss throws', () => {
  test('leaks nothing over several calls, leaves no tape behind, and the next fit trains', async () => {
    const model = new Sequential([new TestDense({ units: 2, inputShape: [4], seed: 5 })]);
    model.compile({ optimizer: new TestSGD(), loss: new TestMSE() });
    const x = tf.randomNormal([10, 4], 0, 1, 'float32', 1);
    const bad = tf.zeros([10, 3]);
    const good = tf.zeros([10, 2]);
    const kernel = () => Array.from(model.getWeights()[0].dataSync());
    const before = kernel();
    const start = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      // [10, 2] outputs against [10, 3] targets: TestMSE's subtraction cannot broadcast.
      await expect(model.fit(x, bad, { verbose: 0 })).rejects.toThrow(/broadcast/);
      expect(tf.memory().numTensors).toBe(start);
      expect(engineTape()).toBeNull();
    }
    const after = model.getWeights();
    expect(Array.from(after[0].dataSync())).toEqual(before);
    tf.dispose(after);
    const history = await model.fit(x, good, { epochs: 2, batchSize: 5, verbose: 0 });
    // Zero targets: the loss of a linear layer trained by gradient descent falls.
    expect(history.history.loss[1]).toBeLessThan(history.history.loss[0]);
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose([x, bad, good]);
    model.dispose();
  });

  test('an unknown metric fails in compile, before any optimizer step', () => {
    const model = new Sequential([new TestDense({ units: 2, inputShape: [4] })]);
    expect(() =>
      model.compile({ optimizer: new TestSGD(), loss: new TestMSE(), metrics: ['nope' as never] }),
    ).toThrow(/nope/);
    expect(model.compiled).toBe(false);
    model.dispose();
  });
});

describe('unknown constructor arguments', () => {
  test('name the argument and the closest valid one', () => {
    expect(() => new TestDense({ units: 2, unitz: 3 } as never)).toThrow(
      "Unrecognized keyword arguments passed to TestDense: {'unitz': 3}. Did you mean 'units'?",
    );
    expect(() => new TestDense({ units: 2, unitz: 3, sed: 1 } as never)).toThrow(
      /\{'unitz': 3, 'sed': 1\}\. Did you mean: 'unitz' -> 'units', 'sed' -> 'seed'\?/,
    );
    // Nothing close: no suggestion.
    expect(() => new TestDense({ units: 2, zzzzzzzz: true } as never)).toThrow(/\{'zzzzzzzz': true\}\.$/);
  });

  test('base layer arguments and every config key are accepted, and null counts as absent', () => {
    const l = new TestDense({
      units: 2,
      seed: 3,
      activation: 'tanh',
      inputShape: [4],
      trainable: false,
      name: 'ok',
    });
    expect(l.getConfig()).toMatchObject({
      units: 2,
      seed: 3,
      activation: 'tanh',
      trainable: false,
      name: 'ok',
    });
    expect(() => new TestDense({ units: 2, whatever: null } as never)).not.toThrow();
  });

  test('checking does not use up auto names', () => {
    // The first construction with layer-specific arguments learns the class's config keys from a throwaway
    // instance; the next auto name must still follow on.
    class CountedDense extends TestDense {
      static override className = 'CountedDense';
    }
    const a = new CountedDense({ units: 2 });
    const b = new CountedDense({ units: 3 });
    const next = uniqueName('counted_dense');
    expect([a.name, b.name]).toEqual([
      expect.stringMatching(/^counted_dense(_\d+)?$/),
      expect.stringMatching(/^counted_dense_\d+$/),
    ]);
    const n = (s: string) => Number(s.split('_').pop()) || 0;
    expect(n(b.name)).toBe(n(a.name) + 1);
    expect(n(next)).toBe(n(b.name) + 1);
  });

  test('a config from a file may hold keys Strata does not take', () => {
    const json = serializeKerasObject('layer', new TestDense({ units: 2 }));
    const withExtra = { ...json, config: { ...json.config, lora_rank: null, future_option: 4 } };
    const layer = deserializeKerasObject<TestDense>('layer', withExtra);
    expect(layer.units).toBe(2);
  });

  test('layers that keep the base getConfig are not checked (their arguments are their own)', () => {
    class Scale extends Layer {
      readonly factor: number;
      constructor(args: LayerArgs & { factor: number }) {
        super(args);
        this.factor = args.factor;
      }
      override call(x: tf.Tensor | tf.Tensor[], _k: CallKwargs): tf.Tensor {
        return tf.mul(x as tf.Tensor, this.factor);
      }
    }
    expect(new Scale({ factor: 2 }).factor).toBe(2);
  });
});

describe('models', () => {
  test('countParams on an unbuilt model raises as in Keras; built, it counts', () => {
    const model = new Sequential([new TestDense({ units: 2 })]);
    expect(() => model.countParams()).toThrow(/isn't built/);
    model.build([null, 3]);
    expect(model.countParams()).toBe(3 * 2 + 2);
    model.dispose();
  });

  test('a ragged nested array is refused, not zero-padded', () => {
    const model = new Sequential([new TestDense({ units: 1, inputShape: [2] })]);
    const start = tf.memory().numTensors;
    expect(() => model.predict([[1, 2], [3]])).toThrow(
      'Expected input data as a rectangular nested array of shape (2, 2), but it is ragged: input[1] has 1 entries where 2 were expected.',
    );
    expect(tf.memory().numTensors).toBe(start);
    model.dispose();
  });
});

describe('predict typing', () => {
  test('single-output models predict one tensor, multi-output models a list', () => {
    const seq = new Sequential([new TestDense({ units: 2, inputShape: [3] })]);
    const a = input({ shape: [3] });
    const single = new Model({ inputs: a, outputs: new TestDense({ units: 2 }).apply(a) });
    const b = input({ shape: [3] });
    const pair = new Model({
      inputs: b,
      outputs: [new TestDense({ units: 2 }).apply(b), new TestDense({ units: 1 }).apply(b)],
    });
    const x = tf.zeros([4, 3]);
    expectTypeOf(seq.predict(x)).toEqualTypeOf<tf.Tensor>();
    expectTypeOf(seq.predictOnBatch(x)).toEqualTypeOf<tf.Tensor>();
    expectTypeOf(single.predict(x)).toEqualTypeOf<tf.Tensor>();
    expectTypeOf(pair.predict(x)).toEqualTypeOf<tf.Tensor[]>();
    expectTypeOf(seq.apply(x)).toEqualTypeOf<tf.Tensor>();
    expectTypeOf(seq.apply(input({ shape: [3] }))).toEqualTypeOf<SymbolicTensor>();
    // A model whose outputs are not known statically (loaded, or subclassed) keeps the union.
    const loaded: Model = pair;
    expectTypeOf(loaded.predict(x)).toEqualTypeOf<tf.Tensor | tf.Tensor[]>();
    // The runtime values agree with the types.
    const outs = [seq.predict(x), single.predict(x), ...pair.predict(x), seq.apply(x)];
    expect(outs.map((t) => t.shape)).toEqual([
      [4, 2],
      [4, 2],
      [4, 2],
      [4, 1],
      [4, 2],
    ]);
    tf.dispose([x, ...outs]);
    for (const m of [seq, single, pair]) m.dispose();
  });

  test('evaluate is typed Logs with returnDict: true and numbers otherwise', async () => {
    const model = new Sequential([new TestDense({ units: 1, inputShape: [2] })]);
    model.compile({ optimizer: new TestSGD(), loss: new TestMSE() });
    const x = tf.zeros([4, 2]);
    const y = tf.zeros([4, 1]);
    const logs = await model.evaluate(x, y, { returnDict: true, verbose: 0 });
    expectTypeOf(logs).toEqualTypeOf<Logs>();
    const loss = await model.evaluate(x, y, { verbose: 0 });
    expectTypeOf(loss).toEqualTypeOf<number | number[]>();
    expect(Object.keys(logs)).toEqual(['loss']);
    expect(loss).toBe(logs.loss);
    tf.dispose([x, y]);
    model.dispose();
  });
});
