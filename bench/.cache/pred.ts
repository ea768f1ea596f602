import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../src/backend.js';
await useBackend('strata', (process.argv[2] ?? 'wasm') as 'wasm');
const { buildStrata } = await import('../src/models.js');
const m = buildStrata('mlp');
const x = tf.randomUniform([1, 28, 28]);
const R = 3000;
const time = async (name: string, f: () => tf.Tensor) => {
  for (let i = 0; i < 300; i++) { const p = f(); await p.data(); p.dispose(); }
  const t0 = performance.now();
  for (let i = 0; i < R; i++) { const p = f(); await p.data(); p.dispose(); }
  console.log(name, ((performance.now() - t0) / R * 1000).toFixed(1), 'us');
};
await time('predict', () => m.predict(x) as tf.Tensor);
await time('predictOnBatch', () => m.predictOnBatch(x) as tf.Tensor);
await time('tidy(runGraph)', () => tf.tidy(() => m.runGraph([x], false)[0]));
const [k1, b1, k2, b2] = m.getWeights();
await time('raw ops', () => tf.tidy(() => tf.softmax(tf.fused.matMul({ a: tf.fused.matMul({ a: tf.reshape(x, [1, 784]), b: k1, bias: b1, activation: 'relu' }), b: k2, bias: b2 }))));
