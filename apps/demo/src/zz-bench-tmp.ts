import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '@strata/backends';
await setBackend('cpu');
const time = async (name: string, f: () => tf.Tensor | tf.Tensor[]) => {
  tf.tidy(f); // warm
  const t = performance.now();
  for (let i = 0; i < 3; i++) { const r = tf.tidy(f); (Array.isArray(r) ? r : [r]).forEach((x) => { x.dataSync(); x.dispose(); }); }
  console.log(name.padEnd(40), ((performance.now() - t) / 3).toFixed(0), 'ms');
};
const x1 = tf.randomNormal([128, 28, 28, 1]); const w1 = tf.randomNormal([3, 3, 1, 32]);
const x2 = tf.randomNormal([128, 13, 13, 32]); const w2 = tf.randomNormal([3, 3, 32, 64]);
const dy1 = tf.randomNormal([128, 26, 26, 32]); const dy2 = tf.randomNormal([128, 11, 11, 64]);
await time('conv1 fwd', () => tf.conv2d(x1, w1, 1, 'valid'));
await time('conv2 fwd', () => tf.conv2d(x2, w2, 1, 'valid'));
await time('conv1 backpropFilter', () => tf.grad((w: tf.Tensor4D) => tf.conv2d(x1 as tf.Tensor4D, w, 1, 'valid').mul(dy1).sum())(w1 as tf.Tensor4D));
await time('conv2 backpropFilter', () => tf.grad((w: tf.Tensor4D) => tf.conv2d(x2 as tf.Tensor4D, w, 1, 'valid').mul(dy2).sum())(w2 as tf.Tensor4D));
await time('conv2 backpropInput', () => tf.grad((x: tf.Tensor4D) => tf.conv2d(x, w2 as tf.Tensor4D, 1, 'valid').mul(dy2).sum())(x2 as tf.Tensor4D));
await time('maxpool1 fwd+grad', () => tf.grad((x: tf.Tensor4D) => tf.maxPool(x, 2, 2, 'valid').sum())(dy1 as tf.Tensor4D));
await time('relu+biasAdd fused conv1 fwd', () => tf.fused.conv2d({ x: x1 as tf.Tensor4D, filter: w1 as tf.Tensor4D, strides: 1, pad: 'valid', bias: tf.zeros([32]), activation: 'relu' }));
