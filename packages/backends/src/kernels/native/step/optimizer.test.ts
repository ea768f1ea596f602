import { Optimizer, Variable } from '@strata/core';
import { expectClose, seededValues } from '@strata/core/testing';
import { MaxNorm } from '@strata/layers';
import {
  Adadelta,
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  ExponentialDecay,
  Lion,
  Nadam,
  RMSprop,
  SGD,
} from '@strata/optimizers';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { resolvesInNode } from '../../../node-paths.js';
import { type StepOptimizer, stepOptimizer } from './optimizer.js';
import { ownValues, ResidentState } from './resident.js';
import { type Feed, runGraph } from './test-run-graph.js';

const hasOrt = resolvesInNode('onnxruntime-node', import.meta.url);

const SHAPES = [[5, 3], [3], [2, 2, 2]];

function makeVariables(seed: number): Variable[] {
  return SHAPES.map((shape, i) => {
    const t = tf.tensor(
      seededValues(
        shape.reduce((p, d) => p * d, 1),
        seed + i,
      ),
      shape,
    );
    const v = new Variable({ initialValue: t, name: `w${i}`, path: `dense/w${i}` });
    t.dispose();
    return v;
  });
}

function gradients(step: number): tf.Tensor[] {
  return SHAPES.map((shape, i) =>
    tf.tensor(
      seededValues(
        shape.reduce((p, d) => p * d, 1),
        100 * step + i,
        -2,
        2,
      ),
      shape,
    ),
  );
}

/** One compiled step: the update's graph run in ONNX Runtime, its results assigned as the compiler does. */
async function compiledStep(update: StepOptimizer, vars: Variable[], grads: tf.Tensor[]): Promise<void> {
  const feeds: Record<string, Feed> = {};
  const values = (t: tf.Tensor) => ({ values: t.dataSync() as Float32Array, shape: t.shape });
  vars.forEach((v, i) => {
    feeds[`w${i}`] = values(v.value);
    feeds[`g${i}`] = values(grads[i]);
  });
  update.stateVariables.forEach((v, i) => {
    feeds[`s${i}`] = values(v.value);
  });
  for (const [name, value] of Object.entries(update.scalars()))
    feeds[name] = { values: Float32Array.of(value), shape: [] };
  const out = await runGraph(feeds, (g) => {
    const { newWeights, newState } = update.emit(
      g,
      vars.map((_, i) => `w${i}`),
      vars.map((_, i) => `g${i}`),
      update.stateVariables.map((_, i) => `s${i}`),
    );
    return Object.fromEntries([
      ...newWeights.map((w, i) => [`w${i}`, w]),
      ...newState.map((s, i) => [`s${i}`, s]),
    ]);
  });
  const assign = (v: Variable, data: Float32Array) => {
    const t = tf.tensor(data, v.shape);
    v.value.assign(t);
    t.dispose();
  };
  vars.forEach((v, i) => {
    assign(v, out[`w${i}`]);
  });
  update.stateVariables.forEach((v, i) => {
    assign(v, out[`s${i}`]);
  });
  update.finishStep();
}

/**
 * One compiled step with the update on the host, as the compiler runs it: the gradients as the update takes
 * them (loss-scale division, clipping) from the graph, then the update in place on the resident arrays.
 */
async function hostStep(
  update: StepOptimizer,
  resident: ResidentState,
  vars: Variable[],
  grads: tf.Tensor[],
): Promise<void> {
  const feeds: Record<string, Feed> = {};
  grads.forEach((g, i) => {
    feeds[`g${i}`] = { values: g.dataSync() as Float32Array, shape: g.shape };
  });
  const out = await runGraph(feeds, (g) =>
    Object.fromEntries(
      update
        .emitGradients(
          g,
          vars.map((_, i) => `g${i}`),
        )
        .map((name, i) => [`g${i}`, name]),
    ),
  );
  const backend = tf.backend() as MathBackendCPU;
  resident.attach(backend);
  vars.forEach((_, i) => {
    resident.gradientValues(i).set(out[`g${i}`]);
  });
  update.applyOnHost(resident.kernels, (i) => resident.pointers(i));
  resident.updated();
  update.finishStep();
  // Every weight and slot now stands on the arena.
  for (const v of [...vars, ...update.stateVariables]) {
    const values = backend.data.get(v.value.dataId).values;
    expect(ownValues(values)).not.toBe(values);
  }
}

/** Every optimizer variable (iterations, learning rate, slots) and weight agree. */
function expectSameState(
  actual: Optimizer,
  expected: Optimizer,
  vars: Variable[],
  reference: Variable[],
): void {
  expect(actual.step).toBe(expected.step);
  const a = actual.variables;
  const b = expected.variables;
  expect(a.map((v) => v.name)).toEqual(b.map((v) => v.name));
  a.forEach((v, i) => {
    expectClose(v.value.dataSync(), b[i].value.dataSync(), 1e-5);
  });
  vars.forEach((v, i) => {
    expectClose(v.value.dataSync(), reference[i].value.dataSync(), 1e-5);
  });
}

/**
 * Two optimizers from `make` on two sets of the same variables: `compiled` with its step optimizer
 * (`update`), `expected` for `Optimizer.apply`.
 */
function pair(make: () => Optimizer) {
  const vars = makeVariables(1);
  const reference = makeVariables(1);
  const compiled = make();
  const expected = make();
  const update = stepOptimizer(compiled, vars);
  if (typeof update === 'string') throw new Error(update);
  return { vars, reference, compiled, expected, update };
}

/**
 * Four steps on both sides of `pair`: steps 1, 2 and 4 by `step` and step 3 by `apply` on the compiled
 * side, all four by `apply` on the reference; the two agree after each, and no tensor is left behind.
 */
async function alternate(
  { vars, reference, compiled, expected }: ReturnType<typeof pair>,
  step: (grads: tf.Tensor[]) => Promise<void>,
): Promise<void> {
  const before = tf.memory().numTensors;
  for (let n = 1; n <= 4; n++) {
    const grads = gradients(n);
    if (n === 3) compiled.apply(grads, vars);
    else await step(grads);
    expected.apply(grads, reference);
    tf.dispose(grads);
    expectSameState(compiled, expected, vars, reference);
  }
  expect(compiled.step).toBe(4);
  expect(tf.memory().numTensors).toBe(before);
}

const schedule = () => new ExponentialDecay({ initialLearningRate: 0.05, decaySteps: 1, decayRate: 0.5 });

const cases: { name: string; make: () => Optimizer }[] = [
  { name: 'Adam', make: () => new Adam({ learningRate: 0.01 }) },
  {
    name: 'Adam, AMSGrad, learning-rate schedule',
    make: () => new Adam({ learningRate: schedule(), amsgrad: true }),
  },
  {
    name: 'AdamW, one variable excluded from weight decay',
    make: () => {
      const opt = new AdamW({ learningRate: 0.05, weightDecay: 0.2 });
      opt.excludeFromWeightDecay({ varNames: ['w1'] });
      return opt;
    },
  },
  { name: 'SGD', make: () => new SGD({ learningRate: 0.1 }) },
  { name: 'SGD with weight decay', make: () => new SGD({ learningRate: 0.1, weightDecay: 0.5 }) },
  {
    name: 'SGD with momentum, learning-rate schedule',
    make: () => new SGD({ learningRate: schedule(), momentum: 0.9 }),
  },
  {
    name: 'SGD with Nesterov momentum',
    make: () => new SGD({ learningRate: 0.1, momentum: 0.8, nesterov: true }),
  },
  { name: 'RMSprop', make: () => new RMSprop({ learningRate: 0.01 }) },
  { name: 'Adam, clipnorm, loss scaling', make: () => new Adam({ clipnorm: 0.5, lossScaleFactor: 4 }) },
  { name: 'SGD with momentum, globalClipnorm', make: () => new SGD({ momentum: 0.5, globalClipnorm: 1 }) },
  { name: 'RMSprop, clipvalue', make: () => new RMSprop({ clipvalue: 0.3 }) },
  { name: 'Adagrad', make: () => new Adagrad({ learningRate: 0.1 }) },
  { name: 'Adamax', make: () => new Adamax({ learningRate: 0.05 }) },
  { name: 'Lion', make: () => new Lion({ learningRate: 0.01 }) },
  { name: 'Adadelta', make: () => new Adadelta({ learningRate: 1 }) },
  { name: 'Nadam', make: () => new Nadam({ learningRate: 0.02 }) },
  {
    name: 'Adam with EMA, weights overwritten every 2 updates',
    make: () => new Adam({ learningRate: 0.05, useEma: true, emaMomentum: 0.8, emaOverwriteFrequency: 2 }),
  },
  { name: 'SGD with momentum and EMA', make: () => new SGD({ momentum: 0.9, useEma: true }) },
  {
    name: 'SGD with momentum, gradient accumulation over 2 steps, clipnorm',
    make: () => new SGD({ learningRate: 0.1, momentum: 0.9, gradientAccumulationSteps: 2, clipnorm: 1 }),
  },
  {
    name: 'Nadam, gradient accumulation over 3 steps, EMA, weight decay',
    make: () =>
      new Nadam({ gradientAccumulationSteps: 3, useEma: true, weightDecay: 0.1, learningRate: 0.02 }),
  },
  { name: 'SGD, loss scaling', make: () => new SGD({ learningRate: 0.1, lossScaleFactor: 4 }) },
  {
    name: 'RMSprop, centered, with momentum',
    make: () => new RMSprop({ momentum: 0.5, centered: true, rho: 0.8 }),
  },
];

describe.skipIf(!hasOrt)('stepOptimizer against Optimizer.apply', () => {
  it.each(cases)('$name: compiled and uncompiled steps alternate on one optimizer', async ({ make }) => {
    const both = pair(make);
    const { vars, reference, compiled, expected, update } = both;
    expect(compiled.built).toBe(true);
    // The reference builds its slots as its first `apply` would, before the count below.
    expected.build(reference);
    // Steps 1, 2 and 4 compiled, step 3 by `apply` on the same optimizer.
    await alternate(both, (grads) => compiledStep(update, vars, grads));
    expect(compiled.iterations.value.dataSync()[0]).toBe(4);
    for (const o of [compiled, expected]) o.dispose();
    tf.dispose([...vars, ...reference].map((v) => v.value));
  });
});

describe.skipIf(!hasOrt)('the update on the host against Optimizer.apply', () => {
  const onHost = [
    'Adam',
    'Adam, AMSGrad, learning-rate schedule',
    'AdamW, one variable excluded from weight decay',
    'SGD',
    'SGD with weight decay',
    'SGD with momentum, learning-rate schedule',
    'SGD with Nesterov momentum',
    'RMSprop',
    'Adam, clipnorm, loss scaling',
    'SGD with momentum, globalClipnorm',
    'RMSprop, clipvalue',
    'SGD, loss scaling',
    'RMSprop, centered, with momentum',
  ];

  it('runs on the host exactly for Adam, AdamW, SGD and RMSprop without EMA or gradient accumulation', () => {
    for (const { name, make } of cases) {
      const vars = makeVariables(1);
      const opt = make();
      const update = stepOptimizer(opt, vars);
      if (typeof update === 'string') throw new Error(update);
      expect([name, update.onHost]).toEqual([name, onHost.includes(name)]);
      const inGraph = stepOptimizer(opt, vars, false);
      expect(typeof inGraph !== 'string' && inGraph.onHost).toBe(false);
      opt.dispose();
      tf.dispose(vars.map((v) => v.value));
    }
  });

  it('keeps a step whose weights, slots and gradients exceed one WebAssembly memory (4 GiB) in the graph', () => {
    // Adam: a weight, two slots and a gradient of 4 bytes per element, after a 4 KiB stack.
    const largest = Math.floor((2 ** 32 - 4096) / 16);
    const shaped = (n: number) => ({ shape: [n] });
    expect(ResidentState.fits([shaped(largest)], [[shaped(largest), shaped(largest)]])).toBe(true);
    const over = largest + 4; // whole SIMD vectors
    expect(ResidentState.fits([shaped(over)], [[shaped(over), shaped(over)]])).toBe(false);
  });

  it.each(cases.filter((c) => onHost.includes(c.name)))(
    '$name: host and uncompiled steps alternate on one optimizer',
    async ({ make }) => {
      const both = pair(make);
      const { vars, reference, compiled, expected, update } = both;
      expected.build(reference);
      const resident = new ResidentState(vars, update.slotsOf);

      // Steps 1, 2 and 4 on the host, step 3 by `apply` (new storage: step 4 copies it into the arena).
      await alternate(both, (grads) => hostStep(update, resident, vars, grads));
      resident.release();
      // Released: the variables keep their values, on arrays of their own.
      expectSameState(compiled, expected, vars, reference);
      const backend = tf.backend() as MathBackendCPU;
      for (const v of [...vars, ...update.stateVariables]) {
        const values = backend.data.get(v.value.dataId).values;
        expect(ownValues(values)).toBe(values);
      }
      for (const o of [compiled, expected]) o.dispose();
      tf.dispose([...vars, ...reference].map((v) => v.value));
    },
  );
});

describe('stepOptimizer refusals', () => {
  it('refuses what it does not compile, leaving the optimizer unbuilt', () => {
    class MyAdam extends Adam {}
    class Plain extends Optimizer {
      override updateStep(): void {}
    }
    const vars = makeVariables(1);
    const refused: [Optimizer, RegExp][] = [
      [new MyAdam(), /MyAdam is not one/],
      [new Plain(), /Plain is not one the compiled step supports/],
    ];
    for (const [opt, reason] of refused) {
      const before = tf.memory().numTensors;
      expect(stepOptimizer(opt, vars)).toMatch(reason);
      expect(opt.built).toBe(false);
      expect(tf.memory().numTensors).toBe(before);
      opt.dispose();
    }
    const constrained = makeVariables(2);
    constrained[1].constraint = new MaxNorm();
    const adam = new Adam();
    expect(stepOptimizer(adam, constrained)).toMatch(/'dense\/w1' has a constraint/);
    expect(adam.built).toBe(false);

    adam.build(vars.slice(0, 2));
    const slots = adam.variables.length;
    expect(stepOptimizer(adam, vars)).toMatch(/built without the variable 'dense\/w2'/);
    // Nothing was added to the optimizer that `apply` would refuse to run.
    expect(adam.variables.length).toBe(slots);
    adam.dispose();

    const ema = new SGD({ useEma: true });
    ema.build(vars);
    expect(stepOptimizer(ema, vars.slice(0, 2))).toMatch(
      /keeps averages or accumulators of 3 variables, the step updates 2/,
    );
    ema.dispose();
    tf.dispose([...vars, ...constrained].map((v) => v.value));
  });
});
