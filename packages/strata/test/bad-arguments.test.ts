/**
 * Bad arguments at every public entry point (issue 25): each case must throw a clear error that names the
 * argument, before any weight changes, without leaking a tensor, and leave the model able to train.
 * `error` is what the message must contain: the argument's name (Keras's snake_case where Keras words the
 * error) and, where it helps, what was received.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { setBackend } from '@strata/backends';
import {
  CSVLogger,
  EarlyStopping,
  LambdaCallback,
  ModelCheckpoint,
  ReduceLROnPlateau,
} from '@strata/callbacks';
import { Callback, input, Model, Sequential } from '@strata/core';
import { loadModel } from '@strata/io';
import {
  Activation,
  BatchNormalization,
  Conv2D,
  Dense,
  Dropout,
  Embedding,
  Flatten,
  LSTM,
  MaxPooling2D,
  Reshape,
} from '@strata/layers';
import { AUC, losses, Precision } from '@strata/losses-metrics';
import { Adam, RMSprop, SGD } from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'strata-bad-args-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let model: Sequential;
let x: tf.Tensor2D;
let y: tf.Tensor2D;
/** Argument tensors of the cases, made once so that the leak check sees only what the call under test makes. */
const T: Record<string, tf.Tensor> = {};

beforeAll(async () => {
  tf.setBackend('cpu');
  model = new Sequential([
    new Dense({ units: 3, inputShape: [4], name: 'hidden' }),
    new Dense({ units: 2, name: 'out' }),
  ]);
  model.compile({ optimizer: new SGD({ learningRate: 0.01 }), loss: 'mse', metrics: ['mae'] });
  x = tf.randomNormal([8, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
  y = tf.randomNormal([8, 2], 0, 1, 'float32', 2) as tf.Tensor2D;
  Object.assign(T, {
    x3: tf.zeros([8, 3]),
    y3: tf.zeros([8, 3]),
    y7: tf.zeros([7, 2]),
    x0: tf.zeros([0, 4]),
    y0: tf.zeros([0, 2]),
    sw5: tf.ones([5]),
    sw8: tf.ones([8]),
  });
  // One step first, so the optimizer's variables exist before any tensor count is taken.
  await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
});

afterAll(() => {
  model.dispose();
  tf.dispose([x, y, ...Object.values(T)]);
});

type Run = () => unknown;
interface Case {
  entry: string;
  what: string;
  run: Run;
  error: string | RegExp;
}

const x3 = () => T.x3;
/** Builds layers for a model the case expects to fail, and disposes them after. */
const withLayers = (make: (keep: <L extends { dispose(): void }>(l: L) => L) => unknown) => () => {
  const made: { dispose(): void }[] = [];
  try {
    return make((l) => {
      made.push(l);
      return l;
    });
  } finally {
    for (const l of made) l.dispose();
  }
};
const cases: Case[] = [];
const add = (entry: string, what: string, error: string | RegExp, run: Run) => {
  cases.push({ entry, what, error, run });
};

// ---- layer constructors ----------------------------------------------------------------------------
add(
  'Dense',
  'a misspelt argument',
  /Unrecognized keyword arguments passed to Dense: \{'unitz': 3\}\. Did you mean 'units'\?/,
  () => new Dense({ units: 2, unitz: 3 } as never),
);
add(
  'Dense',
  'snake_case argument',
  /'kernel_initializer'.*Did you mean 'kernelInitializer'/,
  () => new Dense({ units: 2, kernel_initializer: 'zeros' } as never),
);
add('Dense', 'units=-1', 'units=-1', () => new Dense({ units: -1 }));
add('Dense', 'units=0', 'units=0', () => new Dense({ units: 0 }));
add('Dense', 'units=2.5', 'units=2.5', () => new Dense({ units: 2.5 }));
add('Dense', 'unknown activation', 'nope', () => new Dense({ units: 2, activation: 'nope' as never }));
add(
  'Dense',
  'unknown initializer',
  'nope',
  () => new Dense({ units: 2, kernelInitializer: 'nope' as never }),
);
add(
  'Dense',
  'unknown regularizer',
  'nope',
  () => new Dense({ units: 2, kernelRegularizer: 'nope' as never }),
);
add('Dropout', 'rate=2', 'rate=2', () => new Dropout({ rate: 2 }));
add(
  'Dropout',
  'a misspelt argument',
  /'rat'.*Did you mean 'rate'/,
  () => new Dropout({ rate: 0.5, rat: 1 } as never),
);
add('Conv2D', 'filters=0', 'filters', () => new Conv2D({ filters: 0, kernelSize: 3 }));
add(
  'Conv2D',
  'padding',
  'padding',
  () => new Conv2D({ filters: 2, kernelSize: 3, padding: 'bogus' as never }),
);
add('Conv2D', 'strides=0', 'strides', () => new Conv2D({ filters: 2, kernelSize: 3, strides: 0 }));
add('Conv2D', 'kernelSize=0', 'kernel_size', () => new Conv2D({ filters: 2, kernelSize: 0 }));
add('MaxPooling2D', 'poolSize=0', 'pool_size', () => new MaxPooling2D({ poolSize: 0 }));
add('Flatten', 'dataFormat', 'data_format', () => new Flatten({ dataFormat: 'bogus' as never }));
add(
  'BatchNormalization',
  'a misspelt argument',
  /'axiz'.*Did you mean 'axis'/,
  () => new BatchNormalization({ axiz: -1 } as never),
);
add('LSTM', 'units=0', 'units', () => new LSTM({ units: 0 }));
add(
  'LSTM',
  'a misspelt argument',
  /'recurentDropout'.*Did you mean 'recurrentDropout'/,
  () => new LSTM({ units: 4, recurentDropout: 0.1 } as never),
);
add('Embedding', 'inputDim=0', 'input_dim', () => new Embedding({ inputDim: 0, outputDim: 2 }));
add('Activation', 'unknown activation', 'bogus', () => new Activation({ activation: 'bogus' as never }));
add('Reshape', 'two unknown dimensions', 'target_shape', () => new Reshape({ targetShape: [-1, -1] }));
add('input', 'a negative dimension', 'shape=(None, -1)', () => input({ shape: [-1] }));

// ---- Sequential and Model constructors --------------------------------------------------------------
add('Sequential', 'a non-layer entry', 'Only instances of Layer', () => new Sequential([42 as never]));
add(
  'Sequential',
  'a misspelt argument',
  /'layerz'.*Did you mean 'layers'/,
  () => new Sequential({ layerz: [] } as never),
);
add(
  'Sequential',
  'two layers with one name',
  "Name 'same' is already the name of a layer",
  withLayers(
    (keep) =>
      new Sequential([
        keep(new Dense({ units: 2, inputShape: [4], name: 'same' })),
        keep(new Dense({ units: 2, name: 'same' })),
      ]),
  ),
);
add('Sequential', 'countParams() unbuilt', 'countParams', () =>
  new Sequential([new Dense({ units: 2 })]).countParams(),
);
add('Dense', 'countParams() unbuilt', 'countParams', () => new Dense({ units: 2 }).countParams());
add(
  'Model',
  'two layers with one name',
  'The name "twin" is used 2 times',
  withLayers((keep) => {
    const a = input({ shape: [4] });
    const h = keep(new Dense({ units: 2, name: 'twin' })).apply(a);
    return new Model({ inputs: a, outputs: keep(new Dense({ units: 2, name: 'twin' })).apply(h) });
  }),
);
add(
  'Model',
  'outputs not symbolic',
  'Received: 42 (of type number)',
  () => new Model({ inputs: input({ shape: [4] }), outputs: 42 as never }),
);
add(
  'Model',
  'a misspelt argument',
  /'outputz'.*Did you mean 'outputs'/,
  withLayers((keep) => {
    const a = input({ shape: [4] });
    return new Model({ inputs: a, outputz: keep(new Dense({ units: 2 })).apply(a) } as never);
  }),
);
add(
  'Model',
  'inputs not from input()',
  'every input must come from input()',
  withLayers((keep) => {
    const a = input({ shape: [4] });
    const h = keep(new Dense({ units: 2 })).apply(a);
    return new Model({ inputs: h, outputs: keep(new Dense({ units: 2 })).apply(h) });
  }),
);

// ---- compile (a failed compile keeps the earlier one) -----------------------------------------------
const compile = (args: object) => () => model.compile(args as never);
add('compile', 'loss=42', 'loss=42', compile({ optimizer: 'sgd', loss: 42 }));
add('compile', 'unknown loss', "'nope'", compile({ optimizer: 'sgd', loss: 'nope' }));
add(
  'compile',
  "metrics='mae'",
  'Expected `metrics` argument to be a list, tuple, or dict. Received instead: metrics=mae',
  compile({ optimizer: 'sgd', loss: 'mse', metrics: 'mae' }),
);
add(
  'compile',
  "weightedMetrics='mae'",
  '`weighted_metrics`',
  compile({ optimizer: 'sgd', loss: 'mse', weightedMetrics: 'mae' }),
);
add('compile', 'unknown metric', "'nope'", compile({ optimizer: 'sgd', loss: 'mse', metrics: ['nope'] }));
add('compile', 'metric 42', 'metric identifier', compile({ optimizer: 'sgd', loss: 'mse', metrics: [42] }));
add('compile', 'unknown optimizer', "'nope'", compile({ optimizer: 'nope', loss: 'mse' }));
add('compile', 'optimizer=42', 'optimizer identifier: 42', compile({ optimizer: 42, loss: 'mse' }));
add('compile', 'no optimizer', 'optimizer=undefined', compile({ loss: 'mse' }));
add(
  'compile',
  'lossWeights too long',
  'loss_weights',
  compile({ optimizer: 'sgd', loss: 'mse', lossWeights: [1, 2] }),
);
add(
  'compile',
  'lossWeights not numbers',
  'loss_weights',
  compile({ optimizer: 'sgd', loss: 'mse', lossWeights: ['a'] }),
);
add(
  'compile',
  'loss for an unknown output',
  'Unknown entries in loss: [nowhere]',
  compile({ optimizer: 'sgd', loss: { nowhere: 'mse' } }),
);
add(
  'compile',
  'a misspelt argument',
  /'metricz'.*Did you mean 'metrics'/,
  compile({ optimizer: 'sgd', loss: 'mse', metricz: [] }),
);

// ---- fit ----------------------------------------------------------------------------------------------
const fit =
  (args: object, xs: () => unknown = () => x, ys: () => unknown = () => y) =>
  () =>
    model.fit(xs() as never, ys() as never, { verbose: 0, ...args });
add('fit', 'validationFreq=0', 'validation_freq=0', fit({ validationFreq: 0, validationSplit: 0.25 }));
add('fit', 'validationFreq=[0]', 'validation_freq=[0]', fit({ validationFreq: [0], validationSplit: 0.25 }));
add('fit', 'callbacks=[42]', 'callbacks[0]=42', fit({ callbacks: [42] }));
add('fit', 'callbacks=42', 'callbacks=42', fit({ callbacks: 42 }));
add(
  'fit',
  '0 samples',
  'Expected at least one sample',
  fit(
    {},
    () => T.x0,
    () => T.y0,
  ),
);
add(
  'fit',
  'a ragged nested array',
  'ragged',
  fit(
    {},
    () => [
      [1, 2, 3, 4],
      [1, 2],
    ],
    () => [
      [0, 0],
      [0, 0],
    ],
  ),
);
add(
  'fit',
  'strings in a nested array',
  'numbers',
  fit(
    {},
    () => [['a', 'b', 'c', 'd']],
    () => [[0, 0]],
  ),
);
add('fit', 'x of the wrong width', 'expected shape=(None, 4), found shape=(8, 3)', fit({}, x3));
add(
  'fit',
  'targets [8, 3] for 2 outputs',
  'Received: y_true.shape=(8, 3), y_pred.shape=(8, 2)',
  fit(
    {},
    () => x,
    () => T.y3,
  ),
);
add('fit', 'batchSize=0', 'batch_size=0', fit({ batchSize: 0 }));
add('fit', 'batchSize=1.5', 'batch_size=1.5', fit({ batchSize: 1.5 }));
add('fit', 'epochs=-1', 'epochs=-1', fit({ epochs: -1 }));
add('fit', 'epochs=1.5', 'epochs=1.5', fit({ epochs: 1.5 }));
add('fit', 'validationSplit=1', 'validation_split=1', fit({ validationSplit: 1 }));
add('fit', 'validationSplit=-0.1', 'validation_split=-0.1', fit({ validationSplit: -0.1 }));
add(
  'fit',
  'validationSplit leaving no training samples',
  'validation_split=0.99',
  fit({ validationSplit: 0.99 }),
);
add('fit', 'validationData of one array', 'validation_data=an array of length 1', () =>
  model.fit(x, y, { verbose: 0, validationData: [x] as never }),
);
add('fit', 'validationData of the wrong width', 'found shape=(8, 3)', () =>
  model.fit(x, y, { verbose: 0, validationData: [x3(), y] }),
);
add(
  'fit',
  'x and y of different lengths',
  'Data cardinality is ambiguous',
  fit(
    {},
    () => x,
    () => T.y7,
  ),
);
add('fit', 'sampleWeight of the wrong length', 'Data cardinality is ambiguous', () =>
  model.fit(x, y, { verbose: 0, sampleWeight: T.sw5 }),
);
add('fit', 'classWeight with sampleWeight', 'class_weight', () =>
  model.fit(x, y, { verbose: 0, classWeight: { 0: 1 }, sampleWeight: T.sw8 }),
);
add('fit', 'stepsPerEpoch=0', 'steps_per_epoch=0', fit({ stepsPerEpoch: 0 }));
add('fit', 'validationSteps=0', 'validation_steps=0', fit({ validationSteps: 0 }));
add('fit', 'initialEpoch=-1', 'initial_epoch=-1', fit({ initialEpoch: -1 }));
add(
  'fit',
  'validationBatchSize=0',
  'validation_batch_size=0',
  fit({ validationBatchSize: 0, validationSplit: 0.25 }),
);
add('fit', 'a misspelt argument', /'epoch'.*Did you mean 'epochs'/, fit({ epoch: 3 }));
add(
  'fit',
  'no targets',
  'needs targets `y`',
  fit(
    {},
    () => x,
    () => undefined,
  ),
);
add(
  'fit',
  'a record with an unknown input name',
  'unknown key(s) [nope]',
  fit({}, () => ({ nope: x })),
);
add(
  'fit',
  'a string as x',
  'abc',
  fit({}, () => 'abc'),
);
add('fit', 'a ModelCheckpoint into a missing folder', 'does not exist', () =>
  model.fit(x, y, {
    verbose: 0,
    callbacks: [new ModelCheckpoint({ filepath: join(dir, 'missing', 'm.keras') })],
  }),
);

// ---- evaluate, predict and the *OnBatch calls ----------------------------------------------------------
add('evaluate', 'batchSize=0', 'batch_size=0', () => model.evaluate(x, y, { batchSize: 0, verbose: 0 }));
add('evaluate', 'steps=0', 'steps=0', () => model.evaluate(x, y, { steps: 0, verbose: 0 }));
add('evaluate', 'a misspelt argument', /'returnDic'.*Did you mean 'returnDict'/, () =>
  model.evaluate(x, y, { returnDic: true } as never),
);
add('evaluate', '0 samples', 'Expected at least one sample', () =>
  model.evaluate(T.x0, T.y0, { verbose: 0 }),
);
add('evaluate', 'no targets', 'needs targets `y`', () =>
  model.evaluate(x, undefined as never, { verbose: 0 }),
);
add('evaluate', 'callbacks=[42]', 'callbacks[0]=42', () =>
  model.evaluate(x, y, { callbacks: [42 as never], verbose: 0 }),
);
add('evaluate', 'x of the wrong width', 'found shape=(8, 3)', () => model.evaluate(x3(), y, { verbose: 0 }));
add('predict', 'batchSize=0', 'batch_size=0', () => model.predict(x, { batchSize: 0 }));
add('predict', 'a misspelt argument', /'batch_size'.*Did you mean 'batchSize'/, () =>
  model.predict(x, { batch_size: 2 } as never),
);
add('predict', '0 samples', 'Expected at least one sample', () => model.predict(T.x0));
add('predict', 'x of the wrong width', 'found shape=(8, 3)', () => model.predict(x3()));
add('predict', 'a ragged nested array', 'ragged', () => model.predict([[1, 2, 3, 4], [1]] as never));
add('predict', 'callbacks=[null]', 'callbacks[0]=null', () =>
  model.predict(x, { callbacks: [null as never] }),
);
add('predict', 'steps=-1', 'steps=-1', () => model.predict(x, { steps: -1 }));
add('predict', 'two inputs for one', 'expects 1 input(s)', () => model.predict([x, x]));
add('trainOnBatch', 'no targets', 'needs targets `y`', () => model.trainOnBatch(x, undefined as never));
add('trainOnBatch', 'targets [8, 3]', 'y_true.shape=(8, 3)', () => model.trainOnBatch(x, T.y3));
add('trainOnBatch', 'a misspelt argument', /'sampleWeights'.*Did you mean 'sampleWeight'/, () =>
  model.trainOnBatch(x, y, { sampleWeights: [] } as never),
);
add('trainOnBatch', 'a ragged nested array', 'ragged', () =>
  model.trainOnBatch(
    [
      [1, 2, 3, 4],
      [1, 2, 3],
    ] as never,
    [
      [0, 0],
      [0, 0],
    ],
  ),
);
add('testOnBatch', 'no targets', 'needs targets `y`', () => model.testOnBatch(x, undefined as never));
add('testOnBatch', 'a misspelt argument', /'returnDic'.*Did you mean 'returnDict'/, () =>
  model.testOnBatch(x, y, { returnDic: true } as never),
);
add('testOnBatch', 'x of the wrong width', 'found shape=(8, 3)', () => model.testOnBatch(x3(), y));
add('predictOnBatch', 'x of the wrong width', 'found shape=(8, 3)', () => model.predictOnBatch(x3()));
add('predictOnBatch', '0 samples', 'Expected at least one sample', () => model.predictOnBatch(T.x0));

// ---- save, saveWeights, loadWeights, loadModel -----------------------------------------------------------
add('save', 'into a missing folder', "the folder '", () => model.save(join(dir, 'missing', 'model.keras')));
add('save', 'an unknown extension', 'model.txt', () => model.save(join(dir, 'model.txt')));
add('saveWeights', 'into a missing folder', 'does not exist', () =>
  model.saveWeights(join(dir, 'missing', 'm.weights.h5')),
);
add('saveWeights', 'a name without .weights.h5', '.weights.h5', () =>
  model.saveWeights(join(dir, 'm.keras')),
);
add('loadWeights', 'a missing file', 'nowhere.weights.h5', () =>
  model.loadWeights(join(dir, 'nowhere.weights.h5')),
);
add('loadWeights', 'weights of another architecture', /hidden|kernel|shape|expects/, async () => {
  const file = join(dir, 'other.weights.h5');
  const other = new Sequential([new Dense({ units: 5, inputShape: [4] }), new Dense({ units: 2 })]);
  await other.saveWeights(file);
  other.dispose();
  await model.loadWeights(file);
});
add('loadModel', 'a missing file', 'nowhere.keras', () => loadModel(join(dir, 'nowhere.keras')));
add('loadModel', 'a text file', 'not', () => {
  const file = join(dir, 'text.keras');
  writeFileSync(file, 'not a model');
  return loadModel(file);
});

// ---- optimizers, losses, metrics, callbacks, backends -------------------------------------------------------
add('Adam', 'learningRate as a string', 'learning_rate', () => new Adam({ learningRate: 'x' as never }));
add('SGD', 'momentum=-1', 'momentum', () => new SGD({ momentum: -1 }));
add(
  'RMSprop',
  'gradientAccumulationSteps=1',
  'gradient_accumulation_steps=1',
  () => new RMSprop({ gradientAccumulationSteps: 1 }),
);
add('SGD', 'weightDecay as a string', 'weight_decay', () => new SGD({ weightDecay: 'x' as never }));
add(
  'RMSprop',
  'a misspelt argument',
  /'learnin_rate'.*Did you mean 'learningRate'\?/,
  () => new RMSprop({ learnin_rate: 1 } as never),
);
add(
  'Adam',
  'a misspelt argument',
  /'beta_1'.*Did you mean 'beta1'\?/,
  () => new Adam({ beta_1: 0.8 } as never),
);
add(
  'MeanSquaredError',
  'a misspelt argument',
  /'reducton'.*Did you mean 'reduction'\?/,
  () => new losses.MeanSquaredError({ reducton: 'sum' } as never),
);
add(
  'Precision',
  'a misspelt argument',
  /'threshold'.*Did you mean 'thresholds'\?/,
  () => new Precision({ threshold: 0.3 } as never),
);
add(
  'Adam',
  'clipnorm and clipvalue together',
  /clipnorm|clipvalue/,
  () => new Adam({ clipnorm: 1, clipvalue: 1 } as never),
);
add(
  'MeanSquaredError',
  'reduction',
  'reduction',
  () => new losses.MeanSquaredError({ reduction: 'bogus' as never }),
);
add(
  'CategoricalCrossentropy',
  'reduction',
  'reduction',
  () => new losses.CategoricalCrossentropy({ reduction: 'bogus' as never }),
);
add('AUC', 'numThresholds=1', 'num_thresholds=1', () => new AUC({ numThresholds: 1 }));
add(
  'Precision',
  'thresholds=2',
  'Threshold values must be in [0, 1]. Received: [2]',
  () => new Precision({ thresholds: 2 }),
);
add('AUC', 'curve', 'curve', () => new AUC({ curve: 'bogus' as never }));
add(
  'ModelCheckpoint',
  'a filepath without .keras',
  'filepath',
  () => new ModelCheckpoint({ filepath: join(dir, 'm.txt') }),
);
add(
  'ModelCheckpoint',
  'saveFreq as an unknown string',
  'save_freq',
  () => new ModelCheckpoint({ filepath: join(dir, 'm.keras'), saveFreq: 'bogus' as never }),
);
add('ReduceLROnPlateau', 'factor=1', 'factor', () => new ReduceLROnPlateau({ factor: 1 }));
add('EarlyStopping', 'patience=-1', 'patience', () => new EarlyStopping({ patience: -1 }));
add('CSVLogger', 'no filename', 'filename', () => new CSVLogger({} as never));
add(
  'LambdaCallback',
  'a hook that is not a function',
  'onEpochEnd',
  () => new LambdaCallback({ onEpochEnd: 42 } as never),
);
add('setBackend', 'an unknown backend', 'bogus', () => setBackend('bogus' as never));

/** Weight values as plain arrays, to compare before and after a failed call. */
function snapshot(m: Model): number[][] {
  return m.getWeights().map((w) => {
    const v = Array.from(w.dataSync());
    w.dispose();
    return v;
  });
}

describe('bad arguments', () => {
  test('the table covers every public entry point with at least 80 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(80);
    const entries = new Set(cases.map((c) => c.entry));
    for (const e of [
      'Dense',
      'Sequential',
      'Model',
      'compile',
      'fit',
      'evaluate',
      'predict',
      'trainOnBatch',
      'testOnBatch',
      'predictOnBatch',
      'save',
      'saveWeights',
      'loadWeights',
      'loadModel',
      'Adam',
      'MeanSquaredError',
      'AUC',
      'ModelCheckpoint',
      'setBackend',
    ])
      expect(entries).toContain(e);
  });

  test.each(cases.map((c) => [`${c.entry}: ${c.what}`, c] as const))('%s', async (_name, c) => {
    const weights = snapshot(model);
    const optimizerStep = Array.from(model.optimizer!.iterations.value.dataSync());
    const before = tf.memory().numTensors;
    let error: unknown = null;
    try {
      await c.run();
    } catch (e) {
      error = e;
    }
    // Tensors the case made for its own arguments are not the code's to free.
    const made = tf.memory().numTensors - before;
    expect(error, 'expected an error').toBeInstanceOf(Error);
    const message = (error as Error).message;
    if (typeof c.error === 'string') expect(message).toContain(c.error);
    else expect(message).toMatch(c.error);
    expect(made, 'tensors left behind').toBe(0);
    expect(snapshot(model)).toEqual(weights);
    expect(Array.from(model.optimizer!.iterations.value.dataSync())).toEqual(optimizerStep);
    expect(readdirSync(dir).filter((f) => f === 'missing')).toEqual([]);
    const history = await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    expect(Number.isFinite(history.history.loss[0])).toBe(true);
    expect(snapshot(model)).not.toEqual(weights);
  });
});
