import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { KeyError, type Model } from '@strata/core';
import { expectNoLeakedTensors } from '@strata/core/testing';
import { loadModel } from '@strata/io';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, test, vi } from 'vitest';

import { regressionData, smallModel, tempDir } from '../test/fixtures.js';
import { LambdaCallback } from './lambda-callback.js';
import { ModelCheckpoint } from './model-checkpoint.js';

afterEach(() => vi.restoreAllMocks());

/** The files in `dir`, without hidden temporaries. */
function listing(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.'))
    .sort();
}

async function drive(cb: ModelCheckpoint, model: Model, key: string, values: number[]): Promise<void> {
  cb.setModel(model);
  cb.setParams({ epochs: values.length, verbose: 0 });
  await cb.onTrainBegin();
  for (const [epoch, v] of values.entries()) {
    cb.onEpochBegin(epoch);
    await cb.onEpochEnd(epoch, { [key]: v });
  }
}

function predictValues(model: { predict(x: tf.Tensor): tf.Tensor | tf.Tensor[] }, x: tf.Tensor): number[] {
  const p = model.predict(x) as tf.Tensor;
  const out = Array.from(p.dataSync());
  p.dispose();
  return out;
}

describe('ModelCheckpoint', () => {
  test('saveBestOnly writes the files Keras writes, names filled as str.format fills them', async () => {
    const dir = tempDir();
    const model = smallModel();
    const cb = new ModelCheckpoint({
      filepath: join(dir, '{epoch:02d}-{val_loss:.2f}.keras'),
      saveBestOnly: true,
    });
    await drive(cb, model, 'val_loss', [1.0, 0.8, 0.9, 0.5, 0.505]);
    // Epochs are 1-based in names; epoch 3 (0.9) and 5 (0.505) are not improvements.
    expect(listing(dir)).toEqual(['01-1.00.keras', '02-0.80.keras', '04-0.50.keras']);
    expect(cb.best).toBe(0.5);
    model.dispose();
  });

  test('initialValueThreshold: nothing is saved until the monitored value beats it', async () => {
    const dir = tempDir();
    const model = smallModel();
    const cb = new ModelCheckpoint({
      filepath: join(dir, 'e{epoch}.weights.h5'),
      saveWeightsOnly: true,
      saveBestOnly: true,
      initialValueThreshold: 0.5,
    });
    await drive(cb, model, 'val_loss', [0.9, 0.6, 0.4, 0.45]);
    expect(listing(dir)).toEqual(['e3.weights.h5']);
    model.dispose();
  });

  test("mode 'max' (and auto for accuracy) keeps the highest", async () => {
    for (const mode of ['max', 'auto'] as const) {
      const dir = tempDir();
      const model = smallModel();
      const cb = new ModelCheckpoint({
        filepath: join(dir, '{epoch}.keras'),
        monitor: 'val_accuracy',
        saveBestOnly: true,
        mode,
      });
      await drive(cb, model, 'val_accuracy', [0.5, 0.4, 0.7, 0.7]);
      expect(listing(dir)).toEqual(['1.keras', '3.keras']);
      model.dispose();
    }
  });

  test('saveFreq counts batches across epochs, as Keras does', async () => {
    const dir = tempDir();
    const model = smallModel();
    const { x, y } = regressionData(8);
    const cb = new ModelCheckpoint({
      filepath: join(dir, 'b{epoch}-{batch}.weights.h5'),
      saveWeightsOnly: true,
      saveFreq: 3,
    });
    // 4 batches per epoch: the 3rd batch of epoch 1 and the 6th overall (2nd of epoch 2).
    await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0, callbacks: [cb] });
    expect(listing(dir)).toEqual(['b1-3.weights.h5', 'b2-2.weights.h5']);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('a saved .keras file loads and predicts as the model did when it was saved', async () => {
    const dir = tempDir();
    const model = smallModel();
    const { x, y } = regressionData(16);
    const predictions: number[][] = [];
    await model.fit(x, y, {
      epochs: 2,
      verbose: 0,
      callbacks: [
        new ModelCheckpoint({ filepath: join(dir, 'ckpt-{epoch}.keras') }),
        new LambdaCallback({ onEpochEnd: () => void predictions.push(predictValues(model, x)) }),
      ],
    });
    for (const epoch of [1, 2]) {
      const loaded = (await loadModel(join(dir, `ckpt-${epoch}.keras`))) as Model;
      expect(predictValues(loaded, x)).toEqual(predictions[epoch - 1]);
      loaded.dispose();
    }
    tf.dispose([x, y]);
    model.dispose();
  });

  test('weights-only checkpoints load into a fresh model; legacy .h5 saves the whole model', async () => {
    const dir = tempDir();
    const model = smallModel();
    const { x, y } = regressionData(16);
    await model.fit(x, y, {
      epochs: 1,
      verbose: 0,
      callbacks: [
        new ModelCheckpoint({ filepath: join(dir, 'w.weights.h5'), saveWeightsOnly: true }),
        new ModelCheckpoint({ filepath: join(dir, 'legacy.h5') }),
      ],
    });
    const fresh = smallModel({ seed: 99 });
    await fresh.loadWeights(join(dir, 'w.weights.h5'));
    expect(predictValues(fresh, x)).toEqual(predictValues(model, x));
    const legacy = (await loadModel(join(dir, 'legacy.h5'))) as Model;
    expect(predictValues(legacy, x)).toEqual(predictValues(model, x));
    tf.dispose([x, y]);
    model.dispose();
    fresh.dispose();
    legacy.dispose();
  });

  test('an existing checkpoint is replaced whole, and no temporary file is left behind', async () => {
    const dir = tempDir();
    const path = join(dir, 'model.keras');
    writeFileSync(path, 'old');
    const model = smallModel();
    await drive(new ModelCheckpoint({ filepath: path }), model, 'val_loss', [1]);
    expect(readdirSync(dir)).toEqual(['model.keras']);
    expect(readFileSync(path).subarray(0, 2).toString()).toBe('PK');
    model.dispose();
  });

  test('verbose messages follow Keras', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const dir = tempDir();
    const model = smallModel();
    const path = join(dir, 'best.keras');
    await drive(
      new ModelCheckpoint({ filepath: path, saveBestOnly: true, verbose: 1 }),
      model,
      'val_loss',
      [0.5, 0.75],
    );
    expect(log.mock.calls.map((c) => c[0])).toEqual([
      `\nEpoch 1: val_loss improved from inf to 0.50000, saving model to ${path}`,
      '\nEpoch 2: val_loss did not improve from 0.50000',
    ]);
    model.dispose();
  });

  test('a monitor missing from the logs warns once and saves every epoch', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const dir = tempDir();
    const model = smallModel();
    await drive(
      new ModelCheckpoint({ filepath: join(dir, '{epoch}.keras'), saveBestOnly: true }),
      model,
      'loss',
      [1, 2, 3],
    );
    expect(listing(dir)).toEqual(['1.keras', '2.keras', '3.keras']);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith('Can save best model only with val_loss available.');
    model.dispose();
  });

  test('a template naming a key that is not in the logs fails as Keras does', async () => {
    const dir = tempDir();
    const model = smallModel();
    const filepath = join(dir, '{val_acc:.2f}.keras');
    const run = drive(new ModelCheckpoint({ filepath }), model, 'val_loss', [1]);
    await expect(run).rejects.toThrow(KeyError);
    await expect(drive(new ModelCheckpoint({ filepath }), model, 'val_loss', [1])).rejects.toThrow(
      `Failed to format this callback filepath: "${filepath}". Reason: 'val_acc'`,
    );
    model.dispose();
  });

  describe('bad arguments fail at once', () => {
    test.each([
      [
        { filepath: 'model.pt' },
        'The filepath provided must end in `.keras` (Keras model format). Received: filepath=model.pt',
      ],
      [
        { filepath: 'm.keras', saveWeightsOnly: true },
        'the filepath provided must end in `.weights.h5` (Keras weights format). Received: filepath=m.keras',
      ],
      [{ filepath: 'm.weights.h5' }, 'pass `saveWeightsOnly: true`'],
      [
        { filepath: 'm.keras', saveFreq: 'batch' as never },
        "Unrecognized save_freq: batch. Expected save_freq are 'epoch' or integer values",
      ],
      [{ filepath: '' }, 'ModelCheckpoint needs a `filepath`'],
    ])('%j', (args, message) => {
      expect(() => new ModelCheckpoint(args)).toThrow(message);
    });

    test('an unwritable folder fails when training begins, before the first batch', async () => {
      const dir = tempDir();
      writeFileSync(join(dir, 'file'), 'x');
      const model = smallModel();
      const { x, y } = regressionData(8);
      let batches = 0;
      const run = model.fit(x, y, {
        epochs: 2,
        verbose: 0,
        callbacks: [
          new ModelCheckpoint({ filepath: join(dir, 'file', 'sub', '{epoch}.keras') }),
          new LambdaCallback({ onTrainBatchBegin: () => void batches++ }),
        ],
      });
      await expect(run).rejects.toThrow(
        `ModelCheckpoint cannot save into the folder '${join(dir, 'file', 'sub')}': it does not exist`,
      );
      expect(batches).toBe(0);
      tf.dispose([x, y]);
      model.dispose();
    });

    test('a folder that does not exist fails when training begins and is not created, as model.save', async () => {
      const dir = tempDir();
      const model = smallModel();
      const { x, y } = regressionData(8);
      let batches = 0;
      const run = model.fit(x, y, {
        epochs: 1,
        verbose: 0,
        callbacks: [
          new ModelCheckpoint({ filepath: join(dir, 'missing', 'best.keras') }),
          new LambdaCallback({ onTrainBatchBegin: () => void batches++ }),
        ],
      });
      await expect(run).rejects.toThrow(
        `ModelCheckpoint cannot save into the folder '${join(dir, 'missing')}': it does not exist. Create it first`,
      );
      expect(batches).toBe(0);
      expect(readdirSync(dir)).toEqual([]);
      await expect(model.save(join(dir, 'missing', 'model.keras'))).rejects.toThrow(
        `the folder '${join(dir, 'missing')}' does not exist`,
      );
      expect(readdirSync(dir)).toEqual([]);
      tf.dispose([x, y]);
      model.dispose();
    });

    test('a filepath that is an existing folder fails when training begins', async () => {
      const dir = tempDir();
      mkdirSync(join(dir, 'taken.keras'));
      const model = smallModel();
      const cb = new ModelCheckpoint({ filepath: join(dir, 'taken.keras') });
      cb.setModel(model);
      await expect(cb.onTrainBegin()).rejects.toThrow(
        'Please specify a non-directory filepath for ModelCheckpoint',
      );
      model.dispose();
    });
  });

  test('checkpointing keeps no tensors', async () => {
    const dir = tempDir();
    const model = smallModel();
    const { x, y } = regressionData(8);
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    await expectNoLeakedTensors(async () => {
      await model.fit(x, y, {
        epochs: 2,
        verbose: 0,
        validationData: [x, y],
        callbacks: [new ModelCheckpoint({ filepath: join(dir, 'm.keras'), saveBestOnly: true })],
      });
    });
    tf.dispose([x, y]);
    model.dispose();
  });
});
