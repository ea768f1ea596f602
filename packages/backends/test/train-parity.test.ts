/**
 * The networks train on cpu and on wasm (with Strata's kernel fixes), their loss falls, and both
 * backends give the same loss after each of 3 steps, to 1e-4.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../src/cpu.js';
import '../src/wasm.js';
import { type Network, networks, trainSteps } from './tf-networks.js';

async function lossesOn(backend: string, net: Network, steps: number): Promise<number[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const losses = trainSteps(net, steps);
  expect(tf.memory().numTensors).toBe(before);
  return losses;
}

describe('training with plain tfjs ops on cpu and wasm', () => {
  for (const net of networks) {
    it(`${net.name}: loss falls, and cpu and wasm agree step by step`, async () => {
      const cpu = await lossesOn('cpu', net, 3);
      const wasm = await lossesOn('wasm', net, 3);
      for (const losses of [cpu, wasm]) {
        expect(losses.every(Number.isFinite)).toBe(true);
        expect(losses[3]).toBeLessThan(losses[0]);
      }
      // losses[3] is the loss after 3 steps.
      for (let i = 0; i < 4; i++) expect(Math.abs(cpu[i] - wasm[i])).toBeLessThan(1e-4);
    });
  }
});
