import type { Layer } from '@strata/core';
import { seededValues } from '@strata/core/testing';
import { AveragePooling2D, Conv2D, GlobalAveragePooling2D, MaxPooling2D } from '@strata/layers';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { resolvesInNode } from '../../../node-paths.js';
import type { Operand, runModel as RunModel } from '../ort.js';
import {
  averagePooling2dStepLayer,
  conv2dStepLayer,
  globalAveragePooling2dStepLayer,
  maxPooling2dStepLayer,
} from './conv.js';
import type { StepLayer, StepLayout } from './types.js';

// onnxruntime-node is an optional peer: without it there is nothing to run the graphs on.
const hasOrt = resolvesInNode('onnxruntime-node', import.meta.url);

const NHWC_TO_NCHW = [0, 3, 1, 2];
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Fails unless `actual` is within `1e-4` of `expected` relative to the latter's largest magnitude (at least 1). */
function expectClose(actual: Float32Array, expected: tf.Tensor, what: string): void {
  const want = expected.dataSync() as Float32Array;
  expect(actual.length, what).toBe(want.length);
  const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  // A graph writing zeros would pass against a zero reference; the random cases never give one.
  expect(scale, what).toBeGreaterThan(0);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(actual[i] - want[i]) || 0);
  if (actual.some(Number.isNaN)) worst = Number.POSITIVE_INFINITY;
  expect(worst, what).toBeLessThanOrEqual(1e-4 * Math.max(1, scale));
}

/** Runs the tfjs part of a test and fails if it leaves tensors behind. */
function withoutLeaks(fn: () => void): void {
  const before = tf.memory().numTensors;
  fn();
  expect(tf.memory().numTensors).toBe(before);
}

/** `[kh, kw, in, out]` to `[(kh − 1)·dh + 1, (kw − 1)·dw + 1, in, out]`, zeros between the taps. */
function dilateKernel(k: tf.Tensor4D, dh: number, dw: number): tf.Tensor4D {
  const [kh, kw, cin, cout] = k.shape;
  const values = k.dataSync();
  const shape: [number, number, number, number] = [(kh - 1) * dh + 1, (kw - 1) * dw + 1, cin, cout];
  const out = new Float32Array(size(shape));
  const tap = cin * cout;
  for (let fy = 0; fy < kh; fy++)
    for (let fx = 0; fx < kw; fx++)
      out.set(
        values.subarray((fy * kw + fx) * tap, (fy * kw + fx + 1) * tap),
        (fy * dh * shape[1] + fx * dw) * tap,
      );
  return tf.tensor4d(out, shape);
}

/** The input's shape in the step's layout: what the previous step layer writes. */
function stepInputShape(nhwc: number[], layout: StepLayout): number[] {
  return layout === 'keras' ? nhwc : NHWC_TO_NCHW.map((a) => nhwc[a]);
}

describe.skipIf(!hasOrt)('compiled-step Conv2D and pooling layers against tfjs-backend-cpu', () => {
  let runModel: typeof RunModel;
  beforeAll(async () => {
    ({ runModel } = await import('../ort.js'));
  });

  /**
   * Emits `step`'s forward and backward into one graph (inputs `x` in NCHW, the weights, `dy`; outputs
   * `y`, `dx` and one `dw<i>` per weight) and runs it once on ONNX Runtime.
   */
  function runStep(
    key: string,
    step: StepLayer,
    x: Operand,
    weights: Operand[],
    dy: Operand,
  ): { y: Float32Array; dx: Float32Array; dWeights: Float32Array[] } {
    const weightNames = weights.map((_, i) => `w${i}`);
    const outputs = ['y', 'dx', ...weightNames.map((n) => `d${n}`)];
    const feeds = { x, dy, ...Object.fromEntries(weights.map((w, i) => [weightNames[i], w])) };
    const [y, dx, ...dWeights] = runModel(
      `step-conv test ${key}`,
      (g) => {
        for (const [name, { shape }] of Object.entries(feeds)) g.addInput(name, [...shape], 'float32');
        const out = step.forward(g, 'x', weightNames, true);
        const grads = step.backward(g, 'dy', true);
        g.addOutput('y', out, null, 'float32');
        g.addOutput('dx', grads.dx!, null, 'float32');
        for (const [i, d] of grads.dWeights.entries()) g.addOutput(`dw${i}`, d, null, 'float32');
      },
      feeds,
      0,
      outputs,
    );
    return { y, dx, dWeights };
  }

  /** An NCHW operand holding the values of the NHWC tensor `t`. */
  function nchwOperand(t: tf.Tensor4D): Operand {
    const nchw = tf.transpose(t, NHWC_TO_NCHW);
    const out = { values: nchw.dataSync() as Float32Array, shape: nchw.shape };
    nchw.dispose();
    return out;
  }

  interface ConvCase {
    name: string;
    x: [number, number, number, number];
    filters: number;
    kernelSize: [number, number];
    strides?: [number, number];
    padding: 'valid' | 'same';
    dilationRate?: [number, number];
    useBias?: boolean;
    layout?: StepLayout;
  }

  // Odd sizes, strides 1-2, both paddings, dilation 2, batch 1, one channel in or out.
  const convCases: ConvCase[] = [
    { name: 'valid, odd sizes', x: [2, 7, 9, 3], filters: 4, kernelSize: [3, 3], padding: 'valid' },
    {
      name: 'same, stride 2, odd sizes',
      x: [2, 9, 7, 3],
      filters: 5,
      kernelSize: [3, 3],
      strides: [2, 2],
      padding: 'same',
    },
    {
      name: 'valid, stride 2, rows no window reaches',
      x: [2, 8, 10, 2],
      filters: 3,
      kernelSize: [3, 3],
      strides: [2, 2],
      padding: 'valid',
      layout: 'nchw',
    },
    {
      name: 'same, dilation 2, batch 1, one channel in',
      x: [1, 7, 8, 1],
      filters: 3,
      kernelSize: [3, 3],
      dilationRate: [2, 2],
      padding: 'same',
    },
    {
      name: 'valid, dilation 2, 2x3 kernel',
      x: [2, 9, 9, 3],
      filters: 4,
      kernelSize: [2, 3],
      dilationRate: [2, 2],
      padding: 'valid',
    },
    {
      name: 'same, even 4x4 kernel (the odd padding row after)',
      x: [2, 6, 7, 3],
      filters: 3,
      kernelSize: [4, 4],
      padding: 'same',
    },
    {
      name: 'same, 1x1 kernel, stride 2 on even sizes',
      x: [1, 6, 6, 3],
      filters: 2,
      kernelSize: [1, 1],
      strides: [2, 2],
      padding: 'same',
    },
    {
      name: 'one channel in and out, strides [1, 2], no bias',
      x: [1, 7, 9, 1],
      filters: 1,
      kernelSize: [2, 3],
      strides: [1, 2],
      padding: 'same',
      useBias: false,
    },
  ];

  for (const c of convCases) {
    it(`Conv2D: ${c.name}`, () => {
      const useBias = c.useBias ?? true;
      const layer = new Conv2D({
        filters: c.filters,
        kernelSize: c.kernelSize,
        strides: c.strides ?? 1,
        padding: c.padding,
        dilationRate: c.dilationRate ?? 1,
        useBias,
      });
      layer.build([null, ...c.x.slice(1)]);
      const layout = c.layout ?? 'keras';
      const step = conv2dStepLayer(layer, stepInputShape(c.x, layout), layout) as StepLayer;
      expect(typeof step).toBe('object');
      expect(step.inputLayout).toBe('nchw');
      const kernelShape = [...c.kernelSize, c.x[3], c.filters];
      const seed = size(c.x) + c.filters;
      const kernel = { values: seededValues(size(kernelShape), seed + 1), shape: kernelShape };
      const bias = { values: seededValues(c.filters, seed + 2), shape: [c.filters] };

      withoutLeaks(() => {
        tf.tidy(() => {
          const x = tf.tensor4d(seededValues(size(c.x), seed), c.x);
          const k = tf.tensor4d(kernel.values, kernelShape as [number, number, number, number]);
          const b = tf.tensor1d(bias.values);
          const [dh, dw] = c.dilationRate ?? [1, 1];
          const y = tf.add(
            tf.conv2d(x, k, c.strides ?? 1, c.padding, 'NHWC', [dh, dw]),
            useBias ? b : 0,
          ) as tf.Tensor4D;
          expect(step.outputShape).toEqual(NHWC_TO_NCHW.map((a) => y.shape[a]));
          const dy = tf.tensor4d(seededValues(size(y.shape), seed + 3), y.shape);
          // tfjs has no gradient of a dilated conv2d: the reference convolves with the kernel spread out,
          // zeros between its taps (the same window), and reads the kernel's gradient at the taps.
          const spread = dilateKernel(k, dh, dw);
          const conv = (xx: tf.Tensor4D, kk: tf.Tensor4D) => tf.conv2d(xx, kk, c.strides ?? 1, c.padding);
          const forward = useBias
            ? (xx: tf.Tensor4D, kk: tf.Tensor4D, bb: tf.Tensor1D) => tf.add(conv(xx, kk), bb)
            : conv;
          const grads = tf.grads(forward as (...a: tf.Tensor[]) => tf.Tensor)(
            useBias ? [x, spread, b] : [x, spread],
            dy,
          );
          grads[1] = tf.stridedSlice(grads[1], [0, 0, 0, 0], grads[1].shape, [dh, dw, 1, 1]);

          const ours = runStep(
            c.name,
            step,
            nchwOperand(x),
            useBias ? [kernel, bias] : [kernel],
            nchwOperand(dy),
          );
          expectClose(ours.y, tf.transpose(y, NHWC_TO_NCHW), 'y');
          expectClose(ours.dx, tf.transpose(grads[0], NHWC_TO_NCHW), 'dx');
          expectClose(ours.dWeights[0], grads[1], 'dKernel');
          if (useBias) expectClose(ours.dWeights[1], grads[2], 'dBias');
          expect(ours.dWeights).toHaveLength(useBias ? 2 : 1);
        });
      });
      layer.dispose();
    });
  }

  it('Conv2D: the convolution form of dKernel (past the memory limit of the patches form), stride 2, rows no window reaches', () => {
    // The batch times 256 channels times 9 taps times 256 filters is past the patches form's 2^24 elements.
    const [n, side, channels, filters, stride, out] = [32, 4, 256, 256, 2, 1];
    const layer = new Conv2D({ filters, kernelSize: 3, strides: stride, useBias: false });
    layer.build([null, side, side, channels]);
    const step = conv2dStepLayer(layer, [n, side, side, channels], 'keras') as StepLayer;
    const xShape: [number, number, number, number] = [n, side, side, channels];
    const x = seededValues(size(xShape), 11);
    const kernel = { values: seededValues(9 * channels * filters, 12), shape: [3, 3, channels, filters] };
    const dy = seededValues(n * out * out * filters, 13);
    // tfjs's Conv2DBackpropFilter takes seconds on this shape: the reference is the definition,
    // dK[fy, fx, i, o] = Σ x[n, y·2 + fy, x·2 + fx, i] · dy[n, y, x, o] over the one output position.
    const expected = new Float32Array(9 * channels * filters);
    for (let b = 0; b < n; b++)
      for (let fy = 0; fy < 3; fy++)
        for (let fx = 0; fx < 3; fx++)
          for (let i = 0; i < channels; i++) {
            const xv = x[((b * side + fy) * side + fx) * channels + i];
            const row = ((fy * 3 + fx) * channels + i) * filters;
            for (let o = 0; o < filters; o++) expected[row + o] += xv * dy[b * filters + o];
          }
    withoutLeaks(() => {
      tf.tidy(() => {
        const xt = tf.tensor4d(x, xShape);
        const ours = runStep('conv form', step, nchwOperand(xt), [kernel], {
          values: dy,
          shape: [n, filters, out, out],
        });
        const k = tf.tensor4d(kernel.values, [3, 3, channels, filters]);
        expectClose(ours.y, tf.transpose(tf.conv2d(xt, k, stride, 'valid'), NHWC_TO_NCHW), 'y');
        expectClose(ours.dWeights[0], tf.tensor(expected), 'dKernel');
      });
    });
    layer.dispose();
  });

  it('Conv2D: the first layer emits no input gradient', () => {
    const layer = new Conv2D({ filters: 2, kernelSize: 3 });
    layer.build([null, 5, 5, 1]);
    const step = conv2dStepLayer(layer, [1, 5, 5, 1], 'keras') as StepLayer;
    const ours = runModel(
      'step-conv test no dx',
      (g) => {
        g.addInput('x', [1, 1, 5, 5], 'float32');
        g.addInput('w0', [3, 3, 1, 2], 'float32');
        g.addInput('w1', [2], 'float32');
        g.addInput('dy', [1, 2, 3, 3], 'float32');
        step.forward(g, 'x', ['w0', 'w1'], true);
        const { dx, dWeights } = step.backward(g, 'dy', false);
        expect(dx).toBeNull();
        g.addOutput('db', dWeights[1], null, 'float32');
      },
      {
        x: { values: new Float32Array(25), shape: [1, 1, 5, 5] },
        w0: { values: new Float32Array(18), shape: [3, 3, 1, 2] },
        w1: { values: new Float32Array(2), shape: [2] },
        dy: { values: Float32Array.from({ length: 18 }, (_, i) => i), shape: [1, 2, 3, 3] },
      },
      0,
      ['db'],
    );
    // Σ of 0..8 and of 9..17.
    expect(Array.from(ours[0])).toEqual([36, 117]);
    layer.dispose();
  });

  /**
   * Compares a pooling step layer with `pool` (tfjs's op or the Strata layer, on tfjs-backend-cpu) on
   * input `x` (NHWC, disposed here): y, and dx for a random dy. `pool`'s output is NHWC, or in Keras's
   * order for a global pool (`kerasOutput`).
   */
  function expectPoolingMatches(
    name: string,
    step: StepLayer,
    x: tf.Tensor4D,
    seed: number,
    pool: (x: tf.Tensor4D) => tf.Tensor,
    kerasOutput = false,
  ): void {
    const before = tf.memory().numTensors - 1;
    tf.tidy(() => {
      const y = pool(x);
      const toStep = (t: tf.Tensor) => (kerasOutput ? t : tf.transpose(t, NHWC_TO_NCHW));
      expect(step.outputShape).toEqual(toStep(y).shape);
      const dy = tf.tensor(seededValues(y.size, seed + 1), y.shape);
      const [dx] = tf.grads((xx: tf.Tensor) => pool(xx as tf.Tensor4D))([x], dy);
      const dyStep = toStep(dy);
      const ours = runStep(name, step, nchwOperand(x), [], {
        values: dyStep.dataSync() as Float32Array,
        shape: dyStep.shape,
      });
      expectClose(ours.y, toStep(y), 'y');
      expectClose(ours.dx, tf.transpose(dx, NHWC_TO_NCHW), 'dx');
    });
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }

  interface PoolCase {
    name: string;
    x: [number, number, number, number];
    poolSize: [number, number];
    strides?: [number, number];
    padding: 'valid' | 'same';
    /** Values on a coarse grid, so that windows hold equal maxima. */
    ties?: boolean;
  }

  const poolCases: PoolCase[] = [
    { name: 'valid 2x2, odd sizes', x: [2, 7, 9, 3], poolSize: [2, 2], padding: 'valid' },
    {
      name: 'same 3x3 stride 2, overlapping',
      x: [2, 9, 8, 3],
      poolSize: [3, 3],
      strides: [2, 2],
      padding: 'same',
    },
    {
      name: 'valid 2x2 stride 1, overlapping',
      x: [1, 6, 7, 2],
      poolSize: [2, 2],
      strides: [1, 1],
      padding: 'valid',
    },
    {
      name: 'same [2, 3] strides [2, 1], batch 1, one channel',
      x: [1, 7, 7, 1],
      poolSize: [2, 3],
      strides: [2, 1],
      padding: 'same',
    },
    { name: 'same 2x2 on even sizes (no padding)', x: [2, 6, 8, 3], poolSize: [2, 2], padding: 'same' },
    { name: 'valid 3x3, rows no window reaches', x: [2, 8, 10, 2], poolSize: [3, 3], padding: 'valid' },
    { name: 'same 2x2 on odd sizes (padded)', x: [2, 7, 9, 3], poolSize: [2, 2], padding: 'same' },
    {
      name: 'valid 2x2 stride 3 (gaps)',
      x: [1, 8, 9, 2],
      poolSize: [2, 2],
      strides: [3, 3],
      padding: 'valid',
    },
    { name: 'ties, valid 2x2', x: [2, 6, 8, 3], poolSize: [2, 2], padding: 'valid', ties: true },
    { name: 'ties, valid 3x3', x: [2, 7, 6, 2], poolSize: [3, 3], padding: 'valid', ties: true },
    { name: 'ties, same 2x2 on odd sizes', x: [1, 5, 7, 3], poolSize: [2, 2], padding: 'same', ties: true },
    {
      name: 'ties, overlapping 3x3 stride 1, same',
      x: [1, 7, 6, 2],
      poolSize: [3, 3],
      strides: [1, 1],
      padding: 'same',
      ties: true,
    },
  ];

  for (const c of poolCases) {
    it(`MaxPooling2D: ${c.name}`, () => {
      const layer = new MaxPooling2D({
        poolSize: c.poolSize,
        strides: c.strides ?? null,
        padding: c.padding,
      });
      const step = maxPooling2dStepLayer(layer, stepInputShape(c.x, 'nchw'), 'nchw') as StepLayer;
      expect(typeof step).toBe('object');
      const seed = size(c.x) + c.poolSize[0];
      let values = seededValues(size(c.x), seed);
      // Three levels: most windows hold several equal maxima.
      if (c.ties) values = values.map((v) => Math.round(v));

      expectPoolingMatches(c.name, step, tf.tensor4d(values, c.x), seed, (x) =>
        tf.maxPool(x, c.poolSize, c.strides ?? c.poolSize, c.padding),
      );
    });
  }

  const averageCases: Omit<PoolCase, 'ties'>[] = [
    { name: 'valid 2x2, odd sizes', x: [2, 7, 9, 3], poolSize: [2, 2], padding: 'valid' },
    {
      name: 'same 3x3 stride 2, odd sizes (windows count their real values)',
      x: [2, 9, 8, 3],
      poolSize: [3, 3],
      strides: [2, 2],
      padding: 'same',
    },
    {
      name: 'same [2, 3] strides [2, 1], batch 1, one channel',
      x: [1, 7, 7, 1],
      poolSize: [2, 3],
      strides: [2, 1],
      padding: 'same',
    },
    {
      name: 'valid 3x3 stride 1, overlapping',
      x: [1, 6, 7, 2],
      poolSize: [3, 3],
      strides: [1, 1],
      padding: 'valid',
    },
  ];

  for (const c of averageCases) {
    it(`AveragePooling2D: ${c.name}`, () => {
      const layer = new AveragePooling2D({
        poolSize: c.poolSize,
        strides: c.strides ?? null,
        padding: c.padding,
      });
      const step = averagePooling2dStepLayer(layer, c.x, 'keras') as StepLayer;
      expect(step.inputLayout).toBe('nchw');
      const seed = size(c.x) + 7;
      // The reference is the layer itself: tfjs's avgPool gradient divides by the whole window with 'same'.
      expectPoolingMatches(
        `avg ${c.name}`,
        step,
        tf.tensor4d(seededValues(size(c.x), seed), c.x),
        seed,
        (x) => layer.apply(x) as tf.Tensor,
      );
    });
  }

  for (const keepdims of [false, true]) {
    it(`GlobalAveragePooling2D, keepdims=${keepdims}`, () => {
      const layer = new GlobalAveragePooling2D({ keepdims });
      const shape: [number, number, number, number] = [3, 5, 7, 4];
      const step = globalAveragePooling2dStepLayer(layer, stepInputShape(shape, 'nchw'), 'nchw') as StepLayer;
      expect(step.outputLayout).toBe('keras');
      expectPoolingMatches(
        `gap ${keepdims}`,
        step,
        tf.tensor4d(seededValues(size(shape), 21), shape),
        21,
        (x) => layer.apply(x) as tf.Tensor,
        true,
      );
    });
  }
});

describe('compiled-step Conv2D and pooling layers: what they refuse', () => {
  const built = (layer: Layer, shape: number[]) => {
    layer.build([null, ...shape.slice(1)]);
    return layer;
  };

  it('Conv2D with groups, channels first, or frozen weights gives a reason', () => {
    const grouped = built(new Conv2D({ filters: 4, kernelSize: 3, groups: 2 }), [1, 6, 6, 4]);
    expect(conv2dStepLayer(grouped, [1, 6, 6, 4], 'keras')).toMatch(/groups=1 only\. Received: groups=2/);
    const first = new Conv2D({ filters: 4, kernelSize: 3, dataFormat: 'channels_first' });
    first.build([null, 2, 6, 6]);
    expect(conv2dStepLayer(first, [1, 2, 6, 6], 'keras')).toMatch(/Received: dataFormat=channels_first/);
    const frozen = built(new Conv2D({ filters: 4, kernelSize: 3, trainable: false }), [1, 6, 6, 2]);
    expect(conv2dStepLayer(frozen, [1, 6, 6, 2], 'keras')).toMatch(/Received: trainable=false/);
    for (const layer of [grouped, first, frozen]) layer.dispose();
  });

  it('an input of unknown size, or another layer class, gives a reason', () => {
    const pool = new MaxPooling2D({ poolSize: 2 });
    expect(maxPooling2dStepLayer(pool, [Number.NaN, 6, 6, 2], 'keras')).toMatch(
      /Received: inputShape=\[NaN, 6, 6, 2\]/,
    );
    expect(conv2dStepLayer(pool, [1, 6, 6, 2], 'keras')).toMatch(/Received: MaxPooling2D/);
    const average = new AveragePooling2D({ poolSize: 2, dataFormat: 'channels_first' });
    expect(averagePooling2dStepLayer(average, [1, 2, 6, 6], 'keras')).toMatch(
      /Received: dataFormat=channels_first/,
    );
  });
});
