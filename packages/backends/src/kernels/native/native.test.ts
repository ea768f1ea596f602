import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { resolvesInNode } from '../../node-paths.js';
import { expectMatchesTfjsCpu } from '../cpu/test-parity.js';
import { randomInput } from '../wasm/test-parity.js';

// onnxruntime-node is an optional peer: without it (it is a devDependency, so only outside this repo's
// install) there is nothing to test.
const hasOrt = resolvesInNode('onnxruntime-node', import.meta.url);

type Pad = 'same' | 'valid' | number | number[][];
interface ConvCase {
  name: string;
  x: number[];
  filter: number[];
  strides: number | [number, number];
  pad: Pad;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'ceil';
}

// Odd sizes, strides, every padding kind, batch 1, one channel, a 1x1 filter.
const convCases: ConvCase[] = [
  { name: 'same, stride 1', x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { name: 'valid, stride 2, batch 1', x: [1, 9, 8, 2], filter: [3, 2, 2, 5], strides: 2, pad: 'valid' },
  { name: 'same, stride 2, odd size', x: [2, 9, 7, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { name: 'one channel in', x: [3, 10, 10, 1], filter: [3, 3, 1, 6], strides: 1, pad: 'valid' },
  { name: '1x1 filter, stride 2', x: [1, 7, 7, 3], filter: [1, 1, 3, 4], strides: 2, pad: 'same' },
  {
    name: 'explicit pads, strides [2, 3]',
    x: [2, 11, 9, 5],
    filter: [5, 3, 5, 7],
    strides: [2, 3],
    pad: [
      [0, 0],
      [1, 2],
      [0, 3],
      [0, 0],
    ],
  },
  {
    name: 'numeric pad, ceil rounding',
    x: [1, 8, 9, 2],
    filter: [3, 3, 2, 3],
    strides: 2,
    pad: 1,
    dimRoundingMode: 'ceil',
  },
];

describe.skipIf(!hasOrt)('native backend kernels against tfjs-backend-cpu', () => {
  let sessionCount: () => number;
  beforeAll(async () => {
    await import('../../native.js');
    ({ sessionCount } = await import('./ort.js'));
  });

  /** Runs the parity check and fails unless ONNX Runtime ran it (a new session, not the cpu fallback). */
  async function expectNative(
    kernelName: string,
    inputs: Parameters<typeof expectMatchesTfjsCpu>[1],
    attrs: Record<string, unknown>,
  ) {
    const before = sessionCount();
    await expectMatchesTfjsCpu(kernelName, inputs, attrs, 1e-4, 'native');
    expect(sessionCount()).toBe(before + 1);
  }

  describe('BatchMatMul', () => {
    for (const [transposeA, transposeB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]) {
      it(`one product, transposeA=${transposeA} transposeB=${transposeB}`, async () => {
        const a = transposeA ? [1, 47, 33] : [1, 33, 47];
        const b = transposeB ? [1, 29, 47] : [1, 47, 29];
        await expectNative(
          'BatchMatMul',
          { a: randomInput(a, 1), b: randomInput(b, 2) },
          { transposeA, transposeB },
        );
      });
      it(`batched, transposeA=${transposeA} transposeB=${transposeB}`, async () => {
        const a = transposeA ? [3, 40, 17] : [3, 17, 40];
        const b = transposeB ? [3, 21, 40] : [3, 40, 21];
        await expectNative(
          'BatchMatMul',
          { a: randomInput(a, 3), b: randomInput(b, 4) },
          { transposeA, transposeB },
        );
      });
    }
    it('one batch against many', async () => {
      await expectNative(
        'BatchMatMul',
        { a: randomInput([1, 19, 30], 5), b: randomInput([4, 30, 23], 6) },
        {
          transposeA: false,
          transposeB: false,
        },
      );
    });
  });

  describe('_FusedMatMul', () => {
    for (const activation of ['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu']) {
      it(`bias and ${activation}`, async () => {
        await expectNative(
          '_FusedMatMul',
          { a: randomInput([1, 37, 50], 7), b: randomInput([1, 50, 24], 8), bias: randomInput([24], 9) },
          { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0.13 },
        );
      });
    }
    it('batched, transposed b, bias and relu', async () => {
      await expectNative(
        '_FusedMatMul',
        { a: randomInput([2, 20, 31], 10), b: randomInput([2, 26, 31], 11), bias: randomInput([26], 12) },
        { transposeA: false, transposeB: true, activation: 'relu' },
      );
    });
  });

  describe('element-wise', () => {
    for (const kernelName of ['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum']) {
      it(`${kernelName}, same shapes and a per-channel broadcast`, async () => {
        await expectNative(
          kernelName,
          { a: randomInput([4, 9, 9, 60], 30), b: randomInput([4, 9, 9, 60], 31) },
          {},
        );
        await expectNative(kernelName, { a: randomInput([4, 9, 9, 60], 32), b: randomInput([60], 33) }, {});
      });
    }
    it('Relu and Step', async () => {
      await expectNative('Relu', { x: randomInput([3, 80, 70], 34) }, {});
      await expectNative('Step', { x: randomInput([3, 80, 70], 35) }, { alpha: 0.25 });
    });
    it('Step keeps NaN, as tfjs does', async () => {
      await tf.setBackend('native');
      const values = new Float32Array(20000).fill(-1);
      values[3] = Number.NaN;
      values[4] = 2;
      const x = tf.tensor(values);
      const y = tf.step(x, 0.25);
      const out = await y.data();
      expect([out[0], out[3], out[4]]).toEqual([0.25, Number.NaN, 1]);
      tf.dispose([x, y]);
    });
  });

  describe('convolutions', () => {
    for (const c of convCases) {
      const attrs = {
        strides: c.strides,
        pad: c.pad,
        dimRoundingMode: c.dimRoundingMode,
        dataFormat: 'NHWC',
      };
      const info = tf.backend_util.computeConv2DInfo(
        c.x as [number, number, number, number],
        c.filter as [number, number, number, number],
        c.strides,
        1,
        c.pad as 'same',
        c.dimRoundingMode,
      );
      const dyShape = info.outShape;
      it(`Conv2D, ${c.name}`, async () => {
        await expectNative(
          'Conv2D',
          { x: randomInput(c.x, 13), filter: randomInput(c.filter, 14) },
          { ...attrs, dilations: 1 },
        );
      });
      it(`FusedConv2D with bias and relu, ${c.name}`, async () => {
        await expectNative(
          'FusedConv2D',
          {
            x: randomInput(c.x, 15),
            filter: randomInput(c.filter, 16),
            bias: randomInput([c.filter[3]], 17),
          },
          { ...attrs, dilations: 1, activation: 'relu' },
        );
      });
      it(`Conv2DBackpropInput, ${c.name}`, async () => {
        await expectNative(
          'Conv2DBackpropInput',
          { dy: randomInput(dyShape, 18), filter: randomInput(c.filter, 19) },
          { ...attrs, inputShape: c.x },
        );
      });
      it(`Conv2DBackpropFilter, ${c.name}`, async () => {
        await expectNative(
          'Conv2DBackpropFilter',
          { x: randomInput(c.x, 20), dy: randomInput(dyShape, 21) },
          { ...attrs, filterShape: c.filter },
        );
      });
    }
    it('Conv2D with dilations', async () => {
      await expectNative(
        'Conv2D',
        { x: randomInput([2, 11, 10, 3], 22), filter: randomInput([3, 2, 3, 4], 23) },
        { strides: 1, pad: 'same', dilations: [2, 3], dataFormat: 'NHWC' },
      );
    });
  });
});
