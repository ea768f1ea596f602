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
  await setBackend('webgl');
  if (getBackend() !== 'webgl') throw new Error(`Expected to end on webgl, found ${getBackend()}`);
  return { auto, backends: listBackends(), float32, layers, training };
}

(globalThis as unknown as { runChecks: typeof runChecks }).runChecks = runChecks;
