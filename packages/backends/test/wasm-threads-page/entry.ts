/**
 * The browser half of wasm-threads-browser.test.ts, bundled by esbuild: selects the wasm backend with
 * `setWasmThreads(threads)` in a page that is (or is not) cross-origin isolated, then checks kernels and
 * training on it against cpu.
 */
import '@strata/backends/cpu';
import { getBackend, setBackend } from '@strata/backends';
import { setWasmThreads } from '@strata/backends/wasm';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

import { activeThreadPool } from '../../src/kernels/wasm/threaded/kernels.js';
import { type AdamUpdateCheck, checkAdamUpdate } from '../adam-update-check.js';
import { layerCases, recordKernels } from '../layer-cases.js';
import { networks, trainSteps } from '../tf-networks.js';

export interface PageResults {
  isolated: boolean;
  /** The error `setBackend('wasm')` threw, if it did (then nothing else ran). */
  error?: string;
  /** The backend active after the attempt. */
  backend: string;
  /** What Strata printed with console.warn while selecting wasm (twice). */
  warnings: string[];
  threads?: number;
  /** Threads of Strata's own kernels (their pool), or 1 where none runs. */
  strataThreads?: number;
  /**
   * Per case at the bench models' sizes: the worst difference from cpu of the value and of the gradients,
   * relative to each tensor's largest magnitude.
   */
  kernels?: Array<{ name: string; worstValue: number; worstGrad: number; leaked: number }>;
  layers?: Array<{ name: string; worstGradDiff: number }>;
  /** Losses before each of 3 steps and after the last; cpu's only in a full check. */
  training?: Array<{ name: string; wasm: number[]; cpu: number[]; leaked: number }>;
  adamUpdate?: AdamUpdateCheck[];
}

const seeded = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

/** The products, convolutions and pooling of the bench's MLP and CNN at batch 8, forward and backward. */
const kernelCases: Array<{ name: string; inputs: number[][]; run(...xs: tf.Tensor[]): tf.Scalar }> = [
  {
    name: 'Dense 784→512 (fused bias + relu)',
    inputs: [[8, 784], [784, 512], [512]],
    run: (x, w, b) => tf.sum(tf.fused.matMul({ a: x, b: w, bias: b, activation: 'relu' })),
  },
  {
    name: 'Conv2D 3x3 1→32 on 28x28 (fused bias + relu)',
    inputs: [[8, 28, 28, 1], [3, 3, 1, 32], [32]],
    run: (x, f, b) =>
      tf.sum(
        tf.square(
          tf.fused.conv2d({
            x: x as tf.Tensor4D,
            filter: f as tf.Tensor4D,
            strides: 1,
            pad: 'valid',
            bias: b,
            activation: 'relu',
          }),
        ),
      ),
  },
  {
    name: 'Conv2D 3x3 32→64 on 13x13, stride 2, same padding',
    inputs: [
      [8, 13, 13, 32],
      [3, 3, 32, 64],
    ],
    run: (x, f) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'))),
  },
  {
    name: 'MaxPooling2D 2x2 on 26x26x32',
    inputs: [[8, 26, 26, 32]],
    run: (x) => tf.sum(tf.square(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'))),
  },
];

async function valueAndGrads(c: (typeof kernelCases)[number]): Promise<Float32Array[]> {
  const xs = c.inputs.map((shape, i) => seeded(shape, 11 + i));
  const { value, grads } = tf.valueAndGrads((...args: tf.Tensor[]) => c.run(...args))(xs);
  const out = await Promise.all([value, ...grads].map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([value, ...grads, ...xs]);
  return out;
}

async function checkKernels(): Promise<PageResults['kernels']> {
  const out: NonNullable<PageResults['kernels']> = [];
  for (const c of kernelCases) {
    await setBackend('cpu');
    const cpu = await valueAndGrads(c);
    await setBackend('wasm');
    const before = tf.memory().numTensors;
    const wasm = await valueAndGrads(c);
    const leaked = tf.memory().numTensors - before;
    // Relative to the tensor's largest magnitude: an element near zero is a sum of terms that cancel.
    const worst = (i: number) => {
      const scale = 1 + cpu[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      let w = 0;
      for (const [j, v] of cpu[i].entries()) {
        const d = Math.abs(v - wasm[i][j]) / scale;
        w = Math.max(w, Number.isNaN(d) ? Infinity : d);
      }
      return w;
    };
    const grads = cpu.slice(1).map((_, i) => worst(i + 1));
    out.push({ name: c.name, worstValue: worst(0), worstGrad: Math.max(...grads), leaked });
  }
  return out;
}

/**
 * Selects wasm with `threads` and trains the networks on it; with `full`, also on cpu, and checks kernels,
 * layers and Adam.
 */
async function runChecks(threads: number | 'auto', full: boolean): Promise<PageResults> {
  setWasmPaths('/wasm/');
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.join(' '));
  const isolated = globalThis.crossOriginIsolated === true;
  await setBackend('cpu');
  try {
    setWasmThreads(threads);
    // Twice: the one-thread fallback must be said once.
    await setBackend('wasm');
    await setBackend('wasm');
  } catch (e) {
    return { isolated, error: (e as Error).message, backend: getBackend(), warnings };
  } finally {
    console.warn = warn;
  }
  const training: NonNullable<PageResults['training']> = [];
  for (const net of networks) {
    await setBackend('wasm');
    const before = tf.memory().numTensors;
    const wasm = trainSteps(net, 3);
    const leaked = tf.memory().numTensors - before;
    await setBackend('cpu');
    training.push({ name: net.name, wasm, cpu: full ? trainSteps(net, 3) : [], leaked });
  }
  await setBackend('wasm');
  const threadsUsed = getThreadsCount();
  const strataThreads = activeThreadPool()?.threads ?? 1;
  if (!full)
    return { isolated, backend: getBackend(), warnings, threads: threadsUsed, strataThreads, training };
  const layers: NonNullable<PageResults['layers']> = [];
  for (const c of layerCases) {
    await setBackend('cpu');
    const cpu = await recordKernels(c);
    await setBackend('wasm');
    const wasm = await recordKernels(c, { profile: false });
    let worst = 0;
    for (const [i, g] of cpu.grads.entries()) {
      for (const [j, v] of g.entries()) worst = Math.max(worst, Math.abs(v - wasm.grads[i][j]));
    }
    layers.push({ name: c.name, worstGradDiff: worst });
  }
  const kernels = await checkKernels();
  await setBackend('wasm');
  const adamUpdate = await checkAdamUpdate('wasm');
  return {
    isolated,
    backend: getBackend(),
    warnings,
    threads: threadsUsed,
    strataThreads,
    kernels,
    layers,
    training,
    adamUpdate,
  };
}

(globalThis as unknown as { runChecks: typeof runChecks }).runChecks = runChecks;
