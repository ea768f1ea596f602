// Activity regularization is applied once, by the base Layer (Keras 3's `Layer.__call__`): every layer takes
// `activityRegularizer`, its penalty is divided by the output's batch size, and a functional model's call
// adds it exactly once.
import { input, Model, type SymbolicTensor } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { Activation, Dense, Dropout, MultiHeadAttention } from '../src/index.js';

describe('activityRegularizer on the base Layer', () => {
  it('penalizes the output of a layer that knows nothing of it, divided by the batch size', async () => {
    const layer = new Activation({ activation: 'linear', activityRegularizer: 'l1' });
    const x = tf.tensor2d([
      [1, -2, 3],
      [0, 4, -5],
    ]);
    await expectNoLeakedTensors(() => {
      tf.dispose(layer.apply(x, { training: false }));
      expect(layer.losses).toHaveLength(0);
      tf.dispose(layer.apply(x, { training: true }));
      // Keras 3.15 gives 0.075 for this call: l1's default factor 0.01 times sum|x| = 15, over a batch of 2.
      expect(layer.losses).toHaveLength(1);
      expectTensorsClose(layer.losses[0], (0.01 * 15) / 2);
      layer.clearCallLosses();
    });
    tf.dispose(x);
  });

  it('writes the key only when set, as Keras does, and rebuilds it from the config', () => {
    expect(new Dropout({ rate: 0.1 }).getConfig()).not.toHaveProperty('activityRegularizer');
    const config = new Dropout({ rate: 0.1, activityRegularizer: 'l2' }).getConfig();
    expect(config.activityRegularizer).toEqual({
      module: 'keras.regularizers',
      class_name: 'L2',
      config: { l2: 0.01 },
      registered_name: null,
    });
    expect(Dropout.fromConfig(config).getConfig()).toEqual(config);
  });

  it('is added once per layer call when a functional model runs the layer', async () => {
    const inp = input({ shape: [2] });
    const dense = new Dense({ units: 2, kernelInitializer: 'ones', activityRegularizer: 'l2' });
    const model = new Model({ inputs: inp, outputs: dense.apply(inp) as SymbolicTensor });
    const x = tf.tensor2d([
      [1, 2],
      [3, -1],
      [0, 1],
    ]);
    await expectNoLeakedTensors(() => {
      tf.dispose(model.apply(x, { training: true }));
      // Every output unit is the row sum (3, 2, 1): 0.01 * 2 * (9 + 4 + 1) over a batch of 3.
      expect(model.losses).toHaveLength(1);
      expectTensorsClose(model.losses[0], (0.01 * 2 * 14) / 3);
      model.clearCallLosses();
    });
    tf.dispose(x);
    model.dispose();
  });

  it("gives MultiHeadAttention's regularizer to its four projections, not to its own output", async () => {
    const layer = new MultiHeadAttention({ numHeads: 2, keyDim: 2, activityRegularizer: 'l2' });
    expect(layer.activityRegularizer).toBeNull();
    const x = tf.ones([3, 4, 2]);
    tf.dispose(layer.apply([x, x]));
    await expectNoLeakedTensors(() => {
      tf.dispose(layer.apply([x, x], { training: true }));
      // Keras 3.15 records 4 losses for this call: query, key, value and output projections.
      expect(layer.losses).toHaveLength(4);
      layer.clearCallLosses();
    });
    expect(layer.getConfig().activityRegularizer).toMatchObject({ class_name: 'L2' });
    tf.dispose(x);
    layer.dispose();
  });
});
