/**
 * Fails unless `actual` and `expected` have the same length and each value is within
 * `tol * max(1, |expected|)` of the expected one: absolute near zero, relative for large values.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  if (actual.length !== expected.length) {
    throw new Error(`Lengths differ: actual ${actual.length} vs expected ${expected.length}`);
  }
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= tol * Math.max(1, Math.abs(expected[i])))) {
      throw new Error(
        `Values differ at index ${i}: actual ${actual[i]} vs expected ${expected[i]} (|diff| ${diff}, tol ${tol})`,
      );
    }
  }
}
