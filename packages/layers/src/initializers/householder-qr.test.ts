import { seededValues } from '@strata/core/testing';
import { describe, expect, it } from 'vitest';

import { householderQR } from './householder-qr.js';

/** A deterministic pseudo-random m x n matrix, row-major. */
function matrix(m: number, n: number, seed: number): Float64Array {
  return Float64Array.from(seededValues(m * n, seed, -0.5, 0.5));
}

describe('householderQR', () => {
  for (const [m, n] of [
    [1, 1],
    [5, 3],
    [7, 7],
    [60, 13],
  ]) {
    it(`factors a ${m}x${n} matrix: Q has orthonormal columns and Q^T·A is R`, () => {
      const a = matrix(m, n, m * 31 + n);
      const { q, rDiag } = householderQR(a, m, n);
      const col = (j: number) => q.subarray(j * m, (j + 1) * m);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let dot = 0;
          for (let k = 0; k < m; k++) dot += col(i)[k] * col(j)[k];
          expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-12);
        }
      }
      // R = Q^T·A must be upper triangular, with the returned diagonal.
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let r = 0;
          for (let k = 0; k < m; k++) r += col(i)[k] * a[k * n + j];
          if (i > j) expect(Math.abs(r)).toBeLessThan(1e-12);
          if (i === j) expect(Math.abs(r - rDiag[i])).toBeLessThan(1e-12);
        }
      }
    });
  }

  it('reproduces a hand-computed factorization', () => {
    // A = [[3, 1], [4, 2]]: column 1 has norm 5, so |R00| = 5 and Q's first column is ±[0.6, 0.8].
    const { q, rDiag } = householderQR([3, 1, 4, 2], 2, 2);
    const s = Math.sign(rDiag[0]);
    expect(Math.abs(rDiag[0])).toBeCloseTo(5, 12);
    expect(q[0] * s).toBeCloseTo(0.6, 12);
    expect(q[1] * s).toBeCloseTo(0.8, 12);
    // det(A) = 2 = R00·R11, so |R11| = 0.4.
    expect(Math.abs(rDiag[1])).toBeCloseTo(0.4, 12);
  });

  it('rejects a wide matrix', () => {
    expect(() => householderQR([1, 2, 3, 4, 5, 6], 2, 3)).toThrow('m >= n');
  });
});
