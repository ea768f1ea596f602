import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';

import { regressionData, smallModel } from '../test/fixtures.js';
import { LambdaCallback } from './lambda-callback.js';

describe('LambdaCallback', () => {
  test('calls each given function at its hook, in order, with epochs, batches and logs', async () => {
    const model = smallModel();
    const { x, y } = regressionData(8);
    const events: string[] = [];
    const history = await model.fit(x, y, {
      epochs: 2,
      batchSize: 4,
      verbose: 0,
      validationData: [x, y],
      callbacks: [
        new LambdaCallback({
          onTrainBegin: () => void events.push('train_begin'),
          onEpochBegin: (e) => void events.push(`epoch_begin ${e}`),
          onTrainBatchBegin: (b) => void events.push(`batch_begin ${b}`),
          onTrainBatchEnd: (b, logs) => void events.push(`batch_end ${b} ${typeof logs?.loss}`),
          onTestBegin: () => void events.push('test_begin'),
          onTestEnd: (logs) => void events.push(`test_end ${typeof logs?.loss}`),
          onEpochEnd: async (e, logs) => {
            await Promise.resolve();
            events.push(`epoch_end ${e} ${Object.keys(logs ?? {}).join(',')}`);
          },
          onTrainEnd: () => void events.push('train_end'),
        }),
      ],
    });
    const epoch = (e: number) => [
      `epoch_begin ${e}`,
      'batch_begin 0',
      'batch_end 0 number',
      'batch_begin 1',
      'batch_end 1 number',
      'test_begin',
      'test_end number',
      `epoch_end ${e} loss,val_loss`,
    ];
    expect(events).toEqual(['train_begin', ...epoch(0), ...epoch(1), 'train_end']);
    expect(history.history.loss).toHaveLength(2);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('an unknown hook or a non-function fails at once', () => {
    expect(() => new LambdaCallback({ onBatchEnd: () => {} } as never)).toThrow("unknown hook 'onBatchEnd'");
    expect(() => new LambdaCallback({ onEpochEnd: 3 as never })).toThrow('Received: onEpochEnd=3');
  });
});
