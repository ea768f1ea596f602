/**
 * Every registered optimizer and learning-rate schedule against Keras 3 (goldens/optimizers.json,
 * goldens/schedules.json): five steps from the same weights and gradients, by default and with the
 * optimizer's options (amsgrad, nesterov, centered, ...) and the base options (clipnorm, clipvalue,
 * globalClipnorm, weightDecay, useEma, gradientAccumulationSteps); every schedule at steps 0 to 1,000;
 * configs both ways.
 */
import {
  configFromKeras,
  type LearningRateSchedule,
  type Optimizer,
  registry,
  serializeKerasObject,
  Variable,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect } from 'vitest';

import '../../src/index.js';
import {
  type Encoded,
  expectClose,
  expectConfigMatches,
  type KerasJSON,
  noLeaks,
  readGolden,
  tensorOf,
  toleranceFor,
  walkKind,
} from './harness.js';

interface OptimizerCase {
  args: Record<string, unknown>;
  keras: KerasJSON;
  initial: Encoded[];
  grads: Encoded[][];
  steps: Encoded[][];
}
const optimizerGolden = readGolden<{ cases: Record<string, OptimizerCase[]> }>('optimizers.json');
const scheduleGolden = readGolden<{ cases: Record<string, { keras: KerasJSON; values: number[] }[]> }>(
  'schedules.json',
);

type OptimizerClass = new (args: Record<string, unknown>) => Optimizer;
type ScheduleClass = new (args: Record<string, unknown>) => LearningRateSchedule;

function checkOptimizer(name: string): Promise<void> {
  return noLeaks(() => {
    const Cls = registry.get<OptimizerClass>('optimizer', name);
    optimizerGolden.cases[name].forEach((c, i) => {
      const what = `${name} #${i} ${JSON.stringify(c.args)}`;
      const tol = toleranceFor(`optimizer:${name}`);
      const opt = new Cls(configFromKeras({ ...c.args, name: c.keras.config.name }));
      const variables = c.initial.map((w, k) => {
        const init = tensorOf(w);
        const v = new Variable({ initialValue: init, name: `w${k}` });
        init.dispose();
        return v;
      });
      try {
        const written = serializeKerasObject('optimizer', opt);
        expect(written.class_name).toBe(c.keras.class_name);
        expectConfigMatches(written.config, c.keras.config, what);
        c.grads.forEach((step, s) => {
          const grads = step.map((g) => tensorOf(g));
          opt.apply(grads, variables);
          tf.dispose(grads);
          variables.forEach((v, k) => {
            expectClose(v.value, c.steps[s][k], `${what}: w${k} after step ${s + 1}`, tol);
          });
        });
      } finally {
        for (const v of variables) v.value.dispose();
        for (const v of opt.variables) v.value.dispose();
      }
    });
  });
}

function checkSchedule(name: string): void {
  const Cls = registry.get<ScheduleClass>('schedule', name);
  scheduleGolden.cases[name].forEach((c, i) => {
    const what = `${name} #${i} ${JSON.stringify(c.keras.config)}`;
    const s = new Cls(configFromKeras(c.keras.config));
    const written = serializeKerasObject('schedule', s);
    expect(written.class_name).toBe(c.keras.class_name);
    expectConfigMatches(written.config, c.keras.config, what);
    const values = c.values.map((_, step) => s.call(step));
    expectClose(values, c.values, `${what}: steps 0..1000`, toleranceFor(`schedule:${name}`));
  });
}

describe('optimizers against Keras 3', () => {
  walkKind('optimizer', Object.keys(optimizerGolden.cases), checkOptimizer);
});

describe('learning-rate schedules against Keras 3', () => {
  walkKind('schedule', Object.keys(scheduleGolden.cases), checkSchedule);
});
