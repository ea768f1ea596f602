import { type Loss, registry, ValueError } from '@strata/core';
import { expectNoLeakedTensors } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../index.js';
import {
  clip,
  EPS,
  mean,
  near,
  rows,
  scalarOf,
  sum,
  sumOverBatch,
  valuesOf,
} from '../test-reference-math.js';
import { CategoricalHinge } from './categorical-hinge.js';
import { CosineSimilarity } from './cosine-similarity.js';
import { Dice } from './dice.js';
import { Hinge } from './hinge.js';
import { Huber } from './huber.js';
import { KLDivergence } from './kl-divergence.js';
import { LogCosh } from './log-cosh.js';
import { MeanAbsoluteError } from './mean-absolute-error.js';
import { MeanAbsolutePercentageError } from './mean-absolute-percentage-error.js';
import { MeanSquaredError } from './mean-squared-error.js';
import { MeanSquaredLogarithmicError } from './mean-squared-logarithmic-error.js';
import { Poisson } from './poisson.js';
import { SquaredHinge } from './squared-hinge.js';
import { Tversky } from './tversky.js';

const yTrue = [
  [1.0, 2.0, 0.5],
  [0.0, -1.0, 3.0],
];
const yPred = [
  [1.5, 1.0, 0.0],
  [0.2, -2.5, 2.0],
];
const weights = [0.25, 1.5];

const probTrue = [
  [0.2, 0.5, 0.3],
  [0.6, 0.1, 0.3],
];
const probPred = [
  [0.3, 0.3, 0.4],
  [0.5, 0.25, 0.25],
];

function apply(loss: Loss, t: number[][], p: number[][], w?: number[]) {
  return tf.tidy(() => loss.apply(tf.tensor2d(t), tf.tensor2d(p), w ? tf.tensor1d(w) : undefined));
}

/** Checks a loss against per-sample reference values under every reduction, with and without weights. */
function check(make: (reduction?: 'sum' | 'none') => Loss, t: number[][], p: number[][], per: number[]) {
  near(scalarOf(apply(make(), t, p)), sumOverBatch(per));
  near(scalarOf(apply(make(), t, p, weights)), sumOverBatch(per, weights));
  near(scalarOf(apply(make('sum'), t, p, weights)), sum(per.map((v, i) => v * weights[i])));
  near(valuesOf(apply(make('none'), t, p)), per);
}

describe('regression losses', () => {
  it('MeanSquaredError', () => {
    const per = rows(yTrue, yPred, (t, p) => mean(t.map((v, j) => (v - p[j]) ** 2)));
    check((reduction) => new MeanSquaredError({ reduction }), yTrue, yPred, per);
  });

  it('MeanAbsoluteError', () => {
    const per = rows(yTrue, yPred, (t, p) => mean(t.map((v, j) => Math.abs(v - p[j]))));
    check((reduction) => new MeanAbsoluteError({ reduction }), yTrue, yPred, per);
  });

  it('MeanAbsolutePercentageError (a zero target divides by epsilon)', () => {
    const per = rows(
      yTrue,
      yPred,
      (t, p) => 100 * mean(t.map((v, j) => Math.abs((v - p[j]) / Math.max(Math.abs(v), EPS)))),
    );
    const loss = new MeanAbsolutePercentageError();
    // The zero target makes one term 0.2/1e-7 = 2e6: compare relatively.
    const got = scalarOf(apply(loss, yTrue, yPred));
    near(got / sumOverBatch(per), 1, 1e-6);
    const t2 = [
      [2, 4],
      [1, 8],
    ];
    const p2 = [
      [1, 5],
      [1.5, 6],
    ];
    const per2 = rows(t2, p2, (t, p) => 100 * mean(t.map((v, j) => Math.abs((v - p[j]) / v))));
    near(scalarOf(apply(loss, t2, p2, weights)), sumOverBatch(per2, weights), 1e-5);
  });

  it('MeanSquaredLogarithmicError (negatives raised to epsilon)', () => {
    const per = rows(yTrue, yPred, (t, p) =>
      mean(t.map((v, j) => (Math.log(Math.max(p[j], EPS) + 1) - Math.log(Math.max(v, EPS) + 1)) ** 2)),
    );
    check((reduction) => new MeanSquaredLogarithmicError({ reduction }), yTrue, yPred, per);
  });

  it('Huber has a gradient wrt yPred on both branches and at the |error| == delta tie', async () => {
    const delta = 0.5;
    const t = [0, 0, 0, 0, 0, 0];
    const p = [-2, -0.5, -0.1, 0, 0.3, 0.5];
    const loss = new Huber({ delta });
    await expectNoLeakedTensors(() => {
      const g = tf.tidy(() => tf.grad((yp: tf.Tensor) => loss.apply(tf.tensor2d([t]), yp))(tf.tensor2d([p])));
      // d/dp of mean_j huber(p_j - t_j): clip(p_j - t_j, -delta, delta) / n; the tie takes the quadratic slope.
      const expected = p.map((pj, j) => clip(pj - t[j], -delta, delta) / p.length);
      near(valuesOf(g), expected);
    });
  });

  it('Huber with the default and a custom delta', () => {
    const hub = (d: number) => (t: number[], p: number[]) =>
      mean(
        t.map((v, j) => {
          const e = Math.abs(p[j] - v);
          return e <= d ? 0.5 * e * e : d * e - 0.5 * d * d;
        }),
      );
    check((reduction) => new Huber({ reduction }), yTrue, yPred, rows(yTrue, yPred, hub(1)));
    check((reduction) => new Huber({ delta: 0.7, reduction }), yTrue, yPred, rows(yTrue, yPred, hub(0.7)));
    expect(() => new Huber({ delta: 0 })).toThrow(/Received: delta=0/);
  });

  it('LogCosh', () => {
    const per = rows(yTrue, yPred, (t, p) => mean(t.map((v, j) => Math.log(Math.cosh(p[j] - v)))));
    check((reduction) => new LogCosh({ reduction }), yTrue, yPred, per);
  });

  it('CosineSimilarity is the negated cosine, 0 for a zero vector', () => {
    const cos = (a: number[], b: number[]) =>
      sum(a.map((v, j) => v * b[j])) / Math.sqrt(sum(a.map((v) => v * v)) * sum(b.map((v) => v * v)));
    check(
      (reduction) => new CosineSimilarity({ reduction }),
      yTrue,
      yPred,
      rows(yTrue, yPred, (t, p) => -cos(t, p)),
    );
    near(valuesOf(apply(new CosineSimilarity({ reduction: 'none' }), [[0, 0]], [[1, 2]])), [0]);
  });
});

describe('probabilistic, hinge and overlap losses', () => {
  it('KLDivergence clips both sides to [eps, 1]', () => {
    const per = rows(probTrue, probPred, (t, p) =>
      sum(t.map((v, j) => clip(v, EPS, 1) * Math.log(clip(v, EPS, 1) / clip(p[j], EPS, 1)))),
    );
    check((reduction) => new KLDivergence({ reduction }), probTrue, probPred, per);
  });

  it('Poisson', () => {
    const t = [
      [1, 0, 3],
      [2, 2, 0],
    ];
    const p = [
      [0.5, 0.2, 2.5],
      [1.5, 3, 0.1],
    ];
    const per = rows(t, p, (tt, pp) => mean(tt.map((v, j) => pp[j] - v * Math.log(pp[j] + EPS))));
    check((reduction) => new Poisson({ reduction }), t, p, per);
  });

  it('Hinge and SquaredHinge map 0/1 labels to -1/1, and keep -1/1 labels', () => {
    const t01 = [
      [0, 1, 1],
      [1, 0, 0],
    ];
    const tpm = t01.map((r) => r.map((v) => 2 * v - 1));
    const p = [
      [0.3, -0.8, 1.6],
      [0.4, -2, 0.9],
    ];
    const h = (t: number[], q: number[]) => mean(t.map((v, j) => Math.max(1 - v * q[j], 0)));
    const sh = (t: number[], q: number[]) => mean(t.map((v, j) => Math.max(1 - v * q[j], 0) ** 2));
    check((reduction) => new Hinge({ reduction }), t01, p, rows(tpm, p, h));
    check((reduction) => new Hinge({ reduction }), tpm, p, rows(tpm, p, h));
    check((reduction) => new SquaredHinge({ reduction }), t01, p, rows(tpm, p, sh));
  });

  it('CategoricalHinge', () => {
    const t = [
      [0, 1, 0],
      [0, 0, 1],
    ];
    const p = [
      [0.3, 0.5, 0.9],
      [0.6, 0.2, 0.1],
    ];
    const per = rows(t, p, (tt, pp) => {
      const pos = sum(tt.map((v, j) => v * pp[j]));
      const neg = Math.max(...tt.map((v, j) => (1 - v) * pp[j]));
      return Math.max(neg - pos + 1, 0);
    });
    check((reduction) => new CategoricalHinge({ reduction }), t, p, per);
  });

  it('Dice over the whole batch and per sample, and the Keras example (0.6164)', () => {
    const t = [
      [1, 1, 0, 0],
      [1, 1, 0, 0],
    ];
    const p = [
      [0, 1, 0, 1],
      [0.4, 0, 0, 0.9],
    ];
    const flatT = t.flat();
    const flatP = p.flat();
    const whole = 1 - (2 * sum(flatT.map((v, i) => v * flatP[i]))) / (sum(flatT) + sum(flatP) + EPS);
    near(scalarOf(apply(new Dice(), t, p)), whole);
    near(whole, 0.6164384, 1e-6);
    const perSample = rows(
      t,
      p,
      (a, b) => 1 - (2 * sum(a.map((v, j) => v * b[j]))) / (sum(a) + sum(b) + EPS),
    );
    near(valuesOf(apply(new Dice({ axis: [1], reduction: 'none' }), t, p)), perSample);
    near(scalarOf(apply(new Dice({ axis: 1 }), t, p, weights)), sumOverBatch(perSample, weights));
  });

  it('Tversky weighs false positives by alpha and false negatives by beta', () => {
    const t = [
      [1, 1, 0, 0],
      [1, 0, 1, 0],
    ];
    const p = [
      [0.9, 0.2, 0.4, 0.1],
      [0.3, 0.6, 0.8, 0.2],
    ];
    const tv = (a: number[], b: number[], alpha: number, beta: number) => {
      const tp = sum(a.map((v, j) => v * b[j]));
      const fp = sum(a.map((v, j) => (1 - b[j]) * v));
      const fn = sum(a.map((v, j) => b[j] * (1 - v)));
      return 1 - tp / (tp + alpha * fp + beta * fn + EPS);
    };
    near(scalarOf(apply(new Tversky({ alpha: 0.3, beta: 0.7 }), t, p)), tv(t.flat(), p.flat(), 0.3, 0.7));
    near(
      valuesOf(apply(new Tversky({ alpha: 0.3, beta: 0.7, axis: [1], reduction: 'none' }), t, p)),
      rows(t, p, (a, b) => tv(a, b, 0.3, 0.7)),
    );
  });
});

describe('bad input, registry, config and leaks', () => {
  it('fails with both shapes instead of broadcasting', () => {
    for (const loss of [new MeanSquaredError(), new Huber(), new KLDivergence(), new Hinge(), new Dice()]) {
      expect(() => apply(loss, [[1, 2, 3]], [[1, 2]])).toThrow(ValueError);
      expect(() => apply(loss, [[1, 2, 3]], [[1, 2]])).toThrow(
        /y_true\.shape=\(1, 3\), y_pred\.shape=\(1, 2\)/,
      );
    }
    expect(() => apply(new MeanSquaredError(), [[1], [2], [3]], [[1, 2, 3]])).toThrow(/\(3, 1\).*\(1, 3\)/);
  });

  it('rejects an unknown reduction with Keras wording', () => {
    expect(() => new MeanSquaredError({ reduction: 'avg' as never })).toThrow(/Received: reduction="avg"/);
  });

  it('registers Keras ids and camelCase variants', () => {
    expect(registry.get('loss', 'mse')).toBe(MeanSquaredError);
    expect(registry.get('loss', 'mean_squared_error')).toBe(MeanSquaredError);
    expect(registry.get('loss', 'meanSquaredError')).toBe(MeanSquaredError);
    expect(registry.get('loss', 'MeanSquaredError')).toBe(MeanSquaredError);
    expect(registry.get('loss', 'kld')).toBe(KLDivergence);
    expect(registry.get('loss', 'logcosh')).toBe(LogCosh);
    expect(registry.get('loss', 'huber')).toBe(Huber);
    expect(registry.get('loss', 'MAPE')).toBe(MeanAbsolutePercentageError);
  });

  it('round-trips configs and uses Keras default names', () => {
    expect(new Huber().getConfig()).toEqual({
      name: 'huber_loss',
      reduction: 'sum_over_batch_size',
      delta: 1,
    });
    expect(new LogCosh().name).toBe('log_cosh');
    const t = new Tversky({ alpha: 0.2, beta: 0.8, axis: [1, 2] });
    expect(Tversky.fromConfig(t.getConfig()).getConfig()).toEqual(t.getConfig());
    const c = new CosineSimilarity({ axis: 0, name: 'cos' });
    expect(CosineSimilarity.fromConfig(c.getConfig()).getConfig()).toEqual({
      name: 'cos',
      reduction: 'sum_over_batch_size',
      axis: 0,
    });
  });

  it('leaves no tensors behind over many calls of every loss', async () => {
    const t = tf.tensor2d(probTrue);
    const p = tf.tensor2d(probPred);
    const w = tf.tensor1d(weights);
    const all: Loss[] = [
      new MeanSquaredError(),
      new MeanAbsoluteError(),
      new MeanAbsolutePercentageError(),
      new MeanSquaredLogarithmicError(),
      new Huber(),
      new LogCosh(),
      new CosineSimilarity(),
      new KLDivergence(),
      new Poisson(),
      new Hinge(),
      new SquaredHinge(),
      new CategoricalHinge(),
      new Dice(),
      new Tversky(),
    ];
    await expectNoLeakedTensors(() => {
      for (let i = 0; i < 5; i++) for (const loss of all) tf.dispose([loss.apply(t, p), loss.apply(t, p, w)]);
    });
    tf.dispose([t, p, w]);
  });

  it('gives finite gradients through the losses', () => {
    const t = tf.tensor2d(probTrue);
    const p = tf.tensor2d(probPred);
    for (const loss of [
      new MeanSquaredError(),
      new LogCosh(),
      new CosineSimilarity(),
      new KLDivergence(),
      new Dice(),
    ]) {
      const g = tf.grad((x: tf.Tensor) => loss.apply(t, x))(p);
      expect(g.dataSync().every(Number.isFinite)).toBe(true);
      g.dispose();
    }
    tf.dispose([t, p]);
  });
});
