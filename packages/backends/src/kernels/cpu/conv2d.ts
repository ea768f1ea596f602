/**
 * 2-D convolution and both its gradients for tfjs-backend-cpu, on the packed GEMM of `gemm.ts`.
 *
 * Why hand-written: tfjs-backend-cpu 4.22 runs Conv2D as a scalar seven-deep loop and its gradients
 * through TensorBuffer.get, element by element (~0.25 GFLOP/s for Conv2D, far less for the gradients
 * here): a small MNIST convnet trained at ~6 samples/s. Each convolution here is the GEMM it is
 * underneath (im2col): the windows of a block of output pixels are copied into the rows of a patch
 * matrix `[pixels, kh * kw * inChannels]`, the order of a flattened `[kh, kw, in, out]` filter, then
 * - forward:        out[pixels, out]  = patches · filter
 * - input gradient: patches'          = dy · filterᵀ, each row added back to the input pixels it came
 *                   from (col2im)
 * - filter gradient: dW[taps, out]   += patchesᵀ · dy, summed over the blocks.
 * The patch matrix is built one block of output pixels at a time (~256 KiB), so it stays in cache and
 * memory stays flat at any batch size. All three work in NHWC; NCHW tensors are transposed around them.
 * Two forward cases take other routes: 3x3 stride-1 filters over 8+ channels run as Winograd
 * (`winograd.ts`), and filters of at most 32 taps directly (`direct-conv2d.ts`).
 */
import {
  backend_util,
  type Conv2DAttrs,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type FusedConv2DAttrs,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';

import { type Backend, release, reshape, transpose } from '../wasm/call-kernel.js';
import { applyBiasRelu, type BiasRelu } from './bias-relu.js';
import { DIRECT_MAX_TAPS, directConvolve } from './direct-conv2d.js';
import { floatFix } from './float-fix.js';
import { gemm, type MatrixView, rowMajor } from './gemm.js';
import { applyBiasAndActivation, type CpuData, isFloat, valuesOf } from './mat-mul.js';
import { outputArray } from './output-pool.js';
import { type Winograd3x3, winogradConvolve, winogradFilterGradient } from './winograd.js';

/** The patch matrix of one block holds about this many floats (256 KiB). */
const BLOCK_FLOATS = 1 << 16;

// Scratch for one block's patch matrix, grown on demand and reused: kernels run one at a time.
let patchScratch: Float32Array = new Float32Array(0);

function patchBlock(taps: number): { rows: number; patches: Float32Array } {
  // Whole 4-row panels, and never so few rows that the GEMM streams instead of packing.
  const rows = Math.max(64, Math.floor(BLOCK_FLOATS / taps / 4) * 4);
  if (patchScratch.length < rows * taps) patchScratch = new Float32Array(rows * taps);
  return { rows, patches: patchScratch };
}

/**
 * Walks the windows of output pixels `r0 .. r1` (flat over batch, rows, columns) and the runs of
 * taps they read: `run(t, from, count)` for `count` taps from patch-row offset `t` that are `count`
 * consecutive input values from `from`, `gap(t, count)` for taps outside the input (padding). A window
 * row inside the input with undilated columns is one run of `filterWidth * inChannels` values.
 */
function walkWindows(
  info: backend_util.Conv2DInfo,
  r0: number,
  r1: number,
  run: (t: number, from: number, count: number) => void,
  gap: (t: number, count: number) => void,
): void {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  const perImage = outHeight * outWidth;
  const rowTaps = filterWidth * inChannels;
  const lastColumn = (filterWidth - 1) * dilationWidth;
  let image = Math.floor(r0 / perImage);
  let oy = Math.floor((r0 - image * perImage) / outWidth);
  let ox = r0 - image * perImage - oy * outWidth;
  let t = 0;
  for (let r = r0; r < r1; r++) {
    const y0 = oy * strideHeight - padInfo.top;
    const x0 = ox * strideWidth - padInfo.left;
    const wholeRow = x0 >= 0 && x0 + lastColumn < inWidth && (dilationWidth === 1 || inChannels === rowTaps);
    for (let fy = 0; fy < filterHeight; fy++, t += rowTaps) {
      const iy = y0 + fy * dilationHeight;
      if (iy < 0 || iy >= inHeight) {
        gap(t, rowTaps);
        continue;
      }
      const rowStart = (image * inHeight + iy) * inWidth;
      if (wholeRow) {
        run(t, (rowStart + x0) * inChannels, rowTaps);
        continue;
      }
      for (let fx = 0; fx < filterWidth; fx++) {
        const ix = x0 + fx * dilationWidth;
        if (ix < 0 || ix >= inWidth) gap(t + fx * inChannels, inChannels);
        else run(t + fx * inChannels, (rowStart + ix) * inChannels, inChannels);
      }
    }
    if (++ox === outWidth) {
      ox = 0;
      if (++oy === outHeight) {
        oy = 0;
        image++;
      }
    }
  }
}

/** Copies the windows of output pixels `r0 .. r1` into rows of `patches`; padding taps are 0. */
function im2col(
  x: Float32Array,
  info: backend_util.Conv2DInfo,
  r0: number,
  r1: number,
  patches: Float32Array,
) {
  walkWindows(
    info,
    r0,
    r1,
    (t, from, count) => {
      for (let i = 0; i < count; i++) patches[t + i] = x[from + i];
    },
    (t, count) => {
      for (let i = 0; i < count; i++) patches[t + i] = 0;
    },
  );
}

/** The inverse scatter of `im2col`: adds each patch row back onto the input pixels it was read from. */
function col2im(
  patches: Float32Array,
  info: backend_util.Conv2DInfo,
  r0: number,
  r1: number,
  dx: Float32Array,
) {
  walkWindows(
    info,
    r0,
    r1,
    (t, to, count) => {
      for (let i = 0; i < count; i++) dx[to + i] += patches[t + i];
    },
    () => {},
  );
}

const taps = (info: backend_util.Conv2DInfo) => info.filterHeight * info.filterWidth * info.inChannels;
const outputPixels = (info: backend_util.Conv2DInfo) => info.batchSize * info.outHeight * info.outWidth;

/** A 1x1, stride-1, unpadded convolution reads every input pixel once, in order: x is its own patches. */
function isPointwise(info: backend_util.Conv2DInfo): boolean {
  const { filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = info;
  return (
    filterHeight === 1 &&
    filterWidth === 1 &&
    strideHeight === 1 &&
    strideWidth === 1 &&
    padInfo.top === 0 &&
    padInfo.left === 0 &&
    padInfo.bottom === 0 &&
    padInfo.right === 0
  );
}

/**
 * Below this many channels on the reduced side, Winograd's 16 products are too thin to beat im2col
 * (a one-channel image's first convolution).
 */
const WINOGRAD_MIN_CHANNELS = 8;

/** The forward correlation of `info` for `winograd.ts`. */
const winogradGeometry = (info: backend_util.Conv2DInfo): Winograd3x3 => ({
  batch: info.batchSize,
  inHeight: info.inHeight,
  inWidth: info.inWidth,
  inChannels: info.inChannels,
  outHeight: info.outHeight,
  outWidth: info.outWidth,
  outChannels: info.outChannels,
  padTop: info.padInfo.top,
  padLeft: info.padInfo.left,
});

/** A 3x3 filter at stride 1, undilated: a correlation Winograd's F(2x2, 3x3) or F(4x4, 3x3) computes. */
function isWinograd3x3(info: backend_util.Conv2DInfo): boolean {
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  return (
    filterHeight === 3 &&
    filterWidth === 3 &&
    strideHeight === 1 &&
    strideWidth === 1 &&
    dilationHeight === 1 &&
    dilationWidth === 1
  );
}

/**
 * NHWC `x` convolved with a `[kh, kw, in, out]` filter into `out`, `[batch, outHeight, outWidth, out]`
 * NHWC (every value written), with `epilogue` added to each value.
 */
export function convolve(
  x: Float32Array,
  filter: Float32Array,
  info: backend_util.Conv2DInfo,
  out: Float32Array,
  epilogue?: BiasRelu,
): Float32Array {
  const k = taps(info);
  const n = info.outChannels;
  const pixels = outputPixels(info);
  if (k === 0) return out.fill(0);
  if (isWinograd3x3(info) && info.inChannels >= WINOGRAD_MIN_CHANNELS) {
    const { inChannels } = info;
    const at = (ky: number, kx: number, c: number, j: number) =>
      filter[((ky * 3 + kx) * inChannels + c) * n + j];
    winogradConvolve(x, at, winogradGeometry(info), out, epilogue);
    return out;
  }
  if (isPointwise(info)) {
    gemm(rowMajor(x, 0, k), rowMajor(filter, 0, n), out, 0, pixels, k, n);
    if (epilogue) applyBiasRelu(epilogue, out, 0, pixels * n);
    return out;
  }
  if (k <= DIRECT_MAX_TAPS) {
    directConvolve(x, filter, info, out, epilogue);
    return out;
  }
  const { rows, patches } = patchBlock(k);
  for (let r0 = 0; r0 < pixels; r0 += rows) {
    const r1 = Math.min(pixels, r0 + rows);
    im2col(x, info, r0, r1, patches);
    gemm(rowMajor(patches, 0, k), rowMajor(filter, 0, n), out, r0 * n, r1 - r0, k, n, r0 > 0);
    if (epilogue) applyBiasRelu(epilogue, out, r0 * n, r1 * n);
  }
  return out;
}

/**
 * The gradient of `convolve` with respect to its input, added to `dx` (zero-filled by the caller):
 * NHWC `[batch, inHeight, inWidth, in]`.
 */
export function convolveInputGradient(
  dy: Float32Array,
  filter: Float32Array,
  info: backend_util.Conv2DInfo,
  dx: Float32Array,
): Float32Array {
  const k = taps(info);
  const n = info.outChannels;
  const pixels = outputPixels(info);
  // filterᵀ: `[out, taps]` read from the `[taps, out]` filter.
  const filterT: MatrixView = { values: filter, offset: 0, rowStride: 1, colStride: n };
  if (isWinograd3x3(info) && n >= WINOGRAD_MIN_CHANNELS) {
    // At stride 1 the input gradient is dy correlated with the filter turned 180° and transposed
    // (`[3, 3, out, in]`), padded by 2 - the forward padding.
    const c = info.inChannels;
    const at = (ky: number, kx: number, j: number, i: number) =>
      filter[(((2 - ky) * 3 + 2 - kx) * c + i) * n + j];
    const geometry: Winograd3x3 = {
      batch: info.batchSize,
      inHeight: info.outHeight,
      inWidth: info.outWidth,
      inChannels: n,
      outHeight: info.inHeight,
      outWidth: info.inWidth,
      outChannels: c,
      padTop: 2 - info.padInfo.top,
      padLeft: 2 - info.padInfo.left,
    };
    winogradConvolve(dy, at, geometry, dx);
    return dx;
  }
  if (isPointwise(info)) {
    gemm(rowMajor(dy, 0, n), filterT, dx, 0, pixels, n, k);
    return dx;
  }
  const { rows, patches } = patchBlock(k);
  for (let r0 = 0; r0 < pixels; r0 += rows) {
    const r1 = Math.min(pixels, r0 + rows);
    gemm(rowMajor(dy, r0 * n, n), filterT, patches, 0, r1 - r0, n, k, r0 > 0);
    col2im(patches, info, r0, r1, dx);
  }
  return dx;
}

/** The gradient of `convolve` with respect to its filter: `[kh, kw, in, out]`. */
export function convolveFilterGradient(
  x: Float32Array,
  dy: Float32Array,
  info: backend_util.Conv2DInfo,
): Float32Array {
  if (isWinograd3x3(info) && info.inChannels >= WINOGRAD_MIN_CHANNELS) {
    return winogradFilterGradient(x, dy, winogradGeometry(info));
  }
  const k = taps(info);
  const n = info.outChannels;
  const pixels = outputPixels(info);
  const dw = new Float32Array(k * n);
  // patchesᵀ: `[taps, pixels]` read from the `[pixels, taps]` patch rows.
  if (isPointwise(info)) {
    gemm({ values: x, offset: 0, rowStride: 1, colStride: k }, rowMajor(dy, 0, n), dw, 0, k, pixels, n);
    return dw;
  }
  const { rows, patches } = patchBlock(k);
  for (let r0 = 0; r0 < pixels; r0 += rows) {
    const r1 = Math.min(pixels, r0 + rows);
    im2col(x, info, r0, r1, patches);
    const patchesT: MatrixView = { values: patches, offset: 0, rowStride: 1, colStride: k };
    gemm(patchesT, rowMajor(dy, r0 * n, n), dw, 0, k, r1 - r0, n, false, r0 > 0);
  }
  return dw;
}

// NCHW tensors: the geometry is computed from their own shapes as tfjs-backend-cpu computes it, and the
// data transposed to NHWC around the computation.
const TO_NHWC = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];

function nhwcValues(b: Backend, t: TensorInfo, channelsFirst: boolean): Float32Array {
  if (!channelsFirst) return valuesOf(b, t);
  const moved = transpose(b, t, TO_NHWC);
  const values = valuesOf(b, moved);
  release(b, moved);
  return values;
}

/** Wraps NHWC `values` of NHWC shape `shape` as a tensor in the kernel's data format. */
function fromNhwc(b: Backend, values: Float32Array, shape: number[], channelsFirst: boolean): TensorInfo {
  const nhwc = (b as unknown as CpuData).makeTensorInfo(shape, 'float32', values);
  if (!channelsFirst) return nhwc;
  const out = transpose(b, nhwc, TO_NCHW);
  release(b, nhwc);
  return out;
}

const nhwcShape = (info: backend_util.Conv2DInfo, which: 'in' | 'out') =>
  which === 'in'
    ? [info.batchSize, info.inHeight, info.inWidth, info.inChannels]
    : [info.batchSize, info.outHeight, info.outWidth, info.outChannels];

function conv2dWith(args: Parameters<KernelFunc>[0], epilogue?: BiasRelu): TensorInfo {
  const { x, filter } = args.inputs as unknown as { x: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as Conv2DAttrs;
  const b = args.backend as Backend;
  const channelsFirst = dataFormat === 'NCHW';
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  const shape = nhwcShape(info, 'out');
  const out = outputArray(b, util.sizeFromShape(shape));
  convolve(nhwcValues(b, x, channelsFirst), valuesOf(b, filter), info, out, epilogue);
  return fromNhwc(b, out, shape, channelsFirst);
}

/** Conv2D on float32 tensors, any data format. */
export const conv2dCpu: KernelFunc = (args) => conv2dWith(args);

/** Conv2DBackpropInput (the gradient of Conv2D, and conv2dTranspose) on float32 tensors. */
export const conv2dBackpropInputCpu: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as unknown as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
    attrs as unknown as Conv2DBackpropInputAttrs;
  const b = backend as Backend;
  const channelsFirst = dataFormat === 'NCHW';
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  const shape = nhwcShape(info, 'in');
  const dx = outputArray(b, util.sizeFromShape(shape), true);
  convolveInputGradient(nhwcValues(b, dy, channelsFirst), valuesOf(b, filter), info, dx);
  return fromNhwc(b, dx, shape, channelsFirst);
};

/** Conv2DBackpropFilter (the filter gradient of Conv2D) on float32 tensors. */
export const conv2dBackpropFilterCpu: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as unknown as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as Conv2DBackpropFilterAttrs;
  const b = backend as Backend;
  const channelsFirst = dataFormat === 'NCHW';
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  const dw = convolveFilterGradient(nhwcValues(b, x, channelsFirst), nhwcValues(b, dy, channelsFirst), info);
  return (b as unknown as CpuData).makeTensorInfo(filterShape, 'float32', dw);
};

/**
 * The bias and activation of a channels-last fused convolution as a `BiasRelu`, when they are a float32
 * bias of one value per output channel (or one in all) and relu or none; null otherwise.
 */
function fusedEpilogue(
  b: Backend,
  bias: TensorInfo | undefined,
  activation: string | undefined,
  dataFormat: string,
  channels: number,
): BiasRelu | null {
  const relu = activation === 'relu';
  if (dataFormat === 'NCHW' || !(relu || activation == null || activation === 'linear')) return null;
  if (!bias && !relu) return null;
  if (bias && !(isFloat(bias) && bias.shape.length <= 1)) return null;
  const values = bias ? valuesOf(b, bias) : new Float32Array(1);
  if (values.length !== 1 && values.length !== channels) return null;
  const perChannel = values.length === channels ? values : new Float32Array(channels).fill(values[0]);
  return { bias: perChannel, relu };
}

/**
 * `tf.fused.conv2d` (a Conv2D layer's forward pass outside training): the convolution above, then the
 * bias and activation. A per-channel bias with relu (a Conv2D layer's usual case) is applied to each
 * output block while it is in cache; otherwise as `fusedMatMulCpu` applies them, with NCHW bias and PReLU
 * weights of one value per channel reshaped to `[channels, 1, 1]` first, as tfjs-backend-cpu does.
 */
export const fusedConv2dCpu: KernelFunc = (args) => {
  const { filter, bias, preluActivationWeights } = args.inputs as unknown as {
    filter: TensorInfo;
    bias?: TensorInfo;
    preluActivationWeights?: TensorInfo;
  };
  const { dataFormat, activation, leakyreluAlpha } = args.attrs as unknown as FusedConv2DAttrs;
  const b = args.backend as Backend;
  const epilogue = fusedEpilogue(b, bias, activation, dataFormat, filter.shape[3]);
  if (epilogue) return conv2dWith(args, epilogue);
  const conv = conv2dWith(args);
  const perChannel = (t: TensorInfo | undefined) =>
    t != null && dataFormat === 'NCHW' && t.shape.length === 1 && t.shape[0] !== 1
      ? reshape(b, t, [t.shape[0], 1, 1])
      : t;
  const biasNow = perChannel(bias);
  const alphaNow = activation === 'prelu' ? perChannel(preluActivationWeights) : preluActivationWeights;
  try {
    return applyBiasAndActivation(b, conv, biasNow, activation, alphaNow, leakyreluAlpha);
  } finally {
    if (biasNow !== bias) release(b, biasNow as TensorInfo);
    if (alphaNow !== preluActivationWeights) release(b, alphaNow as TensorInfo);
  }
};

export const cpuConv2dFix = floatFix('Conv2D', conv2dCpu, ['x', 'filter']);
export const cpuFusedConv2dFix = floatFix('FusedConv2D', fusedConv2dCpu, ['x', 'filter']);
export const cpuConv2dBackpropInputFix = floatFix('Conv2DBackpropInput', conv2dBackpropInputCpu, [
  'dy',
  'filter',
]);
export const cpuConv2dBackpropFilterFix = floatFix('Conv2DBackpropFilter', conv2dBackpropFilterCpu, [
  'x',
  'dy',
]);
