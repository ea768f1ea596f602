/**
 * The fixed problem every optimizer test runs (test-only; excluded from the build): two variables,
 * `w` and `b`, and the loss `sum((x - target)^2)`, whose gradient `2 * (x - target)` depends on the
 * current values, so an early mistake shows in every later step.
 */
import {
  configFromKeras,
  deserializeKerasObject,
  type Optimizer,
  serializeKerasObject,
  Variable,
} from '@strata/core';
import { expectTensorsClose } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

export const INIT = [
  [0.5, -1.2, 2.0],
  [0.3, -0.7],
];
export const TARGET = [
  [1.0, 0.4, -0.5],
  [-0.2, 0.1],
];

export function makeVariables(init: number[][] = INIT): Variable[] {
  return init.map((values, i) => {
    const t = tf.tensor1d(values);
    const v = new Variable({ initialValue: t, name: i === 0 ? 'w' : 'b' });
    t.dispose();
    return v;
  });
}

/** The gradient of the test loss at the variables' current values. */
export function gradientsOf(vars: Variable[], target: number[][] = TARGET): tf.Tensor[] {
  return vars.map((v, i) => tf.tidy(() => tf.mul(tf.sub(v.value, tf.tensor1d(target[i])), 2)));
}

/** One optimizer step on the test problem; the gradients are disposed afterwards. */
export function step(opt: Optimizer, vars: Variable[]): void {
  const grads = gradientsOf(vars);
  opt.apply(grads, vars);
  tf.dispose(grads);
}

/** Per-element state and update of a reference rule: `t` is the 1-based update count. */
export interface ReferenceRule<S> {
  init(x: number): S;
  update(x: number, g: number, s: S, t: number): number;
}

/** Runs a reference rule, written from Keras 3's formulas in plain float64 JS: values after each step. */
export function referenceRun<S>(
  rule: ReferenceRule<S>,
  steps = 5,
  init = INIT,
  target = TARGET,
): number[][][] {
  const xs = init.map((row) => row.slice());
  const states = xs.map((row) => row.map((x) => rule.init(x)));
  const history: number[][][] = [];
  for (let t = 1; t <= steps; t++) {
    xs.forEach((row, i) => {
      row.forEach((x, j) => {
        row[j] = rule.update(x, 2 * (x - target[i][j]), states[i][j], t);
      });
    });
    history.push(xs.map((row) => row.slice()));
  }
  return history;
}

/** Runs `opt` for as many steps as `expected` has and checks every step's values. */
export function expectSteps(opt: Optimizer, expected: number[][][], atol = 1e-6): Variable[] {
  const vars = makeVariables();
  expected.forEach((values, k) => {
    step(opt, vars);
    vars.forEach((v, i) => {
      try {
        expectTensorsClose(v.value, values[i], { atol });
      } catch (e) {
        throw new Error(`step ${k + 1}, variable ${v.name}: ${(e as Error).message}`);
      }
    });
  });
  return vars;
}

/** Optimizer variable names in order. */
export function variableNames(opt: Optimizer): string[] {
  return opt.variables.map((v) => v.name);
}

function stable(x: unknown): string {
  return JSON.stringify(x, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v,
  );
}

/**
 * getConfig -> fromConfig gives the same config, and so does Keras JSON through the registry. Returns
 * the Keras JSON's config (snake_case keys) for further checks.
 */
export function expectConfigRoundTrip(
  opt: Optimizer,
  cls: { fromConfig(config: Record<string, any>): Optimizer },
): Record<string, unknown> {
  const config = opt.getConfig();
  const again = cls.fromConfig(config);
  expect(stable(again.getConfig())).toBe(stable(config));
  expect(again.constructor).toBe(opt.constructor);
  const json = JSON.parse(JSON.stringify(serializeKerasObject('optimizer', opt)));
  expect(json.module).toBe('keras.optimizers');
  expect(json.class_name).toBe((opt.constructor as typeof Optimizer).className);
  expect(json.registered_name).toBeNull();
  const fromJson = deserializeKerasObject<Optimizer>('optimizer', json);
  expect(fromJson.constructor).toBe(opt.constructor);
  expect(stable(fromJson.getConfig())).toBe(stable(config));
  expect(stable(configFromKeras(json.config))).toBe(stable(JSON.parse(JSON.stringify(config))));
  again.dispose();
  fromJson.dispose();
  return json.config;
}

/** The Keras 3 base optimizer config keys, in snake_case. */
export const BASE_KERAS_KEYS = [
  'name',
  'learning_rate',
  'weight_decay',
  'clipnorm',
  'global_clipnorm',
  'clipvalue',
  'use_ema',
  'ema_momentum',
  'ema_overwrite_frequency',
  'loss_scale_factor',
  'gradient_accumulation_steps',
];
