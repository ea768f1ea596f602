/**
 * Where the native backend's compiled training step spends its time (issue 20):
 * `tsx --conditions=strata-source src/step-profile.ts [mlp|cnn] [steps]` (`BENCH_NATIVE_THREADS` sets ONNX
 * Runtime's threads, as in the bench). It builds the bench model twice and compiles each one's training step
 * for batches of 128 as `fit` does: with the optimizer's update on the host, in place on resident arrays (the
 * default), and in the graph (`hostUpdate: false`). For each it times, in alternating blocks so that a change
 * in the shared machine's load hits all alike:
 * - the compiled step (`CompiledTrainStep.run`: feeds, the ONNX Runtime call, the update on the host or
 *   assigning the new weights and optimizer state, the loss and outputs as tensors);
 * - the ONNX Runtime call alone, on the same graph, session options and feeds (`runStepModel`), which
 *   includes onnxruntime-node copying every output into a new array;
 * - the host work around it: the difference.
 * Medians of wall time per step, and the process's CPU time per step (less sensitive to other jobs on
 * the machine than wall time). Then, with `ORT_PROFILE=1`, ONNX Runtime's own profile of the host-update
 * step's graph (the kernels' time, summed by op type and by node) against the whole call. Prints the load
 * average.
 */

import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import type { TrainStepRequest } from '@strata/core';
import type { OnnxGraph } from '@strata/onnx/graph';
import * as tf from '@tensorflow/tfjs-core';

import { useBackend } from './backend.js';
import { loadDigits, type ModelKind, sampleShape } from './data.js';

const kind = (process.argv[2] ?? 'mlp') as ModelKind;
const steps = Number(process.argv[3] ?? 200);
await useBackend('strata', 'native');
const models = await import('./models.js');
// The step's internals, from source (the bench runs with the strata-source condition).
const { compileTrainStep, trainStepGraph } = await import(
  '../../packages/backends/src/kernels/native/step/compile-step.js'
);
const { stepOptimizer } = await import('../../packages/backends/src/kernels/native/step/optimizer.js');
const { modelBytes, runStepModel, nativeOptions } = await import(
  '../../packages/backends/src/kernels/native/ort.js'
);

const batch = 128;
const d = loadDigits('train', batch);
const x = tf.tensor(d.images.subarray(0, batch * 784), [batch, ...sampleShape(kind)]);
const y = tf.tensor1d(d.labels.subarray(0, batch), 'int32');

type Feeds = Record<string, { values: Float32Array | Int32Array; shape: readonly number[] }>;

/**
 * The bench model, fitted once (which builds its weights and the optimizer's slots), its compiled step with
 * the optimizer's update on the host (`hostUpdate`, the default) or in the graph, and that step's graph,
 * feeds and outputs for running the ONNX Runtime call alone. One model per variant: alternating both variants
 * on one model would move its weights on and off the resident arrays every step.
 */
async function variant(hostUpdate: boolean) {
  // `any`: the trainer's compiled losses are private.
  const model: any = models.buildStrata(kind);
  await model.fit(x, y, { batchSize: batch, epochs: 1, verbose: 0 });
  const request: TrainStepRequest = {
    model,
    optimizer: model.optimizer,
    variables: model.trainableWeights,
    losses: model._compiledLosses,
    lossWeights: model._lossWeights,
    inputs: [{ shape: x.shape, dtype: 'float32' }],
    targets: [{ shape: y.shape, dtype: 'int32' }],
    sampleWeighted: false,
  };
  const options = { hostUpdate };
  const step = compileTrainStep(request, options);
  if (typeof step === 'string') throw new Error(step);
  // The ORT call alone: the step's graph and feeds, as compile-step.ts makes them.
  const optimizer = stepOptimizer(request.optimizer, request.variables, hostUpdate);
  if (typeof optimizer === 'string') throw new Error(optimizer);
  const valuesOf = (t: tf.Tensor) => t.dataSync() as Float32Array | Int32Array;
  const feeds: Feeds = {
    x: { values: valuesOf(x), shape: x.shape },
    y: { values: valuesOf(y), shape: y.shape },
  };
  request.variables.forEach((v, i) => {
    feeds[`w${i}`] = { values: valuesOf(v.value), shape: v.shape };
  });
  if (!optimizer.onHost) {
    optimizer.stateVariables.forEach((v, j) => {
      feeds[`s${j}`] = { values: valuesOf(v.value), shape: v.shape };
    });
    for (const [name, value] of Object.entries(optimizer.scalars()))
      feeds[name] = { values: Float32Array.of(value), shape: [] };
  }
  // Dropout's masks (compile-step.ts draws a new one every run; fixed values time the same).
  const graph = trainStepGraph(request, undefined, options);
  if (typeof graph === 'string') throw new Error(graph);
  type ValueInfo = { name: string; type: { tensorType: { shape: { dim: { dimValue: number }[] } } } };
  for (const input of graph.toProto(kind).input as ValueInfo[]) {
    if (!input.name.startsWith('random/')) continue;
    const shape = input.type.tensorType.shape.dim.map((d) => d.dimValue);
    const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, Math.random);
    feeds[input.name] = { values, shape };
  }
  const outputs = optimizer.onHost
    ? ['loss', 'pred', ...request.variables.map((_, i) => `g${i}`)]
    : [
        'loss',
        'pred',
        ...request.variables.map((_, i) => `w${i}_new`),
        ...optimizer.stateVariables.map((_, j) => `s${j}_new`),
      ];
  const build = (g: OnnxGraph) => {
    const built = trainStepGraph(request, g, options);
    if (typeof built === 'string') throw new Error(built);
  };
  const key = `profiled ${kind} step (${hostUpdate ? 'host' : 'graph'} update)`;
  return {
    step() {
      const r = step.run([x], [y]);
      if (!r) throw new Error('the compiled step refused the batch');
      tf.dispose([r.loss, ...r.outputs]);
    },
    ort() {
      runStepModel(key, build, feeds, outputs);
    },
    key,
    build,
    feeds,
    outputs,
  };
}

const host = await variant(true);
const inGraph = await variant(false);

interface Timing {
  wall: number[];
  cpuMs: number;
}
const run: Record<string, () => void> = {
  'whole step, update on the host': host.step,
  'ORT call (host update)': host.ort,
  'whole step, update in the graph': inGraph.step,
  'ORT call (update in the graph)': inGraph.ort,
};
const timings: Record<string, Timing> = Object.fromEntries(
  Object.keys(run).map((name) => [name, { wall: [], cpuMs: 0 }]),
);
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

for (const f of Object.values(run)) for (let i = 0; i < 10; i++) f();
const load0 = loadavg()[0];
const tensors0 = tf.memory().numTensors;
const blocks = 10;
for (let b = 0; b < blocks; b++) {
  for (const [name, f] of Object.entries(run)) {
    const t = timings[name];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < Math.ceil(steps / blocks); i++) {
      const t0 = performance.now();
      f();
      t.wall.push(performance.now() - t0);
    }
    const cpu = process.cpuUsage(cpu0);
    t.cpuMs += (cpu.user + cpu.system) / 1000;
  }
}
const leaked = tf.memory().numTensors - tensors0;
const row = (name: string, wall: number, cpuMs: number) =>
  `${name.padEnd(40)} ${wall.toFixed(3).padStart(7)} ms wall  ${cpuMs.toFixed(3).padStart(7)} ms CPU`;
const stepCount = timings['whole step, update on the host'].wall.length;
console.log(
  `${kind} compiled step, batch ${batch}, ${nativeOptions().threads} ONNX Runtime thread(s), ${stepCount} steps each: leaked tensors ${leaked}`,
);
for (const [label, stepName, ortName] of [
  ['host', 'whole step, update on the host', 'ORT call (host update)'],
  ['graph', 'whole step, update in the graph', 'ORT call (update in the graph)'],
]) {
  const [s, o] = [timings[stepName], timings[ortName]];
  const stepMs = median(s.wall);
  console.log(
    `${row(stepName, stepMs, s.cpuMs / s.wall.length)}  (${Math.round((batch / stepMs) * 1000)} samples/s)`,
  );
  console.log(row(ortName, median(o.wall), o.cpuMs / o.wall.length));
  console.log(
    row(
      `host work around it (${label}, difference)`,
      stepMs - median(o.wall),
      (s.cpuMs - o.cpuMs) / s.wall.length,
    ),
  );
}
console.log(`load average ${load0.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`);

if (process.env.ORT_PROFILE === '1') profileKernels();

/**
 * ONNX Runtime's profile of the step's graph (the update on the host) on the same options: kernel time by op
 * type and by node.
 */
function profileKernels(): void {
  const require = createRequire(import.meta.url);
  const ort = require('onnxruntime-node');
  const { binding, initOrt } = require('onnxruntime-node/dist/binding.js');
  const { key, build, feeds, outputs } = host;
  const bytes: Uint8Array = modelBytes(key, build);
  initOrt();
  const session = new binding.InferenceSession();
  const prefix = join(tmpdir(), `strata-step-profile-${process.pid}`);
  const loading = session.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {
    intraOpNumThreads: nativeOptions().threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
    enableProfiling: true,
    profileFilePrefix: prefix,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  if (loading instanceof Promise) loading.catch(() => {});
  const tensors = Object.fromEntries(
    Object.entries(feeds).map(([name, { values, shape }]) => [
      name,
      new ort.Tensor(values instanceof Int32Array ? 'int32' : 'float32', values, shape),
    ]),
  );
  const fetches = Object.fromEntries(outputs.map((name) => [name, null]));
  const runs = 100;
  for (let i = 0; i < runs; i++) session.run(tensors, fetches, {});
  const file = session.endProfiling();
  session.dispose();
  const events = JSON.parse(readFileSync(file, 'utf8')) as {
    cat: string;
    name: string;
    dur: number;
    args?: { op_name?: string };
  }[];
  rmSync(file);
  const byOp = new Map<string, number>();
  const byNode = new Map<string, number>();
  let runUs = 0;
  for (const e of events) {
    if (e.cat === 'Session' && e.name === 'model_run') runUs += e.dur;
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
    const node = `${op} ${e.name.replace(/_kernel_time$/, '')}`;
    byNode.set(node, (byNode.get(node) ?? 0) + e.dur);
  }
  const kernelUs = [...byOp.values()].reduce((a, b) => a + b, 0);
  console.log(
    `\nONNX Runtime's profile (${runs} runs): model_run ${(runUs / runs / 1000).toFixed(3)} ms, kernels ${(kernelUs / runs / 1000).toFixed(3)} ms`,
  );
  for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1]))
    console.log(`  ${(us / runs / 1000).toFixed(3)} ms  ${op}`);
  console.log('  largest nodes:');
  for (const [node, us] of [...byNode].sort((a, b) => b[1] - a[1]).slice(0, 12))
    console.log(`  ${(us / runs / 1000).toFixed(3)} ms  ${node}`);
}
