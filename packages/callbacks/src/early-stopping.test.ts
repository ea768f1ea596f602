import { expectNoLeakedTensors } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, test, vi } from 'vitest';

import { fillWeights, regressionData, smallModel, weightValues } from '../test/fixtures.js';
import { EarlyStopping } from './early-stopping.js';

afterEach(() => vi.restoreAllMocks());

/** Drives the callback as Keras's tests do; returns the number of epochs that ran. */
function drive(stopper: EarlyStopping, key: string, values: number[], mark = false): number {
  const model = stopper.model!;
  model.stopTraining = false; // as fit does
  stopper.onTrainBegin();
  let ran = 0;
  for (let epoch = 0; epoch < values.length; epoch++) {
    ran++;
    if (mark) fillWeights(model as never, epoch);
    stopper.onEpochEnd(epoch, { [key]: values[epoch] });
    if (model.stopTraining) break;
  }
  stopper.onTrainEnd();
  return ran;
}

function withModel(stopper: EarlyStopping) {
  const model = smallModel();
  model.stopTraining = false;
  stopper.setModel(model);
  return model;
}

describe('EarlyStopping counts as Keras 3 does', () => {
  // losses 10, 9, 8 improve; from epoch 3 on nothing beats 8. wait reaches `patience` at epoch
  // 2 + patience, but never stops before epoch 1 and counts at least 1: stopped_epoch = max(p, 1) + 2.
  test.each([0, 1, 2, 3])('patience %i stops at epoch max(patience, 1) + 2', (patience) => {
    const stopper = new EarlyStopping({ monitor: 'loss', patience });
    const model = withModel(stopper);
    drive(stopper, 'loss', [10, 9, 8, 9, 8.9, 8.8, 8.7, 8.6, 8.5]);
    expect(stopper.stoppedEpoch).toBe(Math.max(patience, 1) + 2);
    model.dispose();
  });

  test('patience 3 with a flat loss runs 4 epochs in a real fit', async () => {
    // SGD with learning rate 0 never changes the weights: every epoch's loss is the same number.
    const model = smallModel({ learningRate: 0 });
    const { x, y } = regressionData();
    const history = await model.fit(x, y, {
      epochs: 10,
      batchSize: 8,
      verbose: 0,
      callbacks: [new EarlyStopping({ monitor: 'loss', patience: 3 })],
    });
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('minDelta: a change smaller than minDelta is not an improvement', () => {
    const stopper = new EarlyStopping({ monitor: 'loss', patience: 1, minDelta: 0.5 });
    const model = withModel(stopper);
    // 1.0 is the first best; 0.6 improves by 0.4 < 0.5 (wait 1 -> stop at epoch 1).
    expect(drive(stopper, 'loss', [1.0, 0.6, 0.1])).toBe(2);
    expect(stopper.best).toBe(1.0);
    model.dispose();
  });

  test("mode 'max' and auto-detected directions", () => {
    const stopper = new EarlyStopping({ monitor: 'val_accuracy', patience: 1 });
    const model = withModel(stopper);
    // Rising accuracy keeps training; the first fall stops it.
    expect(drive(stopper, 'val_accuracy', [0.5, 0.6, 0.7, 0.65, 0.9])).toBe(4);
    const min = new EarlyStopping({ monitor: 'acc', patience: 1, mode: 'min' });
    min.setModel(model);
    expect(drive(min, 'acc', [0.5, 0.6, 0.7])).toBe(2);
    model.dispose();
  });

  test('an unknown direction in auto mode fails as Keras does', () => {
    const stopper = new EarlyStopping({ monitor: 'unknown', patience: 1 });
    const model = withModel(stopper);
    stopper.onTrainBegin();
    expect(() => stopper.onEpochEnd(0, { unknown: 1 })).toThrow(/monitor=unknown.*maximized or minimized/);
    model.dispose();
  });

  test('a baseline that is never beaten stops after `patience` epochs and restores the best of them', () => {
    const stopper = new EarlyStopping({
      monitor: 'val_loss',
      patience: 5,
      baseline: 0.5,
      restoreBestWeights: true,
    });
    const model = withModel(stopper);
    const ran = drive(stopper, 'val_loss', [0.9, 0.8, 0.7, 0.71, 0.72, 0.73], true);
    expect(ran).toBe(5);
    // Weights were marked with the epoch number; epoch 2 had the best loss (0.7).
    expect(
      weightValues(model)
        .flat()
        .every((v) => v === 2),
    ).toBe(true);
    model.dispose();
  });

  test('restoreBestWeights restores the best epoch after an early stop', () => {
    const stopper = new EarlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true });
    const model = withModel(stopper);
    expect(drive(stopper, 'val_loss', [0.2, 0.15, 0.1, 0.11, 0.12], true)).toBe(5);
    expect(
      weightValues(model)
        .flat()
        .every((v) => v === 2),
    ).toBe(true);
    model.dispose();
  });

  test('restoreBestWeights restores even when training ran to the end without stopping', async () => {
    const model = smallModel({ learningRate: 0.05 });
    const { x, y } = regressionData();
    const losses: number[] = [];
    const snapshots: number[][][] = [];
    const recorder = new EarlyStopping({ monitor: 'loss', patience: 100, restoreBestWeights: true });
    // A spy records each epoch's weights, so the test knows which epoch was best.
    const record = {
      onEpochEnd: (_e: number, logs?: Record<string, number>) => {
        losses.push(logs!.loss);
        snapshots.push(weightValues(model));
      },
    };
    const { LambdaCallback } = await import('./lambda-callback.js');
    await model.fit(x, y, {
      epochs: 4,
      batchSize: 8,
      verbose: 0,
      shuffle: false,
      callbacks: [recorder, new LambdaCallback(record)],
    });
    expect(recorder.stoppedEpoch).toBe(0);
    const best = losses.indexOf(Math.min(...losses));
    expect(weightValues(model)).toEqual(snapshots[best]);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('startFromEpoch ignores the warm-up epochs', () => {
    const stopper = new EarlyStopping({ monitor: 'loss', patience: 0, startFromEpoch: 2 });
    const model = withModel(stopper);
    // Epochs 0-1 are ignored; epoch 2 sets the best; epoch 3 does not improve -> stop at epoch 3.
    expect(drive(stopper, 'loss', [5, 6, 7, 8, 1])).toBe(4);
    expect(stopper.stoppedEpoch).toBe(3);
    model.dispose();
  });

  test('a monitor key missing from the logs warns once and never stops training', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const stopper = new EarlyStopping({ monitor: 'val_loss', patience: 0 });
    const model = withModel(stopper);
    expect(drive(stopper, 'loss', [1, 1, 1, 1])).toBe(4);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toBe(
      'Early stopping conditioned on metric `val_loss` which is not available. Available metrics are: loss',
    );
    model.dispose();
  });

  test('an unknown mode warns and falls back to auto', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(new EarlyStopping({ mode: 'up' as never }).mode).toBe('auto');
    expect(warn).toHaveBeenCalledWith('EarlyStopping mode up is unknown, fallback to auto mode.');
  });

  test('bad counts fail at once', () => {
    expect(() => new EarlyStopping({ patience: -1 })).toThrow('Received: patience=-1');
    expect(() => new EarlyStopping({ startFromEpoch: 1.5 })).toThrow('Received: start_from_epoch=1.5');
  });

  test('keeps no tensors after training', async () => {
    const model = smallModel();
    const { x, y } = regressionData();
    await model.fit(x, y, { epochs: 1, verbose: 0 }); // build everything first
    await expectNoLeakedTensors(async () => {
      await model.fit(x, y, {
        epochs: 3,
        verbose: 0,
        callbacks: [new EarlyStopping({ monitor: 'loss', restoreBestWeights: true, patience: 1 })],
      });
    });
    tf.dispose([x, y]);
    model.dispose();
  });
});
