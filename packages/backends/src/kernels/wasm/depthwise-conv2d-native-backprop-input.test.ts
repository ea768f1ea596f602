import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import {
  cpuInputGradient,
  type DepthwiseCase,
  depthwiseCases,
  depthwiseOutputShape,
} from './test-depthwise-cases.js';
import { expectWasmMatchesCpu, randomInput } from './test-parity.js';

describe('wasm DepthwiseConv2dNativeBackpropInput', () => {
  it('is registered for wasm once @strata/backends/wasm is imported', () => {
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropInput', 'wasm')).toBeDefined();
  });

  const cases: DepthwiseCase[] = [
    ...depthwiseCases,
    // Valid padding whose last input rows and columns no output reads: their gradient is zero.
    { x: [1, 8, 8, 2], filter: [2, 2, 2, 1], strides: 3, dilations: 1, pad: 'valid' },
  ];
  for (const [i, c] of cases.entries()) {
    it(`matches cpu: x ${c.x}, filter ${c.filter}, strides ${c.strides}, dilations ${c.dilations}, pad ${c.pad}`, async () => {
      const dy = randomInput(depthwiseOutputShape(c), 300 + i);
      const filter = randomInput(c.filter, 30 + i);
      await expectWasmMatchesCpu(
        'DepthwiseConv2dNativeBackpropInput',
        { dy, filter },
        { strides: c.strides, dilations: c.dilations, pad: c.pad, inputShape: c.x },
        1e-4,
        () => cpuInputGradient(c, dy, filter),
      );
    });
  }
});
