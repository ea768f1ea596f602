/**
 * The browser half of webgl-browser.test.ts, bundled by esbuild: picks a backend with 'auto', checks
 * the kernels our layers use exist on webgl, and trains the test networks on webgl and on cpu.
 */
import '@strata/backends/cpu';
import '@strata/backends/webgl';
import {
  getBackend,
  installKernelFixes,
  listBackends,
  removeKernelFixes,
  setBackend,
} from '@strata/backends';
import * as tf from '@tensorflow/tfjs-core';

import { webglKernelFixes } from '../../src/kernels/webgl/index.js';
import { type AdamUpdateCheck, checkAdamUpdate } from '../adam-update-check.js';
import { layerCases, recordKernels } from '../layer-cases.js';
import { sequenceSpecs, trainSequenceSpec } from '../sequence-specs.js';
import { networks, trainSteps } from '../tf-networks.js';

export interface PageResults {
  auto: string;
  backends: string[];
  float32: boolean;
  layers: Array<{ name: string; kernels: string[]; missing: string[]; worstGradDiff: number }>;
  training: Array<{ name: string; webgl: number[]; cpu: number[]; leaked: number }>;
  /** Strata's sequence models (recurrent, attention) trained on webgl and on cpu from the same weights. */
  sequence: Array<{ name: string; webgl: number[]; cpu: number[]; webglCounts: number[] }>;
  /** Strata's webgl StrataAdamUpdate against Keras 3's formulas computed on the host, per shape. */
  adamUpdate: AdamUpdateCheck[];
  /** Strata's webgl Conv2DBackpropFilter against tfjs-backend-webgl's own, case by case. */
  filterGradient: Array<{ name: string; shapes: [number[], number[]]; worst: number; leakedData: number }>;
}

const filterCases = [
  { x: [4, 13, 13, 32], filter: [3, 3, 32, 64], strides: 1, pad: 'valid' },
  { x: [2, 28, 28, 1], filter: [3, 3, 1, 32], strides: 1, pad: 'valid' },
  { x: [2, 9, 8, 3], filter: [3, 2, 3, 5], strides: 2, pad: 'same' },
  { x: [1, 10, 11, 4], filter: [5, 5, 4, 6], strides: [2, 3], pad: 'valid' },
  { x: [3, 7, 7, 2], filter: [1, 1, 2, 8], strides: 1, pad: 'same' },
  { x: [2, 3, 9, 9], filter: [3, 3, 3, 4], strides: 2, pad: 'same', dataFormat: 'NCHW' },
  { x: [2, 8, 8, 3], filter: [3, 3, 3, 2], strides: 2, pad: 1, dimRoundingMode: 'ceil' },
] as const;

async function checkFilterGradient(): Promise<PageResults['filterGradient']> {
  await setBackend('webgl');
  const out: PageResults['filterGradient'] = [];
  for (const c of filterCases) {
    const format = 'dataFormat' in c ? c.dataFormat : 'NHWC';
    const rounding = 'dimRoundingMode' in c ? c.dimRoundingMode : undefined;
    const x = tf.randomNormal([...c.x], 0, 1, 'float32', 7);
    const filter = tf.randomNormal([...c.filter], 0, 1, 'float32', 8);
    const strides: number | [number, number] = typeof c.strides === 'number' ? c.strides : [...c.strides];
    const y = tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, strides, c.pad, format, 1, rounding);
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 9);
    const attrs = {
      strides: c.strides,
      pad: c.pad,
      dataFormat: format,
      dimRoundingMode: rounding,
      filterShape: c.filter,
    };
    const run = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as {}) as tf.Tensor;
    const dataBefore = tf.engine().backend.numDataIds();
    const ours = run();
    const leakedData = tf.engine().backend.numDataIds() - dataBefore - 1;
    const oursValues = await ours.data();
    removeKernelFixes('webgl');
    let theirs: tf.Tensor;
    try {
      theirs = run();
    } finally {
      installKernelFixes(webglKernelFixes);
    }
    const theirValues = await theirs.data();
    let worst = 0;
    for (let i = 0; i < theirValues.length; i++) {
      const d = Math.abs(oursValues[i] - theirValues[i]) / (1 + Math.abs(theirValues[i]));
      worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
    }
    out.push({ name: JSON.stringify(c), shapes: [ours.shape, theirs.shape], worst, leakedData });
    tf.dispose([x, filter, y, dy, ours, theirs]);
  }
  return out;
}

async function runChecks(): Promise<PageResults> {
  const auto = await setBackend('auto');
  const float32 = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  const layers: PageResults['layers'] = [];
  for (const c of layerCases) {
    await setBackend('cpu');
    const cpu = await recordKernels(c);
    await setBackend('webgl');
    // Recorded on cpu (the ops are the same); a kernel missing on webgl would also throw here.
    const gl = await recordKernels(c, { profile: false });
    let worst = 0;
    for (const [i, g] of cpu.grads.entries()) {
      for (const [j, v] of g.entries()) worst = Math.max(worst, Math.abs(v - gl.grads[i][j]));
    }
    const missing = cpu.kernels.filter((k) => tf.getKernel(k, 'webgl') == null);
    layers.push({ name: c.name, kernels: cpu.kernels, missing, worstGradDiff: worst });
  }
  const filterGradient = await checkFilterGradient();
  await setBackend('webgl');
  const adamUpdate = await checkAdamUpdate('webgl');
  const training: PageResults['training'] = [];
  for (const net of networks) {
    await setBackend('webgl');
    const before = tf.memory().numTensors;
    const webgl = trainSteps(net, 3);
    const leaked = tf.memory().numTensors - before;
    await setBackend('cpu');
    const cpu = trainSteps(net, 3);
    training.push({ name: net.name, webgl, cpu, leaked });
  }
  const sequence: PageResults['sequence'] = [];
  for (const spec of sequenceSpecs) {
    await setBackend('cpu');
    const cpu = await trainSequenceSpec(spec, null);
    await setBackend('webgl');
    const webgl = await trainSequenceSpec(spec, cpu.start);
    sequence.push({ name: spec.name, webgl: webgl.losses, cpu: cpu.losses, webglCounts: webgl.tensorCounts });
  }
  await setBackend('webgl');
  if (getBackend() !== 'webgl') throw new Error(`Expected to end on webgl, found ${getBackend()}`);
  return { auto, backends: listBackends(), float32, layers, training, filterGradient, sequence, adamUpdate };
}

(globalThis as unknown as { runChecks: typeof runChecks }).runChecks = runChecks;
