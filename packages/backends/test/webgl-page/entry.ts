/**
 * The browser half of webgl-browser.test.ts, bundled by esbuild: picks a backend with 'auto', checks
 * the kernels our layers use exist on webgl, and trains the test networks on webgl and on cpu.
 */
import '@strata/backends/cpu';
import '@strata/backends/webgl';
import { getBackend, listBackends, setBackend } from '@strata/backends';
import * as tf from '@tensorflow/tfjs-core';

import { layerCases, recordKernels } from '../layer-cases.js';
import { networks, trainSteps } from '../tf-networks.js';

export interface PageResults {
  auto: string;
  backends: string[];
  float32: boolean;
  layers: Array<{ name: string; kernels: string[]; missing: string[]; worstGradDiff: number }>;
  training: Array<{ name: string; webgl: number[]; cpu: number[]; leaked: number }>;
}

async function runChecks(): Promise<PageResults> {
  const auto = await setBackend('auto');
  const float32 = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  const layers: PageResults['layers'] = [];
  for (const c of layerCases) {
    await setBackend('webgl');
    const gl = await recordKernels(c);
    await setBackend('cpu');
    const cpu = await recordKernels(c);
    let worst = 0;
    for (const [i, g] of cpu.grads.entries()) g.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - gl.grads[i][j]))));
    const missing = cpu.kernels.filter((k) => tf.getKernel(k, 'webgl') == null);
    layers.push({ name: c.name, kernels: gl.kernels, missing, worstGradDiff: worst });
  }
  const training: PageResults['training'] = [];
  for (const net of networks) {
    await setBackend('webgl');
    const before = tf.memory().numTensors;
    const webgl = trainSteps(net, 3, net.name === 'MLP' || net.name.startsWith('Separable') ? 0.1 : 0.05);
    const leaked = tf.memory().numTensors - before;
    await setBackend('cpu');
    const cpu = trainSteps(net, 3, net.name === 'MLP' || net.name.startsWith('Separable') ? 0.1 : 0.05);
    training.push({ name: net.name, webgl, cpu, leaked });
  }
  await setBackend('webgl');
  return { auto, backends: listBackends(), float32, layers, training: training.map((t) => ({ ...t, active: getBackend() })) };
}

(globalThis as unknown as { runChecks: typeof runChecks }).runChecks = runChecks;
