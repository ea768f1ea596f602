/**
 * Subclassed models (issue 18): a `Model` subclass with layers in fields, arrays or records and its own
 * `call` trains like a functional model. The strongest check compares it with the functional model of the
 * same layers and weights: both must take the same steps, since the functional path is checked against
 * Keras elsewhere.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ProgbarLogger } from '@strata/callbacks';
import { Callback, input, Layer, type Logs, Model, register } from '@strata/core';
import { loadModel } from '@strata/io';
import { Dense } from '@strata/layers';
import '@strata/losses-metrics';
import { SGD } from '@strata/optimizers';
import '@strata/backends/cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

class MLP extends Model {
  d1 = new Dense({ units: 8, activation: 'tanh', name: 'hidden' });
  d2 = new Dense({ units: 2, name: 'out' });
  override call(x: tf.Tensor): tf.Tensor {
    return this.d2.apply(this.d1.apply(x));
  }
}

/** A layer written by a user: its own build, addWeight and call. */
class Linear extends Layer {
  w: ReturnType<Layer['addWeight']> | null = null;
  constructor(private readonly units: number) {
    super({});
  }
  override build(shape: (number | null)[]): void {
    this.w = this.addWeight('w', { shape: [shape[shape.length - 1]!, this.units], initializer: 'ones' });
    super.build(shape);
  }
  override call(x: tf.Tensor): tf.Tensor {
    return tf.matMul(x as tf.Tensor2D, this.w!.value as unknown as tf.Tensor2D);
  }
  override computeOutputShape(shape: (number | null)[]): (number | null)[] {
    return [shape[0], this.units];
  }
}

function data(n = 16): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const xv = Array.from({ length: n * 3 }, (_, i) => Math.sin(i * 1.7));
  const yv = Array.from({ length: n * 2 }, (_, i) => Math.cos(i * 0.9));
  return { x: tf.tensor2d(xv, [n, 3]), y: tf.tensor2d(yv, [n, 2]) };
}

function weightValues(m: Model): Float32Array[] {
  return m.weights.map((w) => w.value.dataSync() as Float32Array);
}

describe('a subclassed model', () => {
  test('builds on its first call; layers in fields are tracked (weights, layers, summary)', () => {
    const m = new MLP({ name: 'mlp' });
    expect(m.built).toBe(false);
    expect(m.layers.map((l) => l.name)).toEqual(['hidden', 'out']);
    expect(m.weights).toHaveLength(0);
    tf.tidy(() => m.apply(tf.ones([4, 3])));
    expect(m.weights.map((w) => w.shape)).toEqual([[3, 8], [8], [8, 2], [2]]);
    expect(m.trainableWeights).toHaveLength(4);
    const lines: string[] = [];
    m.summary(undefined, undefined, (l) => lines.push(l));
    // Keras 3.15 (JAX) prints this for the same subclass after `m(np.ones((4, 3)))` on a wide console.
    expect(lines).toEqual([
      'Model: "mlp"',
      '┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓',
      '┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃',
      '┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩',
      '│ hidden (Dense)                       │ (4, 8)                      │              32 │',
      '├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤',
      '│ out (Dense)                          │ (4, 2)                      │              18 │',
      '└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘',
      ' Total params: 50 (200.00 B)',
      ' Trainable params: 50 (200.00 B)',
      ' Non-trainable params: 0 (0.00 B)',
    ]);
    m.dispose();
  });

  test('layers held in arrays and records are tracked, each once', () => {
    class Blocks extends Model {
      blocks = [new Dense({ units: 4 }), new Dense({ units: 4 })];
      heads = { a: new Dense({ units: 1 }), b: new Dense({ units: 1 }) };
      alias = this.blocks[0];
      override call(x: tf.Tensor): tf.Tensor[] {
        const h = this.blocks[1].apply(this.blocks[0].apply(x));
        return [this.heads.a.apply(h), this.heads.b.apply(h)];
      }
    }
    const m = new Blocks();
    const out = m.predict(tf.ones([2, 3])) as tf.Tensor[];
    expect(out.map((t) => t.shape)).toEqual([
      [2, 1],
      [2, 1],
    ]);
    tf.dispose(out);
    expect(m.layers).toHaveLength(4);
    expect(m.trainableWeights.map((w) => w.shape)).toEqual([
      [3, 4],
      [4],
      [4, 4],
      [4],
      [4, 1],
      [1],
      [4, 1],
      [1],
    ]);
    m.dispose();
  });

  test('fit, evaluate and predict take the same steps as the functional model with the same weights', async () => {
    const { x, y } = data(16);
    const sub = new MLP();
    tf.tidy(() => sub.apply(tf.zeros([1, 3])));
    const inp = input({ shape: [3] });
    const d1 = new Dense({ units: 8, activation: 'tanh' });
    const d2 = new Dense({ units: 2 });
    const fun = new Model({ inputs: inp, outputs: d2.apply(d1.apply(inp)) });
    fun.setWeights(sub.getWeights());
    for (const m of [sub, fun])
      m.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'mse', metrics: ['mae'] });

    const seen: string[] = [];
    class Record extends Callback {
      override onEpochEnd(epoch: number, logs?: Logs) {
        seen.push(`${epoch}:${Object.keys(logs ?? {}).join(',')}`);
      }
    }
    // One warm-up epoch for each (the optimizer's and metrics' state), then the counted run.
    await sub.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, validationSplit: 0.25, verbose: 0 });
    await fun.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, validationSplit: 0.25, verbose: 0 });
    const before = tf.memory().numTensors;
    const hSub = await sub.fit(x, y, {
      epochs: 3,
      batchSize: 4,
      shuffle: false,
      validationSplit: 0.25,
      verbose: 0,
      callbacks: [new Record()],
    });
    const hFun = await fun.fit(x, y, {
      epochs: 3,
      batchSize: 4,
      shuffle: false,
      validationSplit: 0.25,
      verbose: 0,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(seen).toEqual([
      '0:loss,mae,val_loss,val_mae',
      '1:loss,mae,val_loss,val_mae',
      '2:loss,mae,val_loss,val_mae',
    ]);
    for (const key of ['loss', 'mae', 'val_loss', 'val_mae']) {
      hSub.history[key].forEach((v, i) => {
        expect(v).toBeCloseTo(hFun.history[key][i], 5);
      });
    }
    expect(hSub.history.loss[2]).toBeLessThan(hSub.history.loss[0]);
    const ws = weightValues(sub);
    weightValues(fun).forEach((w, i) => {
      Array.from(w).forEach((v, j) => {
        expect(ws[i][j]).toBeCloseTo(v, 5);
      });
    });

    // evaluate: the loss by hand from predict.
    const pred = sub.predict(x, { batchSize: 5 }) as tf.Tensor;
    const byHand = tf.tidy(() => tf.mean(tf.square(tf.sub(pred, y))).dataSync()[0]);
    const [loss, mae] = (await sub.evaluate(x, y, { batchSize: 5, verbose: 0 })) as number[];
    expect(loss).toBeCloseTo(byHand, 5);
    expect(mae).toBeCloseTo(
      tf.tidy(() => tf.mean(tf.abs(tf.sub(pred, y))).dataSync()[0]),
      5,
    );
    pred.dispose();

    // The *OnBatch calls: testOnBatch is this batch's loss; trainOnBatch returns the loss before its step.
    const onBatchBefore = tf.memory().numTensors;
    const xb = x.slice(0, 4);
    const yb = y.slice(0, 4);
    const p0 = sub.predictOnBatch(xb) as tf.Tensor;
    const mse0 = tf.tidy(() => tf.mean(tf.square(tf.sub(p0, yb))).dataSync()[0]);
    expect((await sub.testOnBatch(xb, yb)) as number[]).toEqual([
      expect.closeTo(mse0, 5),
      expect.any(Number),
    ]);
    const [trainLoss] = (await sub.trainOnBatch(xb, yb)) as number[];
    expect(trainLoss).toBeCloseTo(mse0, 5);
    const [after] = (await sub.testOnBatch(xb, yb)) as number[];
    expect(after).toBeLessThan(mse0);
    tf.dispose([p0, xb, yb]);
    expect(tf.memory().numTensors).toBe(onBatchBefore);
    tf.dispose([x, y]);
    sub.dispose();
    fun.dispose();
  });

  test('builds on fit when it was never called, and trains with the progress bar', async () => {
    const { x, y } = data(8);
    const m = new MLP();
    m.compile({ optimizer: new SGD({ learningRate: 0.05 }), loss: 'mse' });
    const out: string[] = [];
    await m.fit(x, y, {
      epochs: 1,
      batchSize: 4,
      verbose: 1,
      callbacks: [new ProgbarLogger({ printFn: (line: string) => out.push(line) })],
    });
    expect(m.built).toBe(true);
    expect(m.weights).toHaveLength(4);
    expect(out.join('')).toMatch(/2\/2.*loss: \d/s);
    tf.dispose([x, y]);
    m.dispose();
  });

  test('a user layer with build and addWeight nests in subclassed and functional models', async () => {
    class Wrap extends Model {
      lin = new Linear(2);
      override call(x: tf.Tensor): tf.Tensor {
        return this.lin.apply(x);
      }
    }
    const m = new Wrap();
    const x = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const p = m.predict(x) as tf.Tensor;
    // All-ones weights: each output is the row sum.
    expect(Array.from(p.dataSync())).toEqual([6, 6, 15, 15]);
    expect(m.trainableWeights.map((w) => w.path)).toEqual([`${m.lin.name}/w`]);
    const inp = input({ shape: [3] });
    const lin = new Linear(1);
    const f = new Model({ inputs: inp, outputs: lin.apply(inp) });
    const q = f.predict(x) as tf.Tensor;
    expect(Array.from(q.dataSync())).toEqual([6, 15]);
    // And a subclassed model inside a functional one.
    const inner = new Wrap();
    const inp2 = input({ shape: [3] });
    const g = new Model({ inputs: inp2, outputs: inner.apply(inp2) });
    const r = g.predict(x) as tf.Tensor;
    expect(Array.from(r.dataSync())).toEqual([6, 6, 15, 15]);
    expect(g.trainableWeights).toHaveLength(1);
    tf.dispose([x, p, q, r]);
  });

  test('losses added in call join the training loss', async () => {
    class WithPenalty extends Model {
      lin = new Linear(1);
      override call(x: tf.Tensor): tf.Tensor {
        const out = this.lin.apply(x);
        this.addLoss(tf.mul(0.5, tf.mean(tf.square(out))) as tf.Scalar);
        return out;
      }
    }
    const m = new WithPenalty();
    m.compile({ optimizer: new SGD({ learningRate: 0.01 }), loss: 'mse' });
    const x = tf.tensor2d([
      [1, 0],
      [0, 2],
    ]);
    const y = tf.tensor2d([[0], [1]]);
    // Ones weights: predictions [1, 2]; mse = ((1-0)^2 + (2-1)^2) / 2 = 1; penalty = 0.5 * (1 + 4) / 2 = 1.25.
    expect(await m.testOnBatch(x, y)).toBeCloseTo(2.25, 5);
    expect(await m.trainOnBatch(x, y)).toBeCloseTo(2.25, 5);
    // The step moved the weights: the gradient of mse + penalty w.r.t. w by hand.
    // d/dw [mean((xw - y)^2) + 0.5 mean((xw)^2)] = x^T (2 (xw - y) + (xw)) / 2 = x^T (3 xw - 2y) / 2.
    // xw = [1, 2]: 3xw - 2y = [3, 4]; x^T [3, 4] / 2 = [1.5, 4]; w = 1 - 0.01 * grad.
    expect(Array.from(m.trainableWeights[0].value.dataSync())).toEqual([
      expect.closeTo(0.985, 6),
      expect.closeTo(0.96, 6),
    ]);
    const before = tf.memory().numTensors;
    await m.trainOnBatch(x, y);
    await m.testOnBatch(x, y);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });

  test('bad input: call returning a non-tensor, a call that fails on the data', async () => {
    class Bad extends Model {
      d = new Dense({ units: 1 });
      override call(x: tf.Tensor): tf.Tensor {
        this.d.apply(x);
        return 42 as unknown as tf.Tensor;
      }
    }
    const x = tf.ones([4, 3]);
    const y = tf.ones([4, 1]);
    const bad = new Bad();
    bad.compile({ optimizer: 'sgd', loss: 'mse' });
    const before = tf.memory().numTensors;
    await expect(bad.fit(x, y, { verbose: 0 })).rejects.toThrow(
      /call\(\) must return a tensor, or a list or record of tensors\. Received: 42 \(of type number\)/,
    );
    // Building created the Dense's kernel and bias (ones and zeros aside, nothing trained); nothing else stays.
    expect(bad.weights).toHaveLength(2);
    expect(tf.memory().numTensors).toBe(before + 2);
    const kernel = Array.from(bad.weights[0].value.dataSync());
    await expect(bad.fit(x, y, { verbose: 0 })).rejects.toThrow(/must return a tensor/);
    expect(Array.from(bad.weights[0].value.dataSync())).toEqual(kernel);
    expect(tf.memory().numTensors).toBe(before + 2);

    class Fixed extends Model {
      lin = new Linear(1);
      override call(x: tf.Tensor): tf.Tensor {
        // Needs inputs of width 5: the data's width 3 cannot build it.
        return this.lin.apply(tf.reshape(x, [-1, 5]));
      }
    }
    const f = new Fixed({ name: 'fixed' });
    f.compile({ optimizer: 'sgd', loss: 'mse' });
    const before2 = tf.memory().numTensors;
    await expect(f.fit(x, y, { verbose: 0 })).rejects.toThrow(
      /Model "fixed" could not be built from the data: its call\(\) failed on inputs of shape \(4, 3\)/,
    );
    expect(tf.memory().numTensors).toBe(before2);
    tf.dispose([x, y]);
  });

  test('saveWeights/loadWeights round trip; a registered subclass with getConfig saves to .keras and loads back', async () => {
    class Registered extends Model {
      static override className = 'Registered';
      units: number;
      d: Dense;
      constructor(args: { units?: number; name?: string } = {}) {
        super({ name: args.name });
        this.units = args.units ?? 4;
        this.d = new Dense({ units: this.units });
      }
      override call(x: tf.Tensor): tf.Tensor {
        return this.d.apply(x);
      }
      override getConfig(): Record<string, unknown> {
        return { units: this.units, name: this.name };
      }
    }
    register('layer', 'Registered', Registered, { package: 'strata_tests' });
    const dir = mkdtempSync(join(tmpdir(), 'strata-subclass-'));
    try {
      const x = tf.tensor2d([
        [1, 2],
        [3, -1],
      ]);
      const m = new Registered({ units: 3, name: 'mine' });
      m.compile({ optimizer: 'sgd', loss: 'mse' });
      await m.fit(x, tf.ones([2, 3]), { verbose: 0 });
      const expected = m.predict(x) as tf.Tensor;

      const twin = new Registered({ units: 3 });
      tf.tidy(() => twin.apply(tf.zeros([1, 2])));
      await m.saveWeights(join(dir, 'm.weights.h5'));
      await twin.loadWeights(join(dir, 'm.weights.h5'));
      const viaWeights = twin.predict(x) as tf.Tensor;
      expect(Array.from(viaWeights.dataSync())).toEqual(Array.from(expected.dataSync()));

      await m.save(join(dir, 'm.keras'));
      const back = await loadModel(join(dir, 'm.keras'));
      expect(back).toBeInstanceOf(Registered);
      expect((back as Registered).units).toBe(3);
      expect(back.name).toBe('mine');
      expect(back.compiled).toBe(true);
      const viaFile = back.predict(x) as tf.Tensor;
      expect(Array.from(viaFile.dataSync())).toEqual(Array.from(expected.dataSync()));
      tf.dispose([x, expected, viaWeights, viaFile]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
