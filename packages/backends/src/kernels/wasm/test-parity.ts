/** Shared by the wasm kernel tests: run one kernel on cpu and on wasm with the same random inputs. */
import { seededValues } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

// Only wasm is imported: the cpu reference must be tfjs's own cpu kernels, not Strata's cpu fixes.
import '../../wasm.js';

export interface KernelInput {
  shape: number[];
  values: Float32Array;
}

export function randomInput(shape: number[], seed: number): KernelInput {
  return {
    shape,
    values: seededValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
  };
}

/**
 * Runs `kernelName` through the engine on `backendName`. With IS_TEST on, tfjs's engine checks that the
 * kernel leaves exactly its output behind in the backend, so a composite kernel that forgets to free an
 * intermediate fails here; the backend's own data count is checked too.
 */
export async function runKernelOn(
  backendName: string,
  kernelName: string,
  inputs: Record<string, KernelInput>,
  attrs: Record<string, unknown>,
): Promise<{ shape: number[]; values: Float32Array }> {
  await tf.setBackend(backendName);
  const wasTest = tf.env().getBool('IS_TEST');
  tf.env().set('IS_TEST', true);
  try {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [name, input] of Object.entries(inputs)) tensors[name] = tf.tensor(input.values, input.shape);
    const dataBefore = tf.backend().numDataIds();
    const tensorsBefore = tf.memory().numTensors;
    const out = tf.engine().runKernel(kernelName, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
    expect(tf.memory().numTensors - tensorsBefore).toBe(1);
    expect(tf.backend().numDataIds() - dataBefore).toBe(1);
    const result = { shape: out.shape, values: out.dataSync() as Float32Array };
    tf.dispose([out, ...Object.values(tensors)]);
    return result;
  } finally {
    tf.env().set('IS_TEST', wasTest);
  }
}

/**
 * Runs the kernel on cpu and wasm and fails unless shapes match and values agree to `atol`.
 * `cpuReference` replaces the plain cpu run where the cpu kernel itself is not a reference (its
 * depthwise gradients ignore dilations, which tfjs's own gradients never pass).
 */
export async function expectWasmMatchesCpu(
  kernelName: string,
  inputs: Record<string, KernelInput>,
  attrs: Record<string, unknown>,
  atol = 1e-4,
  cpuReference?: () => Promise<{ shape: number[]; values: Float32Array }>,
): Promise<void> {
  const cpu = cpuReference ? await cpuReference() : await runKernelOn('cpu', kernelName, inputs, attrs);
  const wasm = await runKernelOn('wasm', kernelName, inputs, attrs);
  expect(wasm.shape).toEqual(cpu.shape);
  let worst = 0;
  for (let i = 0; i < cpu.values.length; i++)
    worst = Math.max(worst, Math.abs(cpu.values[i] - wasm.values[i]));
  expect(worst).toBeLessThanOrEqual(atol);
  // A kernel that returned zeros would pass against a zero reference; the random cases never give one.
  expect(cpu.values.some((v) => v !== 0)).toBe(true);
}
