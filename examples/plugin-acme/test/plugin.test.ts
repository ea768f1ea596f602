import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { type CompileArgs, registry, Sequential, Variable } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose, runLayerTest } from '@strata/core/testing';
import { Dense } from '@strata/layers';
import '@strata/losses-metrics';
import '@strata/io';

// The plug-in is imported by its package name, as an application would, not by a relative path.
import { Lion2, ScaleShift, SignAgreement, StopAtLoss } from '@acme/strata-plugin';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, onTestFinished, test } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

describe('registration', () => {
  test('every class is registered under acme> with the npm module that provides it', () => {
    for (const [kind, name, cls] of [
      ['layer', 'acme>ScaleShift', ScaleShift],
      ['optimizer', 'acme>Lion2', Lion2],
      ['metric', 'acme>SignAgreement', SignAgreement],
      ['callback', 'acme>StopAtLoss', StopAtLoss],
    ] as const) {
      const entry = registry.find(kind, name);
      expect(entry?.value).toBe(cls);
      expect(entry?.module).toBe('@acme/strata-plugin');
      expect(entry?.builtin).toBe(false);
    }
  });

  test('plug-in names type-check in compile; unknown ones do not', () => {
    // Compiled by `tsc --noEmit` (the package's typecheck), never run.
    const typed = (): CompileArgs[] => [
      { optimizer: 'acme>Lion2', loss: 'mse', metrics: ['acme>SignAgreement'] },
      // @ts-expect-error: not a registered optimizer name
      { optimizer: 'acme>Lion3', loss: 'mse' },
    ];
    expect(typeof typed).toBe('function');
  });
});

describe('ScaleShift', () => {
  test('runLayerTest: starts as the identity (gamma 1, beta 0), two weights, trains', async () => {
    const x = tf.tensor2d([
      [1, -2, 3],
      [0.5, 0, -4],
    ]);
    await runLayerTest(ScaleShift, {
      initArgs: {},
      inputShape: [2, 3],
      inputData: x,
      expectedOutputShape: [2, 3],
      expectedOutput: [
        [1, -2, 3],
        [0.5, 0, -4],
      ],
      expectedNumTrainableWeights: 2,
      expectedNumNonTrainableWeights: 0,
    });
    x.dispose();
  });

  test('center: false has gamma only, and output is x * gamma', async () => {
    await runLayerTest(ScaleShift, {
      initArgs: { center: false },
      inputShape: [4, 2],
      expectedOutputShape: [4, 2],
      expectedNumTrainableWeights: 1,
    });
    const layer = new ScaleShift({ center: false });
    layer.build([null, 2]);
    layer.gamma!.value.assign(tf.tensor1d([2, -3]));
    const y = layer.call(tf.tensor2d([[1, 1]]));
    expectTensorsClose(y, [[2, -3]]);
    tf.dispose(y);
    layer.dispose?.();
  });

  test('bad arguments fail early', () => {
    expect(() => new ScaleShift({ center: 'yes' as unknown as boolean })).toThrow(/Received: center=yes/);
  });
});

describe('Lion2', () => {
  test('one step matches the formula computed by hand', async () => {
    await expectNoLeakedTensors(() => {
      const opt = new Lion2({ learningRate: 0.1, beta1: 0.9, beta2: 0.99, sharpness: 10 });
      const w0 = tf.tensor1d([1, -2]);
      const v = new Variable({ initialValue: w0, name: 'w' });
      const g = tf.tensor1d([0.5, -0.1]);
      opt.apply([g], [v]);
      // m = 0: u = 0.1 * g = [0.05, -0.01]; w -= 0.1 * tanh(10 * u); m = 0.01 * g.
      expectTensorsClose(v.value, [1 - 0.1 * Math.tanh(0.5), -2 - 0.1 * Math.tanh(-0.1)], { atol: 1e-6 });
      expectTensorsClose(opt.variables.find((x) => x.name.includes('momentum'))!.value, [0.005, -0.001], {
        atol: 1e-7,
      });
      // Second step: u = 0.9 * m + 0.1 * g2.
      const g2 = tf.tensor1d([0, 1]);
      const before = v.value.arraySync() as number[];
      opt.apply([g2], [v]);
      const u = [0.9 * 0.005 + 0, 0.9 * -0.001 + 0.1];
      expectTensorsClose(
        v.value,
        [before[0] - 0.1 * Math.tanh(10 * u[0]), before[1] - 0.1 * Math.tanh(10 * u[1])],
        {
          atol: 1e-6,
        },
      );
      tf.dispose([w0, g, g2]);
      v.dispose();
      opt.dispose();
    });
  });

  test('getConfig round-trips through the registry', () => {
    const opt = new Lion2({ learningRate: 0.02, sharpness: 3 });
    const config = opt.getConfig();
    expect(config).toMatchObject({ beta1: 0.9, beta2: 0.99, sharpness: 3, name: 'lion2' });
    const again = (registry.get('optimizer', 'acme>Lion2') as typeof Lion2).fromConfig(config) as Lion2;
    expect(again.sharpness).toBe(3);
    expect(again.learningRate).toBeCloseTo(0.02, 7);
  });

  test('bad arguments fail early', () => {
    expect(() => new Lion2({ sharpness: 0 })).toThrow(/Received: sharpness=0/);
    expect(() => new Lion2({ beta1: 0 })).toThrow(/Received: beta_1=0/);
  });
});

describe('SignAgreement', () => {
  test('counts matching signs, weighted per sample, and resets', async () => {
    await expectNoLeakedTensors(() => {
      const m = new SignAgreement();
      const yTrue = tf.tensor2d([
        [1, -1],
        [0, 2],
      ]);
      const yPred = tf.tensor2d([
        [0.5, 0.3],
        [0, -1],
      ]);
      m.updateState(yTrue, yPred);
      // Agreements [[1, 0], [1, 0]]: 2 of 4.
      let r = m.result();
      expectTensorsClose(r, 0.5);
      r.dispose();
      m.resetState();
      const w = tf.tensor1d([3, 1]);
      m.updateState(yTrue, yPred, w);
      // Weighted: (3*1 + 3*0 + 1*1 + 1*0) / (3 + 3 + 1 + 1) = 4 / 8.
      r = m.result();
      expectTensorsClose(r, 0.5);
      r.dispose();
      const yPred2 = tf.tensor2d([
        [1, -1],
        [-1, 1],
      ]);
      m.updateState(yTrue, yPred2, w);
      // Adds 3*1 + 3*1 + 1*0 + 1*1 = 7 of 8: (4 + 7) / 16.
      r = m.result();
      expectTensorsClose(r, 11 / 16);
      tf.dispose([r, yTrue, yPred, yPred2, w]);
      m.dispose();
    });
  });

  test('shape mismatch fails with both shapes', () => {
    const m = new SignAgreement();
    const a = tf.zeros([2, 2]);
    const b = tf.zeros([2, 3]);
    expect(() => m.updateState(a, b)).toThrow(/y_true.shape=\(2, 2\), y_pred.shape=\(2, 3\)/);
    tf.dispose([a, b]);
    m.dispose();
  });
});

function data(): { x: tf.Tensor; y: tf.Tensor } {
  // y = 2 * x0 - x1: a linear target the model can fit in a few epochs.
  const x = tf.randomUniform([64, 2], -1, 1, 'float32', 11);
  const y = tf.tidy(() => tf.sub(tf.mul(tf.slice(x, [0, 0], [-1, 1]), 2), tf.slice(x, [0, 1], [-1, 1])));
  return { x, y };
}

function acmeModel(): Sequential {
  const model = new Sequential([new Dense({ units: 1, inputShape: [2] }), new ScaleShift()]);
  model.compile({ optimizer: 'acme>Lion2', loss: 'mse', metrics: ['acme>SignAgreement'] });
  return model;
}

describe('training with the plug-in', () => {
  test('fit by name: loss falls, the metric is logged, StopAtLoss stops', async () => {
    const { x, y } = data();
    const model = acmeModel();
    const history = await model.fit(x, y, { epochs: 8, batchSize: 16, verbose: 0 });
    // Measured after the first fit, which creates the optimizer's state.
    const before = tf.memory().numTensors;
    const losses = history.history.loss;
    expect(losses).toHaveLength(8);
    expect(losses[7]).toBeLessThan(losses[0]);
    // As in Keras, a metric given by a string is logged under that string.
    const agreement = history.history['acme>SignAgreement'];
    expect(agreement).toHaveLength(8);
    for (const v of agreement) expect(v >= 0 && v <= 1).toBe(true);

    const stop = new StopAtLoss({ threshold: 1e9 });
    const h2 = await model.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0, callbacks: [stop] });
    expect(h2.history.loss).toHaveLength(1);
    expect(stop.stoppedEpoch).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });

  test('StopAtLoss names a missing log key', async () => {
    const { x, y } = data();
    const model = acmeModel();
    await expect(
      model.fit(x, y, {
        epochs: 1,
        verbose: 0,
        callbacks: [new StopAtLoss({ monitor: 'val_loss', threshold: 0 })],
      }),
    ).rejects.toThrow(/monitors 'val_loss'.*Available: loss/);
    tf.dispose([x, y]);
  });
});

function runChild(
  file: string,
  withPlugin: boolean,
): { status: number | null; stdout: string; stderr: string } {
  const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const child = path.join(here, 'fixtures', 'load-child.ts');
  const r = spawnSync(
    process.execPath,
    [tsx, '--conditions=strata-source', child, file, withPlugin ? 'with' : 'without'],
    {
      cwd: path.resolve(here, '..'),
      encoding: 'utf8',
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('serialization', () => {
  test('a saved .keras model loads in a fresh process that imports the plug-in, and fails without it', async () => {
    const { x, y } = data();
    const model = acmeModel();
    await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'acme.keras');
    await model.save(file);
    const probe = tf.tensor2d([
      [0.5, -0.25],
      [-1, 1],
    ]);
    const expected = model.predict(probe) as tf.Tensor;

    const ok = runChild(file, true);
    expect(ok.status, ok.stderr).toBe(0);
    const out = JSON.parse(ok.stdout.trim().split('\n').at(-1)!);
    expect(out.layers).toEqual(['Dense', 'ScaleShift']);
    expect(out.optimizer).toBe('Lion2');
    expect(out.sharpness).toBe(10);
    expectTensorsClose(tf.tensor(out.prediction), expected, { atol: 1e-6 });

    const missing = runChild(file, false);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/acme>ScaleShift/);
    expect(missing.stderr).toMatch(/import '@acme\/strata-plugin'/);

    tf.dispose([x, y, probe, expected]);
  });
});
