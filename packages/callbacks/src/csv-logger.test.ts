import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { regressionData, smallModel, tempDir } from '../test/fixtures.js';
import { CSVLogger } from './csv-logger.js';
import { LambdaCallback } from './lambda-callback.js';

async function drive(logger: CSVLogger, rows: Record<string, number>[]): Promise<void> {
  await logger.onTrainBegin();
  for (const [epoch, logs] of rows.entries()) await logger.onEpochEnd(epoch, logs);
  await logger.onTrainEnd();
}

describe('CSVLogger', () => {
  test("writes Keras's columns: epoch, sorted keys, and val_ columns of NA when there is no validation", async () => {
    const file = join(tempDir(), 'log.csv');
    await drive(new CSVLogger({ filename: file }), [
      { loss: 0.5, accuracy: 0.25 },
      { loss: 0.1 + 0.2, accuracy: 1 },
    ]);
    // Python's csv module: Excel dialect (\r\n), floats as repr (1.0, 0.30000000000000004).
    expect(readFileSync(file, 'utf8')).toBe(
      'epoch,accuracy,loss,val_accuracy,val_loss\r\n0,0.25,0.5,NA,NA\r\n1,1.0,0.30000000000000004,NA,NA\r\n',
    );
  });

  test('separator, append without a second header, and validation keys', async () => {
    const file = join(tempDir(), 'log.csv');
    const rows = [{ loss: 2, val_loss: 3 }];
    await drive(new CSVLogger({ filename: file, separator: ';' }), rows);
    await drive(new CSVLogger({ filename: file, separator: ';', append: true }), [
      { loss: 1e-5, val_loss: 1e16 },
    ]);
    expect(readFileSync(file, 'utf8')).toBe('epoch;loss;val_loss\r\n0;2.0;3.0\r\n0;1e-05;1e+16\r\n');
  });

  test('append to an empty file writes the header; without append the file is replaced', async () => {
    const file = join(tempDir(), 'log.csv');
    writeFileSync(file, '');
    await drive(new CSVLogger({ filename: file, append: true }), [{ loss: 1, val_loss: 2 }]);
    expect(readFileSync(file, 'utf8')).toBe('epoch,loss,val_loss\r\n0,1.0,2.0\r\n');
    await drive(new CSVLogger(file), [{ loss: 4, val_loss: 5 }]);
    expect(readFileSync(file, 'utf8')).toBe('epoch,loss,val_loss\r\n0,4.0,5.0\r\n');
  });

  test('in fit, one row per epoch with the values History records', async () => {
    const file = join(tempDir(), 'fit.csv');
    const model = smallModel();
    const { x, y } = regressionData(8);
    const history = await model.fit(x, y, {
      epochs: 2,
      verbose: 0,
      validationData: [x, y],
      callbacks: [new CSVLogger(file)],
    });
    const lines = readFileSync(file, 'utf8').split('\r\n');
    expect(lines[0]).toBe('epoch,loss,val_loss');
    const row1 = lines[2].split(',').map(Number);
    expect(row1).toEqual([1, history.history.loss[1], history.history.val_loss[1]]);
    expect(lines).toHaveLength(4);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('an unwritable file fails when training begins, before any batch', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'not-a-folder'), 'x');
    const model = smallModel();
    const { x, y } = regressionData(8);
    let batches = 0;
    await expect(
      model.fit(x, y, {
        epochs: 1,
        verbose: 0,
        callbacks: [
          new CSVLogger(join(dir, 'not-a-folder', 'log.csv')),
          new LambdaCallback({ onTrainBatchBegin: () => void batches++ }),
        ],
      }),
    ).rejects.toThrow(/ENOTDIR/);
    expect(batches).toBe(0);
    tf.dispose([x, y]);
    model.dispose();
  });
});
