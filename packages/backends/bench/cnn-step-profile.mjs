// One training step of Keras's MNIST convnet on tfjs-backend-wasm with Strata's kernel fixes, kernel by
// kernel: Conv2D 32 3x3 relu → MaxPool 2 → Conv2D 64 3x3 relu → MaxPool 2 → Flatten → Dropout → Dense 10
// softmax, categorical crossentropy, SGD.
//
//   node packages/backends/bench/cnn-step-profile.mjs [--batch 128] [--runs 7] [--no-fixes]
//
// Not a test: it prints a table. Each kernel's time is tfjs's own per-kernel timing from `tf.profile`
// (wasm kernels run synchronously, so that is their wall time), median over the runs; the step time is
// measured separately, without the profiler, as the median of whole steps that end with a read-back.
// `--no-fixes` removes Strata's wasm fixes (wasm then lacks Conv2DBackpropFilter, so the step fails).
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import * as esbuild from 'esbuild';

const { values: args } = parseArgs({
  options: {
    batch: { type: 'string', default: '128' },
    runs: { type: 'string', default: '7' },
    'no-fixes': { type: 'boolean', default: false },
  },
});
const batch = Number(args.batch);
const runs = Number(args.runs);

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const require = createRequire(path.join(pkg, 'package.json'));

// tfjs-core with its gradients, the wasm backend, Strata's fixes and the test networks, from source.
const cache = path.join(pkg, 'node_modules/.cache/strata-bench');
mkdirSync(cache, { recursive: true });
const outfile = path.join(cache, 'cnn-step-profile.cjs');
await esbuild.build({
  stdin: {
    contents: [
      "import '@tensorflow/tfjs-core/dist/register_all_gradients';",
      "export * as tf from '@tensorflow/tfjs-core';",
      "export * as wasm from '@tensorflow/tfjs-backend-wasm';",
      "export { wasmKernelFixes } from './src/kernels/wasm/index.ts';",
      "export { installKernelFixes, removeKernelFixes } from './src/kernel-fixes.ts';",
      "export { mnistConvnet, batchFor } from './test/tf-networks.ts';",
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
const { tf, wasm, wasmKernelFixes, installKernelFixes, removeKernelFixes, mnistConvnet, batchFor } =
  require(outfile);

wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
await tf.setBackend('wasm');
await tf.ready();
removeKernelFixes('wasm');
if (!args['no-fixes']) installKernelFixes(wasmKernelFixes);

const net = { ...mnistConvnet, xShape: [batch, 28, 28, 1] };
const params = net.init();
const { x, y } = batchFor(net);
const vars = Object.values(params);

function step(i) {
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => net.loss(params, x, y, i), vars);
    for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], net.learningRate)));
    value.dataSync();
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const before = tf.memory().numTensors;
step(0); // warm-up: wasm compiles, XNNPACK caches operators
step(1);

// Per kernel: the k-th call of the step is the same kernel with the same shapes in every run.
const perCall = [];
for (let r = 0; r < runs; r++) {
  const profile = await tf.profile(() => step(2 + r));
  profile.kernels.forEach((k, i) => {
    perCall[i] ??= { name: k.name, inputs: k.inputShapes, output: k.outputShapes, ms: [] };
    perCall[i].ms.push(k.kernelTimeMs);
  });
}
const stepMs = [];
for (let r = 0; r < runs; r++) {
  const start = performance.now();
  step(100 + r);
  stepMs.push(performance.now() - start);
}
const leaked = tf.memory().numTensors - before;

const shape = (s) => (s == null ? '' : `[${s.join(',')}]`);
const rows = perCall.map((c) => ({
  kernel: c.name,
  shapes: `${c.inputs.map(shape).join(' ')} -> ${c.output.map(shape).join(' ')}`,
  ms: median(c.ms),
}));
const total = rows.reduce((a, r) => a + r.ms, 0);

console.log(
  `tfjs-backend-wasm ${wasm.version_wasm}, SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${wasm.getThreadsCount()}, Node ${process.version}, fixes ${args['no-fixes'] ? 'off' : 'on'}`,
);
console.log(`MNIST convnet training step, batch ${batch}; median of ${runs} runs, ms\n`);
console.log(`${'#'.padStart(3)}  ${'kernel'.padEnd(28)} ${'ms'.padStart(8)}  shapes (inputs -> output)`);
rows.forEach((r, i) => {
  if (r.ms < 0.05) return;
  console.log(`${String(i).padStart(3)}  ${r.kernel.padEnd(28)} ${r.ms.toFixed(2).padStart(8)}  ${r.shapes}`);
});
console.log(`\nkernels not shown (< 0.05 ms each): ${rows.filter((r) => r.ms < 0.05).length}`);

// The same, summed by kernel name.
const byName = new Map();
for (const r of rows) byName.set(r.kernel, (byName.get(r.kernel) ?? 0) + r.ms);
console.log('\nby kernel, ms per step:');
for (const [k, ms] of [...byName].sort((a, b) => b[1] - a[1])) {
  if (ms >= 0.05)
    console.log(
      `  ${k.padEnd(28)} ${ms.toFixed(2).padStart(8)}  ${((100 * ms) / total).toFixed(1).padStart(5)}%`,
    );
}
const stepMedian = median(stepMs);
console.log(`\nsum of kernel medians: ${total.toFixed(1)} ms`);
console.log(
  `whole step (no profiler), median of ${runs}: ${stepMedian.toFixed(1)} ms  ->  ${((1000 * batch) / stepMedian).toFixed(0)} samples/s`,
);
console.log(`tensors leaked over ${2 * runs + 2} steps: ${leaked}`);
tf.dispose([x, y, ...vars]);
