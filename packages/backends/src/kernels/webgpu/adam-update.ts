import { StrataAdamUpdate } from '@strata/core';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { checkAdamUpdateArgs } from '../adam-update.js';

/** A compute program as tfjs-backend-webgpu's `runWebGPUProgram` takes it (its WebGPUProgram). */
interface WebGPUProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** tfjs adds a `size` uniform (the element count) for the bounds check. */
  size: boolean;
  uniforms: string;
  getUserCode(): string;
}

/** The part of tfjs-backend-webgpu's WebGPUBackend this kernel uses. */
interface WebGPUProgramBackend {
  runWebGPUProgram(
    program: WebGPUProgram,
    inputs: TensorInfo[],
    outputDtype: 'float32',
    uniforms: Array<{ type: 'float32'; data: number[] }>,
  ): TensorInfo;
}

/** One element per invocation over the flat output, as tfjs's own element-wise programs run. */
function elementwise(
  shaderKey: string,
  shape: number[],
  variableNames: string[],
  uniforms: string,
  body: string,
): WebGPUProgram {
  const workgroupSize: [number, number, number] = [64, 1, 1];
  const dispatchLayout = webgpu_util.flatDispatchLayout(shape);
  return {
    variableNames,
    outputShape: shape,
    shaderKey,
    dispatchLayout,
    dispatch: webgpu_util.computeDispatch(dispatchLayout, shape, workgroupSize),
    workgroupSize,
    size: true,
    uniforms,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/** `a + (b - a) * keep`, with `b` squared first when `square`: the moment updates. */
const momentProgram = (shape: number[], square: boolean) =>
  elementwise(
    `strataAdamMoment${square ? 'Squared' : ''}`,
    shape,
    ['A', 'B'],
    'keep : f32,',
    `let a = getAByOutputIndex(index);
     let b = getBByOutputIndex(index);
     setOutputAtIndex(index, a + (${square ? 'b * b' : 'b'} - a) * uniforms.keep);`,
  );

/** `w - (m * alpha) / (sqrt(v) + epsilon)`, from the new moments. */
const weightProgram = (shape: number[]) =>
  elementwise(
    'strataAdamWeight',
    shape,
    ['W', 'M', 'V'],
    'alpha : f32, epsilon : f32,',
    `let m = getMByOutputIndex(index);
     let v = getVByOutputIndex(index);
     setOutputAtIndex(index, getWByOutputIndex(index) - (m * uniforms.alpha) / (sqrt(v) + uniforms.epsilon));`,
  );

const f32 = (x: number) => ({ type: 'float32' as const, data: [x] });

/**
 * Adam's update on webgpu in three compute passes (new m, new v, new weight) instead of the composite's
 * dozen element-wise kernels, as on webgl; each pass reads its inputs once. Same formulas as the cpu,
 * wasm and webgl kernels (Keras 3's Adam); GPU arithmetic may round the last bit differently.
 */
export const adamUpdateWebgpu: KernelFunc = ({ inputs, backend, attrs }) => {
  const { inputs: x, attrs: a } = checkAdamUpdateArgs(inputs as Record<string, TensorInfo>, attrs ?? {});
  const gpu = backend as unknown as WebGPUProgramBackend;
  const shape = x.variable.shape.slice();
  const m = gpu.runWebGPUProgram(momentProgram(shape, false), [x.m, x.gradient], 'float32', [
    f32(1 - a.beta1),
  ]);
  const v = gpu.runWebGPUProgram(momentProgram(shape, true), [x.v, x.gradient], 'float32', [
    f32(1 - a.beta2),
  ]);
  const w = gpu.runWebGPUProgram(weightProgram(shape), [x.variable, m, v], 'float32', [
    f32(a.alpha),
    f32(a.epsilon),
  ]);
  return [w, m, v];
};

export const webgpuAdamUpdateFix: KernelFix = {
  kernelName: StrataAdamUpdate,
  backendName: 'webgpu',
  mode: 'fill',
  create: () => ({ kernelName: StrataAdamUpdate, backendName: 'webgpu', kernelFunc: adamUpdateWebgpu }),
};
