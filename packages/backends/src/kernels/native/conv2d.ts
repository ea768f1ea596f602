/**
 * Conv2D, its fused form and both its gradients on ONNX Runtime. tfjs is channels-last (NHWC, filters
 * `[kh, kw, in, out]`), ONNX's Conv channels-first: each model transposes around its op, and ORT's
 * graph optimiser fuses what it can (bias and relu into the convolution).
 * - Conv2D:              Conv(x, filter) with tfjs's explicit paddings.
 * - Conv2DBackpropInput: ConvTranspose(dy, filter), `output_padding` restoring the rows and columns a
 *                        strided window never reached.
 * - Conv2DBackpropFilter: dW[fy, fx, i, o] = Σ x[n, y·s + fy − top, …, i] · dy[n, y, …, o] is itself a
 *                        convolution: of x with the batch as channels (`[in, n, H, W]`) by dy as the
 *                        filter (`[out, n, outH, outW]`), the forward stride as its dilation.
 */

import {
  backend_util,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type FusedConv2DAttrs,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

import type { Backend } from '../wasm/call-kernel.js';
import { activate, perColumnBias, supportsActivation } from './mat-mul.js';
import { runKernelModel } from './ort.js';

type KernelArgs = Parameters<KernelFunc>[0];
type Shape4 = [number, number, number, number];

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
/** `[kh, kw, in, out]` to ONNX's `[out, in, kh, kw]`. */
const FILTER_TO_OIHW = [3, 2, 0, 1];

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: { strides: [number, number] | number; pad: unknown; dimRoundingMode?: 'floor' | 'round' | 'ceil' },
  dilations: [number, number] | number = 1,
): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    attrs.strides,
    dilations,
    attrs.pad as 'valid',
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/**
 * ONNX's `pads` for tfjs's convolution: its paddings, with the bottom (right) one grown where tfjs
 * rounds the output size up (`dimRoundingMode: 'ceil'`) and so reads zeros past the padding, as ONNX
 * only does inside it.
 */
function padsOf(info: backend_util.Conv2DInfo): [number, number, number, number] {
  const { top, left, bottom, right } = info.padInfo;
  const reach = (out: number, stride: number, filter: number, dilation: number) =>
    (out - 1) * stride + (filter - 1) * dilation + 1;
  const { outHeight, outWidth, strideHeight, strideWidth } = info;
  return [
    top,
    left,
    Math.max(
      bottom,
      reach(outHeight, strideHeight, info.filterHeight, info.dilationHeight) - info.inHeight - top,
    ),
    Math.max(right, reach(outWidth, strideWidth, info.filterWidth, info.dilationWidth) - info.inWidth - left),
  ];
}

/** A convolution's multiply-adds (each of its gradients has as many). */
const convWork = (info: backend_util.Conv2DInfo) =>
  info.batchSize *
  info.outHeight *
  info.outWidth *
  info.outChannels *
  info.filterHeight *
  info.filterWidth *
  info.inChannels;

/** Conv2D (and FusedConv2D with a per-channel bias and an ONNX activation); null for NCHW and prelu. */
function convolveNative(args: KernelArgs, fused: boolean): TensorInfo | null {
  const { x, filter, bias } = args.inputs as unknown as {
    x: TensorInfo;
    filter: TensorInfo;
    bias?: TensorInfo;
  };
  const attrs = args.attrs as unknown as FusedConv2DAttrs;
  const bk = args.backend as Backend;
  const activation = fused ? attrs.activation : undefined;
  if (attrs.dataFormat === 'NCHW' || !supportsActivation(activation)) return null;
  const info = convInfo(x.shape, filter.shape, attrs, attrs.dilations);
  const biasValues = fused ? perColumnBias(bk, bias, info.outChannels) : null;
  if (fused && bias && !biasValues) return null;
  const alpha = attrs.leakyreluAlpha ?? 0.2;
  const convAttrs = {
    kernel_shape: [info.filterHeight, info.filterWidth],
    strides: [info.strideHeight, info.strideWidth],
    dilations: [info.dilationHeight, info.dilationWidth],
    pads: padsOf(info),
  };
  const key = `Conv x=${x.shape} w=${filter.shape} ${JSON.stringify(convAttrs)} bias=${biasValues?.length ?? 0} ${activation ?? 'linear'}(${alpha})`;
  const inputs = {
    x,
    w: filter,
    ...(biasValues ? { bias: { values: biasValues, shape: [biasValues.length] } } : {}),
  };
  return runKernelModel(bk, key, inputs, info.outShape, convWork(info), (g) => {
    const operands = [
      g.op1('Transpose', ['x'], { perm: NHWC_TO_NCHW }),
      g.op1('Transpose', ['w'], { perm: FILTER_TO_OIHW }),
    ];
    if (biasValues) {
      // Conv's bias is one per output channel; a single value is spread to all of them.
      operands.push(
        biasValues.length === 1
          ? g.op1('Expand', ['bias', g.int64s('channels', [info.outChannels])])
          : 'bias',
      );
    }
    const y = activate(g, g.op1('Conv', operands, convAttrs), activation, alpha);
    return g.op1('Transpose', [y], { perm: NCHW_TO_NHWC });
  });
}

export const conv2dNative = (args: KernelArgs) => convolveNative(args, false);
export const fusedConv2dNative = (args: KernelArgs) => convolveNative(args, true);

/** Conv2DBackpropInput as ONNX's ConvTranspose; null for NCHW. */
export function conv2dBackpropInputNative(args: KernelArgs): TensorInfo | null {
  const { dy, filter } = args.inputs as unknown as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
  const bk = args.backend as Backend;
  if (attrs.dataFormat === 'NCHW') return null;
  const info = convInfo(attrs.inputShape, filter.shape, attrs);
  const [top, left, bottom, right] = padsOf(info);
  // The rows (columns) past the last window's reach: ConvTranspose's output_padding adds them, as zeros.
  const outputPadding = [
    info.inHeight - ((info.outHeight - 1) * info.strideHeight + info.filterHeight - top - bottom),
    info.inWidth - ((info.outWidth - 1) * info.strideWidth + info.filterWidth - left - right),
  ];
  if (outputPadding[0] < 0 || outputPadding[1] < 0) return null;
  const convAttrs = {
    kernel_shape: [info.filterHeight, info.filterWidth],
    strides: [info.strideHeight, info.strideWidth],
    pads: [top, left, bottom, right],
    output_padding: outputPadding,
  };
  const key = `ConvTranspose dy=${dy.shape} w=${filter.shape} ${JSON.stringify(convAttrs)}`;
  return runKernelModel(bk, key, { dy, w: filter }, info.inShape, convWork(info), (g) => {
    const dyT = g.op1('Transpose', ['dy'], { perm: NHWC_TO_NCHW });
    const wT = g.op1('Transpose', ['w'], { perm: FILTER_TO_OIHW });
    const dx = g.op1('ConvTranspose', [dyT, wT], convAttrs);
    return g.op1('Transpose', [dx], { perm: NCHW_TO_NHWC });
  });
}

/** Conv2DBackpropFilter as a convolution of x by dy (see the file's comment); null for NCHW. */
export function conv2dBackpropFilterNative(args: KernelArgs): TensorInfo | null {
  const { x, dy } = args.inputs as unknown as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const bk = args.backend as Backend;
  if (attrs.dataFormat === 'NCHW') return null;
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  const { top, left } = info.padInfo;
  const { filterHeight: kh, filterWidth: kw, outHeight, outWidth, strideHeight: sh, strideWidth: sw } = info;
  // Enough padding after the input for kh (kw) positions; more rows than that are cut off by Slice.
  const bottom = Math.max(0, kh + (outHeight - 1) * sh - info.inHeight - top);
  const right = Math.max(0, kw + (outWidth - 1) * sw - info.inWidth - left);
  const reachH = info.inHeight + top + bottom - (outHeight - 1) * sh;
  const reachW = info.inWidth + left + right - (outWidth - 1) * sw;
  const convAttrs = {
    kernel_shape: [outHeight, outWidth],
    dilations: [sh, sw],
    pads: [top, left, bottom, right],
  };
  const key = `ConvFilterGrad x=${x.shape} dy=${dy.shape} ${JSON.stringify(convAttrs)} k=${kh},${kw}`;
  return runKernelModel(bk, key, { x, dy }, attrs.filterShape as number[], convWork(info), (g) => {
    const xT = g.op1('Transpose', ['x'], { perm: [3, 0, 1, 2] });
    const dyT = g.op1('Transpose', ['dy'], { perm: [3, 0, 1, 2] });
    let dw = g.op1('Conv', [xT, dyT], convAttrs);
    if (reachH > kh || reachW > kw) {
      const starts = g.int64s('starts', [0, 0]);
      const ends = g.int64s('ends', [kh, kw]);
      dw = g.op1('Slice', [dw, starts, ends, g.int64s('axes', [2, 3])]);
    }
    return g.op1('Transpose', [dw], { perm: [2, 3, 0, 1] });
  });
}
