import { registry } from '@strata/core';
import { describe, expect, test } from 'vitest';

import * as strata from './index.js';

describe('strata umbrella', () => {
  test('core API at the top level, each package under its namespace', () => {
    expect(typeof strata.Sequential).toBe('function');
    expect(typeof strata.input).toBe('function');
    expect(typeof strata.layers.Dense).toBe('function');
    expect(typeof strata.optimizers.Adam).toBe('function');
    expect(typeof strata.callbacks.EarlyStopping).toBe('function');
    expect(typeof strata.io.loadModel).toBe('function');
    expect(typeof strata.backends.setBackend).toBe('function');
    expect(typeof strata.datasets.mnist.loadData).toBe('function');
    // Keras keeps losses and metrics apart: the same name is two different classes.
    expect(strata.losses.MeanSquaredError).not.toBe(strata.metrics.MeanSquaredError);
  });

  test('one import registers every kind', () => {
    expect(registry.get('layer', 'Conv2D')).toBe(strata.layers.Conv2D);
    expect(registry.get('optimizer', 'adam')).toBe(strata.optimizers.Adam);
    expect(registry.get('loss', 'mse')).toBe(strata.losses.MeanSquaredError);
    expect(registry.get('metric', 'MeanSquaredError')).toBe(strata.metrics.MeanSquaredError);
    expect(registry.get('callback', 'EarlyStopping')).toBe(strata.callbacks.EarlyStopping);
    expect(registry.get('io', 'saveModel')).toBe(strata.io.saveModel);
    expect(registry.has('backend', 'cpu')).toBe(true);
  });
});
