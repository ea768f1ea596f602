/**
 * Where one training step's time goes: `tsx profile.ts <lib> <mlp|cnn> <cpu|wasm|native>` prints the
 * kernels of a few fit steps (tf.profile), summed by kernel name, and the wall time outside them.
 */
import * as tf from '@tensorflow/tfjs-core';

import { type BackendKind, type Lib, useBackend } from './backend.js';
import { loadDigits, type ModelKind, sampleShape } from './data.js';

const [lib, kind, backend] = process.argv.slice(2) as [Lib, ModelKind, BackendKind];
await useBackend(lib, backend);
const models = await import('./models.js');
const steps = Number(process.env.STEPS ?? 8);
const d = loadDigits('train', 128 * steps);
const x = tf.tensor(d.images, [d.n, ...sampleShape(kind)]);
const y =
  lib === 'strata' ? tf.tensor1d(d.labels, 'int32') : tf.tensor2d(Float32Array.from(d.labels), [d.n, 1]);
const tfl = lib === 'tfjs-layers' ? await import('@tensorflow/tfjs-layers') : null;
const model: any = tfl ? models.buildTfl(tfl, kind) : models.buildStrata(kind);
const fit = () =>
  model.fit(x, y, { batchSize: 128, epochs: 1, verbose: 0, shuffle: process.env.SHUFFLE === '1' });
await fit();
await fit();
let t0 = performance.now();
await fit();
const wall = performance.now() - t0;
t0 = performance.now();
const info = await tf.profile(fit);
const profWall = performance.now() - t0;
const by = new Map<string, { ms: number; n: number }>();
for (const k of info.kernels) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  const shapes = k.inputShapes.map((s) => `[${s}]`).join(',');
  const key = `${k.name} ${shapes}`;
  const e = by.get(key) ?? { ms: 0, n: 0 };
  e.ms += ms;
  e.n++;
  by.set(key, e);
}
const rows = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms);
const kernelMs = rows.reduce((a, r) => a + r[1].ms, 0);
console.log(
  `${lib} ${kind} ${backend}: ${steps} steps, wall ${wall.toFixed(1)} ms (${(wall / steps).toFixed(2)}/step), profiled wall ${profWall.toFixed(1)}, kernels ${kernelMs.toFixed(1)} ms, ${info.kernels.length} kernel calls (${(info.kernels.length / steps).toFixed(0)}/step)`,
);
for (const [k, v] of rows.slice(0, 40))
  console.log(
    `${(v.ms / steps).toFixed(3).padStart(9)} ms/step  x${(v.n / steps).toFixed(1).padStart(5)}  ${k}`,
  );
