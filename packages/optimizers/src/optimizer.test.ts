/**
 * The base optimizer's work, seen through concrete optimizers: clipping, weight decay, accumulation,
 * EMA, learning rates, state save and restore, constraints, errors, leaks and kernel counts.
 */
import {
  type Constraint,
  deserializeKerasObject,
  type Optimizer,
  type OptimizerIds,
  RegistryError,
  resolveIdentifier,
  serializeKerasObject,
  ValueError,
  Variable,
} from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';

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
} from './index.js';
import { makeVariables, step } from './test-support.js';

function variable(values: number[], name = 'x', constraint: Constraint | null = null): Variable {
  const t = tf.tensor1d(values);
  const v = new Variable({ initialValue: t, name, constraint });
  t.dispose();
  return v;
}

/** Applies literal gradients (one array per variable, null to skip). */
function applyGrads(opt: Optimizer, vars: Variable[], grads: (number[] | null)[]): void {
  const ts = grads.map((g) => (g == null ? null : tf.tensor1d(g)));
  opt.apply(ts, vars);
  tf.dispose(ts.filter((t): t is tf.Tensor1D => t != null));
}

function values(v: Variable): number[] {
  return Array.from(v.value.dataSync());
}

afterEach(() => vi.restoreAllMocks());

describe('gradient clipping', () => {
  it('clipnorm rescales each gradient whose norm exceeds it, and leaves smaller ones', () => {
    const opt = new SGD({ learningRate: 1, clipnorm: 1 });
    const [a, b] = [variable([0, 0], 'a'), variable([0, 0], 'b')];
    applyGrads(
      opt,
      [a, b],
      [
        [3, 4],
        [0.3, 0.4],
      ],
    );
    expectTensorsClose(a.value, [-0.6, -0.8]);
    expectTensorsClose(b.value, [-0.3, -0.4]);
  });

  it('globalClipnorm rescales all gradients by their joint norm', () => {
    const opt = new SGD({ learningRate: 1, globalClipnorm: 1 });
    const [a, b] = [variable([0, 0], 'a'), variable([0], 'b')];
    applyGrads(opt, [a, b], [[3, 4], [12]]);
    expectTensorsClose(a.value, [-3 / 13, -4 / 13]);
    expectTensorsClose(b.value, [-12 / 13]);
    applyGrads(opt, [a, b], [[0.3, 0], [0.4]]);
    expectTensorsClose(a.value, [-3 / 13 - 0.3, -4 / 13]);
    expectTensorsClose(b.value, [-12 / 13 - 0.4]);
  });

  it('clipvalue clips each element to [-clipvalue, clipvalue]', () => {
    const opt = new SGD({ learningRate: 1, clipvalue: 1 });
    const a = variable([0, 0, 0]);
    applyGrads(opt, [a], [[-5, 0.2, 3]]);
    expectTensorsClose(a.value, [1, -0.2, -1]);
  });

  it('clips the gradient before Adam sees it', () => {
    const opt = new Adam({ learningRate: 0.1, clipvalue: 0.5, beta1: 0.5, beta2: 0.5, epsilon: 0 });
    const a = variable([0]);
    applyGrads(opt, [a], [[-4]]);
    // One Adam step moves by lr * sign(g) when epsilon is 0: alpha * m / sqrt(v) = lr * g / |g|.
    expectTensorsClose(a.value, [0.1]);
    expectTensorsClose(opt.variables[2].value, [-0.25]); // m = (1 - beta_1) * clipped g
  });
});

describe('weight decay', () => {
  it('decays the variable by weight_decay * lr before the update', () => {
    const opt = new SGD({ learningRate: 0.1, weightDecay: 0.5 });
    const a = variable([2, -4]);
    applyGrads(opt, [a], [[1, 1]]);
    // Decay first: w * (1 - 0.05) - 0.1 * g. (Decaying after the update would give 1.805 and -3.895.)
    expectTensorsClose(a.value, [1.8, -3.9]);
  });

  it('uses the learning rate of the current step when it is scheduled', () => {
    const schedule = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5 });
    const opt = new SGD({ learningRate: schedule, weightDecay: 1 });
    const a = variable([1]);
    applyGrads(opt, [a], [[0]]);
    applyGrads(opt, [a], [[0]]);
    expectTensorsClose(a.value, [(1 - 0.1) * (1 - 0.05)]);
  });

  it('skips excluded variables, by reference or by name', () => {
    const opt = new SGD({ learningRate: 0.1, weightDecay: 0.5 });
    const [kernel, bias, other] = [
      variable([2], 'kernel'),
      variable([2], 'dense_bias'),
      variable([2], 'gamma'),
    ];
    opt.excludeFromWeightDecay({ varList: [other], varNames: ['bias'] });
    applyGrads(opt, [kernel, bias, other], [[0], [0], [0]]);
    expectTensorsClose(kernel.value, [1.9]);
    expectTensorsClose(bias.value, [2]);
    expectTensorsClose(other.value, [2]);
    expect(() => opt.excludeFromWeightDecay({ varNames: ['x'] })).toThrow(/before the optimizer is built/);
  });
});

describe('gradient accumulation', () => {
  it('updates every N steps with the mean of the accumulated gradients', () => {
    const opt = new SGD({ learningRate: 1, gradientAccumulationSteps: 2 });
    const a = variable([1, 1]);
    applyGrads(opt, [a], [[2, 4]]);
    expectTensorsClose(a.value, [1, 1]);
    expect(opt.step).toBe(1);
    expect(opt.updateCount).toBe(0);
    const acc = opt.variables.find((v) => v.name === 'x_gradient_accumulator')!;
    expectTensorsClose(acc.value, [2, 4]);
    applyGrads(opt, [a], [[4, 0]]);
    expectTensorsClose(a.value, [1 - 3, 1 - 2]);
    expectTensorsClose(acc.value, [0, 0]);
    expect(opt.step).toBe(2);
    expect(opt.updateCount).toBe(1);
    expect(opt.iterations.value.dataSync()[0]).toBe(2);
  });

  it("counts Adam's bias correction in updates, not in calls", () => {
    const opt = new Adam({ learningRate: 0.1, gradientAccumulationSteps: 2 });
    const a = variable([0]);
    const grads = [1, 3, -2, 0];
    for (const g of grads) applyGrads(opt, [a], [[g]]);
    // By hand: two Adam updates (t = 1, 2) with the means 2 and -1.
    let m = 0;
    let v = 0;
    let x = 0;
    [2, -1].forEach((g, k) => {
      const t = k + 1;
      m += (g - m) * 0.1;
      v += (g * g - v) * 0.001;
      x -= ((0.1 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t)) * (m / (Math.sqrt(v) + 1e-7));
    });
    expectTensorsClose(a.value, [x]);
  });

  it('rejects fewer than 2 steps', () => {
    expect(() => new SGD({ gradientAccumulationSteps: 1 })).toThrow('gradient_accumulation_steps=1');
  });
});

describe('exponential moving average', () => {
  it('tracks the average from the first update and finalizeVariableValues writes it', () => {
    const opt = new SGD({ learningRate: 0.1, useEma: true, emaMomentum: 0.5 });
    const a = variable([1]);
    for (let i = 0; i < 3; i++) applyGrads(opt, [a], [[1]]);
    // x: 0.9, 0.8, 0.7; average: 0.9 (momentum 0 at the first update), 0.85, 0.775.
    expectTensorsClose(a.value, [0.7]);
    expect(opt.variables.map((v) => v.name)).toEqual(['iteration', 'learning_rate', 'x_average']);
    expectTensorsClose(opt.variables[2].value, [0.775]);
    opt.finalizeVariableValues([a]);
    expectTensorsClose(a.value, [0.775]);
  });

  it('overwrites the variables every ema_overwrite_frequency updates', () => {
    const opt = new SGD({ learningRate: 0.1, useEma: true, emaMomentum: 0.5, emaOverwriteFrequency: 2 });
    const a = variable([1]);
    applyGrads(opt, [a], [[1]]);
    expectTensorsClose(a.value, [0.9]);
    applyGrads(opt, [a], [[1]]);
    expectTensorsClose(a.value, [0.85]);
    applyGrads(opt, [a], [[1]]);
    expectTensorsClose(a.value, [0.75]);
    expectTensorsClose(opt.variables[2].value, [0.8]);
  });

  it('puts the averages before the slots, as Keras builds them', () => {
    const opt = new Adam({ useEma: true });
    step(opt, makeVariables());
    expect(opt.variables.map((v) => v.name)).toEqual([
      'iteration',
      'learning_rate',
      'w_average',
      'b_average',
      'w_momentum',
      'w_velocity',
      'b_momentum',
      'b_velocity',
    ]);
  });

  it('rejects a momentum outside [0, 1] and a bad overwrite frequency', () => {
    expect(() => new SGD({ useEma: true, emaMomentum: 1.5 })).toThrow('ema_momentum=1.5');
    expect(() => new SGD({ useEma: true, emaOverwriteFrequency: 0.5 })).toThrow(/ema_overwrite_frequency/);
  });
});

describe('learning rate', () => {
  it('is a float32 variable after the iteration count, and the setter writes it', () => {
    const opt = new Adam({ learningRate: 0.01 });
    expect(opt.variables.map((v) => v.name)).toEqual(['iteration', 'learning_rate']);
    expect(opt.variables[0].dtype).toBe('int32');
    expect(opt.learningRate).toBe(0.01);
    opt.learningRate = 0.005;
    expect(opt.learningRate).toBe(0.005);
    expect(opt.variables[1].value.dataSync()[0]).toBeCloseTo(0.005, 9);
    expect(opt.getConfig().learningRate).toBe(0.005);
    expect(() => {
      opt.learningRate = -1;
    }).toThrow(ValueError);
  });

  it('a new rate takes effect on the next step', () => {
    const opt = new SGD({ learningRate: 0.1 });
    const a = variable([0]);
    applyGrads(opt, [a], [[1]]);
    opt.learningRate = 0.01;
    applyGrads(opt, [a], [[1]]);
    expectTensorsClose(a.value, [-0.11]);
  });

  it('a schedule is evaluated at the iteration count, and is not settable to a number', () => {
    const schedule = new ExponentialDecay({ initialLearningRate: 1, decaySteps: 1, decayRate: 0.5 });
    const opt = new SGD({ learningRate: schedule });
    expect(opt.variables.map((v) => v.name)).toEqual(['iteration']);
    const a = variable([0]);
    for (let i = 0; i < 3; i++) applyGrads(opt, [a], [[1]]);
    expectTensorsClose(a.value, [-(1 + 0.5 + 0.25)]);
    expect(opt.learningRate).toBe(0.125);
    expect(() => {
      opt.learningRate = 0.1;
    }).toThrow(TypeError);
  });

  it('a function of the iteration is called with the iteration count', () => {
    const opt = new SGD({ learningRate: (it) => 0.1 * (it + 1) });
    const a = variable([0]);
    for (let i = 0; i < 3; i++) applyGrads(opt, [a], [[1]]);
    expectTensorsClose(a.value, [-0.6]);
    expect(() => opt.getConfig()).toThrow(/cannot be serialized/);
  });

  it('replacing a number by a schedule drops the learning_rate variable', () => {
    const opt = new SGD({ learningRate: 0.1 });
    opt.learningRate = new ExponentialDecay({ initialLearningRate: 0.2, decaySteps: 10, decayRate: 0.5 });
    expect(opt.variables.map((v) => v.name)).toEqual(['iteration']);
    expect(opt.learningRate).toBe(0.2);
  });
});

describe('config round trip through the registry', () => {
  it('carries a schedule as a Keras object', () => {
    const schedule = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.9 });
    const opt = new Adam({
      learningRate: schedule,
      globalClipnorm: 2,
      useEma: true,
      gradientAccumulationSteps: 4,
    });
    const json = JSON.parse(JSON.stringify(serializeKerasObject('optimizer', opt)));
    expect(json.config.learning_rate).toEqual({
      module: 'keras.optimizers.schedules',
      class_name: 'ExponentialDecay',
      config: {
        initial_learning_rate: 0.1,
        decay_steps: 100,
        decay_rate: 0.9,
        staircase: false,
        name: 'ExponentialDecay',
      },
      registered_name: null,
    });
    expect(json.config).toMatchObject({ global_clipnorm: 2, use_ema: true, gradient_accumulation_steps: 4 });
    const again = deserializeKerasObject<Adam>('optimizer', json);
    expect(again).toBeInstanceOf(Adam);
    expect(again.getConfig()).toEqual(opt.getConfig());
    expect(again.learningRate).toBe(0.1);
    const direct = Adam.fromConfig(opt.getConfig());
    expect(direct.getConfig()).toEqual(opt.getConfig());
  });

  it('resolves every string id to its class', () => {
    // Typed by declaration merging: a misspelled id would not compile.
    const ids: [keyof OptimizerIds, new () => Optimizer][] = [
      ['sgd', SGD],
      ['adam', Adam],
      ['adamw', AdamW],
      ['rmsprop', RMSprop],
      ['adagrad', Adagrad],
      ['adadelta', Adadelta],
      ['adamax', Adamax],
      ['nadam', Nadam],
      ['lion', Lion],
    ];
    for (const [id, cls] of ids) {
      const opt = resolveIdentifier<Optimizer>('optimizer', id)!;
      expect(opt).toBeInstanceOf(cls);
      opt.dispose();
    }
  });
});

describe('state', () => {
  /** Runs five steps at once, and three, save, restore into fresh objects, two more; the results must agree exactly. */
  function expectResume(make: () => Optimizer): void {
    const whole = make();
    const wholeVars = makeVariables();
    for (let i = 0; i < 5; i++) step(whole, wholeVars);

    const first = make();
    const firstVars = makeVariables();
    for (let i = 0; i < 3; i++) step(first, firstVars);
    const savedState = first.variables.map((v) => v.read());
    const savedWeights = firstVars.map((v) => v.read());
    first.dispose();
    firstVars.forEach((v) => {
      v.dispose();
    });

    const second = make();
    const secondVars = makeVariables();
    secondVars.forEach((v, i) => {
      v.assign(savedWeights[i]);
    });
    second.build(secondVars);
    second.setVariableValues(savedState);
    tf.dispose([...savedState, ...savedWeights]);
    expect(second.step).toBe(3);
    for (let i = 0; i < 2; i++) step(second, secondVars);

    expect(second.step).toBe(5);
    secondVars.forEach((v, i) => {
      expectTensorsClose(v.value, wholeVars[i].value, { atol: 0 });
    });
    second.variables.forEach((v, i) => {
      expectTensorsClose(v.value, whole.variables[i].value, { atol: 0 });
    });
  }

  it('restoring saved state resumes Adam exactly', () => {
    expectResume(() => new Adam({ learningRate: 0.1, amsgrad: true }));
  });

  it('restoring saved state resumes Nadam (and its u_product) exactly', () => {
    expectResume(() => new Nadam({ learningRate: 0.1 }));
  });

  it('restoring saved state resumes RMSprop with momentum, EMA and accumulation exactly', () => {
    expectResume(
      () =>
        new RMSprop({
          learningRate: 0.1,
          momentum: 0.5,
          centered: true,
          useEma: true,
          gradientAccumulationSteps: 2,
        }),
    );
  });

  it('restores the learning rate with the rest', () => {
    const opt = new SGD({ learningRate: 0.1 });
    const vars = makeVariables();
    step(opt, vars);
    opt.learningRate = 0.025;
    const saved = opt.variables.map((v) => v.read());
    const again = new SGD({ learningRate: 0.1 });
    again.build(makeVariables());
    again.setVariableValues(saved);
    tf.dispose(saved);
    expect(again.learningRate).toBe(Math.fround(0.025));
    expect(again.step).toBe(1);
  });

  it('setVariableValues checks every shape before writing anything', () => {
    const opt = new Adam();
    const vars = makeVariables();
    step(opt, vars);
    const before = opt.variables.map((v) => values(v));
    const wrong = opt.variables.map((v) => tf.zeros(v.shape, v.dtype));
    wrong[wrong.length - 1].dispose();
    wrong[wrong.length - 1] = tf.zeros([7]);
    expect(() => opt.setVariableValues(wrong)).toThrow(/b_velocity.*\(2,\).*\(7,\)/);
    expect(() => opt.setVariableValues(wrong.slice(1))).toThrow(/6 variables, but 5 values/);
    tf.dispose(wrong);
    expect(opt.variables.map((v) => values(v))).toEqual(before);
    expect(opt.step).toBe(1);
    expect(() => new Adam().setVariableValues([])).toThrow(/not yet been built/);
  });
});

describe('apply', () => {
  it('skips variables without a gradient (with a warning) and still counts the step', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const opt = new SGD({ learningRate: 1 });
    const [a, b] = [variable([1], 'a'), variable([1], 'b')];
    applyGrads(opt, [a, b], [[1], null]);
    expectTensorsClose(a.value, [0]);
    expectTensorsClose(b.value, [1]);
    expect(opt.step).toBe(1);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('[b]'));
    expect(() => applyGrads(opt, [a, b], [null, null])).toThrow('No gradients provided for any variable.');
  });

  it('applies constraints after the update', () => {
    const nonNeg: Constraint = { apply: (w) => tf.relu(w), getConfig: () => ({}) };
    const opt = new SGD({ learningRate: 1 });
    const a = variable([1, 1], 'a', nonNeg);
    applyGrads(opt, [a], [[2, 0.5]]);
    expectTensorsClose(a.value, [0, 0.5]);
  });

  it('fails before changing anything on a wrong gradient shape or an unknown variable', () => {
    const opt = new Adam();
    const vars = makeVariables();
    step(opt, vars);
    const before = vars.map(values);
    const bad = [tf.zeros([3]), tf.zeros([3])];
    expect(() => opt.apply(bad, vars)).toThrow(
      /Gradient 1 has shape \(3,\), but variable 'b' has shape \(2,\)/,
    );
    const stranger = variable([0, 0, 0], 'stranger');
    expect(() => opt.apply([bad[0], tf.zeros([2])], [stranger, vars[1]])).toThrow(
      /Unknown variable: 'stranger'/,
    );
    expect(() => opt.apply([bad[0]], vars)).toThrow(/1 gradients for 2 variables/);
    tf.dispose(bad);
    expect(vars.map(values)).toEqual(before);
    expect(opt.step).toBe(1);
  });

  it('takes the gradients alone once built', () => {
    const opt = new SGD({ learningRate: 1 });
    const a = variable([1]);
    expect(() => opt.apply([tf.ones([1])])).toThrow(/must already be built/);
    opt.build([a]);
    const g = tf.ones([1]);
    opt.apply([g]);
    g.dispose();
    expectTensorsClose(a.value, [0]);
  });
});

describe('bad arguments fail at once', () => {
  it('rejects a negative learning rate, two clipping arguments, a bad learning rate type and an unknown schedule', async () => {
    await expectNoLeakedTensors(() => {
      expect(() => new Adam({ learningRate: -0.1 })).toThrow('Received: learning_rate=-0.1');
      expect(() => new SGD({ learningRate: Number.NaN })).toThrow(ValueError);
      expect(() => new Adam({ clipnorm: 1, clipvalue: 1 })).toThrow(
        /Only one of `clipnorm`, `clipvalue` and `global_clipnorm`/,
      );
      expect(() => new SGD({ clipnorm: 1, globalClipnorm: 1 })).toThrow(ValueError);
      expect(() => new Adam({ learningRate: 'fast' as never })).toThrow(/learning_rate="fast"/);
      expect(() => new Adam({ beta1: 1 })).toThrow('beta_1=1');
      const unknown = {
        module: 'keras.optimizers.schedules',
        class_name: 'NoSuchDecay',
        config: {},
        registered_name: null,
      };
      expect(() => Adam.fromConfig({ learningRate: unknown })).toThrow(RegistryError);
      expect(() =>
        deserializeKerasObject('optimizer', {
          module: 'keras.optimizers',
          class_name: 'Adam',
          config: { learning_rate: unknown },
          registered_name: null,
        }),
      ).toThrow(/Unknown schedule: 'NoSuchDecay'/);
    });
  });
});

describe('memory and speed', () => {
  function manyVariables(n: number): Variable[] {
    return Array.from({ length: n }, (_, i) => variable([i, -i, 0.5], `v${i}`));
  }

  it('one step on 100 variables leaves no extra tensors (the first creates exactly the slots)', async () => {
    for (const make of [
      () => new Adam(),
      () => new Nadam({ weightDecay: 0.1, clipnorm: 1 }),
      () => new RMSprop({ momentum: 0.5, useEma: true, emaOverwriteFrequency: 1, globalClipnorm: 1 }),
      () => new SGD({ momentum: 0.9, gradientAccumulationSteps: 2, clipvalue: 1, lossScaleFactor: 4 }),
    ]) {
      const opt = make();
      const vars = manyVariables(100);
      const grads = vars.map((v) => tf.onesLike(v.value));
      const slotsBefore = opt.variables.length;
      const before = tf.memory().numTensors;
      opt.apply(grads, vars);
      expect(tf.memory().numTensors - before).toBe(opt.variables.length - slotsBefore);
      for (let i = 0; i < 3; i++) await expectNoLeakedTensors(() => opt.apply(grads, vars));
      tf.dispose(grads);
      opt.dispose();
      vars.forEach((v) => {
        v.dispose();
      });
    }
  });

  it('dispose releases every optimizer variable', async () => {
    await expectNoLeakedTensors(() => {
      const opt = new Adam({ useEma: true });
      const vars = makeVariables();
      step(opt, vars);
      opt.dispose();
      vars.forEach((v) => {
        v.dispose();
      });
    });
  });

  it('a step costs a fixed, small number of kernels per variable', async () => {
    const perVariable: [() => Optimizer, number][] = [
      [() => new SGD(), 2],
      [() => new SGD({ momentum: 0.9 }), 4],
      [() => new Adam(), 12],
      [() => new AdamW(), 13],
      [() => new RMSprop(), 9],
      [() => new Adagrad(), 7],
      [() => new Adadelta(), 16],
      [() => new Adamax(), 10],
      [() => new Nadam(), 15],
      [() => new Lion(), 9],
    ];
    for (const [make, budget] of perVariable) {
      const opt = make();
      const vars = manyVariables(10);
      const grads = vars.map((v) => tf.onesLike(v.value));
      opt.apply(grads, vars);
      const profile = await tf.profile(() => {
        opt.apply(grads, vars);
      });
      expect(profile.kernels.length, opt.getClassName()).toBeLessThanOrEqual(budget * 10);
      tf.dispose(grads);
      opt.dispose();
      vars.forEach((v) => {
        v.dispose();
      });
    }
  });
});
