/**
 * Activations, initializers, regularizers and constraints against Keras 3 (goldens/activations.json,
 * initializers.json, regularizers.json, constraints.json):
 * - activations: value and gradient (with a fixed upstream gradient) on a grid that includes ±1e4, 0 and
 *   tiny values, as a vector and as one row, with and without their options;
 * - initializers: shape, dtype, and moments within sampling error (random streams differ between the
 *   libraries), exact values where deterministic, W^T W = gain^2 I for Orthogonal; config both ways;
 * - regularizers and constraints: value and gradient; config both ways.
 */
import {
  type Constraint,
  configFromKeras,
  deserializeKerasObject,
  type Initializer,
  type Regularizer,
  registry,
  serializeKerasObject,
  snakeToCamel,
} from '@strata/core';
import { activations as strataActivations } from '@strata/layers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../src/index.js';
import {
  type Encoded,
  expectClose,
  expectConfigMatches,
  type KerasJSON,
  noLeaks,
  readGolden,
  shapeOf,
  tensorOf,
  toleranceFor,
  walkKind,
} from './harness.js';

interface ActivationCase {
  kwargs: Record<string, unknown>;
  x: Encoded;
  upstream: Encoded;
  value: Encoded;
  grad: Encoded;
}
const activations = readGolden<{ cases: Record<string, ActivationCase[]>; aliases: Record<string, string> }>(
  'activations.json',
);

interface InitializerCase {
  args: Record<string, unknown>;
  keras: KerasJSON;
  shape: number[];
  mean: number;
  std: number;
  min: number;
  max: number;
  n: number;
  values?: Encoded;
  gram?: Encoded;
}
const initializers = readGolden<{ cases: Record<string, InitializerCase[]> }>('initializers.json');

interface PenaltyCase {
  keras: KerasJSON;
  w: Encoded;
  upstream?: Encoded;
  value: Encoded;
  grad: Encoded;
}
const regularizers = readGolden<{ cases: Record<string, PenaltyCase[]> }>('regularizers.json');
const constraints = readGolden<{ cases: Record<string, PenaltyCase[]> }>('constraints.json');

type ActivationFn = (x: tf.Tensor, ...args: unknown[]) => tf.Tensor;

function checkActivation(name: string): Promise<void> {
  return noLeaks(() => {
    const registered = registry.get<ActivationFn>('activation', name);
    const tol = toleranceFor(`activation:${name}`);
    activations.cases[name].forEach((c, i) => {
      const what = `${name} #${i} ${JSON.stringify(c.kwargs)} x [${shapeOf(c.x)}]`;
      // The registered function is Keras's string id (its defaults); options go to the exported function.
      const args = Object.values(c.kwargs);
      const fn = args.length
        ? (strataActivations as unknown as Record<string, ActivationFn>)[snakeToCamel(name)]
        : registered;
      tf.tidy(() => {
        const x = tensorOf(c.x);
        const up = tensorOf(c.upstream);
        expectClose(fn(x, ...args), c.value, `${what}: value`, tol);
        const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(fn(t, ...args), up)))(x);
        expectClose(grad, c.grad, `${what}: gradient`, tol);
      });
    });
  });
}

function checkInitializer(name: string): Promise<void> {
  return noLeaks(() => {
    initializers.cases[name].forEach((c, i) => {
      const what = `${name} #${i} ${JSON.stringify(c.keras.config)}`;
      const fromKeras = deserializeKerasObject<Initializer>('initializer', c.keras);
      const written = serializeKerasObject('initializer', fromKeras);
      expect(written.class_name).toBe(c.keras.class_name);
      expectConfigMatches(written.config, c.keras.config, what);
      // Values from the constructor arguments: Keras's config can omit one (Identity's gain).
      const Cls = registry.get<new (args: Record<string, unknown>) => Initializer>('initializer', name);
      const init = new Cls(configFromKeras({ ...c.args, ...('seed' in c.keras.config ? { seed: 1 } : {}) }));
      const w = init.apply(c.shape, 'float32');
      try {
        expect(w.shape, `${what}: shape`).toEqual(c.shape);
        expect(w.dtype, `${what}: dtype`).toBe('float32');
        const v = Float64Array.from(w.dataSync());
        const mean = v.reduce((a, b) => a + b, 0) / v.length;
        const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
        // Two independent samples of n values: their means differ by about sqrt(2) * std / sqrt(n) and
        // their standard deviations by about std / sqrt(n); six of those is far outside chance.
        const se = (6 * Math.SQRT2 * c.std) / Math.sqrt(c.n) + 1e-6;
        expect(Math.abs(mean - c.mean), `${what}: mean ${mean} vs Keras ${c.mean}`).toBeLessThanOrEqual(se);
        expect(Math.abs(std - c.std), `${what}: std ${std} vs Keras ${c.std}`).toBeLessThanOrEqual(se);
        const range = c.max - c.min;
        expect(Math.min(...v), `${what}: min`).toBeGreaterThanOrEqual(c.min - 0.05 * range - 1e-6);
        expect(Math.max(...v), `${what}: max`).toBeLessThanOrEqual(c.max + 0.05 * range + 1e-6);
        if (c.values) expectClose(w, c.values, `${what}: values`);
        if (c.gram) {
          const gram = tf.tidy(() => tf.matMul(w, w, true, false));
          expectClose(gram, c.gram, `${what}: W^T W`, { rtol: 1e-4, atol: 1e-5 });
          gram.dispose();
        }
      } finally {
        w.dispose();
      }
    });
  });
}

function checkPenalty(kind: 'regularizer' | 'constraint', cases: Record<string, PenaltyCase[]>) {
  return (name: string) =>
    noLeaks(() => {
      cases[name].forEach((c, i) => {
        const what = `${name} #${i} ${JSON.stringify(c.keras.config)}`;
        const obj = deserializeKerasObject<Regularizer | Constraint>(kind, c.keras);
        const written = serializeKerasObject(kind, obj);
        expect(written.class_name).toBe(c.keras.class_name);
        expectConfigMatches(written.config, c.keras.config, what);
        const tol = toleranceFor(`${kind}:${name}`);
        tf.tidy(() => {
          const w = tensorOf(c.w);
          expectClose(obj.apply(w), c.value, `${what}: value`, tol);
          // A regularizer's penalty is a scalar: its gradient is taken as is.
          const up = c.upstream ? tensorOf(c.upstream) : tf.scalar(1);
          // `+ 0 * sum(t)` keeps w on the tape when the penalty ignores it (L1L2 with both factors 0: JAX
          // then gives zeros, tfjs refuses an unconnected gradient).
          const grad = tf.grad((t: tf.Tensor) =>
            tf.add(tf.sum(tf.mul(obj.apply(t), up)), tf.mul(0, tf.sum(t))),
          )(w);
          expectClose(grad, c.grad, `${what}: gradient`, tol);
        });
      });
    });
}

describe('activations against Keras 3', () => {
  walkKind('activation', Object.keys(activations.cases), checkActivation);
  it("resolves Keras's activation aliases to the same functions", () => {
    for (const [alias, target] of Object.entries(activations.aliases)) {
      expect(registry.get('activation', alias), alias).toBe(registry.get('activation', target));
    }
  });
});

describe('initializers against Keras 3', () => {
  walkKind('initializer', Object.keys(initializers.cases), checkInitializer);
});

describe('regularizers against Keras 3', () => {
  walkKind('regularizer', Object.keys(regularizers.cases), checkPenalty('regularizer', regularizers.cases));
});

describe('constraints against Keras 3', () => {
  walkKind('constraint', Object.keys(constraints.cases), checkPenalty('constraint', constraints.cases));
});
