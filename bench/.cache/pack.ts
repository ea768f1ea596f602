import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../src/backend.js';
await useBackend('strata', 'wasm');
const a = tf.randomNormal([128, 784]); const b = tf.randomNormal([784, 512]);
const R = 40;
for (const fresh of [false, true, false, true, false, true]) {
  let total = 0;
  for (let i = 0; i < R + 3; i++) {
    const bb = fresh ? tf.add(b, 0) : b;
    const t0 = performance.now(); const o = tf.matMul(a, bb); const dt = performance.now() - t0;
    o.dispose(); if (fresh) bb.dispose(); if (i >= 3) total += dt;
  }
  console.log(fresh ? 'fresh b' : 'same b ', (total / R).toFixed(2), 'ms');
}
