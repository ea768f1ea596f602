/**
 * `pnpm --filter @strata/bench webgl` (issue #11's WebGL cases) and `pnpm --filter @strata/bench webgpu`
 * (issue #21's): the MLP and the CNN trained by Strata and by @tensorflow/tfjs-layers on WebGL2 or WebGPU
 * in headless Chromium (/usr/bin/chromium, SwiftShader: a software GPU, so the figures compare the two
 * libraries and say nothing about real GPUs). Same data, initial weights, batch size and check as the
 * Node cases; each library in a fresh browser context. Writes bench/<backend>-results.json. BENCH_WEBGL_MLP_SAMPLES / BENCH_WEBGL_CNN_SAMPLES set the digits per
 * epoch (defaults 4,000 and 8,000 on webgl, 2,048 and 1,024 on webgpu: SwiftShader is slow; the whole webgl
 * run takes ~12 minutes here), BENCH_WEBGL_TEST_SAMPLES the test digits the check scores (default all
 * 10,000 on webgl, 2,000 on webgpu); BENCH_ONLY=mlp|cnn limits the models.
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_PATH, headlessChromiumOptions, WEBGPU_CHROMIUM_ARGS } from '@strata/core/testing';

import { useBackend } from './backend.js';
import {
  benchDir,
  dataFile,
  fmt,
  pageFiles,
  replaceReadmeSection,
  runPageCase,
  serve,
} from './browser-bench.js';
import type { ModelKind } from './data.js';
import type { PageSpec } from './webgl-page.js';

const BATCH = 128;
const backend = (process.argv[2] ?? 'webgl') as PageSpec['backend'];
if (backend !== 'webgl' && backend !== 'webgpu') {
  throw new Error(`Expected the backend 'webgl' or 'webgpu' as the argument. Received: ${backend}`);
}
// SwiftShader's WebGPU is several times slower than its WebGL: smaller default runs there.
const webgpu = backend === 'webgpu';
const TEST_SAMPLES = Number(process.env.BENCH_WEBGL_TEST_SAMPLES ?? (webgpu ? 2000 : 10000));
const SAMPLES: Record<ModelKind, number> = {
  mlp: Number(process.env.BENCH_WEBGL_MLP_SAMPLES ?? (webgpu ? 2048 : 4000)),
  cnn: Number(process.env.BENCH_WEBGL_CNN_SAMPLES ?? (webgpu ? 1024 : 8000)),
};
const models = (process.env.BENCH_ONLY ?? 'mlp,cnn').split(',') as ModelKind[];

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is absent: apt-get install -y chromium`);
  await useBackend('strata', 'cpu');
  const files = await pageFiles(models);
  let currentData: Buffer = Buffer.alloc(0);
  const { server, url } = await serve(files, () => currentData);

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    ...headlessChromiumOptions(),
    args: [...headlessChromiumOptions().args, ...(backend === 'webgpu' ? WEBGPU_CHROMIUM_ARGS : [])],
  });
  const rows: Record<string, unknown>[] = [];
  try {
    for (const model of models) {
      currentData = dataFile(SAMPLES[model], TEST_SAMPLES);
      const byLib: Record<string, Record<string, unknown>> = {};
      for (const lib of ['strata', 'tfjs-layers'] as const) {
        const spec: PageSpec = {
          lib,
          backend,
          model,
          samples: SAMPLES[model],
          testSamples: TEST_SAMPLES,
          batchSize: BATCH,
          epochs: model === 'mlp' ? 2 : 0,
        };
        process.stdout.write(`  ${lib} ${model} ${backend} ... `);
        const t0 = Date.now();
        byLib[lib] = await runPageCase(browser, url, spec);
        console.log(
          `${((Date.now() - t0) / 1000).toFixed(0)} s${byLib[lib].error ? ` FAILED: ${byLib[lib].error}` : ''}`,
        );
      }
      const s = byLib.strata as { samplesPerSec: number; check: { trainLoss: number; testAccuracy: number } };
      const t = byLib['tfjs-layers'] as typeof s;
      const lossDiff =
        s.check && t.check ? Math.abs(s.check.trainLoss - t.check.trainLoss) / t.check.trainLoss : null;
      const accDiff = s.check && t.check ? Math.abs(s.check.testAccuracy - t.check.testAccuracy) : null;
      rows.push({
        model,
        measuredAt: new Date().toISOString(),
        loadAverage: loadavg()[0],
        strata: byLib.strata,
        tfjsLayers: byLib['tfjs-layers'],
        speedup: s.samplesPerSec && t.samplesPerSec ? s.samplesPerSec / t.samplesPerSec : null,
        check: {
          lossDiff,
          accDiff,
          ok: lossDiff != null && accDiff != null && lossDiff <= 0.01 + 1e-9 && accDiff <= 0.01 + 1e-9,
        },
      });
    }
  } finally {
    await browser.close();
    server.close();
  }
  const lines = [
    `Last run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${backend === 'webgl' ? 'WebGL2' : 'WebGPU'} on SwiftShader in headless Chromium, ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)} (a partial run keeps the other rows; each row's time is measuredAt in ${backend}-results.json). Batch ${BATCH}, same initial weights; the first epoch is unshuffled and checked, the throughput is the median epoch.`,
    '',
    '| model | digits/epoch | Strata samples/s | tfjs-layers samples/s | speed-up | predict batch 1, ms (Strata / tfjs-layers) | predict batch 1024, samples/s (Strata / tfjs-layers) | tensors after each epoch (Strata / tfjs-layers) | one-epoch check |',
    '|---|---:|---:|---:|---:|---|---|---|---|',
  ];
  // A partial run (BENCH_ONLY) keeps the other models' rows from the last run, each with its own time.
  const resultsFile = join(benchDir, `${backend}-results.json`);
  const earlier = existsSync(resultsFile)
    ? ((JSON.parse(readFileSync(resultsFile, 'utf8')) as { rows?: Record<string, unknown>[] }).rows ?? [])
    : [];
  const merged = ['mlp', 'cnn']
    .map((m) => rows.find((r) => r.model === m) ?? earlier.find((r) => r.model === m))
    .filter((r): r is Record<string, unknown> => r != null);
  rows.splice(0, rows.length, ...merged);
  for (const r of rows) {
    const s = r.strata as Record<string, any>;
    const t = r.tfjsLayers as Record<string, any>;
    const c = r.check as { lossDiff: number | null; accDiff: number | null; ok: boolean };
    const counts = (x: Record<string, any>) =>
      (x.tensorsAfterEpoch as number[] | undefined)?.join(', ') ?? '–';
    lines.push(
      `| ${String(r.model).toUpperCase()} | ${s.samples} | ${s.error ? `error: ${s.error}` : fmt(s.samplesPerSec)} | ${t.error ? `error: ${t.error}` : fmt(t.samplesPerSec)} | ${fmt(r.speedup, 2)}× | ${fmt(s.predictBatch1Ms, 2)} / ${fmt(t.predictBatch1Ms, 2)} | ${fmt(s.predictBatch1024PerSec)} / ${fmt(t.predictBatch1024PerSec)} | ${counts(s)} / ${counts(t)} | ${c.ok ? '✅' : '❌'} loss ${fmt(s.check?.trainLoss, 4)} vs ${fmt(t.check?.trainLoss, 4)}, acc. ${fmt(s.check?.testAccuracy * 100, 2)}% vs ${fmt(t.check?.testAccuracy * 100, 2)}% |`,
    );
  }
  console.log(`\n${lines.join('\n')}`);
  replaceReadmeSection(backend, lines.join('\n'));
  writeFileSync(
    resultsFile,
    `${JSON.stringify({ measuredAt: new Date().toISOString(), loadAverage: loadavg()[0], rows }, null, 2)}\n`,
  );
}

await main();
