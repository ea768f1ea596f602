import { expectNoLeakedTensors } from '@strata/core/testing';
import { describe, expect, it } from 'vitest';

import { featureNames, loadData, targetNames } from './load-data.js';

describe('iris.loadData', () => {
  it('returns 150 flowers x 4 features and 50 labels of each species, in order', async () => {
    await expectNoLeakedTensors(() => {
      const [x, y] = loadData();
      expect(x.shape).toEqual([150, 4]);
      expect(x.dtype).toBe('float32');
      expect(y.shape).toEqual([150]);
      expect(y.dtype).toBe('int32');
      const labels = Array.from(y.dataSync());
      expect(labels).toEqual([...Array(50).fill(0), ...Array(50).fill(1), ...Array(50).fill(2)]);
      expect(featureNames).toHaveLength(4);
      expect(targetNames).toEqual(['setosa', 'versicolor', 'virginica']);
      x.dispose();
      y.dispose();
    });
  });

  it("matches Fisher's table: R's column means and the two UCI errata fixed", () => {
    const [x, y] = loadData();
    const v = x.dataSync();
    y.dispose();
    x.dispose();
    const sums = [0, 1, 2, 3].map((c) => {
      let s = 0;
      for (let r = 0; r < 150; r++) s += v[r * 4 + c];
      return s;
    });
    // R: colMeans(iris[, 1:4]) = 5.843333 3.057333 3.758000 1.199333, i.e. sums 876.5 458.6 563.7 179.9.
    // (UCI's uncorrected file gives 458.1, 563.8 and 179.8 for the last three.)
    expect(sums.map((s) => Math.round(s * 1000) / 1000)).toEqual([876.5, 458.6, 563.7, 179.9]);
    // Sample 35 (index 34) and 38 (index 37), as in Fisher's paper.
    expect(Array.from(v.subarray(34 * 4, 35 * 4))).toEqual([4.9, 3.1, 1.5, 0.2].map(Math.fround));
    expect(Array.from(v.subarray(37 * 4, 38 * 4))).toEqual([4.9, 3.6, 1.4, 0.1].map(Math.fround));
    // First and last flowers of the table.
    expect(Array.from(v.subarray(0, 4))).toEqual([5.1, 3.5, 1.4, 0.2].map(Math.fround));
    expect(Array.from(v.subarray(149 * 4))).toEqual([5.9, 3.0, 5.1, 1.8].map(Math.fround));
    // Setosa is separable by petal length alone: every setosa petal is shorter than every other one.
    let maxSetosa = 0;
    let minOther = Infinity;
    for (let r = 0; r < 150; r++) {
      const petal = v[r * 4 + 2];
      if (r < 50) maxSetosa = Math.max(maxSetosa, petal);
      else minOther = Math.min(minOther, petal);
    }
    expect(maxSetosa).toBeLessThan(minOther);
  });
});
