/**
 * LSTM(128) over 100 timesteps, batch 64, input dim 32: forward and forward+backward time, Strata vs
 * @tensorflow/tfjs-layers on the same backend and the same weights. Not part of the default test run
 * (the include is src/ and test/); run by hand, from the repository root:
 *
 *   STRATA_BENCH_BACKENDS=cpu,wasm npx vitest run --config packages/layers/bench/vitest.bench.config.mjs
 *
 * It prints a table and asserts only that both produce the same outputs and weight gradients.
 */
import '@tensorflow/tfjs-backend-cpu';
import '../test/register-gradients.js';

import { createRequire } from 'node:module';
import path from 'node:path';

import { expectTensorsClose } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, it } from 'vitest';

import { LSTM } from '../src/index.js';

const BATCH = 64;
const TIME = 100;
const INPUT_DIM = 32;
const UNITS = 128;
const REPS = Number(process.env.STRATA_BENCH_REPS ?? 5);

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(fn: () => void): Promise<number> {
  fn();
  const samples: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

/** The wasm backend is a dependency of the bench app, not of this package: load it from there if present. */
async function loadWasm(): Promise<boolean> {
  try {
    const require = createRequire(path.resolve(__dirname, '../../../bench/package.json'));
    const entry = require.resolve('@tensorflow/tfjs-backend-wasm');
    const wasm = await import(entry);
    wasm.setWasmPaths(`${path.dirname(entry)}/`);
    return await tf.setBackend('wasm');
  } catch (e) {
    console.warn(`wasm backend unavailable: ${(e as Error).message}`);
    return false;
  }
}

describe('LSTM benchmark', () => {
  const backends = (process.env.STRATA_BENCH_BACKENDS ?? 'cpu').split(',');
  for (const backend of backends) {
    it(`on ${backend}`, async () => {
      if (backend === 'wasm') {
        if (!(await loadWasm())) return;
      } else {
        await tf.setBackend(backend);
      }
      await tf.ready();
      const x = tf.randomUniform([BATCH, TIME, INPUT_DIM], -1, 1);
      const ours = new LSTM({ units: UNITS });
      const theirs = tfl.layers.lstm({ units: UNITS, recurrentActivation: 'sigmoid' });
      tf.dispose(ours.apply(x));
      tf.dispose(theirs.apply(x) as tf.Tensor);
      const w = ours.getWeights();
      theirs.setWeights(w);
      tf.dispose(w);
      tf.tidy(() => expectTensorsClose(ours.apply(x), theirs.apply(x) as tf.Tensor, { atol: 1e-4 }));

      const ourVarsCheck = ours.trainableWeights.map((v) => v.value);
      const theirVarsCheck = theirs.trainableWeights.map((v) => v.read() as tf.Variable);
      tf.tidy(() => {
        const a = tf.variableGrads(() => tf.sum(ours.apply(x)) as tf.Scalar, ourVarsCheck).grads;
        const b = tf.variableGrads(
          () => tf.sum(theirs.apply(x) as tf.Tensor) as tf.Scalar,
          theirVarsCheck,
        ).grads;
        ourVarsCheck.forEach((v, i) => {
          expectTensorsClose(a[v.name], b[theirVarsCheck[i].name], { atol: 1e-3 });
        });
      });

      const forward = (layer: { apply: (x: tf.Tensor) => unknown }) => () =>
        tf.tidy(() => {
          (layer.apply(x) as tf.Tensor).dataSync();
        });
      const ourVars = ours.trainableWeights.map((v) => v.value);
      const theirVars = theirs.trainableWeights.map((v) => v.read() as tf.Variable);
      const backward = (layer: { apply: (x: tf.Tensor) => unknown }, vars: tf.Variable[]) => () =>
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar, vars);
          grads[vars[0].name].dataSync();
        });
      const rows = [
        ['forward', await time(forward(ours)), await time(forward(theirs))],
        ['forward+backward', await time(backward(ours, ourVars)), await time(backward(theirs, theirVars))],
      ] as const;
      console.log(
        `\nLSTM(${UNITS}), ${TIME} steps, batch ${BATCH}, input ${INPUT_DIM} on ${tf.getBackend()} (median of ${REPS})\n` +
          rows
            .map(
              ([name, a, b]) =>
                `  ${name.padEnd(17)} strata ${a.toFixed(1).padStart(8)} ms   tfjs-layers ${b.toFixed(1).padStart(8)} ms   speed-up ${(b / a).toFixed(2)}x`,
            )
            .join('\n'),
      );
      x.dispose();
      ours.dispose();
      theirs.dispose();
    }, 600_000);
  }
});
