import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { cpuFilterGradient, depthwiseCases, depthwiseOutputShape } from './test-depthwise-cases.js';
import { expectWasmMatchesCpu, randomInput } from './test-parity.js';

describe('wasm DepthwiseConv2dNativeBackpropFilter', () => {
  it('is registered for wasm once @strata/backends/wasm is imported', () => {
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm')).toBeDefined();
  });

  for (const [i, c] of depthwiseCases.entries()) {
    it(`matches cpu: x ${c.x}, filter ${c.filter}, strides ${c.strides}, dilations ${c.dilations}, pad ${c.pad}`, async () => {
      const x = randomInput(c.x, 20 + i);
      const dy = randomInput(depthwiseOutputShape(c), 200 + i);
      await expectWasmMatchesCpu(
        'DepthwiseConv2dNativeBackpropFilter',
        { x, dy },
        { strides: c.strides, dilations: c.dilations, pad: c.pad, filterShape: c.filter },
        1e-4,
        () => cpuFilterGradient(c, x, dy),
      );
    });
  }
});
