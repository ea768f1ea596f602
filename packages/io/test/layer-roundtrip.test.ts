import { input, type Layer, Model, registry, Sequential, type SymbolicTensor } from '@strata/core';
import '@strata/layers';
import '@strata/losses-metrics';
import '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { loadModel, MemoryTarget } from '../src/index.js';
import { readKerasArchive } from '../src/internal.js';
import { DEFAULT_READ_LIMITS } from '../src/limits.js';
import type { ModelLike } from '../src/weights/model-shape.js';

interface Case {
  args: Record<string, unknown>;
  /** Per-sample input shape; two entries for merging layers. */
  inputs: number[][];
  int?: boolean;
}

const V = [4];
const SEQ = [8, 3];
const IMG = [6, 6, 2];

/** One small configuration per layer class of @strata/layers. */
const CASES: Record<string, Case> = {
  Dense: { args: { units: 3, activation: 'tanh' }, inputs: [V] },
  Activation: { args: { activation: 'relu' }, inputs: [V] },
  Identity: { args: {}, inputs: [V] },
  Masking: { args: { maskValue: 0 }, inputs: [SEQ] },
  Embedding: { args: { inputDim: 10, outputDim: 3 }, inputs: [[5]], int: true },
  Conv1D: { args: { filters: 2, kernelSize: 3 }, inputs: [SEQ] },
  Conv2D: { args: { filters: 2, kernelSize: 3, activation: 'relu' }, inputs: [IMG] },
  Conv2DTranspose: { args: { filters: 2, kernelSize: 3 }, inputs: [IMG] },
  DepthwiseConv2D: { args: { kernelSize: 3 }, inputs: [IMG] },
  SeparableConv2D: { args: { filters: 2, kernelSize: 3 }, inputs: [IMG] },
  MaxPooling1D: { args: { poolSize: 2 }, inputs: [SEQ] },
  AveragePooling1D: { args: { poolSize: 2 }, inputs: [SEQ] },
  MaxPooling2D: { args: { poolSize: 2 }, inputs: [IMG] },
  AveragePooling2D: { args: { poolSize: 2 }, inputs: [IMG] },
  GlobalMaxPooling1D: { args: {}, inputs: [SEQ] },
  GlobalAveragePooling1D: { args: {}, inputs: [SEQ] },
  GlobalMaxPooling2D: { args: {}, inputs: [IMG] },
  GlobalAveragePooling2D: { args: {}, inputs: [IMG] },
  BatchNormalization: { args: {}, inputs: [V] },
  LayerNormalization: { args: {}, inputs: [V] },
  Dropout: { args: { rate: 0.5 }, inputs: [V] },
  GaussianNoise: { args: { stddev: 0.1 }, inputs: [V] },
  GaussianDropout: { args: { rate: 0.2 }, inputs: [V] },
  SpatialDropout1D: { args: { rate: 0.2 }, inputs: [SEQ] },
  SpatialDropout2D: { args: { rate: 0.2 }, inputs: [IMG] },
  ActivityRegularization: { args: { l1: 0.01 }, inputs: [V] },
  Flatten: { args: {}, inputs: [SEQ] },
  Reshape: { args: { targetShape: [3, 8] }, inputs: [SEQ] },
  Permute: { args: { dims: [2, 1] }, inputs: [SEQ] },
  RepeatVector: { args: { n: 2 }, inputs: [V] },
  ZeroPadding1D: { args: { padding: 1 }, inputs: [SEQ] },
  ZeroPadding2D: { args: { padding: 1 }, inputs: [IMG] },
  Cropping1D: { args: { cropping: 1 }, inputs: [SEQ] },
  Cropping2D: { args: { cropping: 1 }, inputs: [IMG] },
  UpSampling1D: { args: { size: 2 }, inputs: [SEQ] },
  UpSampling2D: { args: { size: 2 }, inputs: [IMG] },
  Add: { args: {}, inputs: [V, V] },
  Subtract: { args: {}, inputs: [V, V] },
  Multiply: { args: {}, inputs: [V, V] },
  Average: { args: {}, inputs: [V, V] },
  Maximum: { args: {}, inputs: [V, V] },
  Minimum: { args: {}, inputs: [V, V] },
  Concatenate: { args: {}, inputs: [V, V] },
  Dot: { args: { axes: 1 }, inputs: [V, V] },
  EinsumDense: { args: { equation: 'ab,bc->ac', outputShape: 5 }, inputs: [V] },
  MultiHeadAttention: { args: { numHeads: 2, keyDim: 3 }, inputs: [SEQ, SEQ] },
  Attention: { args: {}, inputs: [SEQ, SEQ] },
  AdditiveAttention: { args: {}, inputs: [SEQ, SEQ] },
  Rescaling: { args: { scale: 0.5, offset: 1 }, inputs: [IMG] },
  Normalization: { args: { mean: [0.5, 1], variance: [2, 3] }, inputs: [IMG] },
  Resizing: { args: { height: 4, width: 3 }, inputs: [IMG] },
  CenterCrop: { args: { height: 4, width: 4 }, inputs: [IMG] },
  RandomFlip: { args: {}, inputs: [IMG] },
  RandomRotation: { args: { factor: 0.1 }, inputs: [IMG] },
  RandomZoom: { args: { heightFactor: 0.1 }, inputs: [IMG] },
  SimpleRNN: { args: { units: 3 }, inputs: [SEQ] },
  LSTM: { args: { units: 3, returnSequences: true }, inputs: [SEQ] },
  GRU: { args: { units: 3 }, inputs: [SEQ] },
  RNN: {
    args: {
      cell: { class_name: 'LSTMCell', config: { units: 3 }, module: 'keras.layers', registered_name: null },
    },
    inputs: [SEQ],
  },
  Bidirectional: {
    args: {
      layer: {
        class_name: 'GRU',
        config: { units: 2, name: 'inner_gru' },
        module: 'keras.layers',
        registered_name: null,
      },
    },
    inputs: [SEQ],
  },
  TimeDistributed: {
    args: {
      layer: {
        class_name: 'Dense',
        config: { units: 2, name: 'inner_dense' },
        module: 'keras.layers',
        registered_name: null,
      },
    },
    inputs: [SEQ],
  },
};

/** Host-side text layers: they map JS strings to ids before a model, so they are not graph layers. */
const HOST_SIDE = new Set(['TextVectorization', 'StringLookup', 'IntegerLookup']);

/** Cells are used inside RNN layers (covered by the RNN, LSTM, GRU and SimpleRNN cases), not on their own. */
const CELLS = new Set(['SimpleRNNCell', 'LSTMCell', 'GRUCell', 'StackedRNNCells']);

/** Registered by core or by io's own tests, not by @strata/layers. */
const NOT_LAYERS_PACKAGE = new Set([
  'InputLayer',
  'Functional',
  'Sequential',
  'TestDense',
  'TestShift',
  'TestConcat',
]);

function sameBits(a: tf.Tensor, b: tf.Tensor): boolean {
  const x = a.dataSync();
  const y = b.dataSync();
  return (
    a.dtype === b.dtype && tf.util.arraysEqual(a.shape, b.shape) && x.every((v, i) => Object.is(v, y[i]))
  );
}

async function roundTrip(
  model: Model,
  xs: tf.Tensor[],
): Promise<{ loaded: ModelLike; same: boolean; sameConfig: boolean }> {
  const mem = new MemoryTarget();
  await model.save(mem);
  const loaded = await loadModel(mem);
  const a = model.predict(xs.length > 1 ? xs : xs[0]) as tf.Tensor;
  const b = (loaded as unknown as Model).predict(xs.length > 1 ? xs : xs[0]) as tf.Tensor;
  const same = sameBits(a, b);
  tf.dispose([a, b]);
  const again = new MemoryTarget();
  await saveAgain(loaded, again);
  const c1 = readKerasArchive(mem.bytes, DEFAULT_READ_LIMITS).config;
  const c2 = readKerasArchive(again.bytes, DEFAULT_READ_LIMITS).config;
  return { loaded, same, sameConfig: JSON.stringify(c1) === JSON.stringify(c2) };
}

async function saveAgain(model: ModelLike, target: MemoryTarget): Promise<void> {
  await (model as unknown as Model).save(target);
}

function sampleInputs(c: Case): tf.Tensor[] {
  return c.inputs.map((s) =>
    c.int ? tf.randomUniform([3, ...s], 0, 10, 'int32') : tf.randomNormal([3, ...s]),
  );
}

describe('every @strata/layers layer survives save → load', () => {
  it('the table covers every registered layer class', () => {
    const registered = registry
      .list('layer')
      .filter((n) => !NOT_LAYERS_PACKAGE.has(n) && !HOST_SIDE.has(n) && !CELLS.has(n) && !n.includes('>'));
    expect(registered.filter((n) => !(n in CASES))).toEqual([]);
  });

  for (const [name, c] of Object.entries(CASES)) {
    it.skipIf(!registry.has('layer', name))(
      `${name}: bit-identical predictions and identical config`,
      async () => {
        const Cls = registry.get<new (a: Record<string, unknown>) => Layer>('layer', name);
        const ins = c.inputs.map((s) => input({ shape: s, dtype: c.int ? 'int32' : 'float32' }));
        const out = new Cls(c.args).apply(ins.length > 1 ? ins : ins[0]) as SymbolicTensor;
        const model = new Model({ inputs: ins.length > 1 ? ins : ins[0], outputs: out });
        const xs = sampleInputs(c);
        const before = tf.memory().numTensors;
        const { loaded, same, sameConfig } = await roundTrip(model, xs);
        expect(same).toBe(true);
        expect(sameConfig).toBe(true);
        expect(tf.memory().numTensors - before).toBe(loaded.weights.length);
        loaded.dispose();
        model.dispose();
        tf.dispose(xs);
      },
    );
  }

  it('a compiled and trained Sequential CNN keeps its optimizer state', async () => {
    const Conv2D = registry.get<new (a: object) => Layer>('layer', 'Conv2D');
    const Dense = registry.get<new (a: object) => Layer>('layer', 'Dense');
    const Flatten = registry.get<new (a: object) => Layer>('layer', 'Flatten');
    const BN = registry.get<new (a: object) => Layer>('layer', 'BatchNormalization');
    const model = new Sequential([
      new Conv2D({ filters: 2, kernelSize: 3, inputShape: IMG }),
      new BN({}),
      new Flatten({}),
      new Dense({ units: 2 }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const x = tf.randomNormal([4, ...IMG]);
    const y = tf.randomNormal([4, 2]);
    await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0 });
    const { loaded, same, sameConfig } = await roundTrip(model, [x]);
    expect(same).toBe(true);
    expect(sameConfig).toBe(true);
    const opt = loaded.optimizer!;
    expect(opt.iterations.value.dataSync()[0]).toBe(4);
    const a = model.optimizer!.variables.map((v) => Array.from(v.value.dataSync()));
    const b = opt.variables.map((v) => Array.from(v.value.dataSync()));
    expect(b).toEqual(a);
    loaded.dispose();
    model.dispose();
    tf.dispose([x, y]);
  });
});
