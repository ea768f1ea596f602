import { backend_util, type FusedConv2DAttrs, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { type Backend, wrapKernelFix } from './call-kernel.js';
import { activeThreadPool, threadedConv2D } from './threaded/kernels.js';

/**
 * Conv2D and the fused Conv2D (bias + ReLU) on Strata's thread pool where the wasm backend has one: im2col
 * and the threaded GEMM (threaded/kernels.ts). This also runs the input gradient, which Strata's
 * Conv2DBackpropInput computes as a convolution. Without a pool, or for what the pool does not take (NCHW,
 * other activations), tfjs-wasm's XNNPACK kernel runs.
 */
function threadedFirst(original: KernelFunc): KernelFunc {
  return (args) => {
    const pool = activeThreadPool();
    if (pool === null) return original(args);
    const { x, filter, bias } = args.inputs as unknown as {
      x: TensorInfo;
      filter: TensorInfo;
      bias?: TensorInfo;
    };
    const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } =
      args.attrs as unknown as Partial<FusedConv2DAttrs>;
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      strides as [number, number],
      dilations as [number, number],
      pad as FusedConv2DAttrs['pad'],
      dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(dataFormat ?? 'NHWC'),
    );
    const out = threadedConv2D(pool, args.backend as Backend, { x, filter, bias, activation }, info);
    return out ?? original(args);
  };
}

export const conv2dFix: KernelFix = wrapKernelFix('Conv2D', threadedFirst);
export const fusedConv2dFix: KernelFix = wrapKernelFix('FusedConv2D', threadedFirst);
