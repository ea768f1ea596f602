import { input } from '@strata/core';
import { expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../test/register-gradients.js';
import { Add } from './add.js';
import { Average } from './average.js';
import { Concatenate } from './concatenate.js';
import { Dot } from './dot.js';
import { Maximum } from './maximum.js';
import { Minimum } from './minimum.js';
import { Multiply } from './multiply.js';
import { Subtract } from './subtract.js';

const a = () =>
  tf.tensor2d([
    [1, -2],
    [3, 4],
  ]);
const b = () =>
  tf.tensor2d([
    [5, 6],
    [-7, 8],
  ]);

describe('elementwise merges', () => {
  const cases: [
    string,
    typeof Add | typeof Subtract | typeof Multiply | typeof Average | typeof Maximum | typeof Minimum,
    number[][],
  ][] = [
    [
      'Add',
      Add,
      [
        [6, 4],
        [-4, 12],
      ],
    ],
    [
      'Subtract',
      Subtract,
      [
        [-4, -8],
        [10, -4],
      ],
    ],
    [
      'Multiply',
      Multiply,
      [
        [5, -12],
        [-21, 32],
      ],
    ],
    [
      'Average',
      Average,
      [
        [3, 2],
        [-2, 6],
      ],
    ],
    [
      'Maximum',
      Maximum,
      [
        [5, 6],
        [3, 8],
      ],
    ],
    [
      'Minimum',
      Minimum,
      [
        [1, -2],
        [-7, 4],
      ],
    ],
  ];
  for (const [name, Cls, expected] of cases) {
    it(`${name} passes the layer test`, async () => {
      await runLayerTest(Cls as typeof Add, {
        initArgs: {},
        inputShape: [
          [2, 2],
          [2, 2],
        ],
        inputData: [a(), b()],
        expectedOutputShape: [2, 2],
        expectedOutput: expected,
      });
    });
  }
  it('Add takes three inputs and broadcasts', () => {
    const y = new Add().apply([a(), b(), tf.tensor2d([[1], [1]])]) as tf.Tensor;
    expectTensorsClose(y, [
      [7, 5],
      [-3, 13],
    ]);
  });
  it('fails on incompatible shapes and wrong input counts', () => {
    expect(() => new Add().apply([input({ shape: [3] }), input({ shape: [4] })])).toThrow(
      'Inputs have incompatible shapes. Received shapes (None, 3) and (None, 4)',
    );
    expect(() =>
      new Subtract().apply([input({ shape: [3] }), input({ shape: [3] }), input({ shape: [3] })]),
    ).toThrow('A `Subtract` layer should be called on exactly 2 inputs');
    expect(() => new Add().apply(input({ shape: [3] }))).toThrow(
      'A merge layer should be called on a list of inputs',
    );
  });
});

describe('Concatenate', () => {
  it('passes the layer test', async () => {
    await runLayerTest(Concatenate, {
      initArgs: {},
      inputShape: [
        [2, 3],
        [2, 4],
      ],
      expectedOutputShape: [2, 7],
    });
    await runLayerTest(Concatenate, {
      initArgs: { axis: 1 },
      inputShape: [
        [1, 1, 2],
        [1, 1, 2],
      ],
      inputData: [tf.tensor3d([[[1, 2]]]), tf.tensor3d([[[3, 4]]])],
      expectedOutputShape: [1, 2, 2],
      expectedOutput: tf.tensor([
        [
          [1, 2],
          [3, 4],
        ],
      ]),
    });
  });
  it('fails on mismatched shapes off the axis', () => {
    expect(() => new Concatenate().apply([input({ shape: [3, 2] }), input({ shape: [4, 2] })])).toThrow(
      'A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. Received: input_shape=[(None, 3, 2), (None, 4, 2)]',
    );
  });
});

describe('Dot', () => {
  it('passes the layer test', async () => {
    await runLayerTest(Dot, {
      initArgs: { axes: 1 },
      inputShape: [
        [2, 2],
        [2, 2],
      ],
      inputData: [a(), b()],
      expectedOutputShape: [2, 1],
      expectedOutput: [[5 - 12], [-21 + 32]],
    });
    await runLayerTest(Dot, {
      initArgs: { axes: [1, 2] },
      inputShape: [
        [2, 3, 4],
        [2, 5, 3],
      ],
      expectedOutputShape: [2, 4, 5],
    });
    await runLayerTest(Dot, {
      initArgs: { axes: -1, normalize: true },
      inputShape: [
        [2, 3],
        [2, 3],
      ],
      expectedOutputShape: [2, 1],
    });
  });
  it('contracts the right axes and normalizes to cosine similarity', () => {
    const x = tf.randomUniform([2, 3, 4]);
    const y = tf.randomUniform([2, 5, 3]);
    const out = new Dot({ axes: [1, 2] }).apply([x, y]) as tf.Tensor;
    // out[b, i, j] = sum_k x[b, k, i] * y[b, j, k]
    const ref = tf.einsum('bki,bjk->bij', x, y);
    expectTensorsClose(out, ref, { atol: 1e-5 });
    const cos = new Dot({ axes: 1, normalize: true }).apply([
      tf.tensor2d([[3, 4]]),
      tf.tensor2d([[4, 3]]),
    ]) as tf.Tensor;
    expectTensorsClose(cos, [[24 / 25]], { atol: 1e-6 });
    expect(() => new Dot({ axes: 1 }).apply([input({ shape: [3] }), input({ shape: [4] })])).toThrow(
      'Incompatible input shapes: axis values 3 (at axis 1) != 4 (at axis 1)',
    );
    expect(() => new Dot({ axes: 'x' as unknown as number })).toThrow('Received: axes="x"');
  });
});
