import '@tensorflow/tfjs-backend-cpu';
import '../test/register-gradients.js';
import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
it('profile', async () => {
  await tf.setBackend('cpu');
  const h = tf.randomUniform([64, 128]);
  const U = tf.randomUniform([128, 512]);
  const hT = tf.randomUniform([128, 64]);
  const UT = tf.randomUniform([512, 128]);
  const bT = tf.randomUniform([512, 64]);
  const b = tf.randomUniform([64, 512]);
  const W = tf.randomUniform([32, 512]);
  const WT = tf.randomUniform([512, 32]);
  const xT = tf.randomUniform([100, 32, 64]);
  const xf = tf.randomUniform([6400, 32]);
  const bias = tf.randomUniform([512, 1]);
  const t = (name: string, fn: () => void, n = 10) => {
    fn();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) tf.tidy(fn);
    console.log(name, ((performance.now() - t0) / n).toFixed(2), 'ms');
  };
  for (let rep = 0; rep < 2; rep++) {
  t('fused rowmajor', () => { tf.fused.matMul({ a: h as tf.Tensor2D, b: U as tf.Tensor2D, bias: b }).dataSync(); });
  t('fused T', () => { tf.fused.matMul({ a: UT as tf.Tensor2D, b: hT as tf.Tensor2D, bias: bT }).dataSync(); });
  t('proj 2d', () => { tf.matMul(xf, W).dataSync(); }, 3);
  t('proj batched WT', () => { tf.matMul(tf.expandDims(WT, 0) as tf.Tensor3D, xT as tf.Tensor3D).dataSync(); }, 3);
  t('proj batched tiled', () => { tf.matMul(tf.tile(tf.expandDims(WT, 0), [100, 1, 1]) as tf.Tensor3D, xT as tf.Tensor3D).dataSync(); }, 3);
  }
});
