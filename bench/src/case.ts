/**
 * One benchmark case, run in its own process by run.ts: `tsx case.ts '<json spec>'`. Writes its
 * result as JSON to spec.out. Kinds:
 * - init:    builds the Strata model once and writes its initial weights (shared by both libraries).
 * - train:   one library × model × backend: timed epochs, the one-epoch loss/accuracy check, tensor
 *            counts, peak RSS, predict latency/throughput, and (Strata MLP) the progress-bar cost.
 * - kernels: the kernel ceiling: the step's matrix products and convolutions alone, fwd + bwd.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';

import { type BackendKind, type Lib, useBackend } from './backend.js';
import { loadDigits, type ModelKind, sampleShape } from './data.js';
import { packWeights, score, unpackWeights } from './weights-and-score.js';

export interface CaseSpec {
  kind: 'init' | 'train' | 'kernels';
  lib: Lib;
  model: ModelKind;
  backend: BackendKind;
  /** Timed epochs after the check epoch. */
  epochs: number;
  /** Number of training digits per epoch. */
  samples: number;
  batchSize: number;
  /** Test digits used for the loss/accuracy check. */
  checkSamples: number;
  /** Pairs of (verbose 1, verbose 0) epochs for the progress-bar cost; 0 skips it. */
  progbarPairs: number;
  weights: string;
  out: string;
}

const spec = JSON.parse(process.argv[2]) as CaseSpec;
const now = () => performance.now();
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

interface Net {
  fit(x: tf.Tensor, y: tf.Tensor, opts: { verbose: 0 | 1; shuffle: boolean }): Promise<number>;
  predict(x: tf.Tensor, batchSize: number): tf.Tensor;
  setWeights(ws: tf.Tensor[]): void;
  getWeights(): tf.Tensor[];
  /** Labels in the form the library's sparse crossentropy takes. */
  labels(y: Int32Array): tf.Tensor;
}

async function makeNet(lib: Lib, kind: ModelKind): Promise<Net> {
  const models = await import('./models.js');
  const batchSize = spec.batchSize;
  if (lib === 'strata') {
    const m = models.buildStrata(kind);
    return {
      async fit(x, y, o) {
        const h = await m.fit(x, y, { batchSize, epochs: 1, verbose: o.verbose, shuffle: o.shuffle });
        return h.history.loss[0] as number;
      },
      predict: (x, b) => m.predict(x, { batchSize: b }),
      setWeights: (ws) => m.setWeights(ws),
      getWeights: () => m.getWeights(),
      labels: (y) => tf.tensor1d(y, 'int32'),
    };
  }
  const tfl = await import('@tensorflow/tfjs-layers');
  const m = models.buildTfl(tfl, kind);
  return {
    async fit(x, y, o) {
      const h = await m.fit(x, y, { batchSize, epochs: 1, verbose: o.verbose, shuffle: o.shuffle });
      return h.history.loss[0] as number;
    },
    predict: (x, b) => m.predict(x, { batchSize: b }) as tf.Tensor,
    setWeights: (ws) => m.setWeights(ws),
    getWeights: () => m.getWeights(),
    // tfjs-layers' sparse crossentropy wants float labels shaped like the output minus the class axis + 1.
    labels: (y) => tf.tensor2d(Float32Array.from(y), [y.length, 1]),
  };
}

function images(d: { images: Float32Array; n: number }, kind: ModelKind): tf.Tensor {
  return tf.tensor(d.images, [d.n, ...sampleShape(kind)], 'float32');
}

function readWeights(): tf.Tensor[] {
  const meta = JSON.parse(readFileSync(`${spec.weights}.json`, 'utf8')) as { shapes: number[][] };
  const buf = readFileSync(`${spec.weights}.bin`);
  return unpackWeights(
    meta.shapes,
    new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)),
  );
}

async function runInit(): Promise<unknown> {
  await useBackend('strata', 'cpu');
  const net = await makeNet('strata', spec.model);
  const { shapes, values } = packWeights(net.getWeights());
  writeFileSync(`${spec.weights}.bin`, Buffer.from(values.buffer));
  writeFileSync(`${spec.weights}.json`, JSON.stringify({ shapes }));
  return { shapes };
}

async function runTrain(): Promise<unknown> {
  await useBackend(spec.lib, spec.backend);
  const train = loadDigits('train', spec.samples);
  const test = loadDigits('test', spec.checkSamples);
  const x = images(train, spec.model);
  const y = (await makeNet(spec.lib, spec.model)).labels(train.labels);
  const xTest = images(test, spec.model);
  const result: Record<string, unknown> = {
    lib: spec.lib,
    model: spec.model,
    backend: spec.backend,
    samples: spec.samples,
  };

  // Warm-up on a throw-away model: compiles wasm, fills kernel caches and the JIT.
  {
    const warm = await makeNet(spec.lib, spec.model);
    const xs = tf.slice(x, 0, spec.batchSize * 3);
    const ys = tf.slice(y, 0, spec.batchSize * 3);
    try {
      await warm.fit(xs, ys, { verbose: 0, shuffle: true });
    } catch (e) {
      result.trainError = (e as Error).message.split('\n')[0];
    }
    tf.dispose([xs, ys, ...warm.getWeights()]);
  }

  const net = await makeNet(spec.lib, spec.model);
  const init = readWeights();
  net.setWeights(init);
  tf.dispose(init);

  const epochMs: number[] = [];
  const tensorsAfterEpoch: number[] = [];
  if (result.trainError == null) {
    // Epoch 1 (no shuffle, so both libraries see the batches in the same order) is both timed and checked.
    let t0 = now();
    const trainLoss = await net.fit(x, y, { verbose: 0, shuffle: false });
    const epochLoss = [trainLoss];
    epochMs.push(now() - t0);
    tensorsAfterEpoch.push(tf.memory().numTensors);
    const probs = net.predict(xTest, 1024);
    const check = score((await probs.data()) as Float32Array, test.labels);
    probs.dispose();
    result.check = { trainLoss, testLoss: check.loss, testAccuracy: check.accuracy, testSamples: test.n };
    for (let e = 0; e < spec.epochs; e++) {
      t0 = now();
      epochLoss.push(await net.fit(x, y, { verbose: 0, shuffle: true }));
      epochMs.push(now() - t0);
      tensorsAfterEpoch.push(tf.memory().numTensors);
    }
    result.epochLoss = epochLoss;
    result.epochMs = epochMs;
    result.samplesPerSec = (spec.samples / median(epochMs)) * 1000;
    result.tensorsAfterEpoch = tensorsAfterEpoch;

    if (spec.progbarPairs > 0) {
      // Draw the interactive bar (redrawn in place, metrics read ~10×/s) although stdout is a pipe to
      // run.ts: that is the costly path a terminal user gets.
      Object.assign(process.stdout, { isTTY: true, columns: 100 });
      const v1: number[] = [];
      const v0: number[] = [];
      for (let p = 0; p < spec.progbarPairs; p++) {
        for (const verbose of [1, 0] as const) {
          t0 = now();
          await net.fit(x, y, { verbose, shuffle: true });
          (verbose ? v1 : v0).push(now() - t0);
        }
      }
      result.progbar = { verbose1Ms: v1, verbose0Ms: v0, overhead: median(v1) / median(v0) - 1 };
    }
  }

  // Predict: latency at batch 1 (to a host value), throughput at batch 1024.
  {
    const one = tf.slice(xTest, 0, 1);
    const lat: number[] = [];
    for (let i = 0; i < 250; i++) {
      const t0 = now();
      const p = net.predict(one, 1);
      await p.data();
      p.dispose();
      if (i >= 50) lat.push(now() - t0);
    }
    one.dispose();
    const big = tf.tidy(() => {
      const reps = [Math.ceil(1024 / test.n), ...sampleShape(spec.model).map(() => 1)];
      return tf.slice(tf.tile(xTest, reps), 0, 1024);
    });
    const thr: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t0 = now();
      const p = net.predict(big, 1024);
      await p.data();
      p.dispose();
      if (i >= 1) thr.push(now() - t0);
    }
    big.dispose();
    result.predict = { batch1Ms: median(lat), batch1024SamplesPerSec: (1024 / median(thr)) * 1000 };
  }
  result.peakRssMB = process.resourceUsage().maxRSS / 1024;
  result.finalTensors = tf.memory().numTensors;
  return result;
}

/** A kernel of the step: its operands, and the call, made on fresh copies of them. */
type Op = { name: string; flops: number; inputs: tf.Tensor[]; run: (ins: tf.Tensor[]) => tf.Tensor };

function kernelOps(kind: ModelKind, b: number): { ops: Op[]; keep: tf.Tensor[] } {
  const keep: tf.Tensor[] = [];
  const r = (shape: number[]) => {
    const t = tf.randomNormal(shape);
    keep.push(t);
    return t;
  };
  const mm = (name: string, m: number, k: number, n: number): Op => {
    const a = r([m, k]);
    const c = r([k, n]);
    return {
      name: `${name} [${m}x${k}]·[${k}x${n}]`,
      flops: 2 * m * k * n,
      inputs: [a, c],
      run: ([p, q]) => tf.matMul(p, q),
    };
  };
  const conv = (name: string, x: number[], f: number[]): Op[] => {
    const [n, h, w, ci] = x;
    const co = f[3];
    const oh = h - f[0] + 1;
    const ow = w - f[1] + 1;
    const flops = 2 * n * oh * ow * co * f[0] * f[1] * ci;
    const xt = r(x);
    const ft = r(f);
    const dy = r([n, oh, ow, co]);
    const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] };
    const ops: Op[] = [
      {
        name: `${name} forward`,
        flops,
        inputs: [xt, ft],
        run: ([p, q]) => tf.conv2d(p as tf.Tensor4D, q as tf.Tensor4D, 1, 'valid'),
      },
      {
        name: `${name} backprop filter`,
        flops,
        inputs: [xt, dy],
        run: ([p, q]) =>
          tf.engine().runKernel('Conv2DBackpropFilter', { x: p, dy: q }, {
            ...attrs,
            filterShape: f,
          } as never) as tf.Tensor,
      },
    ];
    if (ci > 1) {
      ops.push({
        name: `${name} backprop input`,
        flops,
        inputs: [dy, ft],
        run: ([p, q]) =>
          tf.engine().runKernel('Conv2DBackpropInput', { dy: p, filter: q }, {
            ...attrs,
            inputShape: x,
          } as never) as tf.Tensor,
      });
    }
    return ops;
  };
  const ops =
    kind === 'mlp'
      ? [
          mm('dense1 forward', b, 784, 512),
          mm('dense2 forward', b, 512, 10),
          mm('dense2 dW', 512, b, 10),
          mm('dense2 dX', b, 10, 512),
          mm('dense1 dW', 784, b, 512),
        ]
      : [
          ...conv('conv1', [b, 28, 28, 1], [3, 3, 1, 32]),
          ...conv('conv2', [b, 13, 13, 32], [3, 3, 32, 64]),
          mm('dense forward', b, 1600, 10),
          mm('dense dW', 1600, b, 10),
          mm('dense dX', b, 10, 1600),
        ];
  return { ops, keep };
}

async function runKernels(): Promise<unknown> {
  await useBackend('strata', spec.backend);
  const { ops, keep } = kernelOps(spec.model, spec.batchSize);
  const reps = spec.backend === 'cpu' && spec.model === 'cnn' ? 3 : 15;
  const rows = ops.map((op) => {
    const times: number[] = [];
    for (let i = 0; i < reps + 2; i++) {
      // Fresh operands each call, as in training where the weights change every step: the wasm
      // backend's XNNPACK kernels cache packed weights per tensor, which training never reuses.
      const ins = op.inputs.map((t) => tf.add(t, 0));
      const t0 = now();
      const out = op.run(ins);
      out.dataSync();
      const dt = now() - t0;
      tf.dispose([out, ...ins]);
      if (i >= 2) times.push(dt);
    }
    const ms = median(times);
    return { name: op.name, ms, gflops: op.flops / ms / 1e6 };
  });
  tf.dispose(keep);
  const stepMs = rows.reduce((a, r) => a + r.ms, 0);
  return {
    model: spec.model,
    backend: spec.backend,
    ops: rows,
    stepMs,
    ceilingSamplesPerSec: (spec.batchSize / stepMs) * 1000,
  };
}

const run = spec.kind === 'init' ? runInit : spec.kind === 'train' ? runTrain : runKernels;
try {
  const result = await run();
  writeFileSync(spec.out, JSON.stringify(result, null, 2));
} catch (e) {
  writeFileSync(spec.out, JSON.stringify({ error: (e as Error).stack ?? String(e) }, null, 2));
  process.exitCode = 1;
}
