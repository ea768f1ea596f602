import { Adam, PolynomialDecay } from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, test, vi } from 'vitest';

import { regressionData, smallModel } from '../test/fixtures.js';
import { ReduceLROnPlateau } from './reduce-lr-on-plateau.js';

afterEach(() => vi.restoreAllMocks());

/** Runs the callback over scripted losses; returns the learning_rate each epoch logged. */
function drive(cb: ReduceLROnPlateau, key: string, values: number[]): number[] {
  cb.onTrainBegin();
  return values.map((v, epoch) => {
    const logs: Record<string, number> = { [key]: v };
    cb.onEpochEnd(epoch, logs);
    return logs.learning_rate;
  });
}

describe('ReduceLROnPlateau', () => {
  test('reduces after `patience` epochs without improvement, as Keras counts', () => {
    const model = smallModel({ learningRate: 0.1 });
    const cb = new ReduceLROnPlateau({ monitor: 'loss', factor: 0.5, patience: 2, minDelta: 0 });
    cb.setModel(model);
    // e0, e1 improve; e2, e3 do not -> reduce after e3; e4 improves; e5, e6 do not -> reduce after e6.
    const logged = drive(cb, 'loss', [1, 0.9, 0.9, 0.95, 0.8, 0.8, 0.8]);
    const f = Math.fround;
    const lr1 = f(f(0.1) * 0.5);
    expect(logged).toEqual([f(0.1), f(0.1), f(0.1), f(0.1), lr1, lr1, lr1]);
    expect(f(model.optimizer!.learningRate)).toBe(f(lr1 * 0.5));
    model.dispose();
  });

  test("'auto' maximizes a monitor whose name contains 'acc'", () => {
    const model = smallModel({ learningRate: 0.1 });
    const cb = new ReduceLROnPlateau({ monitor: 'val_accuracy', factor: 0.1, patience: 1, minDelta: 0 });
    cb.setModel(model);
    // Rising accuracy never reduces; one flat epoch does.
    const logged = drive(cb, 'val_accuracy', [0.5, 0.6, 0.7, 0.7, 0.8]);
    expect(logged.slice(0, 4)).toEqual([0.1, 0.1, 0.1, 0.1].map(Math.fround));
    expect(logged[4]).toBe(Math.fround(Math.fround(0.1) * 0.1));
    model.dispose();
  });

  describe("Keras's fit scenarios (Adam(0.1), min_delta so large nothing improves after epoch 0)", () => {
    async function fitWith(cb: ReduceLROnPlateau, epochs: number) {
      const model = smallModel();
      model.compile({ optimizer: new Adam({ learningRate: 0.1 }), loss: 'mse' });
      const { x, y } = regressionData(10);
      const history = await model.fit(x, y, { epochs, verbose: 0, validationData: [x, y], callbacks: [cb] });
      const lr = model.optimizer!.learningRate;
      tf.dispose([x, y]);
      model.dispose();
      return { lr, history };
    }

    test('patience 1 over 2 epochs: 0.1 -> 0.01, and learning_rate is in the history', async () => {
      const { lr, history } = await fitWith(
        new ReduceLROnPlateau({ patience: 1, factor: 0.1, minDelta: 100 }),
        2,
      );
      expect(lr).toBeCloseTo(0.01, 8);
      expect(history.history.learning_rate).toEqual([Math.fround(0.1), Math.fround(0.1)]);
    });

    test('minLr is honoured: 4 epochs end at 0.005', async () => {
      const { lr } = await fitWith(
        new ReduceLROnPlateau({ patience: 1, factor: 0.1, minDelta: 10, minLr: 0.005 }),
        4,
      );
      expect(lr).toBe(0.005);
    });

    test('cooldown 2: two reductions in 4 epochs, 0.1 -> 0.001', async () => {
      const { lr } = await fitWith(
        new ReduceLROnPlateau({ patience: 1, factor: 0.1, minDelta: 100, cooldown: 2 }),
        4,
      );
      expect(lr).toBeCloseTo(0.001, 9);
    });

    test('verbose prints the new rate', async () => {
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      await fitWith(new ReduceLROnPlateau({ patience: 1, factor: 0.1, minDelta: 100, verbose: 1 }), 2);
      expect(
        log.mock.calls.some(([m]) =>
          String(m).startsWith('\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.01'),
        ),
      ).toBe(true);
    });
  });

  test('an optimizer with a schedule cannot be reduced (the setter refuses, as in Keras)', async () => {
    const model = smallModel();
    model.compile({
      optimizer: new Adam({
        learningRate: new PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 10 }),
      }),
      loss: 'mse',
    });
    const { x, y } = regressionData(10);
    await expect(
      model.fit(x, y, {
        epochs: 2,
        verbose: 0,
        validationData: [x, y],
        callbacks: [new ReduceLROnPlateau({ patience: 1, minDelta: 100 })],
      }),
    ).rejects.toThrow('This optimizer was created with a `LearningRateSchedule`');
    tf.dispose([x, y]);
    model.dispose();
  });

  test('a missing monitor warns once and changes nothing', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const model = smallModel({ learningRate: 0.1 });
    const cb = new ReduceLROnPlateau({ patience: 0 });
    cb.setModel(model);
    drive(cb, 'loss', [1, 2, 3]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toBe(
      'Learning rate reduction is conditioned on metric `val_loss` which is not available. Available metrics are: loss,learning_rate.',
    );
    expect(model.optimizer!.learningRate).toBe(0.1);
    model.dispose();
  });

  test('a factor >= 1 fails at once', () => {
    expect(() => new ReduceLROnPlateau({ factor: 1 })).toThrow(
      'ReduceLROnPlateau does not support a factor >= 1.0. Received factor=1',
    );
  });
});
