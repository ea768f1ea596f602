import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test, vi } from 'vitest';

import { regressionData, smallModel } from '../test/fixtures.js';
import { LearningRateScheduler } from './learning-rate-scheduler.js';

describe('LearningRateScheduler', () => {
  test("Keras's docstring example: 0.01 held for 10 epochs, then * exp(-0.1) for 5 gives 0.00607", async () => {
    const model = smallModel({ learningRate: 0.01 });
    const { x, y } = regressionData(5);
    const scheduler = new LearningRateScheduler((epoch, lr) => (epoch < 10 ? lr : lr * Math.exp(-0.1)));
    await model.fit(x, y, { epochs: 15, verbose: 0, callbacks: [scheduler] });
    expect(Math.round(model.optimizer!.learningRate * 1e5) / 1e5).toBe(0.00607);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('sets the rate at each epoch begin and logs it at each epoch end', async () => {
    const model = smallModel({ learningRate: 0.5 });
    const { x, y } = regressionData(8);
    const seen: [number, number][] = [];
    const history = await model.fit(x, y, {
      epochs: 3,
      verbose: 0,
      callbacks: [
        new LearningRateScheduler({
          schedule: (epoch, lr) => {
            seen.push([epoch, lr]);
            return 0.1 / (epoch + 1);
          },
        }),
      ],
    });
    // The schedule sees the rate as Keras reads it back from float32.
    expect(seen).toEqual([
      [0, Math.fround(0.5)],
      [1, Math.fround(0.1)],
      [2, Math.fround(0.05)],
    ]);
    expect(history.history.learning_rate).toEqual([0.1, 0.05, 0.1 / 3].map(Math.fround));
    tf.dispose([x, y]);
    model.dispose();
  });

  test('a schedule that returns no number fails naming what it got', async () => {
    const model = smallModel();
    const { x, y } = regressionData(4);
    const bad = new LearningRateScheduler(() => 'fast' as never);
    await expect(model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [bad] })).rejects.toThrow(
      'The output of the `schedule` function should be a float. Got: fast',
    );
    tf.dispose([x, y]);
    model.dispose();
  });

  test('verbose prints the rate set', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const model = smallModel();
    const { x, y } = regressionData(4);
    await model.fit(x, y, {
      epochs: 1,
      verbose: 0,
      callbacks: [new LearningRateScheduler({ schedule: () => 0.25, verbose: 1 })],
    });
    expect(log).toHaveBeenCalledWith('\nEpoch 1: LearningRateScheduler setting learning rate to 0.25.');
    log.mockRestore();
    tf.dispose([x, y]);
    model.dispose();
  });

  test('a schedule that is not a function fails at once', () => {
    expect(() => new LearningRateScheduler({ schedule: 3 as never })).toThrow('Received: schedule=3');
  });
});
