import type { Metric } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../index.js';
import { mean, near, scalarOf, sum, valuesOf } from '../test-reference-math.js';
import { F1Score } from './f1-score.js';
import { FalseNegatives } from './false-negatives.js';
import { FalsePositives } from './false-positives.js';
import { FBetaScore } from './fbeta-score.js';
import { Precision } from './precision.js';
import { Recall } from './recall.js';
import { TrueNegatives } from './true-negatives.js';
import { TruePositives } from './true-positives.js';

function update(m: Metric, t: number[] | number[][], p: number[] | number[][], w?: number[]) {
  tf.tidy(() => m.updateState(tf.tensor(t), tf.tensor(p), w ? tf.tensor1d(w) : undefined));
}

/** Weighted confusion counts at one threshold, over flat arrays. */
function counts(t: number[], p: number[], threshold: number, w?: number[]) {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  t.forEach((label, i) => {
    const wi = w ? w[i] : 1;
    const pos = p[i] > threshold;
    if (label && pos) c.tp += wi;
    else if (!label && pos) c.fp += wi;
    else if (!label) c.tn += wi;
    else c.fn += wi;
  });
  return c;
}

// Two batches whose per-batch precision and recall average to something other than the whole-data values.
const batches = [
  { t: [1, 0, 0, 0], p: [0.9, 0.8, 0.7, 0.6] },
  { t: [1, 1, 0, 1], p: [0.9, 0.2, 0.1, 0.3] },
];
const allT = batches.flatMap((b) => b.t);
const allP = batches.flatMap((b) => b.p);

describe('Precision and Recall', () => {
  it('accumulate counts: several batches give the whole-data value, not the mean of batch values', () => {
    const precision = new Precision();
    const recall = new Recall();
    for (const b of batches) {
      update(precision, b.t, b.p);
      update(recall, b.t, b.p);
    }
    const whole = counts(allT, allP, 0.5);
    const wholePrecision = whole.tp / (whole.tp + whole.fp);
    const wholeRecall = whole.tp / (whole.tp + whole.fn);
    const batchMeanPrecision = mean(
      batches.map((b) => {
        const c = counts(b.t, b.p, 0.5);
        return c.tp / (c.tp + c.fp);
      }),
    );
    expect(Math.abs(wholePrecision - batchMeanPrecision)).toBeGreaterThan(0.1);
    near(scalarOf(precision.result()), wholePrecision);
    near(scalarOf(recall.result()), wholeRecall);
  });

  it('give one value per threshold for a list of thresholds, with sample weights', () => {
    const thresholds = [0.15, 0.5, 0.85];
    const w = [1, 2, 0.5, 1, 3, 1, 2, 1];
    const precision = new Precision({ thresholds });
    const recall = new Recall({ thresholds });
    update(precision, allT, allP, w);
    update(recall, allT, allP, w);
    const ref = thresholds.map((th) => counts(allT, allP, th, w));
    near(
      valuesOf(precision.result()),
      ref.map((c) => c.tp / (c.tp + c.fp)),
    );
    near(
      valuesOf(recall.result()),
      ref.map((c) => c.tp / (c.tp + c.fn)),
    );
  });

  it('honor topK and classId', () => {
    const t = [
      [0, 1, 1, 0],
      [1, 0, 0, 1],
    ];
    const p = [
      [0.9, 0.8, 0.2, 0.1],
      [0.6, 0.7, 0.3, 0.4],
    ];
    const top2 = new Precision({ topK: 2 });
    update(top2, t, p);
    // Top two per row: row 0 -> classes 0, 1 (1 hit); row 1 -> classes 1, 0 (1 hit).
    near(scalarOf(top2.result()), 2 / 4);
    const cls = new Recall({ classId: 3 });
    update(cls, t, p);
    // Class 3: only row 1 is positive, predicted 0.4 <= 0.5.
    near(scalarOf(cls.result()), 0);
    expect(() => update(new Recall({ classId: 7 }), t, p)).toThrow(/class_id=7/);
  });

  it('round-trip their config', () => {
    const p = new Precision({ thresholds: [0.3, 0.6], classId: 1, name: 'p' });
    expect(p.getConfig()).toEqual({
      name: 'p',
      dtype: 'float32',
      thresholds: [0.3, 0.6],
      topK: null,
      classId: 1,
    });
    expect(Precision.fromConfig(p.getConfig()).getConfig()).toEqual(p.getConfig());
    expect(() => new Recall({ thresholds: [1.5] })).toThrow(/Threshold values must be in \[0, 1\]/);
  });
});

describe('TruePositives, FalsePositives, TrueNegatives, FalseNegatives', () => {
  it('count weighted entries across batches', () => {
    const w = [1, 2, 0.5, 1, 3, 1, 2, 1];
    const ms = [new TruePositives(), new FalsePositives(), new TrueNegatives(), new FalseNegatives()];
    for (const m of ms) {
      update(m, batches[0].t, batches[0].p, w.slice(0, 4));
      update(m, batches[1].t, batches[1].p, w.slice(4));
    }
    const c = counts(allT, allP, 0.5, w);
    near(
      ms.map((m) => scalarOf(m.result())),
      [c.tp, c.fp, c.tn, c.fn],
    );
    const multi = new TruePositives({ thresholds: [0.25, 0.75] });
    update(multi, allT, allP);
    near(valuesOf(multi.result()), [counts(allT, allP, 0.25).tp, counts(allT, allP, 0.75).tp]);
  });
});

describe('F1Score and FBetaScore', () => {
  // Three classes, multi-label targets, split in two batches.
  const t = [
    [1, 0, 1],
    [0, 1, 0],
    [1, 1, 0],
    [0, 0, 1],
    [1, 0, 0],
    [0, 1, 1],
  ];
  const p = [
    [0.8, 0.1, 0.3],
    [0.7, 0.9, 0.2],
    [0.2, 0.6, 0.1],
    [0.4, 0.3, 0.9],
    [0.9, 0.7, 0.2],
    [0.1, 0.2, 0.4],
  ];
  const fbeta = (tp: number, fp: number, fn: number, beta: number) => {
    const e = 1e-7;
    const pr = tp / (tp + fp + e);
    const rc = tp / (tp + fn + e);
    return ((1 + beta * beta) * pr * rc) / (beta * beta * pr + rc + e);
  };
  const perClass = (rowsT: number[][], rowsP: number[][], threshold: number, beta = 1) =>
    [0, 1, 2].map((k) => {
      const c = counts(
        rowsT.map((r) => r[k]),
        rowsP.map((r) => r[k]),
        threshold,
      );
      return fbeta(c.tp, c.fp, c.fn, beta);
    });

  it('accumulate over batches to the whole-data score (macro differs from the mean of batch scores)', () => {
    const macro = new F1Score({ average: 'macro', threshold: 0.5 });
    const none = new F1Score({ threshold: 0.5 });
    for (const m of [macro, none]) {
      update(m, t.slice(0, 3), p.slice(0, 3));
      update(m, t.slice(3), p.slice(3));
    }
    const whole = perClass(t, p, 0.5);
    const batchMean = mean([
      mean(perClass(t.slice(0, 3), p.slice(0, 3), 0.5)),
      mean(perClass(t.slice(3), p.slice(3), 0.5)),
    ]);
    expect(Math.abs(mean(whole) - batchMean)).toBeGreaterThan(0.05);
    near(scalarOf(macro.result()), mean(whole));
    near(valuesOf(none.result()), whole);
  });

  it('micro, weighted and beta follow the definitions', () => {
    const micro = new F1Score({ average: 'micro', threshold: 0.5 });
    update(micro, t, p);
    const c = counts(t.flat(), p.flat(), 0.5);
    near(scalarOf(micro.result()), fbeta(c.tp, c.fp, c.fn, 1));
    const weighted = new FBetaScore({ average: 'weighted', beta: 2, threshold: 0.5 });
    update(weighted, t, p);
    const support = [0, 1, 2].map((k) => sum(t.map((r) => r[k])));
    const scores = perClass(t, p, 0.5, 2);
    near(scalarOf(weighted.result()), sum(scores.map((s, k) => (s * support[k]) / sum(support))));
  });

  it('without a threshold counts the top prediction of each row as positive', () => {
    const m = new F1Score({ average: 'macro' });
    const oneHot = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [0, 1, 0],
    ];
    const probs = [
      [0.6, 0.3, 0.1],
      [0.5, 0.4, 0.1],
      [0.1, 0.1, 0.8],
      [0.2, 0.7, 0.1],
    ];
    update(m, oneHot, probs);
    const predicted = probs.map((r) => r.map((v) => (v === Math.max(...r) ? 1 : 0)));
    const scores = [0, 1, 2].map((k) => {
      const c = counts(
        oneHot.map((r) => r[k]),
        predicted.map((r) => r[k]),
        0.5,
      );
      return fbeta(c.tp, c.fp, c.fn, 1);
    });
    near(scalarOf(m.result()), mean(scores));
  });

  it('validate arguments and shapes with Keras messages', () => {
    expect(() => new F1Score({ average: 'mean' as never })).toThrow(/Received: average="mean"/);
    expect(() => new FBetaScore({ beta: 0 })).toThrow(/Received: beta=0/);
    expect(() => new F1Score({ threshold: 1.5 })).toThrow(/Received: threshold=1.5/);
    expect(() => update(new F1Score(), [1, 0], [0.3, 0.6])).toThrow(/expects 2D inputs/);
    expect(() => update(new F1Score(), [[1, 0]], [[0.3, 0.6, 0.1]])).toThrow(/\(1, 2\).*\(1, 3\)/);
    const f1 = new F1Score({ average: 'micro', threshold: 0.4 });
    expect(f1.getConfig()).toEqual({ name: 'f1_score', dtype: 'float32', average: 'micro', threshold: 0.4 });
  });
});
