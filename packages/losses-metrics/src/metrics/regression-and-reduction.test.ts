import { type Metric, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../index.js';
import { clip, EPS, mean, near, scalarOf, softmax, sum, valuesOf } from '../test-reference-math.js';
import { BinaryCrossentropy } from './binary-crossentropy.js';
import { CategoricalCrossentropy } from './categorical-crossentropy.js';
import { CosineSimilarity } from './cosine-similarity.js';
import { KLDivergence } from './kl-divergence.js';
import { Mean } from './mean.js';
import { MeanAbsoluteError } from './mean-absolute-error.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';
import { MeanSquaredError } from './mean-squared-error.js';
import { R2Score } from './r2-score.js';
import { RootMeanSquaredError } from './root-mean-squared-error.js';
import { SparseCategoricalCrossentropy } from './sparse-categorical-crossentropy.js';
import { Sum } from './sum.js';

function update(m: Metric, t: number[] | number[][], p: number[] | number[][], w?: number[]) {
  tf.tidy(() => m.updateState(tf.tensor(t), tf.tensor(p), w ? tf.tensor1d(w) : undefined));
}

describe('Mean, Sum and MeanMetricWrapper', () => {
  it('Mean and Sum weight values and keep state across calls and resets', () => {
    const m = new Mean();
    const s = new Sum();
    tf.tidy(() => {
      m.updateState(tf.tensor1d([1, 3, 5, 7]), tf.tensor1d([1, 1, 0, 0]));
      m.updateState(tf.tensor1d([10]));
      s.updateState(tf.tensor1d([1, 3, 5, 7]), tf.tensor1d([1, 1, 0, 0]));
      s.updateState(
        tf.tensor2d([
          [1, 2],
          [3, 4],
        ]),
      );
    });
    near(scalarOf(m.result()), (1 + 3 + 10) / 3);
    near(scalarOf(s.result()), 4 + 10);
    m.resetState();
    near(scalarOf(m.result()), 0);
    tf.tidy(() =>
      m.updateState(
        tf.tensor2d([
          [1, 2],
          [3, 5],
        ]),
        tf.tensor1d([1, 3]),
      ),
    );
    near(scalarOf(m.result()), (1.5 * 1 + 4 * 3) / 4);
  });

  it('MeanMetricWrapper averages a function of (yTrue, yPred)', () => {
    const m = new MeanMetricWrapper((t, p) => tf.max(tf.abs(tf.sub(t, p)), -1), { name: 'max_err' });
    expect(m.name).toBe('max_err');
    update(
      m,
      [
        [1, 2],
        [0, 0],
      ],
      [
        [1.5, 4],
        [1, 0.5],
      ],
    );
    near(scalarOf(m.result()), (2 + 1) / 2);
  });
});

describe('regression metrics', () => {
  const t1 = [
    [1, 2],
    [3, 4],
  ];
  const p1 = [
    [1.5, 1],
    [3, 6],
  ];
  const t2 = [[0, -1]];
  const p2 = [[2, 1]];
  const sq = (t: number[][], p: number[][]) => t.flatMap((r, i) => r.map((v, j) => (v - p[i][j]) ** 2));

  it('MeanSquaredError, MeanAbsoluteError and RootMeanSquaredError accumulate over batches', () => {
    const mse = new MeanSquaredError();
    const mae = new MeanAbsoluteError();
    const rmse = new RootMeanSquaredError();
    for (const m of [mse, mae, rmse]) {
      update(m, t1, p1, [1, 2]);
      update(m, t2, p2, [3]);
    }
    const perSampleSq = [mean(sq(t1, p1).slice(0, 2)), mean(sq(t1, p1).slice(2)), mean(sq(t2, p2))];
    const w = [1, 2, 3];
    const wmean = (xs: number[]) => sum(xs.map((x, i) => x * w[i])) / sum(w);
    near(scalarOf(mse.result()), wmean(perSampleSq), 1e-5);
    near(scalarOf(rmse.result()), Math.sqrt(wmean(perSampleSq)), 1e-6);
    const perSampleAbs = [mean([0.5, 1]), mean([0, 2]), mean([2, 2])];
    near(scalarOf(mae.result()), wmean(perSampleAbs));
  });

  it('R2Score over batches equals R2 on the whole data (uniform and per column)', () => {
    const t = [
      [1, 10],
      [4, 20],
      [3, 15],
      [7, 5],
      [2, 9],
    ];
    const p = [
      [2, 12],
      [4, 18],
      [4, 15],
      [6, 8],
      [1, 9],
    ];
    const uniform = new R2Score();
    const raw = new R2Score({ classAggregation: null });
    for (const m of [uniform, raw]) {
      update(m, t.slice(0, 2), p.slice(0, 2));
      update(m, t.slice(2), p.slice(2));
    }
    const r2 = [0, 1].map((k) => {
      const col = t.map((r) => r[k]);
      const m = mean(col);
      const ssRes = sum(col.map((v, i) => (v - p[i][k]) ** 2));
      const ssTot = sum(col.map((v) => (v - m) ** 2));
      return 1 - ssRes / ssTot;
    });
    near(valuesOf(raw.result()), r2, 1e-5);
    near(scalarOf(uniform.result()), mean(r2), 1e-5);
    const adjusted = new R2Score({ numRegressors: 2 });
    update(
      adjusted,
      t.map((r) => [r[0]]),
      p.map((r) => [r[0]]),
    );
    const n = 5;
    near(scalarOf(adjusted.result()), 1 - ((1 - r2[0]) * (n - 1)) / (n - 2 - 1), 1e-5);
    expect(() => update(new R2Score(), [1, 2], [1, 2])).toThrow(/R2Score expects 2D inputs/);
  });

  it('CosineSimilarity is positive for aligned vectors', () => {
    const m = new CosineSimilarity();
    update(
      m,
      [
        [0, 1],
        [1, 1],
        [1, 1],
      ],
      [
        [1, 0],
        [1, 1],
        [-1, -1],
      ],
    );
    near(scalarOf(m.result()), (0 + 1 - 1) / 3, 1e-6);
    const m2 = new CosineSimilarity();
    update(m2, [[3, 4]], [[4, 3]]);
    near(scalarOf(m2.result()), 24 / 25, 1e-6);
  });
});

describe('loss-style metrics', () => {
  it('crossentropy metrics and KLDivergence average the loss over every sample seen', () => {
    const bce = new BinaryCrossentropy({ fromLogits: true });
    update(bce, [[1], [0]], [[0.3], [-1.2]]);
    update(bce, [[1]], [[2.0]]);
    const b = (t: number, x: number) => Math.max(x, 0) - x * t + Math.log(1 + Math.exp(-Math.abs(x)));
    near(scalarOf(bce.result()), mean([b(1, 0.3), b(0, -1.2), b(1, 2)]));

    const cce = new CategoricalCrossentropy({ labelSmoothing: 0.1 });
    const probs = [
      [0.2, 0.7, 0.1],
      [0.3, 0.3, 0.4],
    ];
    const oneHot = [
      [0, 1, 0],
      [1, 0, 0],
    ];
    update(cce, oneHot, probs, [2, 1]);
    const c = (t: number[], p: number[]) =>
      -sum(t.map((v, j) => (v * 0.9 + 0.1 / 3) * Math.log(clip(p[j] / sum(p), EPS, 1 - EPS))));
    near(scalarOf(cce.result()), (2 * c(oneHot[0], probs[0]) + c(oneHot[1], probs[1])) / 3);

    const scce = new SparseCategoricalCrossentropy({ fromLogits: true });
    update(
      scce,
      [2, 0],
      [
        [0.1, 0.2, 1.5],
        [2.0, 0.1, -1.0],
      ],
    );
    near(
      scalarOf(scce.result()),
      mean([-Math.log(softmax([0.1, 0.2, 1.5])[2]), -Math.log(softmax([2.0, 0.1, -1.0])[0])]),
    );

    const kl = new KLDivergence();
    update(kl, [[0.5, 0.5]], [[0.25, 0.75]]);
    near(scalarOf(kl.result()), 0.5 * Math.log(2) + 0.5 * Math.log(0.5 / 0.75));
  });

  it('fail with both shapes on mismatched inputs', () => {
    expect(() => update(new MeanSquaredError(), [[1, 2, 3]], [[1, 2]])).toThrow(ValueError);
    expect(() => update(new RootMeanSquaredError(), [[1, 2, 3]], [[1, 2]])).toThrow(/\(1, 3\).*\(1, 2\)/);
    expect(() =>
      update(
        new SparseCategoricalCrossentropy(),
        [0, 4],
        [
          [0.5, 0.5],
          [0.1, 0.9],
        ],
      ),
    ).toThrow(/class id of 4/);
  });

  it('config round trips keep Keras keys', () => {
    const m = new CategoricalCrossentropy({ fromLogits: true, name: 'cce' });
    expect(m.getConfig()).toEqual({
      name: 'cce',
      dtype: 'float32',
      fromLogits: true,
      labelSmoothing: 0,
      axis: -1,
    });
    expect(CategoricalCrossentropy.fromConfig(m.getConfig()).getConfig()).toEqual(m.getConfig());
    expect(new R2Score().getConfig()).toEqual({
      name: 'r2_score',
      dtype: 'float32',
      classAggregation: 'uniform_average',
      numRegressors: 0,
    });
  });
});
