import { RuntimeError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, test, vi } from 'vitest';

import { regressionData, smallModel } from '../test/fixtures.js';
import { LambdaCallback } from './lambda-callback.js';
import { TerminateOnNaN } from './terminate-on-nan.js';

afterEach(() => vi.restoreAllMocks());

/** Data whose third sample has a NaN target: with batch size 2, batch 1 is the first NaN loss. */
function poisoned() {
  const { x, y } = regressionData(8);
  const values = y.arraySync();
  values[2][0] = Number.NaN;
  const bad = tf.tensor2d(values);
  y.dispose();
  return { x, y: bad };
}

describe('TerminateOnNaN', () => {
  test.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'stops on a loss of %s',
    (loss) => {
      vi.spyOn(console, 'log').mockImplementation(() => {});
      const model = smallModel();
      const cb = new TerminateOnNaN();
      cb.setModel(model);
      model.stopTraining = false;
      cb.onTrainBatchEnd(0, { loss: 1.5 });
      expect(model.stopTraining).toBe(false);
      cb.onTrainBatchEnd(1, { loss });
      expect(model.stopTraining).toBe(true);
      model.dispose();
    },
  );

  test('in fit, training ends right after the first batch with a NaN loss', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const model = smallModel();
    const { x, y } = poisoned();
    const batches: number[] = [];
    const history = await model.fit(x, y, {
      epochs: 3,
      batchSize: 2,
      shuffle: false,
      verbose: 0,
      callbacks: [new TerminateOnNaN(), new LambdaCallback({ onTrainBatchEnd: (b) => void batches.push(b) })],
    });
    expect(batches).toEqual([0, 1]);
    expect(history.epoch).toEqual([0]);
    expect(log).toHaveBeenCalledWith('Batch 1: Invalid loss, terminating training');
    tf.dispose([x, y]);
    model.dispose();
  });

  test('raiseError throws from fit at once', async () => {
    const model = smallModel();
    const { x, y } = poisoned();
    const run = model.fit(x, y, {
      epochs: 3,
      batchSize: 2,
      shuffle: false,
      verbose: 0,
      callbacks: [new TerminateOnNaN({ raiseError: true })],
    });
    await expect(run).rejects.toThrow(RuntimeError);
    await expect(run).rejects.toThrow(
      'NaN or Inf loss encountered at batch 1. Loss value: nan. Terminating training immediately.',
    );
    tf.dispose([x, y]);
    model.dispose();
  });
});
