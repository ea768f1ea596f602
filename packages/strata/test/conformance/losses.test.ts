/**
 * Every registered loss against Keras 3 (goldens/losses.json): value and gradient wrt yPred on rank 1, 2
 * and 3 inputs, every reduction, sample weights, the loss's own options (fromLogits, labelSmoothing, axis,
 * ...), the config both ways, Keras's alias table, and five SGD steps of a small model from Keras's weights.
 */
import { configFromKeras, type Loss, registry, serializeKerasObject } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { layers, optimizers, Sequential } from '../../src/index.js';
import {
  checkAliases,
  type Encoded,
  expectClose,
  expectConfigMatches,
  functionClasses,
  type KerasJSON,
  noLeaks,
  readGolden,
  shapeOf,
  tensorOf,
  toleranceFor,
  walkKind,
} from './harness.js';

interface LossCase {
  args: Record<string, unknown>;
  keras: KerasJSON;
  y_true: Encoded;
  y_true_dtype: 'float32' | 'int32';
  y_pred: Encoded;
  sample_weight: Encoded | null;
  value: Encoded;
  grad: Encoded;
}
interface Training {
  activation: string;
  x: Encoded;
  y: Encoded;
  y_dtype: 'float32' | 'int32';
  initial_weights: Encoded[];
  losses: number[];
  final_weights: Encoded[];
}
const golden = readGolden<{
  cases: Record<string, LossCase[]>;
  training: Record<string, Training>;
  aliases: Record<string, string>;
}>('losses.json');

type LossClass = new (args: Record<string, unknown>) => Loss;

const LOSS_FUNCTION_CLASSES = functionClasses(golden.aliases);

function checkLoss(name: string): Promise<void> {
  return noLeaks(() => {
    const Cls = registry.get<LossClass>('loss', name);
    golden.cases[name].forEach((c, i) => {
      const what = `${name} #${i} ${JSON.stringify(c.args)} yPred [${shapeOf(c.y_pred)}]`;
      const loss = new Cls(configFromKeras({ ...c.args, name: c.keras.config.name }));
      const written = serializeKerasObject('loss', loss);
      expect(written.class_name).toBe(c.keras.class_name);
      expectConfigMatches(written.config, c.keras.config, what);
      const tol = toleranceFor(`loss:${name}`);
      tf.tidy(() => {
        const yt = tensorOf(c.y_true, c.y_true_dtype);
        const yp = tensorOf(c.y_pred);
        const sw = c.sample_weight == null ? undefined : tensorOf(c.sample_weight);
        expectClose(loss.apply(yt, yp, sw), c.value, `${what}: value`, tol);
        const grad = tf.grad((p: tf.Tensor) => tf.sum(loss.apply(yt, p, sw)))(yp);
        expectClose(grad, c.grad, `${what}: gradient wrt yPred`, tol);
      });
    });
  });
}

describe('losses against Keras 3', () => {
  walkKind('loss', Object.keys(golden.cases), checkLoss);

  it("resolves Keras's loss aliases to the classes Keras does", () => {
    checkAliases('loss', golden.aliases, LOSS_FUNCTION_CLASSES);
  });

  for (const [name, t] of Object.entries(golden.training)) {
    it(`${name}: five SGD steps of Dense(4) from Keras's weights give Keras's losses and weights`, async () => {
      const Cls = registry.get<LossClass>('loss', name);
      const model = new Sequential([
        new layers.Dense({ units: 4, activation: t.activation, inputShape: [3] } as never),
      ]);
      const initial = t.initial_weights.map((w) => tensorOf(w));
      model.setWeights(initial);
      tf.dispose(initial);
      model.compile({ optimizer: new optimizers.SGD({ learningRate: 0.1 }), loss: new Cls({}) });
      const x = tensorOf(t.x);
      const y = tensorOf(t.y, t.y_dtype);
      const tol = toleranceFor(`loss-training:${name}`);
      const losses: number[] = [];
      for (let step = 0; step < 5; step++) losses.push((await model.trainOnBatch(x, y)) as number);
      expectClose(losses, t.losses, `${name}: training losses`, tol);
      const weights = model.getWeights();
      weights.forEach((w, i) => {
        expectClose(w, t.final_weights[i], `${name}: weight ${i} after 5 steps`, tol);
      });
      tf.dispose([x, y, ...weights]);
    });
  }
});
