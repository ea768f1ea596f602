import { expectNoLeakedTensors, expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../test/register-gradients.js';
import { CenterCrop } from './center-crop.js';
import { affineTransform, type FillMode, type Interpolation } from './image-ops.js';
import { IntegerLookup } from './integer-lookup.js';
import { Normalization } from './normalization.js';
import { RandomFlip } from './random-flip.js';
import { RandomRotation } from './random-rotation.js';
import { RandomZoom } from './random-zoom.js';
import { Rescaling } from './rescaling.js';
import { Resizing } from './resizing.js';
import { StringLookup } from './string-lookup.js';
import { TextVectorization } from './text-vectorization.js';

/** A [1, h, w, 1] image whose pixel (y, x) is 10·y + x. */
function ramp(h: number, w: number): tf.Tensor4D {
  const v: number[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) v.push(10 * y + x);
  return tf.tensor4d(v, [1, h, w, 1]);
}

describe('Rescaling', () => {
  it('passes the layer test and computes x * scale + offset', async () => {
    await runLayerTest(Rescaling, {
      initArgs: { scale: 0.5, offset: 1 },
      inputShape: [2, 3],
      expectedOutputShape: [2, 3],
      inputData: tf.tensor2d([
        [0, 2, 4],
        [-2, 6, 1],
      ]),
      expectedOutput: [
        [1, 2, 3],
        [0, 4, 1.5],
      ],
    });
    expect(() => new Rescaling({ scale: 'a' as never })).toThrow('Received: scale="a"');
  });
});

describe('Normalization', () => {
  it('passes the layer test with fixed statistics', async () => {
    await runLayerTest(Normalization, {
      initArgs: { mean: [1, 2], variance: [4, 9] },
      inputShape: [2, 2],
      expectedOutputShape: [2, 2],
      inputData: tf.tensor2d([
        [3, 2],
        [1, 8],
      ]),
      expectedOutput: [
        [1, 0],
        [0, 2],
      ],
      expectedNumTrainableWeights: 0,
    });
    await runLayerTest(Normalization, {
      initArgs: {},
      inputShape: [2, 3],
      expectedOutputShape: [2, 3],
      expectedNumNonTrainableWeights: 3,
    });
  });

  it('adapt matches the mean and variance computed by hand', async () => {
    const data = [
      [0, 7, 4],
      [2, 9, 6],
      [1, 5, 4],
      [5, 9, 2],
    ];
    const mean = [0, 1, 2].map((j) => data.reduce((a, r) => a + r[j], 0) / data.length);
    const variance = [0, 1, 2].map((j) => data.reduce((a, r) => a + (r[j] - mean[j]) ** 2, 0) / data.length);
    const layer = new Normalization();
    // Building creates the three weights; adapting afterwards must leave no tensor behind.
    layer.build([null, 3]);
    await expectNoLeakedTensors(() => layer.adapt(data));
    expect(layer.weights.map((w) => [w.name, w.shape, w.trainable])).toEqual([
      ['mean', [3], false],
      ['variance', [3], false],
      ['count', [], false],
    ]);
    expectTensorsClose(layer.adaptMean!.value, mean, { atol: 1e-6 });
    expectTensorsClose(layer.adaptVariance!.value, variance, { atol: 1e-5 });
    const x = tf.tensor2d([data[0]]);
    const out = layer.apply(x) as tf.Tensor;
    expectTensorsClose(out, [data[0].map((v, j) => (v - mean[j]) / Math.sqrt(variance[j]))], { atol: 1e-5 });
    const inverse = new Normalization({ mean, variance, invert: true });
    const back = inverse.apply(out) as tf.Tensor;
    expectTensorsClose(back, [data[0]], { atol: 1e-4 });
    tf.dispose([x, out, back]);
    layer.dispose();
  });

  it('rejects half-given statistics', () => {
    expect(() => new Normalization({ mean: 1 })).toThrow('both `mean` and `variance` must be set');
  });
});

describe('Resizing and CenterCrop', () => {
  it('pass the layer test', async () => {
    await runLayerTest(Resizing, {
      initArgs: { height: 2, width: 3 },
      inputShape: [2, 4, 6, 3],
      expectedOutputShape: [2, 2, 3, 3],
    });
    await runLayerTest(Resizing, {
      initArgs: { height: 3, width: 3, interpolation: 'nearest', cropToAspectRatio: true },
      inputShape: [1, 4, 6, 1],
      expectedOutputShape: [1, 3, 3, 1],
    });
    await runLayerTest(CenterCrop, {
      initArgs: { height: 2, width: 2 },
      inputShape: [2, 4, 5, 1],
      expectedOutputShape: [2, 2, 2, 1],
    });
  });

  it('halves an image by averaging pixel pairs (half-pixel centres)', () => {
    const img = ramp(4, 4);
    const out = new Resizing({ height: 2, width: 2 }).apply(img) as tf.Tensor;
    // Each output pixel samples the input at (2i + 0.5, 2j + 0.5): the mean of a 2x2 block on a ramp.
    expectTensorsClose(out, tf.tensor4d([5.5, 7.5, 25.5, 27.5], [1, 2, 2, 1]), { atol: 1e-5 });
    tf.dispose([img, out]);
  });

  it('sends the gradient of a bilinear downscale back to the pixels each output averaged', async () => {
    // 4x6 -> 2x3: output (i, j) is the mean of the 2x2 block (2i..2i+1, 2j..2j+1), so the gradient of
    // sum(out * up) wrt an input pixel is up[i, j] / 4 (tfjs's ResizeBilinearGrad gets this wrong).
    const img = ramp(4, 6);
    const up = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
    const layer = new Resizing({ height: 2, width: 3 });
    const g = await expectNoLeakedTensors(() =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, up)))(img),
    );
    const expected: number[] = [];
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 6; x++) expected.push((1 + 3 * Math.floor(y / 2) + Math.floor(x / 2)) / 4);
    expectTensorsClose(g, tf.tensor4d(expected, [1, 4, 6, 1]), { atol: 1e-6 });
    tf.dispose([img, up, g]);
  });

  it('sends the gradient of a nearest-neighbour resize to the pixels each output copied', async () => {
    // Height 4 -> 6 with half-pixel centres: output row i copies input row floor((i + 0.5) * 4 / 6), i.e.
    // rows 0, 1, 1, 2, 3, 3; so with a unit upstream gradient input rows get 1, 2, 1, 2.
    const img = ramp(4, 3);
    const layer = new Resizing({ height: 6, width: 3, interpolation: 'nearest' });
    const out = layer.apply(img) as tf.Tensor;
    expectTensorsClose(out, tf.gather(img, [0, 1, 1, 2, 3, 3], 1));
    const g = await expectNoLeakedTensors(() =>
      tf.grad((x: tf.Tensor) => tf.sum(layer.apply(x) as tf.Tensor))(img),
    );
    expectTensorsClose(g, tf.tensor4d([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2], [1, 4, 3, 1]));
    tf.dispose([img, out, g]);
  });

  it('crops the centre, or smart-resizes a smaller image', () => {
    const img = ramp(4, 5);
    const out = new CenterCrop({ height: 2, width: 3 }).apply(img) as tf.Tensor;
    expectTensorsClose(out, tf.tensor4d([11, 12, 13, 21, 22, 23], [1, 2, 3, 1]));
    const up = new CenterCrop({ height: 8, width: 5 }).apply(img) as tf.Tensor;
    expect(up.shape).toEqual([1, 8, 5, 1]);
    tf.dispose([img, out, up]);
  });
});

describe('random image layers', () => {
  it('pass the layer test', async () => {
    await runLayerTest(RandomFlip, {
      initArgs: { seed: 1 },
      inputShape: [2, 4, 4, 3],
      expectedOutputShape: [2, 4, 4, 3],
    });
    await runLayerTest(RandomRotation, {
      initArgs: { factor: 0.2, seed: 2 },
      inputShape: [2, 4, 4, 3],
      expectedOutputShape: [2, 4, 4, 3],
    });
    await runLayerTest(RandomZoom, {
      initArgs: { heightFactor: [-0.3, 0.2], seed: 3 },
      inputShape: [2, 4, 4, 3],
      expectedOutputShape: [2, 4, 4, 3],
    });
  });

  it('are the identity at inference and transform in training', async () => {
    const img = ramp(3, 5);
    for (const layer of [
      new RandomFlip({ seed: 1 }),
      new RandomRotation({ factor: 0.5, seed: 1 }),
      new RandomZoom({ heightFactor: 0.5, seed: 1 }),
    ]) {
      const out = await expectNoLeakedTensors(() => layer.apply(img, { training: false }) as tf.Tensor);
      expectTensorsClose(out, img);
      out.dispose();
    }
    // A half turn maps pixel (y, x) to (h-1-y, w-1-x).
    const turned = new RandomRotation({ factor: [0.5, 0.5], fillMode: 'constant' }).apply(img, {
      training: true,
    }) as tf.Tensor;
    expectTensorsClose(turned, tf.reverse(img, [1, 2]), { atol: 1e-4 });
    // Zooming in 2x about the centre samples input x at 0.5x + (w-1)/4 (bilinear on a ramp is exact).
    const zoomed = new RandomZoom({ heightFactor: [-0.5, -0.5] }).apply(img, { training: true }) as tf.Tensor;
    const expected: number[] = [];
    for (let y = 0; y < 3; y++)
      for (let x = 0; x < 5; x++) expected.push(10 * (0.5 * y + 0.5) + (0.5 * x + 1));
    expectTensorsClose(zoomed, tf.tensor4d(expected, [1, 3, 5, 1]), { atol: 1e-4 });
    // Every flipped image is the input, reversed along some set of axes.
    const batch = tf.concat([img, img, img, img, img, img], 0);
    const flipped = new RandomFlip({ seed: 5 }).apply(batch, { training: true }) as tf.Tensor;
    const rows = tf.unstack(flipped);
    const candidates = [[], [1], [2], [1, 2]].map((axes) => tf.reverse(img, axes).dataSync().join());
    for (const r of rows) expect(candidates).toContain(tf.expandDims(r, 0).dataSync().join());
    tf.dispose([img, turned, zoomed, batch, flipped, ...rows]);
  });

  it("fill points outside the image as Keras's affine_transform does, in every fill mode", async () => {
    // Expected values from Keras 3.15 (JAX): keras.ops.image.affine_transform(arange(1, 21).reshape(1, 4, 5,
    // 1), [[0.9, -0.3, 1.7, 0.4, 1.1, -2.6, 0, 0]], interpolation, fill_mode, fill_value=-1).
    const keras: Record<string, number[]> = {
      'bilinear reflect': [
        10.7, 9.6, 8.5, 7, 4.7, 4.9, 3.8, 4.2, 5, 5.5, 2.1, 3, 5.9, 8.8, 11, 5.3, 8.2, 11.1, 14, 16.5,
      ],
      'bilinear wrap': [
        9.7, 12.6, 15.5, 16.4, 16.3, 14.9, 17.8, 14.7, 9.1, 1.5, 8.1, 3, 5.9, 8.8, 8.2, 5.3, 8.2, 11.1, 14,
        14.9,
      ],
      'bilinear nearest': [
        2.7, 3.6, 4.5, 5, 5, 2.4, 3.3, 4.2, 5, 5.5, 2.1, 3, 5.9, 8.8, 11, 5.3, 8.2, 11.1, 14, 16.5,
      ],
      'bilinear constant': [
        -1, -1, -1, -1, -1, -1, -1, 0.56, 2.78, -1, 0.86, 3, 5.9, 8.8, 2.6, 5.3, 8.2, 11.1, 14, 9.5,
      ],
      'nearest reflect': [13, 9, 10, 5, 5, 2, 3, 4, 5, 5, 2, 3, 4, 10, 10, 7, 8, 14, 14, 15],
      'nearest wrap': [8, 14, 15, 20, 16, 17, 18, 19, 5, 1, 2, 3, 4, 10, 6, 7, 8, 14, 14, 15],
      'nearest nearest': [3, 4, 5, 5, 5, 2, 3, 4, 5, 5, 2, 3, 4, 10, 10, 7, 8, 14, 14, 15],
      'nearest constant': [-1, -1, -1, -1, -1, -1, -1, -1, 5, -1, 2, 3, 4, 10, -1, 7, 8, 14, 14, 15],
    };
    const img = tf.tensor4d(
      Array.from({ length: 20 }, (_, i) => i + 1),
      [1, 4, 5, 1],
    );
    const t = tf.tensor2d([[0.9, -0.3, 1.7, 0.4, 1.1, -2.6, 0, 0]]);
    for (const [what, expected] of Object.entries(keras)) {
      const [interpolation, fillMode] = what.split(' ') as [Interpolation, FillMode];
      const out = await expectNoLeakedTensors(() => affineTransform(img, t, interpolation, fillMode, -1));
      expectTensorsClose(out, tf.tensor4d(expected, [1, 4, 5, 1]), { atol: 1e-4 });
      out.dispose();
    }
    tf.dispose([img, t]);
  });

  it('validate their arguments', () => {
    expect(() => new RandomFlip({ mode: 'diagonal' as never })).toThrow('Received: mode=diagonal');
    expect(() => new RandomRotation({ factor: 0.1, fillMode: 'mirror' as never })).toThrow(
      'Received: fill_mode=mirror',
    );
    expect(() => new RandomZoom({ heightFactor: [0.5, -0.5] })).toThrow('Received: height_factor=[0.5,-0.5]');
  });
});

describe('TextVectorization', () => {
  const corpus = ['The cat sat.', 'The dog sat!', 'the cat, the cat', 'A dog?'];

  it('adapt orders the vocabulary as Keras: "", "[UNK]", then by descending frequency', () => {
    const layer = new TextVectorization({ outputSequenceLength: 5 });
    layer.adapt(corpus);
    // Counts by hand: the 4, cat 3, sat 2, dog 2, a 1; ties go to the larger string first.
    expect(layer.getVocabulary()).toEqual(['', '[UNK]', 'the', 'cat', 'sat', 'dog', 'a']);
    const out = layer.apply(['The cat ran', 'a dog sat the the the']) as tf.Tensor;
    expect(out.dtype).toBe('int32');
    expect(out.arraySync()).toEqual([
      [2, 3, 1, 0, 0],
      [6, 5, 4, 2, 2],
    ]);
    out.dispose();
  });

  it('limits the vocabulary with maxTokens and pads to the longest text', () => {
    const layer = new TextVectorization({ maxTokens: 4 });
    layer.adapt(corpus);
    expect(layer.getVocabulary()).toEqual(['', '[UNK]', 'the', 'cat']);
    const out = layer.apply(['cat dog', 'the']) as tf.Tensor;
    expect(out.arraySync()).toEqual([
      [3, 1],
      [2, 0],
    ]);
    out.dispose();
  });

  it('keeps an adapted vocabulary out of its config, as Keras does, and saves it as an asset', () => {
    const layer = new TextVectorization({ outputSequenceLength: 3 });
    layer.adapt(corpus);
    const config = layer.getConfig();
    expect(config.vocabulary).toBeNull();
    expect(config.vocabularySize).toBe(7);
    const again = TextVectorization.fromConfig(config);
    expect(again.getVocabulary()).toEqual(['', '[UNK]']);
    // Until its asset is loaded, the rebuilt layer has only '' and '[UNK]' (Keras reports the same).
    expect(again.getConfig()).toEqual({ ...config, name: again.name, vocabularySize: 2 });
    const files = layer.kerasSaveAssets();
    expect(new TextDecoder().decode(files['vocabulary.txt'])).toBe('\n[UNK]\nthe\ncat\nsat\ndog\na');
    again.kerasLoadAssets(files);
    expect(again.getVocabulary()).toEqual(layer.getVocabulary());
    expect(again.getConfig()).toEqual({ ...config, name: again.name });
    expect(() => layer.apply([1, 2] as never)).toThrow('expects strings. Received: 1');
  });
});

describe('StringLookup and IntegerLookup', () => {
  it('StringLookup maps strings with an OOV index and a mask token', () => {
    const layer = new StringLookup({ vocabulary: ['a', 'b', 'c'] });
    expect(layer.getVocabulary()).toEqual(['[UNK]', 'a', 'b', 'c']);
    const out = layer.apply([
      ['a', 'z'],
      ['c', 'b'],
    ]) as tf.Tensor;
    expect(out.arraySync()).toEqual([
      [1, 0],
      [3, 2],
    ]);
    const masked = new StringLookup({ maskToken: '', numOovIndices: 1 });
    masked.adapt(['x', 'y', 'y', 'z', 'y', 'x']);
    expect(masked.getVocabulary()).toEqual(['', '[UNK]', 'y', 'x', 'z']);
    const m = masked.apply(['', 'x', 'q']) as tf.Tensor;
    expect(Array.from(m.dataSync())).toEqual([0, 3, 1]);
    tf.dispose([out, m]);
  });

  it('IntegerLookup passes the layer test and adapts by frequency', async () => {
    await runLayerTest(IntegerLookup, {
      initArgs: { vocabulary: [12, 7, 3] },
      inputShape: [2, 3],
      inputDtype: 'int32',
      inputData: tf.tensor2d(
        [
          [12, 3, 5],
          [7, 7, 12],
        ],
        undefined,
        'int32',
      ),
      expectedOutputShape: [2, 3],
      expectedOutput: [
        [1, 3, 0],
        [2, 2, 1],
      ],
    });
    const layer = new IntegerLookup();
    layer.adapt([4, 9, 9, 4, 9, 1]);
    expect(layer.getVocabulary()).toEqual([-1, 9, 4, 1]);
    expect(() => new IntegerLookup({ numOovIndices: 2, oovMethod: 'farmhash' })).toThrow(
      'Received: num_oov_indices=2',
    );
    expect(() => new StringLookup({ numOovIndices: 2 })).toThrow('FarmHash');
  });
});
