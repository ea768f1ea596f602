// Every exported model runs in onnxruntime-node and gives Strata's predict within 1e-5.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { input, Model, RuntimeError, registry, Sequential, ValueError } from '@strata/core';
import { expectNoLeakedTensors } from '@strata/core/testing';
import * as L from '@strata/layers';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import '../src/index.js';
import { toOnnx } from '../src/index.js';
import { expectOnnxMatchesPredict } from './onnx-runtime.js';

const chain = (layers: L.Dense[] | unknown[], shape: number[]): Model => {
  const x = input({ shape });
  let h = x;
  for (const l of layers as { apply(t: typeof x): typeof x }[]) h = l.apply(h);
  return new Model({ inputs: x, outputs: h });
};
const normal = (shape: number[], seed = 1) => tf.randomNormal(shape, 0, 1, 'float32', seed);
const randomInit = { biasInitializer: 'randomNormal' } as const;

describe('ONNX export runs in onnxruntime-node and matches predict', () => {
  it('Dense with every activation (activation layer and argument)', async () => {
    const names = [
      'relu',
      'relu6',
      'leaky_relu',
      'elu',
      'selu',
      'gelu',
      'sigmoid',
      'hard_sigmoid',
      'tanh',
      'softmax',
      'log_softmax',
      'softplus',
      'softsign',
      'silu',
      'mish',
      'exponential',
      'linear',
    ];
    const x = input({ shape: [6] });
    const outputs = names.map((a) =>
      new L.Activation({ activation: a }).apply(new L.Dense({ units: 5, ...randomInit }).apply(x)),
    );
    outputs.push(new L.Dense({ units: 3, activation: 'swish' }).apply(x));
    const model = new Model({ inputs: x, outputs });
    const xs = [tf.mul(normal([4, 6]), 2)];
    await expectOnnxMatchesPredict(model, xs);
    tf.dispose(xs);
  });

  it('reshaping and training-only layers', async () => {
    const model = chain(
      [
        new L.Dense({ units: 8 }),
        new L.Dropout({ rate: 0.5 }),
        new L.GaussianNoise({ stddev: 1 }),
        new L.GaussianDropout({ rate: 0.3 }),
        new L.ActivityRegularization({ l1: 0.1 }),
        new L.Reshape({ targetShape: [2, 4] }),
        new L.SpatialDropout1D({ rate: 0.5 }),
        new L.Permute({ dims: [2, 1] }),
        new L.Flatten({}),
        new L.RepeatVector({ n: 3 }),
      ],
      [6],
    );
    const xs = [normal([5, 6])];
    await expectOnnxMatchesPredict(model, xs);
    tf.dispose(xs);
  });

  it('merging layers, Dot with normalize and on sequences', async () => {
    const a = input({ shape: [4] });
    const b = input({ shape: [4] });
    const s = input({ shape: [3, 4] });
    const t = input({ shape: [5, 4] });
    const merges = [
      new L.Add({}),
      new L.Subtract({}),
      new L.Multiply({}),
      new L.Average({}),
      new L.Maximum({}),
      new L.Minimum({}),
      new L.Concatenate({}),
    ];
    const outputs = merges.map((m) => m.apply([a, b]) as typeof a);
    outputs.push(
      new L.Dot({ axes: 1, normalize: true }).apply([a, b]) as typeof a,
      new L.Dot({ axes: [2, 2] }).apply([s, t]) as typeof a,
    );
    const model = new Model({ inputs: [a, b, s, t], outputs });
    const xs = [normal([3, 4], 1), normal([3, 4], 2), normal([3, 3, 4], 3), normal([3, 5, 4], 4)];
    await expectOnnxMatchesPredict(model, xs);
    tf.dispose(xs);
  });

  it('Conv1D (causal, dilated), pooling 1D and global pooling', async () => {
    const model = chain(
      [
        new L.Conv1D({ filters: 3, kernelSize: 3, padding: 'causal', dilationRate: 2, activation: 'tanh' }),
        new L.MaxPooling1D({ poolSize: 2 }),
        new L.AveragePooling1D({ poolSize: 2, strides: 1, padding: 'same' }),
        new L.GlobalAveragePooling1D({}),
      ],
      [9, 2],
    );
    const xs = [normal([2, 9, 2])];
    await expectOnnxMatchesPredict(model, xs);
    tf.dispose(xs);
  });

  it('a small CNN: Conv2D same/valid, pooling, BatchNormalization, Dense softmax', async () => {
    const model = chain(
      [
        new L.Conv2D({ filters: 4, kernelSize: 3, padding: 'same', strides: 2, activation: 'relu' }),
        new L.BatchNormalization({
          movingMeanInitializer: 'randomNormal',
          gammaInitializer: 'randomNormal',
          betaInitializer: 'randomNormal',
        }),
        new L.MaxPooling2D({ poolSize: 2, padding: 'same' }),
        new L.Conv2D({ filters: 3, kernelSize: 2, dilationRate: 1 }),
        new L.AveragePooling2D({ poolSize: 2, strides: 1, padding: 'same' }),
        new L.GlobalMaxPooling2D({ keepdims: true }),
        new L.Flatten({}),
        new L.Dense({ units: 5, activation: 'softmax' }),
      ],
      [9, 9, 2],
    );
    const xs = [normal([3, 9, 9, 2])];
    await expectOnnxMatchesPredict(model, xs);
    tf.dispose(xs);
  });

  it('Conv2DTranspose, DepthwiseConv2D and SeparableConv2D', async () => {
    const model = chain(
      [
        new L.Conv2DTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', ...randomInit }),
        new L.Conv2DTranspose({ filters: 2, kernelSize: 2, strides: 3, padding: 'same' }),
        new L.Conv2DTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'valid' }),
        new L.DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 2, padding: 'same', ...randomInit }),
        new L.SeparableConv2D({ filters: 4, kernelSize: 2, depthMultiplier: 2, strides: 2, ...randomInit }),
        new L.GlobalAveragePooling2D({}),
      ],
      [3, 4, 2],
    );
    const xs = [normal([2, 3, 4, 2])];
    await expectOnnxMatchesPredict(model, xs);
    tf.dispose(xs);
  });

  it('BatchNormalization on another axis, LayerNormalization (several axes, rmsScaling)', async () => {
    const model = chain(
      [
        new L.BatchNormalization({
          axis: 1,
          movingMeanInitializer: 'randomNormal',
          movingVarianceInitializer: 'ones',
          gammaInitializer: 'randomNormal',
        }),
        new L.LayerNormalization({ gammaInitializer: 'randomNormal', betaInitializer: 'randomNormal' }),
        new L.LayerNormalization({ axis: [1, 2], center: false }),
        new L.LayerNormalization({ rmsScaling: true, gammaInitializer: 'randomNormal' }),
      ],
      [4, 3],
    );
    const xs = [normal([2, 4, 3])];
    await expectOnnxMatchesPredict(model, xs);
    tf.dispose(xs);
  });

  it('Embedding into an LSTM model; GRU both ways, going backwards; SimpleRNN', async () => {
    const ids = input({ shape: [6] });
    let h = new L.Embedding({ inputDim: 10, outputDim: 4 }).apply(ids);
    h = new L.LSTM({ units: 5, returnSequences: true, ...randomInit }).apply(h);
    h = new L.GRU({ units: 3, returnSequences: true, goBackwards: true, ...randomInit }).apply(h);
    h = new L.SimpleRNN({ units: 3, returnSequences: true, activation: 'relu', ...randomInit }).apply(h);
    const last = new L.GRU({ units: 2, resetAfter: false, ...randomInit }).apply(h);
    const model = new Model({
      inputs: ids,
      outputs: new L.Dense({ units: 2, activation: 'softmax' }).apply(last),
    });
    const xs = [
      tf.tensor2d([
        [1, 2, 3, 9, 0, 4],
        [0, 0, 5, 1, 7, 7],
      ]),
    ];
    await expectOnnxMatchesPredict(model, xs);
    tf.dispose(xs);
  });

  it('Bidirectional (concat, sum, none) and returnState', async () => {
    const x = input({ shape: [5, 2] });
    const seq = new L.Bidirectional({
      layer: new L.LSTM({ units: 3, returnSequences: true, ...randomInit }),
    }).apply(x);
    const summed = new L.Bidirectional({ layer: new L.SimpleRNN({ units: 2 }), mergeMode: 'sum' }).apply(seq);
    const [split, ...states] = new L.Bidirectional({
      layer: new L.GRU({ units: 2, returnState: true }),
      mergeMode: null,
    }).apply(x) as unknown as (typeof x)[];
    const [out, stateH, stateC] = new L.LSTM({ units: 2, returnState: true }).apply(
      x,
    ) as unknown as (typeof x)[];
    const model = new Model({ inputs: x, outputs: [summed, split, ...states, out, stateH, stateC] });
    const xs = [normal([2, 5, 2])];
    await expectOnnxMatchesPredict(model, xs);
    tf.dispose(xs);
  });

  it('UpSampling (nearest, bilinear), ZeroPadding, Cropping, Normalization, Rescaling', async () => {
    const image = input({ shape: [3, 4, 2] });
    let h = new L.UpSampling2D({ size: [2, 3] }).apply(image);
    h = new L.ZeroPadding2D({
      padding: [
        [1, 0],
        [2, 1],
      ],
    }).apply(h);
    h = new L.Cropping2D({
      cropping: [
        [1, 1],
        [0, 2],
      ],
    }).apply(h);
    const smooth = new L.UpSampling2D({ size: 2, interpolation: 'bilinear' }).apply(image);
    const sequence = input({ shape: [3, 2] });
    let s = new L.UpSampling1D({ size: 2 }).apply(sequence);
    s = new L.ZeroPadding1D({ padding: 2 }).apply(s);
    s = new L.Cropping1D({ cropping: [1, 0] }).apply(s);
    const features = input({ shape: [3] });
    const scaled = new L.Rescaling({ scale: 0.5, offset: 1 }).apply(
      new L.Normalization({ mean: [1, 2, 3], variance: [4, 0, 0.5] }).apply(features),
    );
    const model = new Model({ inputs: [image, sequence, features], outputs: [h, smooth, s, scaled] });
    const xs = [normal([2, 3, 4, 2], 1), normal([2, 3, 2], 2), normal([2, 3], 3)];
    await expectOnnxMatchesPredict(model, xs);
    tf.dispose(xs);
  });

  it('MultiHeadAttention: self-attention, cross-attention with a key and a mask input, causal, scores', async () => {
    const x = input({ shape: [4, 6] });
    const memory = input({ shape: [5, 3] });
    const keys = input({ shape: [5, 2] });
    const padding = input({ shape: [4, 5] });
    const self = new L.MultiHeadAttention({ numHeads: 2, keyDim: 3, ...randomInit }).apply([x, x], {
      useCausalMask: true,
    }) as typeof x;
    const [cross, scores] = new L.MultiHeadAttention({
      numHeads: 3,
      keyDim: 2,
      valueDim: 4,
      useBias: false,
    }).apply([self, memory, keys], {
      attentionMask: padding,
      returnAttentionScores: true,
    }) as unknown as (typeof x)[];
    const model = new Model({ inputs: [x, memory, keys, padding], outputs: [cross, scores] });
    const mask = tf.cast(tf.greater(tf.randomUniform([2, 4, 5], 0, 1, 'float32', 9), 0.3), 'float32');
    const xs = [normal([2, 4, 6], 1), normal([2, 5, 3], 2), normal([2, 5, 2], 3), mask];
    await expectOnnxMatchesPredict(model, xs);
    tf.dispose(xs);
  });

  it('TimeDistributed over Conv2D, MaxPooling2D, Flatten and Dense', async () => {
    const model = chain(
      [
        new L.TimeDistributed({
          layer: new L.Conv2D({ filters: 3, kernelSize: 2, activation: 'relu', ...randomInit }),
        }),
        new L.TimeDistributed({ layer: new L.MaxPooling2D({ poolSize: 2 }) }),
        new L.TimeDistributed({ layer: new L.Flatten({}) }),
        new L.TimeDistributed({ layer: new L.Dense({ units: 4, ...randomInit }) }),
      ],
      [3, 5, 5, 2],
    );
    const xs = [normal([2, 3, 5, 5, 2])];
    await expectOnnxMatchesPredict(model, xs);
    tf.dispose(xs);
  });

  it('a Sequential model, with a nested Sequential, keeps a dynamic batch', async () => {
    const inner = new Sequential([new L.Dense({ units: 4, activation: 'relu' }), new L.Dense({ units: 3 })]);
    const model = new Sequential([new L.InputLayer({ shape: [5] }), inner, new L.Dense({ units: 2 })]);
    for (const batch of [1, 7]) {
      const xs = [normal([batch, 5])];
      await expectOnnxMatchesPredict(model, xs);
      tf.dispose(xs);
    }
  });
});

describe('model.export(path, { format: "onnx" })', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-onnx-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const mlp = () => chain([new L.Dense({ units: 3, activation: 'relu' }), new L.Dense({ units: 2 })], [4]);

  it('writes a file ONNX Runtime loads, with the model input and output names, opset 17 and a symbolic batch', async () => {
    const model = mlp();
    const file = path.join(dir, 'model.onnx');
    await expectNoLeakedTensors(() => model.export(file, { format: 'onnx' }));
    const session = await ort.InferenceSession.create(file);
    expect(session.inputNames).toEqual(model.inputNames);
    expect(session.outputNames).toEqual(model.outputNames);
    expect(fs.readdirSync(dir)).toEqual(['model.onnx']);
    await session.release();
    // The opset import and the batch dim_param, read back from the bytes (field 8 of ModelProto is opset_import).
    const bytes = fs.readFileSync(file);
    expect(Buffer.from(bytes).includes(Buffer.from('batch'))).toBe(true);
  });

  it('fails before writing: unbuilt model, unsupported layers (all listed), bad paths; nothing leaks or stays on disk', async () => {
    const before = fs.readdirSync(dir);
    const unbuilt = new Sequential([new L.Dense({ units: 2 })]);
    await expect(
      expectNoLeakedTensors(() => unbuilt.export(path.join(dir, 'a.onnx'), { format: 'onnx' })),
    ).rejects.toThrow(/not built/);

    const x = input({ shape: [8, 8, 3] });
    const h = new L.Resizing({ height: 4, width: 4 }).apply(new L.RandomFlip({}).apply(x));
    const custom = new L.Dense({ units: 2, activation: (t: tf.Tensor) => tf.mul(t, 2) }).apply(
      new L.Flatten({}).apply(h),
    );
    const model = new Model({ inputs: x, outputs: custom });
    const error = await expectNoLeakedTensors(() =>
      model.export(path.join(dir, 'b.onnx'), { format: 'onnx' }).then(
        () => null,
        (e: Error) => e,
      ),
    );
    expect(error).toBeInstanceOf(ValueError);
    expect(error?.message).toMatch(/random_flip \(RandomFlip\): no ONNX converter/);
    expect(error?.message).toMatch(/resizing \(Resizing\): no ONNX converter/);
    expect(error?.message).toMatch(/dense.* \(Dense\): Cannot serialize the activation/);

    await expect(mlp().export(path.join(dir, 'missing', 'c.onnx'), { format: 'onnx' })).rejects.toThrow(
      /does not exist/,
    );
    const readOnly = path.join(dir, 'read-only');
    fs.mkdirSync(readOnly, { mode: 0o500 });
    if (process.getuid?.() !== 0) {
      await expect(mlp().export(path.join(readOnly, 'd.onnx'), { format: 'onnx' })).rejects.toThrow(
        RuntimeError,
      );
      expect(fs.readdirSync(readOnly)).toEqual([]);
    }
    // A target that is a folder cannot be replaced by a file (as root too): the temporary file goes again.
    const folder = path.join(dir, 'a-folder.onnx');
    fs.mkdirSync(path.join(folder, 'inside'), { recursive: true });
    await expect(mlp().export(folder, { format: 'onnx' })).rejects.toThrow(/Cannot write the ONNX file/);
    expect(fs.readdirSync(folder)).toEqual(['inside']);
    await expect(mlp().export('', { format: 'onnx' })).rejects.toThrow(/Received: target=""/);
    expect(fs.readdirSync(dir).sort()).toEqual([...before, 'a-folder.onnx', 'read-only'].sort());
  });

  it('a subclassed model is refused: its call is code', async () => {
    class Doubler extends Model {
      dense = new L.Dense({ units: 2 });
      override call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.mul(this.dense.apply(x as tf.Tensor) as tf.Tensor, 2);
      }
    }
    const model = new Doubler();
    const xs = tf.ones([1, 3]);
    (model.predict(xs) as tf.Tensor).dispose();
    xs.dispose();
    expect(() => toOnnx(model)).toThrow(/subclassed model/);
  });

  it('a masked sequence into a layer the export carries no mask to is refused, naming the layer', () => {
    const ids = input({ shape: [5] });
    const h = new L.TimeDistributed({ layer: new L.Dense({ units: 2 }) }).apply(
      new L.Embedding({ inputDim: 4, outputDim: 3, maskZero: true }).apply(ids),
    );
    expect(() => toOnnx(new Model({ inputs: ids, outputs: h }))).toThrow(
      /time_distributed.* \(TimeDistributed\): its input carries a mask/,
    );
  });

  it('core: unknown formats list the registered ones; without @strata/onnx the error says what to import', async () => {
    const model = mlp();
    await expect(model.export('m.tflite', { format: 'tflite' })).rejects.toThrow(
      /Expected one of: 'onnx'. Received: format="?tflite/,
    );
    const entry = registry.find('export', 'onnx')!;
    registry.unregister('export', 'onnx');
    try {
      await expect(model.export('m.onnx', { format: 'onnx' })).rejects.toThrow(/import '@strata\/onnx'/);
    } finally {
      registry.register('export', 'onnx', entry.value, { module: entry.module });
    }
  });
});
