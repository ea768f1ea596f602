/**
 * `pnpm --filter @strata/bench wasm-threads` (issue 20's browser route): Strata trains the MLP and the CNN
 * on the WebAssembly backend in headless Chromium, on 1 thread (the SIMD build) and on 2 (the threaded
 * SIMD build: XNNPACK's pthreadpool on Web Workers over a shared memory, with Strata's own threaded GEMM,
 * convolutions and MaxPool gradient on its Web Workers), in a page served with COOP/COEP so
 * it is cross-origin isolated. Same data, initial weights and batch as the Node cases. Writes
 * bench/wasm-threads-results.json and the table between the wasm-threads markers of bench/README.md.
 * BENCH_WASM_MLP_SAMPLES / BENCH_WASM_CNN_SAMPLES set the digits per epoch (defaults 6,000 and 2,048),
 * BENCH_WASM_THREADS the thread counts (default "1,2"), BENCH_ONLY=mlp|cnn limits the models. Then times
 * the two largest products alone in onnxruntime-web's threaded wasm on the same thread counts.
 * BENCH_WASM_ORT=0 skips onnxruntime-web. BENCH_WASM_PROFILE=<steps> also prints where each case's training step goes, per kernel (tf.profile).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_PATH, headlessChromiumOptions } from '@strata/core/testing';

import { useBackend } from './backend.js';
import {
  benchDir,
  dataFile,
  fmt,
  ortFiles,
  pageFiles,
  replaceReadmeSection,
  runPageCase,
  serve,
  wasmFiles,
} from './browser-bench.js';
import type { ModelKind } from './data.js';
import type { PageSpec, StepProfile } from './webgl-page.js';

const BATCH = 128;
const TEST_SAMPLES = 2000;
const SAMPLES: Record<ModelKind, number> = {
  mlp: Number(process.env.BENCH_WASM_MLP_SAMPLES ?? 6000),
  cnn: Number(process.env.BENCH_WASM_CNN_SAMPLES ?? 2048),
};
const THREADS = (process.env.BENCH_WASM_THREADS ?? '1,2').split(',').map(Number);
const models = (process.env.BENCH_ONLY ?? 'mlp,cnn').split(',') as ModelKind[];
// Cross-origin isolation: without both headers the page has no SharedArrayBuffer, so no threads.
const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

type StepMs = { p10: number; median: number };

/** A row's step times, and 1 thread's over them (the speed-up at the fastest tenth and at the median). */
function stepCell(r: Record<string, any>, one: Record<string, any> | undefined): string {
  const s = r.stepMs as StepMs | undefined;
  const o = one?.stepMs as StepMs | undefined;
  if (s == null) return '–';
  const vs = o ? ` (${fmt(o.p10 / s.p10, 2)}×, ${fmt(o.median / s.median, 2)}×)` : '';
  return `${fmt(s.p10, 1)} / ${fmt(s.median, 1)}${vs}`;
}

function printProfile(p: StepProfile): void {
  console.log(
    `    ${p.wallMsPerStep.toFixed(2)} ms/step (profiled), kernels ${p.kernelMsPerStep.toFixed(2)} ms/step:`,
  );
  for (const r of p.rows.slice(0, 25)) {
    console.log(
      `    ${r.msPerStep.toFixed(3).padStart(8)} ms  x${r.callsPerStep.toFixed(1).padStart(4)}  ${r.kernel}`,
    );
  }
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is absent: apt-get install -y chromium`);
  await useBackend('strata', 'cpu');
  const files = await pageFiles(models);
  wasmFiles(files);
  ortFiles(files);
  let currentData: Buffer = Buffer.alloc(0);
  const { server, url } = await serve(files, () => currentData, ISOLATION);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch(headlessChromiumOptions());
  const rows: Record<string, unknown>[] = [];
  const ortRows: Array<{
    threads: number;
    ms?: { gemm: number; conv: number };
    loadAverage?: number;
    error?: string;
  }> = [];
  try {
    for (const model of models) {
      currentData = dataFile(SAMPLES[model], TEST_SAMPLES);
      for (const threads of THREADS) {
        const spec: PageSpec = {
          lib: 'strata',
          backend: 'wasm',
          threads,
          model,
          samples: SAMPLES[model],
          testSamples: TEST_SAMPLES,
          batchSize: BATCH,
          epochs: 3,
          profileSteps: Number(process.env.BENCH_WASM_PROFILE ?? 0) || undefined,
        };
        process.stdout.write(`  strata ${model} wasm ${threads} thread(s) ... `);
        const t0 = Date.now();
        const result = await runPageCase(browser, url, spec);
        console.log(
          `${((Date.now() - t0) / 1000).toFixed(0)} s${result.error ? ` FAILED: ${result.error}` : ''}`,
        );
        rows.push({ ...result, measuredAt: new Date().toISOString(), loadAverage: loadavg()[0] });
        if (result.profile) printProfile(result.profile as StepProfile);
      }
    }
    // onnxruntime-web's threaded wasm on the same shapes as the "largest product alone" column.
    for (const threads of process.env.BENCH_WASM_ORT === '0' ? [] : THREADS) {
      const context = await browser.newContext();
      const page = await context.newPage();
      try {
        await page.goto(`${url}ort.html`);
        await page.waitForFunction(() => 'timeOrt' in globalThis, undefined, { timeout: 60_000 });
        const ms = await page.evaluate(
          (n) => (globalThis as unknown as { timeOrt(n: number): Promise<unknown> }).timeOrt(n),
          threads,
        );
        ortRows.push({ threads, ms: ms as { gemm: number; conv: number }, loadAverage: loadavg()[0] });
      } catch (e) {
        ortRows.push({ threads, error: (e as Error).message.split('\n')[0] });
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser.close();
    server.close();
  }
  const lines = [
    `Last run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: tfjs-backend-wasm 4.22 with Strata's kernels in headless Chromium (a cross-origin isolated page), ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)} at the end (each row's is in wasm-threads-results.json). Batch ${BATCH}, same initial weights; the first epoch is unshuffled and checked, the throughput is the median of 3 shuffled epochs. The kernel columns are medians of 20 calls, each reading its result back to the host.`,
    '',
    '| model | digits/epoch | threads (build) | samples/s | vs 1 thread | step ms, fastest tenth / median (vs 1 thread) | largest product alone, ms | Adam 784×512, ms | predict batch 1, ms | predict batch 1024, samples/s | tensors after each epoch | first-epoch loss | test accuracy | load avg |',
    '|---|---:|---|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|',
  ];
  for (const r of rows as Array<Record<string, any>>) {
    const one = rows.find((o) => o.model === r.model && o.threads === 1) as Record<string, any> | undefined;
    const build = r.threads > 1 ? "threaded SIMD + Strata's kernels" : 'SIMD';
    lines.push(
      r.error
        ? `| ${String(r.model).toUpperCase()} | ${r.samples} | ${r.threads} | error: ${r.error} | | | | | | | | | | |`
        : `| ${String(r.model).toUpperCase()} | ${r.samples} | ${r.threadsUsed} (${build}) | ${fmt(r.samplesPerSec)} | ${one?.samplesPerSec ? `${fmt(r.samplesPerSec / one.samplesPerSec, 2)}×` : '–'} | ${stepCell(r, one)} | ${fmt(r.kernelMs?.[r.model === 'mlp' ? 'gemm' : 'conv'], 2)} | ${fmt(r.kernelMs?.adam, 2)} | ${fmt(r.predictBatch1Ms, 2)} | ${fmt(r.predictBatch1024PerSec)} | ${(r.tensorsAfterEpoch as number[]).join(', ')} | ${fmt(r.check?.trainLoss, 4)} | ${fmt(r.check?.testAccuracy * 100, 2)}% | ${fmt(r.loadAverage, 1)} |`,
    );
  }
  lines.push(
    '',
    'The same two products in onnxruntime-web 1.31 (its threaded SIMD wasm, `numThreads`), one-node models from src/ort-models.py, median of 20 runs, ms:',
    '',
    '| threads | GEMM 128×784·784×512 | 3×3 convolution 128×13×13×32 → 64 (NCHW) | load avg |',
    '|---:|---:|---:|---:|',
    ...ortRows.map((r) =>
      r.error
        ? `| ${r.threads} | error: ${r.error} | | |`
        : `| ${r.threads} | ${fmt(r.ms?.gemm, 2)} | ${fmt(r.ms?.conv, 2)} | ${fmt(r.loadAverage, 1)} |`,
    ),
  );
  console.log(`\n${lines.join('\n')}`);
  replaceReadmeSection('wasm-threads', lines.join('\n'));
  writeFileSync(
    join(benchDir, 'wasm-threads-results.json'),
    `${JSON.stringify({ measuredAt: new Date().toISOString(), loadAverage: loadavg()[0], rows, onnxruntimeWeb: ortRows }, null, 2)}\n`,
  );
}

await main();
