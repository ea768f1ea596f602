/**
 * Batch-1 predict latency against its floor (bench/README.md, finding 8):
 * `tsx --conditions=strata-source src/predict-latency.ts <strata|tfjs-layers> <mlp|cnn> [wasm|native|cpu]`
 * (wasm by default; on native Strata's `predict` is also timed uncompiled, `jitCompile: false`).
 * Strata's `predict`, its `model.apply`, and the bare tf ops of the same network with the same weights;
 * medians of 2,500 calls after 1,500 warm-up calls (fewer warm-up calls overstate the latency by up to
 * 50 µs: XNNPACK's operator caches and V8's JIT settle slowly). Each library in its own process.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type BackendKind, useBackend } from './backend.js';
import { buildStrata, buildTfl } from './models.js';

const lib = process.argv[2] as 'strata' | 'tfjs-layers';
const kind = process.argv[3] as 'mlp' | 'cnn';
const backend = (process.argv[4] ?? 'wasm') as BackendKind;
await useBackend(lib, backend);
const shape = kind === 'mlp' ? [1, 28, 28] : [1, 28, 28, 1];
const x = tf.randomUniform(shape);
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
async function time(f: () => tf.Tensor, n = 4000) {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const p = f();
    await p.data();
    p.dispose();
    if (i >= 1500) lat.push(performance.now() - t0);
  }
  return med(lat) * 1000;
}
if (lib === 'strata') {
  const m = buildStrata(kind);
  const ws = m.getWeights();
  console.log('strata predict µs', (await time(() => m.predict(x, { batchSize: 1 }))).toFixed(1));
  if (backend === 'native') {
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', jitCompile: false });
    const uncompiled = await time(() => m.predict(x, { batchSize: 1 }));
    console.log('strata predict, jitCompile: false µs', uncompiled.toFixed(1));
  }
  console.log('strata model.apply µs', (await time(() => tf.tidy(() => m.apply(x) as tf.Tensor))).toFixed(1));
  const raw = () =>
    tf.tidy(() => {
      if (kind === 'mlp') {
        const h = tf.fused.matMul({
          a: tf.reshape(x, [1, 784]) as tf.Tensor2D,
          b: ws[0] as tf.Tensor2D,
          bias: ws[1],
          activation: 'relu',
        });
        return tf.softmax(tf.fused.matMul({ a: h, b: ws[2] as tf.Tensor2D, bias: ws[3] }));
      }
      // Conv2D(relu) then MaxPooling2D, twice: kernels and biases at 0, 1 and 2, 3.
      let h = x as tf.Tensor4D;
      for (const at of [0, 2]) {
        const filter = ws[at] as tf.Tensor4D;
        h = tf.fused.conv2d({ x: h, filter, strides: 1, pad: 'valid', bias: ws[at + 1], activation: 'relu' });
        h = tf.maxPool(h, 2, 2, 'valid');
      }
      return tf.softmax(
        tf.fused.matMul({ a: tf.reshape(h, [1, 1600]) as tf.Tensor2D, b: ws[4] as tf.Tensor2D, bias: ws[5] }),
      );
    });
  console.log('raw ops µs', (await time(raw)).toFixed(1));
  const prof = await tf.profile(() => m.predict(x, { batchSize: 1 }));
  console.log(prof.kernels.map((k) => k.name).join(' '));
} else {
  const tfl = await import('@tensorflow/tfjs-layers');
  const m = buildTfl(tfl, kind);
  console.log(
    'tfjs-layers predict µs',
    (await time(() => m.predict(x, { batchSize: 1 }) as tf.Tensor)).toFixed(1),
  );
  const prof = await tf.profile(() => m.predict(x, { batchSize: 1 }) as tf.Tensor);
  console.log(prof.kernels.map((k) => k.name).join(' '));
}
