import { describe, expect, it } from 'vitest';

import '../../cpu.js';
import { installedKernelFixes } from '../../kernel-fixes.js';
import { randomInput } from '../wasm/test-parity.js';
import { expectMatchesTfjsCpu } from './test-parity.js';

// Over all leading axes (Strata's path; axes in any order or negative), and reductions tfjs keeps.
const cases: Array<{ shape: number[]; axis: number | number[]; keepDims: boolean }> = [
  { shape: [4, 5, 6, 7], axis: [0, 1, 2], keepDims: false },
  { shape: [3, 5, 9], axis: [1, 0], keepDims: true },
  { shape: [6, 11, 3, 2], axis: [-4, -2, -3], keepDims: false },
  { shape: [300, 33], axis: 0, keepDims: false },
  { shape: [1, 1, 5], axis: [0, 1], keepDims: false },
  { shape: [4, 5, 6], axis: [1, 2], keepDims: false },
  { shape: [4, 5, 6], axis: [0, 2], keepDims: true },
  { shape: [17], axis: 0, keepDims: false },
];

describe('cpu Sum over the leading axes', () => {
  it('is installed by @strata/backends/cpu', () => {
    expect(installedKernelFixes('cpu')).toContain('Sum');
  });

  for (const [i, c] of cases.entries()) {
    it(`matches tfjs's cpu kernel: shape ${c.shape}, axis ${c.axis}, keepDims ${c.keepDims}`, async () => {
      await expectMatchesTfjsCpu(
        'Sum',
        { x: randomInput(c.shape, 700 + i) },
        { axis: c.axis, keepDims: c.keepDims },
      );
    });
  }
});
