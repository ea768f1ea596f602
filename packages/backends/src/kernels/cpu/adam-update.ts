import { StrataAdamUpdate } from '@strata/core';
import { type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { adamUpdate, checkAdamUpdateArgs } from '../adam-update.js';
import { outputArray } from './output-pool.js';

interface CpuData {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfo;
}

/** Adam's update in one loop over tfjs-backend-cpu's value arrays; three new float32 outputs. */
export const adamUpdateCpu: KernelFunc = ({ inputs, backend, attrs }) => {
  const { inputs: x, attrs: a } = checkAdamUpdateArgs(inputs as Record<string, TensorInfo>, attrs ?? {});
  const b = backend as unknown as CpuData;
  const values = (info: TensorInfo) => b.data.get(info.dataId).values as Float32Array;
  const shape = x.variable.shape.slice();
  const n = util.sizeFromShape(shape);
  const outW = outputArray(backend, n);
  const outM = outputArray(backend, n);
  const outV = outputArray(backend, n);
  adamUpdate(values(x.variable), values(x.gradient), values(x.m), values(x.v), outW, outM, outV, a);
  return [
    b.makeTensorInfo(shape, 'float32', outW),
    b.makeTensorInfo(shape, 'float32', outM),
    b.makeTensorInfo(shape, 'float32', outV),
  ];
};

export const cpuAdamUpdateFix: KernelFix = {
  kernelName: StrataAdamUpdate,
  backendName: 'cpu',
  mode: 'fill',
  create: () => ({ kernelName: StrataAdamUpdate, backendName: 'cpu', kernelFunc: adamUpdateCpu }),
};
