// Taking a training batch (tf.slice of leading rows) from a large tensor on tfjs-backend-wasm, before
// and after Strata's Slice fix.
//
//   node packages/backends/bench/slice-batch.mjs      (from the repo root, after the workspace install)
//
// Not a test: it prints milliseconds per slice. The fixes are TypeScript, so esbuild (a devDependency)
// bundles them first, into node_modules/.cache.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const require = createRequire(path.join(pkg, 'package.json'));

const cache = path.join(pkg, 'node_modules/.cache/strata-bench');
mkdirSync(cache, { recursive: true });
const outfile = path.join(cache, 'slice-batch.cjs');
await esbuild.build({
  stdin: {
    contents: [
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

const rows = 12000;
const batch = 128;
const flat = tf.randomNormal([rows, 784]);
const images = tf.reshape(flat, [rows, 28, 28]);
const labels = tf.randomUniform([rows, 10], 0, 10, 'int32');

// Walks through the data batch by batch, as fit() does; the slice is disposed right away, so only the
// kernel (and its allocation) is timed.
function msPerSlice(x, size, reps = 30) {
  const run = (i) => {
    const start = (i * batch) % (rows - batch);
    const begin = [start, ...size.slice(1).map(() => 0)];
    tf.slice(x, begin, size).dispose();
  };
  for (let i = 0; i < 3; i++) run(i);
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run(i);
  return (performance.now() - t0) / reps;
}

const cases = {
  '128 rows of [12000, 784] float32': () => msPerSlice(flat, [batch, 784]),
  '128 rows of [12000, 28, 28] float32': () => msPerSlice(images, [batch, 28, 28]),
  '128 rows of [12000, 10] int32': () => msPerSlice(labels, [batch, 10]),
  'inner crop [12000, 28, 28] -> [128, 20, 20]': () => msPerSlice(images, [batch, 20, 20]),
};

removeKernelFixes('wasm');
const before = Object.fromEntries(Object.entries(cases).map(([k, f]) => [k, f()]));
installKernelFixes(wasmKernelFixes);
const after = Object.fromEntries(Object.entries(cases).map(([k, f]) => [k, f()]));

console.log(`tfjs-backend-wasm ${wasm.version_wasm}, Node ${process.version}`);
console.log('ms per tf.slice (mean of 30)');
for (const k of Object.keys(cases)) {
  console.log(
    `${k.padEnd(46)} before ${before[k].toFixed(3).padStart(8)}  after ${after[k].toFixed(3).padStart(8)}`,
  );
}
