/**
 * The browser half of webgpu-browser.test.ts, bundled by esbuild: probes the WebGPU adapter, checks what
 * 'auto' picks and that the kernels our layers use exist on webgpu, and trains the test networks and the
 * sequence models on webgpu and on cpu from the same weights.
 */
import '@strata/backends/cpu';
import '@strata/backends/webgl';
import '@strata/backends/webgpu';
import { getBackend, listBackends, setBackend } from '@strata/backends';
import * as tf from '@tensorflow/tfjs-core';

import { probeWebGPU, type WebGPUProbe } from '../../src/builtin-backends.js';
import { type AdamUpdateCheck, checkAdamUpdate } from '../adam-update-check.js';
import { layerCases, recordKernels } from '../layer-cases.js';
import { sequenceSpecs, trainSequenceSpec } from '../sequence-specs.js';
import { bnDepthwiseNet, mlp, trainSteps } from '../tf-networks.js';

export interface PageResults {
  adapter: WebGPUProbe;
  auto: string;
  backends: string[];
  layers: Array<{ name: string; missing: string[]; worstGradDiff: number }>;
  training: Array<{ name: string; webgpu: number[]; cpu: number[]; leaked: number }>;
  /** Strata's sequence models trained on webgpu and on cpu from the same weights. */
  sequence: Array<{
    name: string;
    webgpu: number[];
    cpu: number[];
    webgpuCounts: number[];
    unchanged: string[];
  }>;
  /** Strata's webgpu StrataAdamUpdate against Keras 3's formulas computed on the host, per shape. */
  adamUpdate: AdamUpdateCheck[];
  /** The backend active at the end, after switching back to webgpu. */
  ended: string;
}

async function runChecks(): Promise<PageResults> {
  // tfjs-webgpu runs ops on small host-resident tensors on its cpu backend instead (all of this test's
  // inputs are small): off, so every kernel checked here is a WebGPU shader.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const adapter = await probeWebGPU();
  const auto = await setBackend('auto');

  const layers: PageResults['layers'] = [];
  for (const c of layerCases) {
    await setBackend('cpu');
    const cpu = await recordKernels(c);
    await setBackend('webgpu');
    // Recorded on cpu (the ops are the same); a kernel missing on webgpu would also throw here.
    const gpu = await recordKernels(c, { profile: false });
    let worst = 0;
    for (const [i, g] of cpu.grads.entries()) {
      for (const [j, v] of g.entries()) worst = Math.max(worst, Math.abs(v - gpu.grads[i][j]));
    }
    const missing = cpu.kernels.filter((k) => tf.getKernel(k, 'webgpu') == null);
    layers.push({ name: c.name, missing, worstGradDiff: worst });
  }

  const training: PageResults['training'] = [];
  for (const net of [mlp, bnDepthwiseNet]) {
    await setBackend('webgpu');
    const before = tf.memory().numTensors;
    const webgpu = trainSteps(net, 3);
    const leaked = tf.memory().numTensors - before;
    await setBackend('cpu');
    const cpu = trainSteps(net, 3);
    training.push({ name: net.name, webgpu, cpu, leaked });
  }

  const sequence: PageResults['sequence'] = [];
  // SimpleRNN adds no kernel the LSTM and GRU do not run; SwiftShader's WebGPU is slow, so it is left out.
  for (const spec of sequenceSpecs.filter((s) => !s.name.startsWith('SimpleRNN'))) {
    await setBackend('cpu');
    const cpu = await trainSequenceSpec(spec, null);
    await setBackend('webgpu');
    const gpu = await trainSequenceSpec(spec, cpu.start);
    sequence.push({
      name: spec.name,
      webgpu: gpu.losses,
      cpu: cpu.losses,
      webgpuCounts: gpu.tensorCounts,
      unchanged: gpu.unchanged,
    });
  }
  await setBackend('webgpu');
  const adamUpdate = await checkAdamUpdate('webgpu');
  return {
    adapter,
    auto,
    backends: listBackends(),
    layers,
    training,
    sequence,
    adamUpdate,
    ended: getBackend(),
  };
}

Object.assign(globalThis, { runChecks, probeAdapter: probeWebGPU });
