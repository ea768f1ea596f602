/**
 * `pnpm --filter @strata/bench lstm` (issue #10): LSTM(128) over 100 timesteps, batch 64, input dim 32,
 * forward and forward+backward (gradients of every weight), Strata vs @tensorflow/tfjs-layers on the
 * same backend, same input and same weights. Each library runs in its own process with the backend its
 * users get (Strata through @strata/backends and its kernels, tfjs-layers on the stock tfjs backend).
 * The parent checks that both give the same outputs and gradients, then prints a table and writes
 * bench/lstm-results.json. STRATA_BENCH_BACKENDS=cpu,wasm picks backends; STRATA_BENCH_REPS the repeats.
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededValues } from '@strata/core/testing';

// tfjs-core's Node entry registers no gradients or chained ops; @strata/core registers tfjs's own (as
// the main bench's tfjs-layers cases get them). It changes no kernels.
import '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { type BackendKind, type Lib, useBackend } from './backend.js';

const BATCH = 64;
const TIME = 100;
const INPUT_DIM = 32;
const UNITS = 128;
const REPS = Number(process.env.STRATA_BENCH_REPS ?? 7);

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = join(here, '..');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

interface ChildResult {
  lib: Lib;
  backend: BackendKind;
  forwardMs: number;
  backwardMs: number;
  forwardSamples: number[];
  backwardSamples: number[];
  output: number[];
  grads: number[][];
  leakedTensors: number;
}

interface LayerLike {
  apply(x: tf.Tensor): unknown;
  setWeights(ws: tf.Tensor[]): void;
  variables: tf.Variable[];
}

async function makeLayer(lib: Lib): Promise<LayerLike> {
  if (lib === 'strata') {
    const { LSTM } = await import('@strata/layers');
    const layer = new LSTM({ units: UNITS });
    return {
      apply: (x) => layer.apply(x),
      setWeights: (ws) => layer.setWeights(ws),
      get variables() {
        return layer.trainableWeights.map((v) => v.value);
      },
    };
  }
  const tfl = await import('@tensorflow/tfjs-layers');
  const layer = tfl.layers.lstm({ units: UNITS, recurrentActivation: 'sigmoid' });
  return {
    apply: (x) => layer.apply(x),
    setWeights: (ws) => layer.setWeights(ws),
    get variables() {
      return layer.trainableWeights.map((v) => v.read() as tf.Variable);
    },
  };
}

async function child(lib: Lib, backend: BackendKind, out: string): Promise<void> {
  await useBackend(lib, backend);
  const x = tf.tensor3d(seededValues(BATCH * TIME * INPUT_DIM, 1, -1, 1), [BATCH, TIME, INPUT_DIM]);
  const layer = await makeLayer(lib);
  tf.dispose(layer.apply(x) as tf.Tensor); // builds the weights
  const weights = [
    tf.tensor2d(seededValues(INPUT_DIM * 4 * UNITS, 2, -0.15, 0.15), [INPUT_DIM, 4 * UNITS]),
    tf.tensor2d(seededValues(UNITS * 4 * UNITS, 3, -0.08, 0.08), [UNITS, 4 * UNITS]),
    tf.tensor1d(seededValues(4 * UNITS, 4, -0.5, 0.5)),
  ];
  layer.setWeights(weights);
  tf.dispose(weights);
  const vars = layer.variables;
  const forward = () => tf.tidy(() => (layer.apply(x) as tf.Tensor).dataSync());
  const backward = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar, vars);
      return vars.map((v) => Array.from(grads[v.name].dataSync()));
    });
  const output = Array.from(forward());
  const grads = backward();
  const before = tf.memory().numTensors;
  const time = (fn: () => unknown) => {
    const samples: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const t0 = performance.now();
      fn();
      samples.push(performance.now() - t0);
    }
    return samples;
  };
  const forwardSamples = time(forward);
  const backwardSamples = time(backward);
  const result: ChildResult = {
    lib,
    backend,
    forwardMs: median(forwardSamples),
    backwardMs: median(backwardSamples),
    forwardSamples,
    backwardSamples,
    // The last timestep's output for the first 4 sequences, and every weight gradient, for the check.
    output: output.slice(0, 4 * UNITS),
    grads,
    leakedTensors: tf.memory().numTensors - before,
  };
  writeFileSync(out, JSON.stringify(result));
}

function maxDiff(a: number[], b: number[]): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function parent(): void {
  const backends = (process.env.STRATA_BENCH_BACKENDS ?? 'cpu,wasm').split(',') as BackendKind[];
  const cache = join(benchDir, '.cache');
  mkdirSync(cache, { recursive: true });
  const tsx = join(benchDir, '..', 'node_modules', '.bin', 'tsx');
  const rows: Record<string, unknown>[] = [];
  const lines: string[] = [];
  for (const backend of backends) {
    const results: Partial<Record<Lib, ChildResult>> = {};
    for (const lib of ['strata', 'tfjs-layers'] as const) {
      const out = join(cache, `lstm-${lib}-${backend}.json`);
      const r = spawnSync(
        tsx,
        ['--conditions=strata-source', fileURLToPath(import.meta.url), lib, backend, out],
        {
          cwd: benchDir,
          encoding: 'utf8',
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      if (r.status !== 0) throw new Error(`${lib} on ${backend} failed:\n${r.stderr.slice(-3000)}`);
      results[lib] = JSON.parse(readFileSync(out, 'utf8')) as ChildResult;
    }
    const s = results.strata as ChildResult;
    const t = results['tfjs-layers'] as ChildResult;
    const outputDiff = maxDiff(s.output, t.output);
    const gradDiff = Math.max(...s.grads.map((g, i) => maxDiff(g, t.grads[i])));
    if (outputDiff > 1e-4 || gradDiff > 1e-2) {
      throw new Error(
        `Strata and tfjs-layers disagree on ${backend}: outputs ${outputDiff}, gradients ${gradDiff}`,
      );
    }
    rows.push({
      backend,
      strataForwardMs: s.forwardMs,
      tfjsLayersForwardMs: t.forwardMs,
      strataBackwardMs: s.backwardMs,
      tfjsLayersBackwardMs: t.backwardMs,
      forwardSpeedup: t.forwardMs / s.forwardMs,
      backwardSpeedup: t.backwardMs / s.backwardMs,
      outputMaxDiff: outputDiff,
      gradMaxDiff: gradDiff,
      leakedTensors: { strata: s.leakedTensors, 'tfjs-layers': t.leakedTensors },
      samples: {
        strata: [s.forwardSamples, s.backwardSamples],
        'tfjs-layers': [t.forwardSamples, t.backwardSamples],
      },
    });
    for (const [name, a, b] of [
      ['forward', s.forwardMs, t.forwardMs],
      ['forward+backward', s.backwardMs, t.backwardMs],
    ] as const) {
      lines.push(`| ${backend} | ${name} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(b / a).toFixed(2)}× |`);
    }
  }
  const header = `LSTM(${UNITS}), ${TIME} steps, batch ${BATCH}, input ${INPUT_DIM}; median of ${REPS}; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs`;
  console.log(
    `${header}\n\n| backend | pass | Strata ms | tfjs-layers ms | speed-up |\n|---|---|---:|---:|---:|\n${lines.join('\n')}`,
  );
  writeFileSync(
    join(benchDir, 'lstm-results.json'),
    `${JSON.stringify({ measuredAt: new Date().toISOString(), loadAverage: loadavg()[0], reps: REPS, rows }, null, 2)}\n`,
  );
}

const [lib, backend, out] = process.argv.slice(2);
if (lib) await child(lib as Lib, backend as BackendKind, out);
else parent();
