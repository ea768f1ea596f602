/**
 * One forward + backward pass per layer Strata trains with, written with the tfjs ops those layers run
 * (fused kernels where Strata uses them). `recordKernels` lists the kernels each one touches.
 */
import { seededValues } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';

export interface LayerCase {
  name: string;
  /** Input shapes; the case returns a scalar from those inputs, differentiated with respect to all. */
  inputs: number[][];
  run(...xs: tf.Tensor[]): tf.Scalar;
}

const t = (shape: number[], seed: number) =>
  tf.tensor(
    seededValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );
const x4 = (v: tf.Tensor) => v as tf.Tensor4D;
const sum = (v: tf.Tensor) => tf.sum(v) as tf.Scalar;

export const layerCases: LayerCase[] = [
  {
    name: 'Dense (fused bias + relu)',
    inputs: [[4, 6], [6, 3], [3]],
    run: (x, w, b) => sum(tf.fused.matMul({ a: x, b: w, bias: b, activation: 'relu' })),
  },
  { name: 'Dense (plain)', inputs: [[4, 6], [6, 3], [3]], run: (x, w, b) => sum(tf.add(tf.matMul(x, w), b)) },
  {
    name: 'Conv2D (fused bias + relu)',
    inputs: [[2, 6, 6, 2], [3, 3, 2, 4], [4]],
    run: (x, k, b) =>
      sum(tf.fused.conv2d({ x: x4(x), filter: x4(k), strides: 1, pad: 'same', bias: b, activation: 'relu' })),
  },
  {
    name: 'Conv2D (strided)',
    inputs: [
      [2, 7, 7, 2],
      [3, 3, 2, 4],
    ],
    run: (x, k) => sum(tf.conv2d(x4(x), x4(k), 2, 'valid')),
  },
  {
    name: 'DepthwiseConv2D (fused)',
    inputs: [[2, 6, 6, 3], [3, 3, 3, 2], [6]],
    run: (x, k, b) =>
      sum(
        tf.fused.depthwiseConv2d({
          x: x4(x),
          filter: x4(k),
          strides: 1,
          pad: 'same',
          bias: b,
          activation: 'relu',
        }),
      ),
  },
  {
    name: 'DepthwiseConv2D (plain)',
    inputs: [
      [2, 6, 6, 3],
      [3, 3, 3, 1],
    ],
    run: (x, k) => sum(tf.depthwiseConv2d(x4(x), x4(k), 2, 'same')),
  },
  {
    name: 'SeparableConv2D',
    inputs: [
      [2, 6, 6, 3],
      [3, 3, 3, 1],
      [1, 1, 3, 5],
    ],
    run: (x, d, p) => sum(tf.separableConv2d(x4(x), x4(d), x4(p), 1, 'same')),
  },
  {
    name: 'Conv2DTranspose',
    inputs: [
      [2, 4, 4, 3],
      [3, 3, 2, 3],
    ],
    run: (x, k) => sum(tf.conv2dTranspose(x4(x), x4(k), [2, 8, 8, 2], 2, 'same')),
  },
  { name: 'MaxPooling2D', inputs: [[2, 6, 6, 3]], run: (x) => sum(tf.maxPool(x4(x), 2, 2, 'valid')) },
  { name: 'AveragePooling2D', inputs: [[2, 6, 6, 3]], run: (x) => sum(tf.avgPool(x4(x), 2, 2, 'same')) },
  {
    name: 'BatchNormalization (training)',
    inputs: [[4, 3, 3, 2], [2], [2]],
    run: (x, gamma, beta) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return sum(tf.mul(tf.batchNorm(x, mean, variance, beta, gamma, 1e-3), x));
    },
  },
  { name: 'Dropout', inputs: [[4, 10]], run: (x) => sum(tf.dropout(x, 0.5, undefined, 7)) },
  { name: 'Flatten', inputs: [[2, 3, 3, 2]], run: (x) => sum(tf.mul(tf.reshape(x, [2, -1]), 2)) },
  {
    name: 'softmax + categorical_crossentropy',
    inputs: [[4, 5]],
    run: (logits) => {
      const y = tf.oneHot(tf.tensor1d([0, 2, 4, 1], 'int32'), 5);
      const p = tf.clipByValue(tf.softmax(logits), 1e-7, 1 - 1e-7);
      return tf.mean(tf.neg(tf.sum(tf.mul(tf.cast(y, 'float32'), tf.log(p)), -1))) as tf.Scalar;
    },
  },
  {
    name: 'sparse_categorical_crossentropy (from logits)',
    inputs: [[4, 5]],
    run: (logits) => {
      const logp = tf.logSoftmax(logits);
      const picked = tf.gather(tf.reshape(logp, [-1]), tf.tensor1d([0, 7, 14, 16], 'int32'));
      return tf.neg(tf.mean(picked)) as tf.Scalar;
    },
  },
  {
    name: 'sigmoid + binary_crossentropy',
    inputs: [[4, 1]],
    run: (z) => {
      const y = tf.tensor2d([[1], [0], [1], [0]]);
      const p = tf.clipByValue(tf.sigmoid(z), 1e-7, 1 - 1e-7);
      return tf.neg(
        tf.mean(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p))))),
      ) as tf.Scalar;
    },
  },
  {
    name: 'mean_squared_error',
    inputs: [[4, 3]],
    run: (p) => tf.mean(tf.squaredDifference(p, tf.ones([4, 3]))) as tf.Scalar,
  },
  {
    name: 'tanh / elu / leaky_relu',
    inputs: [[4, 3]],
    run: (x) => sum(tf.add(tf.tanh(x), tf.add(tf.elu(x), tf.leakyRelu(x, 0.2)))),
  },
];

/**
 * The kernels one forward + backward pass of `c` runs on the current backend, and its gradients. With
 * `profile: false` only the gradients (tf.profile is slow on webgl, where timer queries serialise).
 */
export async function recordKernels(
  c: LayerCase,
  options: { profile?: boolean } = {},
): Promise<{ kernels: string[]; grads: Float32Array[] }> {
  const xs = c.inputs.map((shape, i) => t(shape, 500 + i));
  let grads: Float32Array[] = [];
  const pass = () => {
    const gs = tf.grads((...args: tf.Tensor[]) => c.run(...args))(xs);
    grads = gs.map((g) => g.dataSync() as Float32Array);
    tf.dispose(gs);
  };
  let kernelNames: string[] = [];
  if (options.profile === false) pass();
  else kernelNames = (await tf.profile(pass)).kernelNames;
  tf.dispose(xs);
  // Names ending in '__op' are tfjs's custom-gradient scopes (logSoftmax__op), not kernels.
  const kernels = kernelNames.filter((k) => !k.endsWith('__op'));
  return { kernels: [...new Set(kernels)].sort(), grads };
}
