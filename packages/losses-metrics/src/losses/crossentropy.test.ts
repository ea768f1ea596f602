import { registry, ValueError } from '@strata/core';
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
  sigmoid,
  softmax,
  sum,
  sumOverBatch,
  valuesOf,
} from '../test-reference-math.js';
import { BinaryCrossentropy } from './binary-crossentropy.js';
import { BinaryFocalCrossentropy } from './binary-focal-crossentropy.js';
import { CategoricalCrossentropy } from './categorical-crossentropy.js';
import { CategoricalFocalCrossentropy } from './categorical-focal-crossentropy.js';
import { SparseCategoricalCrossentropy } from './sparse-categorical-crossentropy.js';

const bceProb = (t: number, p: number) => {
  const q = clip(p, EPS, 1 - EPS);
  return -(t * Math.log(q) + (1 - t) * Math.log(1 - q));
};
const bceLogit = (t: number, x: number) => Math.max(x, 0) - x * t + Math.log(1 + Math.exp(-Math.abs(x)));

const binTrue = [
  [0, 1, 1],
  [1, 0, 0],
];
const binProb = [
  [0.2, 0.7, 0.9],
  [0.6, 0.3, 0.05],
];
const binLogits = [
  [-1.5, 0.8, 2.2],
  [0.4, -0.3, -3.1],
];
const weights = [0.3, 0.7];

const catTrue = [
  [0, 1, 0],
  [0, 0, 1],
];
const catProb = [
  [0.05, 0.9, 0.05],
  [0.2, 0.5, 0.3],
];
const catLogits = [
  [0.5, 2.0, -1.0],
  [1.0, 0.2, 0.4],
];

function run(
  loss: { apply: (a: tf.Tensor, b: tf.Tensor, w?: tf.Tensor | null) => tf.Tensor },
  t: unknown,
  p: unknown,
  w?: number[],
) {
  return tf.tidy(() =>
    loss.apply(tf.tensor(t as number[][]), tf.tensor(p as number[][]), w ? tf.tensor1d(w) : undefined),
  );
}

describe('BinaryCrossentropy', () => {
  it('matches the formula on probabilities, with and without sample weights', () => {
    const per = rows(binTrue, binProb, (t, p) => mean(t.map((ti, j) => bceProb(ti, p[j]))));
    near(scalarOf(run(new BinaryCrossentropy(), binTrue, binProb)), sumOverBatch(per));
    near(scalarOf(run(new BinaryCrossentropy(), binTrue, binProb, weights)), sumOverBatch(per, weights));
  });

  it('matches the stable logit formula with fromLogits', () => {
    const per = rows(binTrue, binLogits, (t, x) => mean(t.map((ti, j) => bceLogit(ti, x[j]))));
    near(scalarOf(run(new BinaryCrossentropy({ fromLogits: true }), binTrue, binLogits)), sumOverBatch(per));
    // The same value as sigmoid followed by the probability formula, away from saturation.
    const viaSigmoid = rows(binTrue, binLogits, (t, x) => mean(t.map((ti, j) => bceProb(ti, sigmoid(x[j])))));
    near(sumOverBatch(per), sumOverBatch(viaSigmoid), 1e-9);
  });

  it('squeezes labels towards 0.5 with labelSmoothing', () => {
    const s = 0.2;
    const per = rows(binTrue, binProb, (t, p) =>
      mean(t.map((ti, j) => bceProb(ti * (1 - s) + 0.5 * s, p[j]))),
    );
    near(
      scalarOf(run(new BinaryCrossentropy({ labelSmoothing: s }), binTrue, binProb, weights)),
      sumOverBatch(per, weights),
    );
    const perLogit = rows(binTrue, binLogits, (t, x) =>
      mean(t.map((ti, j) => bceLogit(ti * (1 - s) + 0.5 * s, x[j]))),
    );
    near(
      scalarOf(run(new BinaryCrossentropy({ fromLogits: true, labelSmoothing: s }), binTrue, binLogits)),
      sumOverBatch(perLogit),
    );
  });

  it('clips probabilities to [1e-7, 1 - 1e-7]', () => {
    const value = scalarOf(run(new BinaryCrossentropy(), [[1, 0]], [[0, 1]]));
    // In float32, 1 - 1e-7 rounds to 0.99999988, so the upper clip leaves 1.19e-7 rather than 1e-7.
    const upper = Math.fround(1 - EPS);
    near(value, mean([-Math.log(Math.fround(EPS)), -Math.log(1 - upper)]), 2e-5);
  });

  it('supports the sum and none reductions', () => {
    const per = rows(binTrue, binProb, (t, p) => mean(t.map((ti, j) => bceProb(ti, p[j]))));
    near(scalarOf(run(new BinaryCrossentropy({ reduction: 'sum' }), binTrue, binProb)), sum(per));
    near(valuesOf(run(new BinaryCrossentropy({ reduction: 'none' }), binTrue, binProb)), per);
  });

  it('accepts [batch] targets against [batch, 1] predictions', () => {
    const value = scalarOf(run(new BinaryCrossentropy(), [1, 0, 1], [[0.8], [0.1], [0.4]]));
    near(value, mean([bceProb(1, 0.8), bceProb(0, 0.1), bceProb(1, 0.4)]));
  });
});

describe('CategoricalCrossentropy', () => {
  const cce = (t: number[], p: number[]) => {
    const s = sum(p);
    return -sum(t.map((ti, j) => ti * Math.log(clip(p[j] / s, EPS, 1 - EPS))));
  };
  const cceLogits = (t: number[], x: number[]) => {
    const p = softmax(x);
    return -sum(t.map((ti, j) => ti * Math.log(p[j])));
  };

  it('matches the formula, with sample weights and fromLogits', () => {
    near(
      scalarOf(run(new CategoricalCrossentropy(), catTrue, catProb)),
      sumOverBatch(rows(catTrue, catProb, cce)),
    );
    near(
      scalarOf(run(new CategoricalCrossentropy(), catTrue, catProb, weights)),
      sumOverBatch(rows(catTrue, catProb, cce), weights),
    );
    near(
      scalarOf(run(new CategoricalCrossentropy({ fromLogits: true }), catTrue, catLogits, weights)),
      sumOverBatch(rows(catTrue, catLogits, cceLogits), weights),
    );
  });

  it('matches the Keras documentation example (1.177, 0.814 weighted)', () => {
    const t = [
      [0, 1, 0],
      [0, 0, 1],
    ];
    const p = [
      [0.05, 0.95, 0],
      [0.1, 0.8, 0.1],
    ];
    near(scalarOf(run(new CategoricalCrossentropy(), t, p)), 1.1769392, 1e-5);
    near(scalarOf(run(new CategoricalCrossentropy(), t, p, weights)), 0.8135988, 1e-5);
  });

  it('smooths labels to y(1 - s) + s / numClasses', () => {
    const s = 0.1;
    const smooth = (t: number[]) => t.map((v) => v * (1 - s) + s / t.length);
    near(
      scalarOf(run(new CategoricalCrossentropy({ labelSmoothing: s }), catTrue, catProb)),
      sumOverBatch(rows(catTrue.map(smooth), catProb, cce)),
    );
    near(
      scalarOf(
        run(
          new CategoricalCrossentropy({ labelSmoothing: s, fromLogits: true }),
          catTrue,
          catLogits,
          weights,
        ),
      ),
      sumOverBatch(rows(catTrue.map(smooth), catLogits, cceLogits), weights),
    );
  });

  it('takes the class axis from `axis`', () => {
    // Classes on axis 0: transpose the data.
    const t = [catTrue.map((r) => r[0]), catTrue.map((r) => r[1]), catTrue.map((r) => r[2])];
    const x = [catLogits.map((r) => r[0]), catLogits.map((r) => r[1]), catLogits.map((r) => r[2])];
    const values = valuesOf(
      run(new CategoricalCrossentropy({ fromLogits: true, axis: 0, reduction: 'none' }), t, x),
    );
    near(values, rows(catTrue, catLogits, cceLogits));
  });

  it('fails with both shapes when yTrue and yPred differ', () => {
    const loss = new CategoricalCrossentropy();
    expect(() => run(loss, [[0, 1, 0, 0]], [[0.2, 0.3, 0.5]])).toThrow(ValueError);
    expect(() => run(loss, [[0, 1, 0, 0]], [[0.2, 0.3, 0.5]])).toThrow(
      /y_true\.shape=\(1, 4\), y_pred\.shape=\(1, 3\)/,
    );
  });
});

describe('SparseCategoricalCrossentropy', () => {
  const scce = (label: number, p: number[]) => {
    const s = sum(p);
    return -Math.log(clip(p[label] / s, EPS, 1 - EPS));
  };
  const labels = [1, 2];

  it('matches the formula for [batch] and [batch, 1] ids, with weights and fromLogits', () => {
    const per = labels.map((l, i) => scce(l, catProb[i]));
    near(scalarOf(run(new SparseCategoricalCrossentropy(), labels, catProb)), mean(per));
    near(
      scalarOf(run(new SparseCategoricalCrossentropy(), [[1], [2]], catProb, weights)),
      sumOverBatch(per, weights),
    );
    const perLogits = labels.map((l, i) => -Math.log(softmax(catLogits[i])[l]));
    near(
      scalarOf(run(new SparseCategoricalCrossentropy({ fromLogits: true }), labels, catLogits, weights)),
      sumOverBatch(perLogits, weights),
    );
  });

  it('leaves ignoreClass entries out of the mean', () => {
    const t = [1, -1, 2, 0];
    const x = [catLogits[0], catLogits[1], [0.3, 0.3, 2.0], [2.0, -1.0, 0.0]];
    const valid = [0, 2, 3].map((i) => -Math.log(softmax(x[i])[t[i]]));
    const loss = new SparseCategoricalCrossentropy({ fromLogits: true, ignoreClass: -1 });
    near(scalarOf(run(loss, t, x)), mean(valid), 2e-6);
    const w = [0.5, 9, 1, 2];
    near(scalarOf(run(loss, t, x, w)), (0.5 * valid[0] + 1 * valid[1] + 2 * valid[2]) / 3, 2e-6);
    const none = new SparseCategoricalCrossentropy({ fromLogits: true, ignoreClass: -1, reduction: 'none' });
    near(valuesOf(run(none, t, x)), [valid[0], 0, valid[1], valid[2]]);
  });

  it('fails on class ids out of range, naming the value and both shapes', () => {
    const loss = new SparseCategoricalCrossentropy();
    expect(() => run(loss, [1, 3], catProb)).toThrow(ValueError);
    expect(() => run(loss, [1, 3], catProb)).toThrow(
      /class id of 3.*\[0, 3\).*y_true\.shape=\(2,\), y_pred\.shape=\(2, 3\)/,
    );
    expect(() => run(loss, [-2, 1], catProb)).toThrow(/class id of -2/);
  });

  it('fails on one-hot targets with a hint, not a tfjs error', () => {
    expect(() => run(new SparseCategoricalCrossentropy(), catTrue.concat([[1, 0, 0]]), catProb)).toThrow(
      /y_true\.shape=\(3, 3\), y_pred\.shape=\(2, 3\)/,
    );
    expect(() => run(new SparseCategoricalCrossentropy(), [[0, 1, 0, 0]], [[0.2, 0.3, 0.5]])).toThrow(
      /categorical variant/,
    );
  });

  it('does not leak tensors, including on a failed call', async () => {
    const loss = new SparseCategoricalCrossentropy({ ignoreClass: 0 });
    const t = tf.tensor1d([1, 2]);
    const p = tf.tensor2d(catProb);
    await expectNoLeakedTensors(() => {
      loss.apply(t, p).dispose();
      expect(() => loss.apply(tf.tensor1d([5, 1]), p)).toThrow(/class id of 5/);
    }, 1); // the tensor1d built inside expect() above
    tf.dispose([t, p]);
  });
});

describe('focal crossentropies', () => {
  it('BinaryFocalCrossentropy matches the formula with fromLogits, smoothing, balancing and weights', () => {
    const gamma = 2;
    const alpha = 0.25;
    const focal = (t: number, p: number, balance: boolean) => {
      const pt = t * p + (1 - t) * (1 - p);
      const v = (1 - pt) ** gamma * bceProb(t, p);
      return balance ? (t * alpha + (1 - t) * (1 - alpha)) * v : v;
    };
    const per = rows(binTrue, binProb, (t, p) => mean(t.map((ti, j) => focal(ti, p[j], false))));
    near(scalarOf(run(new BinaryFocalCrossentropy(), binTrue, binProb, weights)), sumOverBatch(per, weights));
    const perBal = rows(binTrue, binLogits, (t, x) => mean(t.map((ti, j) => focal(ti, sigmoid(x[j]), true))));
    near(
      scalarOf(
        run(new BinaryFocalCrossentropy({ fromLogits: true, applyClassBalancing: true }), binTrue, binLogits),
      ),
      sumOverBatch(perBal),
    );
    const s = 0.1;
    const perS = rows(binTrue, binProb, (t, p) =>
      mean(t.map((ti, j) => focal(ti * (1 - s) + 0.5 * s, p[j], false))),
    );
    near(
      scalarOf(run(new BinaryFocalCrossentropy({ labelSmoothing: s }), binTrue, binProb)),
      sumOverBatch(perS),
    );
  });

  it('BinaryFocalCrossentropy matches the Keras documentation example (0.691)', () => {
    const value = scalarOf(
      run(
        new BinaryFocalCrossentropy({ gamma: 2, fromLogits: true }),
        [0, 1, 0, 0],
        [-18.6, 0.51, 2.94, -12.8],
      ),
    );
    near(value, 0.691, 1e-3);
  });

  it('CategoricalFocalCrossentropy matches the formula with fromLogits, smoothing and weights', () => {
    const focal = (t: number[], p: number[], alpha = 0.25, gamma = 2) => {
      const s = sum(p);
      return sum(
        t.map((ti, j) => {
          const q = clip(p[j] / s, EPS, 1 - EPS);
          return alpha * (1 - q) ** gamma * -ti * Math.log(q);
        }),
      );
    };
    near(
      scalarOf(run(new CategoricalFocalCrossentropy(), catTrue, catProb, weights)),
      sumOverBatch(
        rows(catTrue, catProb, (t, p) => focal(t, p)),
        weights,
      ),
    );
    near(
      scalarOf(run(new CategoricalFocalCrossentropy({ fromLogits: true, gamma: 1.5 }), catTrue, catLogits)),
      sumOverBatch(rows(catTrue, catLogits, (t, x) => focal(t, softmax(x), 0.25, 1.5))),
    );
    const s = 0.2;
    const smooth = (t: number[]) => t.map((v) => v * (1 - s) + s / t.length);
    near(
      scalarOf(run(new CategoricalFocalCrossentropy({ labelSmoothing: s, alpha: 0.5 }), catTrue, catProb)),
      sumOverBatch(rows(catTrue.map(smooth), catProb, (t, p) => focal(t, p, 0.5))),
    );
  });
});

describe('registration and config', () => {
  it('answers to class names and Keras string ids', () => {
    expect(registry.get('loss', 'CategoricalCrossentropy')).toBe(CategoricalCrossentropy);
    expect(registry.get('loss', 'categorical_crossentropy')).toBe(CategoricalCrossentropy);
    expect(registry.get('loss', 'categoricalCrossentropy')).toBe(CategoricalCrossentropy);
    expect(registry.get('loss', 'bce')).toBe(BinaryCrossentropy);
    expect(registry.get('loss', 'sparse_categorical_crossentropy')).toBe(SparseCategoricalCrossentropy);
  });

  it('round-trips getConfig/fromConfig with Keras defaults', () => {
    const loss = new SparseCategoricalCrossentropy({ fromLogits: true, ignoreClass: 255, reduction: 'sum' });
    expect(loss.getConfig()).toEqual({
      name: 'sparse_categorical_crossentropy',
      reduction: 'sum',
      fromLogits: true,
      ignoreClass: 255,
    });
    expect(SparseCategoricalCrossentropy.fromConfig(loss.getConfig()).getConfig()).toEqual(loss.getConfig());
    const bce = new BinaryCrossentropy({ labelSmoothing: 0.1 });
    expect(bce.getConfig()).toEqual({
      name: 'binary_crossentropy',
      reduction: 'sum_over_batch_size',
      fromLogits: false,
      labelSmoothing: 0.1,
      axis: -1,
    });
  });

  it('rejects a labelSmoothing outside [0, 1]', () => {
    expect(() => run(new BinaryCrossentropy({ labelSmoothing: 2 }), binTrue, binProb)).toThrow(
      /Received: label_smoothing=2/,
    );
  });
});
