import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Sequential } from '@strata/core';
import { expectNoLeakedTensors } from '@strata/core/testing';
import { Dense } from '@strata/layers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';

import { regressionData, smallModel, tempDir, weightValues } from '../test/fixtures.js';
import { BackupAndRestore } from './backup-and-restore.js';
import { LambdaCallback } from './lambda-callback.js';

class Interrupted extends Error {}

/** Throws at the end of epoch `at` (0-based), after the backup of that epoch was written. */
function interruptAfter(at: number) {
  return new LambdaCallback({
    onEpochEnd: (epoch) => {
      if (epoch === at) throw new Interrupted(`killed after epoch ${epoch + 1}`);
    },
  });
}

/** The same call every time: Adam (so optimizer state matters), no shuffling, 5 epochs. */
async function run(
  backupDir: string,
  extra: LambdaCallback[] = [],
  args: { saveFreq?: 'epoch' | number; deleteCheckpoint?: boolean } = {},
) {
  const model = smallModel({ optimizer: 'adam', learningRate: 0.05 });
  const { x, y } = regressionData(16);
  try {
    const history = await model.fit(x, y, {
      epochs: 5,
      batchSize: 4,
      shuffle: false,
      verbose: 0,
      callbacks: [new BackupAndRestore({ backupDir, ...args }), ...extra],
    });
    return { epochs: history.epoch, weights: weightValues(model) };
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
}

async function uninterrupted() {
  const model = smallModel({ optimizer: 'adam', learningRate: 0.05 });
  const { x, y } = regressionData(16);
  await model.fit(x, y, { epochs: 5, batchSize: 4, shuffle: false, verbose: 0 });
  const weights = weightValues(model);
  tf.dispose([x, y]);
  model.dispose();
  return weights;
}

describe('BackupAndRestore', () => {
  test('an interrupted fit, run again with the same call, resumes at the next epoch and ends with the same weights', async () => {
    const dir = join(tempDir(), 'backup');
    await expect(run(dir, [interruptAfter(1)])).rejects.toThrow(Interrupted);
    // Keras's files: the weights (with optimizer state) and the epoch to resume from.
    expect(readdirSync(dir).sort()).toEqual(['latest.weights.h5', 'training_metadata.json']);
    const metadata = JSON.parse(readFileSync(join(dir, 'training_metadata.json'), 'utf8'));
    expect([metadata.epoch, metadata.batch]).toEqual([2, 0]);

    const resumed = await run(dir);
    expect(resumed.epochs).toEqual([2, 3, 4]);
    expect(resumed.weights).toEqual(await uninterrupted());
    // Training completed: the backup is deleted.
    expect(existsSync(dir)).toBe(false);
  });

  test('a kill between the metadata write and the weights write resumes from the consistent earlier state', async () => {
    const dir = join(tempDir(), 'backup');
    await expect(run(dir, [interruptAfter(1)])).rejects.toThrow(Interrupted);
    const path = join(dir, 'training_metadata.json');
    const saved = JSON.parse(readFileSync(path, 'utf8'));
    // As if epoch 3's metadata had been written and the process died before its weights were.
    const torn = {
      epoch: 3,
      batch: 0,
      weights_sha256: 'f'.repeat(64),
      previous: { epoch: saved.epoch, batch: saved.batch, weights_sha256: saved.weights_sha256 },
    };
    writeFileSync(path, JSON.stringify(torn));
    const resumed = await run(dir);
    expect(resumed.epochs).toEqual([2, 3, 4]);
    expect(resumed.weights).toEqual(await uninterrupted());
  });

  test('deleteCheckpoint false keeps the backup; saveFreq in batches records the batch', async () => {
    const dir = join(tempDir(), 'backup');
    await run(dir, [], { saveFreq: 3, deleteCheckpoint: false });
    const metadata = JSON.parse(readFileSync(join(dir, 'training_metadata.json'), 'utf8'));
    // 4 batches per epoch, 20 in all: the last backup is after the 18th batch, the 2nd batch of the
    // 5th epoch (epoch index 4, batch index 1).
    expect([metadata.epoch, metadata.batch]).toEqual([4, 1]);
  });

  test('an unbuilt model fails at train begin as Keras does', async () => {
    const model = new Sequential([new Dense({ units: 1 })]);
    const cb = new BackupAndRestore({ backupDir: tempDir() });
    cb.setModel(model);
    await expect(cb.onTrainBegin()).rejects.toThrow('your model must be built before you call `fit()`');
  });

  test('an unwritable backupDir fails at train begin, before any batch', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'x');
    let batches = 0;
    await expect(
      run(join(dir, 'file', 'backup'), [new LambdaCallback({ onTrainBatchBegin: () => void batches++ })]),
    ).rejects.toThrow('BackupAndRestore cannot write to backupDir=');
    expect(batches).toBe(0);
  });

  test('backing up and restoring keep no tensors', async () => {
    const dir = join(tempDir(), 'backup');
    await expect(run(dir, [interruptAfter(1)])).rejects.toThrow(Interrupted);
    const model = smallModel({ optimizer: 'adam', learningRate: 0.05 });
    const { x, y } = regressionData(16);
    // Build the optimizer's slots first: they are the model's, not a leak.
    await model.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    await expectNoLeakedTensors(async () => {
      const history = await model.fit(x, y, {
        epochs: 5,
        batchSize: 4,
        shuffle: false,
        verbose: 0,
        callbacks: [new BackupAndRestore({ backupDir: dir })],
      });
      expect(history.epoch).toEqual([2, 3, 4]);
    });
    tf.dispose([x, y]);
    model.dispose();
  });

  test('bad arguments fail at once', () => {
    expect(() => new BackupAndRestore({ backupDir: '' })).toThrow('Empty `backup_dir` argument passed');
    expect(() => new BackupAndRestore({ backupDir: 'x', saveFreq: 'often' as never })).toThrow(
      "Invalid value for argument `save_freq`. Received: save_freq=often. Expected either 'epoch' or an integer value.",
    );
  });
});
