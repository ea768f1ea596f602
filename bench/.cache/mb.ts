import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../src/backend.js';
await useBackend('strata', (process.argv[2] ?? 'wasm') as 'wasm');
const N = 12000;
const x = tf.randomUniform([N, 28, 28]);
const host = x.dataSync() as Float32Array;
const idxAll = Int32Array.from(tf.util.createShuffledIndices(N));
const time = (name: string, f: (i: number) => tf.Tensor) => {
  for (let i = 0; i < 5; i++) f(i).dispose();
  const t0 = performance.now();
  const R = 50;
  for (let i = 0; i < R; i++) f(i).dispose();
  console.log(name, ((performance.now() - t0) / R).toFixed(3), 'ms');
};
time('gather', (i) => { const idx = tf.tensor1d(idxAll.subarray(i * 128, i * 128 + 128), 'int32'); const o = tf.gather(x, idx); idx.dispose(); return o; });
time('slice', (i) => tf.slice(x, i * 128, 128));
time('host', (i) => { const buf = new Float32Array(128 * 784); for (let r = 0; r < 128; r++) { const j = idxAll[i * 128 + r]; buf.set(host.subarray(j * 784, j * 784 + 784), r * 784); } return tf.tensor(buf, [128, 28, 28]); });
const x2 = tf.reshape(x, [N, 784]);
time('gather2d', (i) => { const idx = tf.tensor1d(idxAll.subarray(i * 128, i * 128 + 128), 'int32'); const o = tf.gather(x2, idx); idx.dispose(); return o; });
