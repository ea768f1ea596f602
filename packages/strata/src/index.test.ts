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

  test('every registered loss and metric class is at the top level under one rule', () => {
    const top = strata as unknown as Record<string, unknown>;
    // Names such as 'accuracy' resolve through a resolver object (by target kind), not to a class.
    const classesOf = (kind: 'loss' | 'metric') =>
      new Set(
        registry
          .list(kind)
          .map((name) => registry.get<unknown>(kind, name))
          .filter((v): v is { className: string } => typeof v === 'function'),
      );
    const losses = classesOf('loss');
    const metrics = classesOf('metric');
    const lossNames = new Set([...losses].map((cls) => cls.className));
    expect(losses.size).toBeGreaterThan(15);
    expect(metrics.size).toBeGreaterThan(30);
    // A loss by its Keras name.
    for (const cls of losses) expect(top[cls.className], cls.className).toBe(cls);
    // A metric by its Keras name, or with `Metric` appended when a loss has that name.
    for (const cls of metrics) {
      const name = lossNames.has(cls.className) ? `${cls.className}Metric` : cls.className;
      expect(top[name], name).toBe(cls);
    }
    // The namespaces stay as in Keras.
    for (const cls of losses) expect((strata.losses as Record<string, unknown>)[cls.className]).toBe(cls);
    for (const cls of metrics) expect((strata.metrics as Record<string, unknown>)[cls.className]).toBe(cls);
  });

  test('the colliding names resolve: MeanSquaredError is the loss, MeanSquaredErrorMetric the metric', () => {
    expect(strata.MeanSquaredError).toBe(strata.losses.MeanSquaredError);
    expect(strata.MeanSquaredErrorMetric).toBe(strata.metrics.MeanSquaredError);
    expect(new strata.MeanSquaredError()).toBeInstanceOf(strata.Loss);
    expect(new strata.MeanSquaredErrorMetric()).toBeInstanceOf(strata.Metric);
  });
});
