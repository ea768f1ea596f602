import { StrataAdamUpdate } from '@strata/core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { checkAdamUpdateArgs } from '../adam-update.js';

/** The part of tfjs-backend-webgl's MathBackendWebGL this kernel uses. */
interface WebGLProgramBackend {
  runWebGLProgram(
    program: {
      variableNames: string[];
      outputShape: number[];
      userCode: string;
      customUniforms?: Array<{ name: string; type: 'float' }>;
    },
    inputs: TensorInfo[],
    outputDtype: 'float32',
    customUniformValues?: number[][],
  ): TensorInfo;
}

/** `a + (b - a) * keep`, with `b` squared first when `square`: the moment updates. */
function momentProgram(shape: number[], square: boolean) {
  return {
    variableNames: ['A', 'B'],
    outputShape: shape,
    customUniforms: [{ name: 'keep', type: 'float' as const }],
    userCode: `
      void main() {
        float a = getAAtOutCoords();
        float b = getBAtOutCoords();
        setOutput(a + (${square ? 'b * b' : 'b'} - a) * keep);
      }`,
  };
}

/** `w - (m * alpha) / (sqrt(v) + epsilon)`, from the new moments. */
function weightProgram(shape: number[]) {
  return {
    variableNames: ['W', 'M', 'V'],
    outputShape: shape,
    customUniforms: [
      { name: 'alpha', type: 'float' as const },
      { name: 'epsilon', type: 'float' as const },
    ],
    userCode: `
      void main() {
        float m = getMAtOutCoords();
        float v = getVAtOutCoords();
        setOutput(getWAtOutCoords() - (m * alpha) / (sqrt(v) + epsilon));
      }`,
  };
}

/**
 * Adam's update on webgl in three shader passes (new m, new v, new weight) instead of the composite's
 * dozen element-wise kernels; each pass reads its inputs once. Same formulas as the cpu and wasm kernels
 * (Keras 3's Adam); GPU arithmetic may round the last bit differently from theirs.
 */
export const adamUpdateWebgl: KernelFunc = ({ inputs, backend, attrs }) => {
  const { inputs: x, attrs: a } = checkAdamUpdateArgs(inputs as Record<string, TensorInfo>, attrs ?? {});
  const gl = backend as unknown as WebGLProgramBackend;
  const shape = x.variable.shape.slice();
  const m = gl.runWebGLProgram(momentProgram(shape, false), [x.m, x.gradient], 'float32', [[1 - a.beta1]]);
  const v = gl.runWebGLProgram(momentProgram(shape, true), [x.v, x.gradient], 'float32', [[1 - a.beta2]]);
  const w = gl.runWebGLProgram(weightProgram(shape), [x.variable, m, v], 'float32', [[a.alpha], [a.epsilon]]);
  return [w, m, v];
};

export const webglAdamUpdateFix: KernelFix = {
  kernelName: StrataAdamUpdate,
  backendName: 'webgl',
  mode: 'fill',
  create: () => ({ kernelName: StrataAdamUpdate, backendName: 'webgl', kernelFunc: adamUpdateWebgl }),
};
