// Dense's backward pass on tfjs-backend-wasm, before and after Strata's kernel fixes.
//
//   node packages/backends/bench/dense-backward.mjs      (from the repo root, after the workspace install)
//
// Not a test: it prints milliseconds per step. The fixes are TypeScript, so esbuild (a devDependency)
// bundles them first, into node_modules/.cache.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const require = createRequire(path.join(pkg, 'package.json'));

// One CommonJS bundle holds tfjs-core with its gradients (tfjs-core's main entry leaves them out, and its
// ESM files cannot be imported by Node directly), the wasm backend, and Strata's fixes from source.
const cache = path.join(pkg, 'node_modules/.cache/strata-bench');
mkdirSync(cache, { recursive: true });
const outfile = path.join(cache, 'dense-backward.cjs');
await esbuild.build({
  stdin: {
    contents: [
      "import '@tensorflow/tfjs-core/dist/register_all_gradients';",
      "export * as tf from '@tensorflow/tfjs-core';",
      "export * as wasm from '@tensorflow/tfjs-backend-wasm';",
      "export { wasmKernelFixes } from './src/kernels/wasm/index.ts';",
      "export { installKernelFixes, removeKernelFixes } from './src/kernel-fixes.ts';",
    ].join('\n'),
    resolveDir: pkg,
    loader: 'ts',
  },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  mainFields: ['module', 'main'],
  outfile,
  logLevel: 'error',
});
const { tf, wasm, wasmKernelFixes, installKernelFixes, removeKernelFixes } = require(outfile);

wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
await tf.setBackend('wasm');
await tf.ready();

const [batch, inputs, units] = [128, 784, 512];
const x = tf.randomNormal([batch, inputs]);
const w = tf.variable(tf.randomNormal([inputs, units], 0, 0.05));
const b = tf.variable(tf.zeros([units]));
const dy = tf.randomNormal([batch, units]);

// Each step reads back one number (the sum of the result), which waits for the work without timing a
// large host copy.
function msPerStep(fn, reps = 20) {
  for (let i = 0; i < 3; i++) tf.tidy(() => tf.sum(fn()).dataSync());
  const start = performance.now();
  for (let i = 0; i < reps; i++) tf.tidy(() => tf.sum(fn()).dataSync());
  return (performance.now() - start) / reps;
}

const cases = {
  'matMul x·W (plain, reference)': () => tf.matMul(x, w),
  'dW = xᵀ·dy (transposeA)': () => tf.matMul(x, dy, true, false),
  'dx = dy·Wᵀ (transposeB)': () => tf.matMul(dy, w, false, true),
  'explicit transpose of W (reference)': () => tf.transpose(w),
  'fused dx = dy·Wᵀ (_FusedMatMul, transposeB)': () => tf.fused.matMul({ a: dy, b: w, transposeB: true }),
  'Dense backward: grads of relu(x·W + b) wrt W, b': () => {
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.fused.matMul({ a: x, b: w, bias: b, activation: 'relu' })),
      [w, b],
    );
    return tf.add(tf.sum(grads[w.name]), tf.sum(grads[b.name]));
  },
  'Dense backward incl. input gradient: grads wrt x, W, b': () => {
    const [gx, gw, gb] = tf.grads((xi, wi, bi) =>
      tf.sum(tf.fused.matMul({ a: xi, b: wi, bias: bi, activation: 'relu' })),
    )([x, w, b]);
    return tf.add(tf.add(tf.sum(gx), tf.sum(gw)), tf.sum(gb));
  },
};

removeKernelFixes('wasm');
const before = Object.fromEntries(Object.entries(cases).map(([k, f]) => [k, msPerStep(f)]));
installKernelFixes(wasmKernelFixes);
const after = Object.fromEntries(Object.entries(cases).map(([k, f]) => [k, msPerStep(f)]));

console.log(
  `tfjs-backend-wasm ${wasm.version_wasm}, SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${wasm.getThreadsCount()}, Node ${process.version}`,
);
console.log(`Dense ${batch}x${inputs} -> ${units}, ms per step (mean of 20)`);
for (const k of Object.keys(cases)) {
  console.log(
    `${k.padEnd(52)} before ${before[k].toFixed(2).padStart(7)}  after ${after[k].toFixed(2).padStart(7)}`,
  );
}
