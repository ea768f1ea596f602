/**
 * Conv2D and the 2-D pooling layers as parts of a compiled training step (issue 20), channels-first inside the
 * graph (ONNX's `Conv` layout). Standard ONNX ops only: ONNX Runtime's inference build has no ConvGrad
 * or MaxPoolGrad, so each gradient is written with forward ops.
 * - Conv2D forward: Conv(x, kernel as `[out, in, kh, kw]`, bias) with Keras's padding; the activation is
 *   the compiler's.
 * - dx: ConvTranspose(dy, kernel), `output_padding` restoring the rows (columns) no window reached.
 * - dKernel: dW[o, i, fy, fx] = Σ x[n, i, y·s + fy·d − top, …] · dy[n, o, y, …]: from the forward's
 *   patches of x by a batched MatMul, or as a convolution (see `kernelGradient`).
 * - dBias: ReduceSum of dy over batch and space.
 * - MaxPooling2D: dy goes to each window's first maximum in row-major order (as tfjs's MaxPoolGrad
 *   picks it), found by MaxPool's `Indices` output or, for windows that tile the input, by ArgMax (see
 *   `tiledArgmax`); MaxUnpool writes it there, or ScatterElements adds it where windows overlap.
 * - AveragePooling2D and GlobalAveragePooling2D: AveragePool and ReduceMean; backward, dy spread evenly
 *   over each window.
 */
import type { Layer } from '@strata/core';
import type { OnnxGraph } from '@strata/onnx/graph';

import type { StepLayerFactory, StepLayout } from './types.js';

/** A Conv2D's fields this file reads (`@strata/layers` is not a dependency of the backends). */
interface Conv2DFields {
  readonly filters: number;
  readonly kernelSize: readonly number[];
  readonly strides: readonly number[];
  readonly padding: string;
  readonly dataFormat: string;
  readonly dilationRate: readonly number[];
  readonly groups: number;
  readonly useBias: boolean;
}

/** A pooling layer's fields this file reads. */
interface PoolingFields {
  readonly poolSize: readonly number[];
  readonly strides: readonly number[];
  readonly padding: string;
  readonly dataFormat: string;
}

/** One spatial axis of a window: Keras's output size and the padding before and after it. */
interface AxisWindow {
  readonly size: number;
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
  readonly out: number;
  readonly before: number;
  readonly after: number;
}

/**
 * Keras's (TensorFlow's) window on one axis: `'valid'` gives `floor((n − reach) / s) + 1` windows,
 * `'same'` gives `ceil(n / s)` with the padding they need split evenly, the odd row after (bottom, right).
 */
function axisWindow(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  same: boolean,
): AxisWindow {
  const reach = (kernel - 1) * dilation + 1;
  const out = same ? Math.ceil(size / stride) : Math.floor((size - reach) / stride) + 1;
  const total = same ? Math.max((out - 1) * stride + reach - size, 0) : 0;
  const before = Math.floor(total / 2);
  return { size, kernel, stride, dilation, out, before, after: total - before };
}

/**
 * The rows (columns) of the padded input after the last window's reach, which get no gradient: the
 * `output_padding` that makes a ConvTranspose of dy as large as the input.
 */
function unreachedRows(a: AxisWindow): number {
  return a.size + a.before + a.after - ((a.out - 1) * a.stride + (a.kernel - 1) * a.dilation + 1);
}

/** The window attributes ONNX's Conv, ConvTranspose and MaxPool share. */
function windowAttrs(h: AxisWindow, w: AxisWindow) {
  return {
    kernel_shape: [h.kernel, w.kernel],
    strides: [h.stride, w.stride],
    pads: [h.before, w.before, h.after, w.after],
  };
}

/** `[n, h, w, c]` to `[n, c, h, w]` when the previous layer writes Keras's order. */
function toNchw(shape: readonly number[], layout: StepLayout): readonly number[] {
  return layout === 'keras' ? [shape[0], shape[3], shape[1], shape[2]] : shape;
}

/**
 * A 2-D layer's fields (typed as `T`) and its input's shape in NCHW, or why it cannot be compiled: it must
 * be a `className`, its input 4-D with every size known, channels last (the compiler's transposes assume
 * Keras's default order), and float32.
 */
function spatialLayer<T extends { readonly dataFormat: string }>(
  layer: Layer,
  className: string,
  inputShape: readonly number[],
  inputLayout: StepLayout,
): { fields: T; shape: readonly number[] } | string {
  const who = `${layer.getClassName()} "${layer.name}"`;
  if (layer.getClassName() !== className)
    return `This step layer compiles ${className} layers. Received: ${who}`;
  const fields = layer as unknown as T;
  if (fields.dataFormat !== 'channels_last') {
    return `${who} compiles for dataFormat 'channels_last' only. Received: dataFormat=${fields.dataFormat}`;
  }
  if (inputShape.length !== 4 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    return `${who} compiles for a 4-D input of known sizes. Received: inputShape=[${inputShape.join(', ')}]`;
  }
  if (layer.dtype !== 'float32') return `${who} compiles for float32 only. Received: dtype=${layer.dtype}`;
  return { fields, shape: toNchw(inputShape, inputLayout) };
}

/** A `backward` emitted before its `forward` would leave the graph with dangling names. */
function backwardBeforeForward(layer: Layer): Error {
  return new Error(`The step layer of "${layer.name}" emitted backward before forward.`);
}

/** The values `forward` saved for `backward`. */
function forwardValues<T>(values: T | null, layer: Layer): T {
  if (values == null) throw backwardBeforeForward(layer);
  return values;
}

/** `[kh, kw, in, out]` (Strata's kernel) to ONNX's `[out, in, kh, kw]`. */
const KERNEL_TO_OIHW = [3, 2, 0, 1];
/** The kernel gradient's convolution writes `[in, out, kh, kw]`; Strata's kernel is `[kh, kw, in, out]`. */
const IOHW_TO_KERNEL = [2, 3, 0, 1];
/** Swaps the batch and channel axes of an NCHW value. */
const SWAP_BATCH_CHANNELS = [1, 0, 2, 3];

/**
 * The step layer of a `Conv2D`, or why it has none: channels-first data, groups above 1, a non-trainable
 * layer, or an input of unknown size.
 */
export const conv2dStepLayer: StepLayerFactory = (layer, inputShape, inputLayout) => {
  const read = spatialLayer<Conv2DFields>(layer, 'Conv2D', inputShape, inputLayout);
  if (typeof read === 'string') return read;
  const { fields: conv, shape } = read;
  if (conv.groups !== 1)
    return `Conv2D "${layer.name}" compiles for groups=1 only. Received: groups=${conv.groups}`;
  if (conv.padding !== 'valid' && conv.padding !== 'same') {
    return `Conv2D "${layer.name}" compiles for padding 'valid' or 'same'. Received: padding=${conv.padding}`;
  }
  const weightCount = conv.useBias ? 2 : 1;
  if (!layer.trainable || layer.trainableWeights.length !== weightCount) {
    return `Conv2D "${layer.name}" compiles when its ${weightCount} weight(s) are trainable. Received: trainable=${layer.trainable} with ${layer.trainableWeights.length} trainable weight(s)`;
  }
  const [batch, , height, width] = shape;
  const same = conv.padding === 'same';
  const h = axisWindow(height, conv.kernelSize[0], conv.strides[0], conv.dilationRate[0], same);
  const w = axisWindow(width, conv.kernelSize[1], conv.strides[1], conv.dilationRate[1], same);
  if (h.out <= 0 || w.out <= 0) {
    return `Conv2D "${layer.name}": the kernel does not fit the input. Received: inputShape=[${inputShape.join(', ')}]`;
  }
  const convAttrs = { ...windowAttrs(h, w), dilations: [h.dilation, w.dilation] };
  let saved: { x: string; kernel: string } | null = null;

  return {
    inputLayout: 'nchw',
    outputLayout: 'nchw',
    outputShape: [batch, conv.filters, h.out, w.out],

    forward(g, x, weights) {
      const kernel = g.op1('Transpose', [weights[0]], { perm: KERNEL_TO_OIHW });
      saved = { x, kernel };
      return g.op1('Conv', conv.useBias ? [x, kernel, weights[1]] : [x, kernel], convAttrs);
    },

    backward(g, dy, needInputGrad) {
      const { x, kernel } = forwardValues(saved, layer);
      const dWeights = [kernelGradient(g, x, dy, shape, conv.filters, h, w, convAttrs)];
      if (conv.useBias) dWeights.push(g.reduce('ReduceSum', dy, [0, 2, 3], false));
      if (!needInputGrad) return { dx: null, dWeights };
      const dx = g.op1('ConvTranspose', [dy, kernel], {
        ...convAttrs,
        output_padding: [h, w].map(unreachedRows),
      });
      return { dx, dWeights };
    },
  };
};

/**
 * The most elements either intermediate of the patches form of dKernel may hold (64 MB): past it, the
 * convolution form, which ONNX Runtime runs one input channel at a time.
 */
const PATCHES_LIMIT = 1 << 24;

/**
 * dKernel in Strata's `[kh, kw, in, out]`, in one of two forms:
 * - Patches: a grouped Conv by one-hot filters copies each window of x out (`[n, in·kh·kw, oh·ow]`, the
 *   forward's im2col), a batched MatMul by dy gives each sample's `[in·kh·kw, out]` and ReduceSum adds
 *   them over the batch.
 * - Convolution: of x with batch and channels swapped (`[in, n, H, W]`) by dy as the filter
 *   (`[out, n, oh, ow]`), the forward stride as its dilation and the forward dilation as its stride. The
 *   padding after the input is cut to what the last kernel position needs; rows (columns) a valid strided
 *   window never reached may still make the result larger than the kernel, and are sliced off.
 * Measured here (batch 128, the bench CNN's second convolution, 32 to 64 channels on 13x13), patches
 * take 9.4 ms, the convolution 13.6 and the forward 3.9: ONNX Runtime runs the convolution as 32
 * products of 64 x 15,488 by 15,488 x 9, too thin for its GEMM. Patches need more memory, so past
 * `PATCHES_LIMIT` the convolution form is used.
 */
function kernelGradient(
  g: OnnxGraph,
  x: string,
  dy: string,
  [batch, channels]: readonly number[],
  filters: number,
  h: AxisWindow,
  w: AxisWindow,
  convAttrs: Record<string, number[]>,
): string {
  const taps = h.kernel * w.kernel;
  const positions = h.out * w.out;
  if (batch * channels * taps * Math.max(positions, filters) <= PATCHES_LIMIT) {
    const oneHot = new Float32Array(channels * taps * taps);
    for (let c = 0; c < channels; c++) for (let t = 0; t < taps; t++) oneHot[(c * taps + t) * taps + t] = 1;
    const filter = g.floats('one_hot_taps', oneHot, [channels * taps, 1, h.kernel, w.kernel]);
    const patches = g.op1('Conv', [x, filter], { ...convAttrs, group: channels });
    const perSample = g.op1('MatMul', [
      g.op1('Reshape', [patches, g.int64s('patches_shape', [batch, channels * taps, positions])]),
      g.op1('Transpose', [g.op1('Reshape', [dy, g.int64s('dy_shape', [batch, filters, positions])])], {
        perm: [0, 2, 1],
      }),
    ]);
    const dw = g.reduce('ReduceSum', perSample, [0], false);
    const grouped = g.op1('Reshape', [dw, g.int64s('kernel_shape', [channels, h.kernel, w.kernel, filters])]);
    return g.op1('Transpose', [grouped], { perm: [1, 2, 0, 3] });
  }
  const after = (a: AxisWindow) =>
    Math.max(0, (a.kernel - 1) * a.dilation + (a.out - 1) * a.stride + 1 - a.size - a.before);
  const reach = (a: AxisWindow) =>
    Math.floor((a.size + a.before + after(a) - ((a.out - 1) * a.stride + 1)) / a.dilation) + 1;
  const xT = g.op1('Transpose', [x], { perm: SWAP_BATCH_CHANNELS });
  const dyT = g.op1('Transpose', [dy], { perm: SWAP_BATCH_CHANNELS });
  let dw = g.op1('Conv', [xT, dyT], {
    kernel_shape: [h.out, w.out],
    strides: [h.dilation, w.dilation],
    dilations: [h.stride, w.stride],
    pads: [h.before, w.before, after(h), after(w)],
  });
  if (reach(h) > h.kernel || reach(w) > w.kernel) {
    dw = g.op1('Slice', [
      dw,
      g.int64s('starts', [0, 0]),
      g.int64s('ends', [h.kernel, w.kernel]),
      g.int64s('axes', [2, 3]),
    ]);
  }
  return g.op1('Transpose', [dw], { perm: IOHW_TO_KERNEL });
}

/**
 * A pooling layer's input shape in NCHW, its windows along the rows (`h`) and columns (`w`) and their ONNX
 * attributes, or why it cannot be compiled (see `spatialLayer`; the window must fit the input).
 */
function poolingWindows(
  layer: Layer,
  className: string,
  inputShape: readonly number[],
  inputLayout: StepLayout,
):
  | { shape: readonly number[]; h: AxisWindow; w: AxisWindow; attrs: ReturnType<typeof windowAttrs> }
  | string {
  const read = spatialLayer<PoolingFields>(layer, className, inputShape, inputLayout);
  if (typeof read === 'string') return read;
  const { fields: pool, shape } = read;
  const same = pool.padding === 'same';
  const h = axisWindow(shape[2], pool.poolSize[0], pool.strides[0], 1, same);
  const w = axisWindow(shape[3], pool.poolSize[1], pool.strides[1], 1, same);
  if (h.out <= 0 || w.out <= 0) {
    return `${className} "${layer.name}": the window does not fit the input. Received: inputShape=[${inputShape.join(', ')}]`;
  }
  return { shape, h, w, attrs: windowAttrs(h, w) };
}

/**
 * The step layer of a `MaxPooling2D`, or why it has none (channels-first data, an input of unknown size).
 */
export const maxPooling2dStepLayer: StepLayerFactory = (layer, inputShape, inputLayout) => {
  const read = poolingWindows(layer, 'MaxPooling2D', inputShape, inputLayout);
  if (typeof read === 'string') return read;
  const { shape, h, w, attrs } = read;
  const [batch, channels, height, width] = shape;
  const dxShape = [batch, channels, height, width];
  // Square windows that tile the input (stride = pool size, no padding) find their maxima apart from the
  // forward, several times faster than MaxPool's Indices output (see `tiledArgmax`).
  const block = h.kernel;
  const tiled =
    w.kernel === block &&
    h.stride === block &&
    w.stride === block &&
    h.before + h.after + w.before + w.after === 0;
  let saved: { x: string; indices: string | null } | null = null;

  return {
    inputLayout: 'nchw',
    outputLayout: 'nchw',
    outputShape: [batch, channels, h.out, w.out],

    forward(g, x) {
      // With padding, ONNX's MaxPool takes the maximum over the window's real values, as TensorFlow does.
      if (tiled) {
        saved = { x, indices: null };
        return g.op1('MaxPool', [x], attrs);
      }
      const [y, indices] = g.op('MaxPool', [x], attrs, 2);
      saved = { x, indices };
      return y;
    },

    backward(g, dy, needInputGrad) {
      const { x, indices } = forwardValues(saved, layer);
      if (!needInputGrad) return { dx: null, dWeights: [] };
      // The indices are flat over the whole input [n, c, h, w]. Windows that overlap can share a maximum,
      // whose gradient is then the sum: ScatterElements adds; otherwise MaxUnpool writes each one once.
      if (indices == null || (h.stride >= h.kernel && w.stride >= w.kernel)) {
        const argmax = indices ?? tiledArgmax(g, x, dxShape, block, h.out, w.out);
        return { dx: g.op1('MaxUnpool', [dy, argmax, g.int64s('dx_shape', dxShape)], attrs), dWeights: [] };
      }
      const flat = g.int64s('flat', [-1]);
      const zeros = g.op1('ConstantOfShape', [g.int64s('size', [batch * channels * height * width])]);
      const dx = g.op1(
        'ScatterElements',
        [zeros, g.op1('Reshape', [indices, flat]), g.op1('Reshape', [dy, flat])],
        { axis: 0, reduction: 'add' },
      );
      return { dx: g.op1('Reshape', [dx, g.int64s('shape', dxShape)]), dWeights: [] };
    },
  };
};

/**
 * MaxPool's `Indices` for square windows of side `block` that tile x (rows and columns past the last
 * window left out): SpaceToDepth gathers each window's values along one axis, ArgMax picks its first
 * maximum in row-major order (as MaxPool and tfjs do), and the window's offset plus the flat position
 * of its corner give the index. Profiled here (batch 128, 32 channels, 26x26, 2x2 windows, on the loaded
 * 2-core machine): MaxPool with Indices took 36 ms and ScatterElements 7; MaxPool alone (MLAS) takes
 * 2.5 ms, this 14 and MaxUnpool 1.4.
 */
function tiledArgmax(
  g: OnnxGraph,
  x: string,
  [batch, channels, height, width]: readonly number[],
  block: number,
  outHeight: number,
  outWidth: number,
): string {
  let tiles = x;
  if (outHeight * block < height || outWidth * block < width) {
    tiles = g.op1('Slice', [
      x,
      g.int64s('starts', [0, 0]),
      g.int64s('ends', [outHeight * block, outWidth * block]),
      g.int64s('axes', [2, 3]),
    ]);
  }
  const windows = g.op1('Reshape', [
    g.op1('SpaceToDepth', [tiles], { blocksize: block }),
    g.int64s('windows_shape', [batch, block * block, channels, outHeight, outWidth]),
  ]);
  const tap = g.op1('ArgMax', [windows], { axis: 1, keepdims: 0 });
  const tapOffsets: number[] = [];
  for (let r = 0; r < block; r++) for (let c = 0; c < block; c++) tapOffsets.push(r * width + c);
  const planes = Array.from({ length: batch * channels }, (_, i) => i * height * width);
  const corners: number[] = [];
  for (let r = 0; r < outHeight; r++)
    for (let c = 0; c < outWidth; c++) corners.push((r * width + c) * block);
  // Constant inputs only: ONNX Runtime folds this sum when it loads the model.
  const windowStarts = g.op1('Add', [
    g.int64s('plane_starts', planes, [batch, channels, 1, 1]),
    g.int64s('window_corners', corners, [1, 1, outHeight, outWidth]),
  ]);
  return g.op1('Add', [g.op1('Gather', [g.int64s('tap_offsets', tapOffsets), tap]), windowStarts]);
}

/**
 * The step layer of an `AveragePooling2D`, or why it has none (channels-first data, an input of unknown
 * size). Like TensorFlow (and Strata's layer), a window with `'same'` padding averages its real values
 * only: AveragePool's `count_include_pad` 0. Backward, each window's dy divided by its count spreads over
 * the window: a depthwise ConvTranspose by a filter of ones.
 */
export const averagePooling2dStepLayer: StepLayerFactory = (layer, inputShape, inputLayout) => {
  const read = poolingWindows(layer, 'AveragePooling2D', inputShape, inputLayout);
  if (typeof read === 'string') return read;
  const { shape, h, w, attrs } = read;
  const [batch, channels] = shape;
  let forwarded = false;

  return {
    inputLayout: 'nchw',
    outputLayout: 'nchw',
    outputShape: [batch, channels, h.out, w.out],

    forward(g, x) {
      forwarded = true;
      return g.op1('AveragePool', [x], { ...attrs, count_include_pad: 0 });
    },

    backward(g, dy, needInputGrad) {
      if (!forwarded) throw backwardBeforeForward(layer);
      if (!needInputGrad) return { dx: null, dWeights: [] };
      // How many real values each window averages, from the rows and columns it covers.
      const covered = (a: AxisWindow, i: number) =>
        Math.min(i * a.stride - a.before + a.kernel, a.size) - Math.max(i * a.stride - a.before, 0);
      const inverseCounts: number[] = [];
      for (let r = 0; r < h.out; r++)
        for (let c = 0; c < w.out; c++) inverseCounts.push(1 / (covered(h, r) * covered(w, c)));
      const scaled = g.op1('Mul', [dy, g.floats('inverse_counts', inverseCounts, [1, 1, h.out, w.out])]);
      const ones = g.floats('ones', new Float32Array(channels * h.kernel * w.kernel).fill(1), [
        channels,
        1,
        h.kernel,
        w.kernel,
      ]);
      const dx = g.op1('ConvTranspose', [scaled, ones], {
        ...attrs,
        group: channels,
        output_padding: [h, w].map(unreachedRows),
      });
      return { dx, dWeights: [] };
    },
  };
};

/**
 * The step layer of a `GlobalAveragePooling2D`, or why it has none. Its output, `[batch, channels]` (or
 * `[batch, 1, 1, channels]` with `keepdims`), is in Keras's order.
 */
export const globalAveragePooling2dStepLayer: StepLayerFactory = (layer, inputShape, inputLayout) => {
  const read = spatialLayer<{ dataFormat: string; keepdims: boolean }>(
    layer,
    'GlobalAveragePooling2D',
    inputShape,
    inputLayout,
  );
  if (typeof read === 'string') return read;
  const { fields: pool, shape } = read;
  const [batch, channels, height, width] = shape;
  const outputShape = pool.keepdims ? [batch, 1, 1, channels] : [batch, channels];
  let forwarded = false;

  return {
    inputLayout: 'nchw',
    outputLayout: 'keras',
    outputShape,

    forward(g, x) {
      forwarded = true;
      // [n, c, 1, 1] and [n, 1, 1, c] hold their values in the same order.
      const mean = g.reduce('ReduceMean', x, [2, 3], false);
      return pool.keepdims ? g.op1('Reshape', [mean, g.int64s('keras_shape', outputShape)]) : mean;
    },

    backward(g, dy, needInputGrad) {
      if (!forwarded) throw backwardBeforeForward(layer);
      if (!needInputGrad) return { dx: null, dWeights: [] };
      const perValue = g.op1('Mul', [
        g.op1('Reshape', [dy, g.int64s('column_shape', [batch, channels, 1, 1])]),
        g.floats('inverse_count', [1 / (height * width)], []),
      ]);
      return { dx: g.op1('Expand', [perValue, g.int64s('dx_shape', shape as number[])]), dWeights: [] };
    },
  };
};
