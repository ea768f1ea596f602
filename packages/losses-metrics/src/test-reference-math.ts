/**
 * Plain-JS reference formulas for the tests, written from the Keras definitions on small nested arrays.
 * Test-only (excluded from the build by the `test-*` pattern).
 */
import type * as tf from '@tensorflow/tfjs-core';

export const EPS = 1e-7;

export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
export const mean = (xs: number[]): number => sum(xs) / xs.length;
export const clip = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const softmax = (row: number[]): number[] => {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = sum(e);
  return e.map((v) => v / s);
};

/** Per-sample values of a row-wise function over two [n][k] arrays. */
export function rows(
  yTrue: number[][],
  yPred: number[][],
  f: (t: number[], p: number[]) => number,
): number[] {
  return yTrue.map((t, i) => f(t, yPred[i]));
}

/** Keras's sum_over_batch_size of per-sample values with optional weights. */
export function sumOverBatch(values: number[], weights?: number[]): number {
  return sum(values.map((v, i) => v * (weights ? weights[i] : 1))) / values.length;
}

/** Reads a scalar tensor and disposes it. */
export function scalarOf(t: tf.Tensor): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

/** Reads a tensor's values and disposes it. */
export function valuesOf(t: tf.Tensor): number[] {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}

/** Expects |actual - expected| <= tol for a number or arrays of numbers. */
export function near(actual: number | number[], expected: number | number[], tol = 1e-6): void {
  const a = Array.isArray(actual) ? actual : [actual];
  const e = Array.isArray(expected) ? expected : [expected];
  if (a.length !== e.length) throw new Error(`length ${a.length} vs expected ${e.length}`);
  a.forEach((v, i) => {
    if (!(Math.abs(v - e[i]) <= tol)) {
      throw new Error(`index ${i}: ${v} vs expected ${e[i]} (|diff| ${Math.abs(v - e[i])} > ${tol})`);
    }
  });
}

/** Exact ROC AUC by the trapezoidal rule over every distinct score (ties form one diagonal step). */
export function exactRocAuc(labels: number[], scores: number[], weights?: number[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const w = (i: number) => (weights ? weights[i] : 1);
  const totalPos = sum(labels.map((l, i) => (l ? w(i) : 0)));
  const totalNeg = sum(labels.map((l, i) => (l ? 0 : w(i))));
  let tp = 0;
  let fp = 0;
  let area = 0;
  let k = 0;
  while (k < idx.length) {
    const s = scores[idx[k]];
    const prevTp = tp;
    const prevFp = fp;
    while (k < idx.length && scores[idx[k]] === s) {
      if (labels[idx[k]]) tp += w(idx[k]);
      else fp += w(idx[k]);
      k++;
    }
    area += ((fp - prevFp) / totalNeg) * ((tp + prevTp) / 2 / totalPos);
  }
  return area;
}
