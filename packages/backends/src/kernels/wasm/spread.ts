import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';

import { type Backend, padOrCrop, release, reshape } from './call-kernel.js';

/**
 * The input gradient of a convolution is a transposed convolution, which wasm runs fastest as a forward
 * one: this prepares dy (NHWC) for it. dy is spread out by the stride (stride - 1 zeros after each row
 * and column) and padded so that a valid, stride-1 convolution with the spatially flipped filter gives
 * exactly the input's height and width: input row h receives tap i from output row
 * (h + top - i * dilation) / stride.
 */
export function spreadAndPad(b: Backend, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize, inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { dilationHeight, dilationWidth, filterHeight, filterWidth, padInfo } = info;
  const channels = dy.shape[3];
  let spread: TensorInfo;
  if (strideHeight > 1 || strideWidth > 1) {
    // [b, oh, 1, ow, 1, c] padded to [b, oh, sh, ow, sw, c] leaves each value followed by zeros.
    const dy6d = reshape(b, dy, [batchSize, outHeight, 1, outWidth, 1, channels]);
    const gapped = padOrCrop(b, dy6d, [
      [0, 0],
      [0, 0],
      [0, strideHeight - 1],
      [0, 0],
      [0, strideWidth - 1],
      [0, 0],
    ]);
    spread = reshape(b, gapped, [batchSize, outHeight * strideHeight, outWidth * strideWidth, channels]);
    release(b, dy6d, gapped);
  } else {
    spread = reshape(b, dy, dy.shape);
  }
  const effectiveHeight = (filterHeight - 1) * dilationHeight + 1;
  const effectiveWidth = (filterWidth - 1) * dilationWidth + 1;
  const top = effectiveHeight - 1 - padInfo.top;
  const left = effectiveWidth - 1 - padInfo.left;
  const bottom = inHeight + effectiveHeight - 1 - top - spread.shape[1];
  const right = inWidth + effectiveWidth - 1 - left - spread.shape[2];
  const padded = padOrCrop(b, spread, [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ]);
  release(b, spread);
  return padded;
}
