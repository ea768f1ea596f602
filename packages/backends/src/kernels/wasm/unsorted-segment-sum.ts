import { ValueError } from '@strata/core';
import { type KernelFunc, type TensorInfo, type UnsortedSegmentSumAttrs, util } from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { type Backend, callKernel, release, reshape } from './call-kernel.js';

/**
 * Missing from tfjs-backend-wasm 4.22, and it is the gradient of Gather: sparse categorical
 * crossentropy and Embedding cannot train without it. Row i of `x` is added to row segmentIds[i] of the
 * result, which is wasm's ScatterNd with one index per row (it sums rows that share an index).
 */
export const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as unknown as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new ValueError(
      `Strata's wasm UnsortedSegmentSum supports float32 and int32 data. Received: dtype=${x.dtype}`,
    );
  }
  const b = backend as Backend;
  const rows = util.sizeFromShape(segmentIds.shape);
  const rest = x.shape.slice(segmentIds.shape.length);
  const ids =
    segmentIds.dtype === 'int32' ? segmentIds : callKernel(b, 'Cast', { x: segmentIds }, { dtype: 'int32' });
  const indices = reshape(b, ids, [rows, 1]);
  const updates = reshape(b, x, [rows, ...rest]);
  const out = callKernel(b, 'ScatterNd', { indices, updates }, { shape: [numSegments, ...rest] });
  release(b, indices, updates);
  if (ids !== segmentIds) release(b, ids);
  return out;
};

export const unsortedSegmentSumFix: KernelFix = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  mode: 'fill',
  create: () => ({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum }),
};
