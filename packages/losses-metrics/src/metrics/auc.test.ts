import { seededRandom } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../index.js';
import { exactRocAuc, mean, near, scalarOf, sigmoid } from '../test-reference-math.js';
import { AUC } from './auc.js';

function feed(m: AUC, labels: number[], scores: number[], batchSize: number, weights?: number[]) {
  for (let i = 0; i < labels.length; i += batchSize) {
    tf.tidy(() =>
      m.updateState(
        tf.tensor1d(labels.slice(i, i + batchSize)),
        tf.tensor1d(scores.slice(i, i + batchSize)),
        weights ? tf.tensor1d(weights.slice(i, i + batchSize)) : undefined,
      ),
    );
  }
}

/** Labels with scores that lean towards them, so the AUC is neither 0.5 nor 1. */
function data(n: number, seed: number, quantize?: number) {
  const r = seededRandom(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = r() < 0.4 ? 1 : 0;
    let s = Math.min(0.999, Math.max(0, 0.35 * label + 0.65 * r()));
    // Bucket midpoints of the default thresholds: every threshold falls between distinct scores.
    if (quantize) s = (Math.floor(s * quantize) + 0.5) / quantize;
    labels.push(label);
    scores.push(s);
  }
  return { labels, scores };
}

describe('AUC', () => {
  it('matches the exact trapezoidal ROC AUC on scores between thresholds, over several batches', () => {
    const { labels, scores } = data(300, 1, 199);
    const m = new AUC();
    feed(m, labels, scores, 64);
    const exact = exactRocAuc(labels, scores);
    expect(exact).toBeGreaterThan(0.6);
    expect(exact).toBeLessThan(0.95);
    near(scalarOf(m.result()), exact, 1e-3);
  });

  it('is within 1e-3 of the exact ROC AUC on continuous scores with enough thresholds, and weighted', () => {
    const { labels, scores } = data(400, 7);
    const w = labels.map((_, i) => 0.5 + (i % 3));
    const m = new AUC({ numThresholds: 1000 });
    feed(m, labels, scores, 50);
    near(scalarOf(m.result()), exactRocAuc(labels, scores), 1e-3);
    const weighted = new AUC({ numThresholds: 1000 });
    feed(weighted, labels, scores, 50, w);
    near(scalarOf(weighted.result()), exactRocAuc(labels, scores, w), 1e-3);
  });

  it('accumulates over batches: the whole-data AUC, not the mean of batch AUCs', () => {
    const { labels, scores } = data(200, 3, 199);
    const m = new AUC();
    feed(m, labels, scores, 40);
    const batchMean = mean(
      [0, 40, 80, 120, 160].map((i) => exactRocAuc(labels.slice(i, i + 40), scores.slice(i, i + 40))),
    );
    const exact = exactRocAuc(labels, scores);
    expect(Math.abs(exact - batchMean)).toBeGreaterThan(2e-3);
    near(scalarOf(m.result()), exact, 1e-3);
  });

  it('applies a sigmoid with fromLogits', () => {
    const { labels, scores } = data(200, 5, 199);
    const logits = scores.map((s) => Math.log(s / (1 - s)));
    const m = new AUC({ fromLogits: true });
    feed(m, labels, logits, 100);
    near(
      scores.map((s, i) => sigmoid(logits[i]) - s).reduce((a, b) => Math.max(a, Math.abs(b)), 0),
      0,
      1e-9,
    );
    near(scalarOf(m.result()), exactRocAuc(labels, scores), 1e-3);
  });

  it('averages per-label AUCs with multiLabel, and pools entries without it', () => {
    const a = data(150, 11, 199);
    const b = data(150, 12, 199);
    const t = a.labels.map((l, i) => [l, b.labels[i]]);
    const p = a.scores.map((s, i) => [s, b.scores[i]]);
    const multi = new AUC({ multiLabel: true });
    const pooled = new AUC();
    for (const m of [multi, pooled]) tf.tidy(() => m.updateState(tf.tensor2d(t), tf.tensor2d(p)));
    near(
      scalarOf(multi.result()),
      mean([exactRocAuc(a.labels, a.scores), exactRocAuc(b.labels, b.scores)]),
      1e-3,
    );
    near(scalarOf(pooled.result()), exactRocAuc(t.flat(), p.flat()), 1e-3);
    const weightedLabels = new AUC({ multiLabel: true, numLabels: 2, labelWeights: [3, 1] });
    tf.tidy(() => weightedLabels.updateState(tf.tensor2d(t), tf.tensor2d(p)));
    near(
      scalarOf(weightedLabels.result()),
      (3 * exactRocAuc(a.labels, a.scores) + exactRocAuc(b.labels, b.scores)) / 4,
      1e-3,
    );
  });

  it('gives 1 for a perfect ranking on both curves', () => {
    for (const curve of ['ROC', 'PR'] as const) {
      const m = new AUC({ curve });
      tf.tidy(() => m.updateState(tf.tensor1d([0, 0, 1, 1]), tf.tensor1d([0.1, 0.3, 0.7, 0.9])));
      near(scalarOf(m.result()), 1, 1e-6);
    }
  });

  it('computes the PR curve by Riemann sums with minoring and majoring', () => {
    // Explicit thresholds 0.5: points (recall, precision) at -eps, 0.5, 1+eps.
    const labels = [1, 0, 1, 1, 0, 0];
    const scores = [0.9, 0.8, 0.6, 0.3, 0.2, 0.1];
    const point = (th: number) => {
      let tp = 0;
      let fp = 0;
      labels.forEach((l, i) => {
        if (scores[i] > th) l ? tp++ : fp++;
      });
      return { recall: tp / 3, precision: tp + fp ? tp / (tp + fp) : 0 };
    };
    const pts = [point(-1e-7), point(0.5), point(1 + 1e-7)];
    const area = (pick: (a: number, b: number) => number) =>
      (pts[0].recall - pts[1].recall) * pick(pts[0].precision, pts[1].precision) +
      (pts[1].recall - pts[2].recall) * pick(pts[1].precision, pts[2].precision);
    for (const [method, pick] of [
      ['minoring', Math.min],
      ['majoring', Math.max],
    ] as const) {
      const m = new AUC({ curve: 'PR', summationMethod: method, thresholds: [0.5] });
      tf.tidy(() => m.updateState(tf.tensor1d(labels), tf.tensor1d(scores)));
      near(scalarOf(m.result()), area(pick), 1e-6);
    }
  });

  it('validates arguments and round-trips its config', () => {
    expect(() => new AUC({ numThresholds: 1 })).toThrow(/Received: num_thresholds=1/);
    expect(() => new AUC({ curve: 'XY' as never })).toThrow(/Invalid AUC curve value: "XY"/);
    expect(() => new AUC({ numLabels: 3 })).toThrow(/only when `multi_label` is True/);
    const m = new AUC({ thresholds: [0.7, 0.2], curve: 'pr', name: 'pr_auc' });
    expect(m.getConfig()).toEqual({
      name: 'pr_auc',
      dtype: 'float32',
      numThresholds: 4,
      curve: 'PR',
      summationMethod: 'interpolation',
      multiLabel: false,
      numLabels: null,
      labelWeights: null,
      fromLogits: false,
      thresholds: [0.2, 0.7],
    });
    expect(AUC.fromConfig(m.getConfig()).getConfig()).toEqual(m.getConfig());
  });
});
