import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';

import { type Backend, callKernel, padOrCrop, release } from './call-kernel.js';

/**
 * The patches a convolution reads, as `[batch, outHeight, outWidth, filterHeight * filterWidth * inChannels]`
 * with the last axis ordered (row, column, channel), the order of a flattened `[kh, kw, in]` filter.
 * One strided slice per filter tap on the padded input, concatenated on the channel axis; `x` is NHWC.
 */
export function im2col(backend: Backend, x: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { dilationHeight, dilationWidth, filterHeight, filterWidth, padInfo } = info;
  // With dimRoundingMode 'ceil' the last output row can read past the padded input; those reads are zeros.
  const lastRow = padInfo.top + (outHeight - 1) * strideHeight + (filterHeight - 1) * dilationHeight + 1;
  const lastCol = padInfo.left + (outWidth - 1) * strideWidth + (filterWidth - 1) * dilationWidth + 1;
  const padded = padOrCrop(backend, x, [
    [0, 0],
    [padInfo.top, Math.max(padInfo.bottom, lastRow - padInfo.top - x.shape[1])],
    [padInfo.left, Math.max(padInfo.right, lastCol - padInfo.left - x.shape[2])],
    [0, 0],
  ]);
  const taps: TensorInfo[] = [];
  for (let i = 0; i < filterHeight; i++) {
    for (let j = 0; j < filterWidth; j++) {
      const top = i * dilationHeight;
      const left = j * dilationWidth;
      taps.push(
        callKernel(
          backend,
          'StridedSlice',
          { x: padded },
          {
            begin: [0, top, left, 0],
            end: [
              batchSize,
              top + (outHeight - 1) * strideHeight + 1,
              left + (outWidth - 1) * strideWidth + 1,
              inChannels,
            ],
            strides: [1, strideHeight, strideWidth, 1],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          },
        ),
      );
    }
  }
  release(backend, padded);
  if (taps.length === 1) return taps[0];
  const patches = callKernel(backend, 'Concat', taps, { axis: 3 });
  release(backend, ...taps);
  return patches;
}
