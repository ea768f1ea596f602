// Issue #4's benchmark: one optimizer step on 100 variables, Strata's Keras 3 optimizers side by side with
// the tfjs-core optimizer of the same kind, on the same backend. Reports medians; it is not a test.
// Run: pnpm --filter @strata/bench optimizers [-- --backend wasm]
import { Variable } from '@strata/core';
import { Adam, RMSprop, SGD } from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';

import { useBackend } from './backend.js';

const backendArg = process.argv.indexOf('--backend');
const backend = backendArg > 0 ? process.argv[backendArg + 1] : 'cpu';
await useBackend('strata', backend as 'cpu' | 'wasm');

const SHAPES = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? [64, 64] : [64]));
const RUNS = 30;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeSteps(step: () => void): number {
  for (let i = 0; i < 5; i++) step();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  return median(times);
}

interface Row {
  name: string;
  strataMs: number;
  tfjsMs: number;
  strataKernels: number;
  tfjsKernels: number;
}

async function compare(
  name: string,
  makeStrata: () => { apply(g: tf.Tensor[], v: Variable[]): void },
  makeTfjs: () => tf.Optimizer,
): Promise<Row> {
  const vars = SHAPES.map((s, i) => new Variable({ initialValue: tf.randomNormal(s), name: `w${i}` }));
  const grads = SHAPES.map((s) => tf.randomNormal(s));
  const strata = makeStrata();
  const before = tf.memory().numTensors;
  const strataMs = timeSteps(() => strata.apply(grads, vars));
  // tf.profile hands back the engine's one profile object, which the next profile overwrites: count now.
  const strataKernels = (await tf.profile(() => strata.apply(grads, vars))).kernels.length;

  const tfVars = SHAPES.map((s) => tf.variable(tf.randomNormal(s)));
  const tfOpt = makeTfjs();
  const named = () => Object.fromEntries(tfVars.map((v, i) => [v.name, grads[i]]));
  const tfjsMs = timeSteps(() => tfOpt.applyGradients(named()));
  const tfjsKernels = (await tf.profile(() => tfOpt.applyGradients(named()))).kernels.length;
  const grown = tf.memory().numTensors - before;
  if (grown > 1000) throw new Error(`${name}: ${grown} tensors left behind`);
  tf.dispose([...grads, ...tfVars]);
  for (const v of vars) v.dispose();
  return {
    name,
    strataMs,
    tfjsMs,
    strataKernels,
    tfjsKernels,
  };
}

const rows = [
  await compare(
    'SGD (momentum 0.9)',
    () => new SGD({ learningRate: 0.01, momentum: 0.9 }),
    () => tf.train.momentum(0.01, 0.9),
  ),
  await compare(
    'Adam',
    () => new Adam(),
    () => tf.train.adam(0.001),
  ),
  await compare(
    'RMSprop',
    () => new RMSprop(),
    () => tf.train.rmsprop(0.001, 0.9),
  ),
];
console.log(
  `One step on 100 variables (50 of 64x64, 50 of 64), backend ${tf.getBackend()}, median of ${RUNS}:`,
);
console.log('| optimizer | Strata ms | tfjs-core ms | Strata kernels | tfjs-core kernels |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.strataMs.toFixed(2)} | ${r.tfjsMs.toFixed(2)} | ${r.strataKernels} | ${r.tfjsKernels} |`,
  );
}
