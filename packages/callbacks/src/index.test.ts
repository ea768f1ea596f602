import { registry } from '@strata/core';
import { describe, expect, test } from 'vitest';

import * as callbacks from './index.js';

describe('@strata/callbacks registers every callback under its Keras class name', () => {
  test.each([
    ['ProgbarLogger', 'progbar_logger'],
    ['EarlyStopping', 'early_stopping'],
    ['ModelCheckpoint', 'model_checkpoint'],
    ['BackupAndRestore', 'backup_and_restore'],
    ['ReduceLROnPlateau', 'reduce_lr_on_plateau'],
    ['LearningRateScheduler', 'learning_rate_scheduler'],
    ['TerminateOnNaN', 'terminate_on_nan'],
    ['CSVLogger', 'csv_logger'],
    ['LambdaCallback', 'lambda_callback'],
  ] as const)('%s', (name, alias) => {
    const cls = (callbacks as Record<string, unknown>)[name] as { className: string };
    expect(cls.className).toBe(name);
    expect(registry.get('callback', name)).toBe(cls);
    expect(registry.get('callback', alias)).toBe(cls);
  });

  test('saving is available: importing the package registers @strata/io', () => {
    expect(registry.has('io', 'saveModel')).toBe(true);
    expect(registry.has('io', 'saveWeights')).toBe(true);
    expect(registry.has('io', 'loadWeights')).toBe(true);
  });
});
