/**
 * The networks the backend tests train, written with plain tfjs ops (what Strata's layers run), so the
 * kernel checks do not depend on the layer package. Weights come from a seeded generator, so cpu and
 * wasm start from the same point.
 */
import { seededValues } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';

export type Params = Record<string, tf.Variable>;

export interface Network {
  name: string;
  /** Creates the weights on the current backend. */
  init(): Params;
  /** The scalar training loss for one batch; `step` seeds Dropout. */
  loss(p: Params, x: tf.Tensor, y: tf.Tensor, step: number): tf.Scalar;
  xShape: number[];
  classes: number;
  /** The SGD step size the tests train with. */
  learningRate: number;
}

function weight(_name: string, shape: number[], seed: number, scale: number): tf.Variable {
  const values = seededValues(
    shape.reduce((a, b) => a * b, 1),
    seed,
  ).map((v) => v * scale);
  // Unnamed: tfjs gives each variable a unique name, so two runs never collide.
  const initial = tf.tensor(values, shape);
  const v = tf.variable(initial, true);
  initial.dispose();
  return v;
}

function weightFrom(initial: tf.Tensor): tf.Variable {
  const v = tf.variable(initial, true);
  initial.dispose();
  return v;
}

/** Glorot-uniform-like scale for a weight with the given fan-in and fan-out. */
const glorot = (fanIn: number, fanOut: number) => Math.sqrt(6 / (fanIn + fanOut));

function categoricalCrossentropy(probs: tf.Tensor, y: tf.Tensor): tf.Scalar {
  // Keras's clipping, so a confident wrong prediction gives a finite loss.
  const clipped = tf.clipByValue(probs, 1e-7, 1 - 1e-7);
  return tf.mean(tf.neg(tf.sum(tf.mul(y, tf.log(clipped)), -1))) as tf.Scalar;
}

export const mlp: Network = {
  name: 'MLP',
  learningRate: 0.1,
  xShape: [32, 64],
  classes: 10,
  init: () => ({
    w1: weight('w1', [64, 32], 1, glorot(64, 32)),
    b1: weight('b1', [32], 2, 0.01),
    w2: weight('w2', [32, 10], 3, glorot(32, 10)),
    b2: weight('b2', [10], 4, 0.01),
  }),
  loss: (p, x, y, step) => {
    const h = tf.fused.matMul({ a: x, b: p.w1, bias: p.b1, activation: 'relu' });
    const dropped = tf.dropout(h, 0.25, undefined, 1000 + step);
    const logits = tf.add(tf.matMul(dropped, p.w2), p.b2);
    return categoricalCrossentropy(tf.softmax(logits), y);
  },
};

/** Keras's MNIST convnet: Conv2D 32 → MaxPool 2 → Conv2D 64 → MaxPool 2 → Flatten → Dropout → Dense 10. */
export const mnistConvnet: Network = {
  name: 'MNIST convnet',
  learningRate: 0.05,
  xShape: [8, 28, 28, 1],
  classes: 10,
  init: () => ({
    k1: weight('k1', [3, 3, 1, 32], 11, glorot(9, 9 * 32)),
    c1: weight('c1', [32], 12, 0.01),
    k2: weight('k2', [3, 3, 32, 64], 13, glorot(9 * 32, 9 * 64)),
    c2: weight('c2', [64], 14, 0.01),
    w: weight('w', [5 * 5 * 64, 10], 15, glorot(1600, 10)),
    b: weight('b', [10], 16, 0.01),
  }),
  loss: (p, x, y, step) => {
    const a1 = tf.fused.conv2d({
      x: x as tf.Tensor4D,
      filter: p.k1 as tf.Tensor4D,
      strides: 1,
      pad: 'valid',
      bias: p.c1,
      activation: 'relu',
    });
    const p1 = tf.maxPool(a1, 2, 2, 'valid');
    const a2 = tf.fused.conv2d({
      x: p1,
      filter: p.k2 as tf.Tensor4D,
      strides: 1,
      pad: 'valid',
      bias: p.c2,
      activation: 'relu',
    });
    const p2 = tf.maxPool(a2, 2, 2, 'valid');
    const flat = tf.reshape(p2, [p2.shape[0], -1]);
    const dropped = tf.dropout(flat, 0.5, undefined, 2000 + step);
    const probs = tf.softmax(tf.fused.matMul({ a: dropped, b: p.w, bias: p.b }));
    return categoricalCrossentropy(probs, y);
  },
};

/** Conv2D → BatchNormalization (training) → ReLU → DepthwiseConv2D → AveragePooling2D → Flatten → Dense. */
export const bnDepthwiseNet: Network = {
  name: 'BatchNorm + DepthwiseConv2D + AveragePooling2D',
  learningRate: 0.05,
  xShape: [8, 12, 12, 3],
  classes: 4,
  init: () => ({
    k: weight('k', [3, 3, 3, 8], 21, glorot(27, 72)),
    gamma: weightFrom(tf.ones([8])),
    beta: weightFrom(tf.zeros([8])),
    dk: weight('dk', [3, 3, 8, 2], 22, glorot(9, 18)),
    db: weight('db', [16], 23, 0.01),
    w: weight('w', [6 * 6 * 16, 4], 24, glorot(576, 4)),
    b: weight('b', [4], 25, 0.01),
  }),
  loss: (p, x, y) => {
    const c = tf.conv2d(x as tf.Tensor4D, p.k as tf.Tensor4D, 1, 'same');
    const { mean, variance } = tf.moments(c, [0, 1, 2]);
    const bn = tf.batchNorm(c, mean, variance, p.beta, p.gamma, 1e-3);
    const d = tf.fused.depthwiseConv2d({
      x: tf.relu(bn) as tf.Tensor4D,
      filter: p.dk as tf.Tensor4D,
      strides: 1,
      pad: 'same',
      bias: p.db,
      activation: 'relu',
    });
    const pooled = tf.avgPool(d, 2, 2, 'valid');
    const logits = tf.add(tf.matMul(tf.reshape(pooled, [pooled.shape[0], -1]), p.w), p.b);
    return categoricalCrossentropy(tf.softmax(logits), y);
  },
};

/** SeparableConv2D and Conv2DTranspose, with a sigmoid and binary crossentropy: the rest of the layers. */
export const separableTransposeNet: Network = {
  name: 'SeparableConv2D + Conv2DTranspose',
  learningRate: 0.1,
  xShape: [4, 8, 8, 3],
  classes: 1,
  init: () => ({
    dk: weight('dk', [3, 3, 3, 1], 31, glorot(9, 9)),
    pk: weight('pk', [1, 1, 3, 6], 32, glorot(3, 6)),
    tk: weight('tk', [3, 3, 4, 6], 33, glorot(54, 36)),
    w: weight('w', [16 * 16 * 4, 1], 34, glorot(1024, 1)),
  }),
  loss: (p, x, y) => {
    const s = tf.relu(
      tf.separableConv2d(x as tf.Tensor4D, p.dk as tf.Tensor4D, p.pk as tf.Tensor4D, 1, 'same'),
    );
    const t = tf.tanh(tf.conv2dTranspose(s, p.tk as tf.Tensor4D, [s.shape[0], 16, 16, 4], 2, 'same'));
    const prob = tf.sigmoid(tf.matMul(tf.reshape(t, [t.shape[0], -1]), p.w));
    const clipped = tf.clipByValue(prob, 1e-7, 1 - 1e-7);
    const bce = tf.add(tf.mul(y, tf.log(clipped)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, clipped))));
    return tf.neg(tf.mean(bce)) as tf.Scalar;
  },
};

export const networks = [mlp, mnistConvnet, bnDepthwiseNet, separableTransposeNet];

/** Seeded inputs and one-hot (or 0/1) targets for a network. */
export function batchFor(net: Network): { x: tf.Tensor; y: tf.Tensor } {
  const size = net.xShape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(seededValues(size, 99), net.xShape);
  const n = net.xShape[0];
  const labels = Array.from({ length: n }, (_, i) => (i * 7 + 3) % Math.max(net.classes, 2));
  const y =
    net.classes === 1
      ? tf.tensor(labels, [n, 1])
      : tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), net.classes), 'float32'));
  return { x, y };
}

/**
 * Runs `steps` SGD steps and returns the loss before each step and after the last (steps + 1 values).
 * Frees everything it makes.
 */
export function trainSteps(net: Network, steps: number): number[] {
  const { learningRate } = net;
  const params = net.init();
  const { x, y } = batchFor(net);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => net.loss(params, x, y, step), Object.values(params));
      losses.push(value.dataSync()[0]);
      for (const v of Object.values(params)) v.assign(tf.sub(v, tf.mul(grads[v.name], learningRate)));
    });
  }
  losses.push(tf.tidy(() => net.loss(params, x, y, steps).dataSync()[0]));
  tf.dispose([x, y, ...Object.values(params)]);
  return losses;
}
