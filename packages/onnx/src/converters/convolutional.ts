// Conv1D/2D, Conv2DTranspose, DepthwiseConv2D and SeparableConv2D: transposed to ONNX's channels-first
// layout around the op, with Keras's kernels reordered to ONNX's [out, in / groups, ...spatial].
import { activationProblem, applyActivation } from './activations.js';
import { type LayerCall, registerOnnxConverter } from './converter.js';
import { spatialDims, toChannelsFirst, toChannelsLast, transposeData, windowPadding } from './layout.js';

function convProblem(config: Record<string, any>): string | null {
  if (config.dataFormat === 'channels_first') return 'dataFormat=channels_first';
  return activationProblem(config.activation);
}

/** Keras kernel [...spatial, in, out] to ONNX [out, in, ...spatial]. */
function onnxKernel(data: Float32Array, shape: number[]): { data: Float32Array; dims: number[] } {
  const r = shape.length;
  const perm = [r - 1, r - 2, ...Array.from({ length: r - 2 }, (_, i) => i)];
  return { data: transposeData(data, shape, perm), dims: perm.map((p) => shape[p]) };
}

/** One channels-first Conv on a channels-last input: transposes in, Conv, transposes out. */
function convNodes(
  call: LayerCall,
  x: string,
  kernel: { data: Float32Array; dims: number[] },
  bias: Float32Array | null,
  group: number,
  strides: number[] = call.config.strides,
): string {
  const { graph, config, inputShapes } = call;
  const rank = inputShapes[0].length;
  const dilations: number[] = config.dilationRate;
  const kernelSize = kernel.dims.slice(2);
  const inputs = [toChannelsFirst(graph, x, rank), graph.floats('kernel', kernel.data, kernel.dims)];
  if (bias) inputs.push(graph.floats('bias', bias, [bias.length]));
  const y = graph.op1('Conv', inputs, {
    kernel_shape: kernelSize,
    strides,
    dilations,
    group,
    ...windowPadding(config.padding, spatialDims(inputShapes[0]), kernelSize, strides, dilations),
  });
  return toChannelsLast(graph, y, rank);
}

for (const className of ['Conv1D', 'Conv2D']) {
  registerOnnxConverter(className, {
    check: (_layer, _node, config) => convProblem(config),
    convert: (call) => {
      const [kernel, bias] = call.weights;
      const y = convNodes(
        call,
        call.inputs[0],
        onnxKernel(kernel.data, kernel.shape),
        call.config.useBias ? bias.data : null,
        call.config.groups ?? 1,
      );
      return [applyActivation(call.graph, call.config.activation, y)];
    },
  });
}

/** Keras depthwise kernel [...spatial, in, multiplier] to ONNX [in * multiplier, 1, ...spatial] (group = in). */
function depthwiseKernel(data: Float32Array, shape: number[]): { data: Float32Array; dims: number[] } {
  const r = shape.length;
  const perm = [r - 2, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i)];
  return {
    data: transposeData(data, shape, perm),
    dims: [shape[r - 2] * shape[r - 1], 1, ...shape.slice(0, r - 2)],
  };
}

registerOnnxConverter('DepthwiseConv2D', {
  check: (_layer, _node, config) => convProblem(config),
  convert: (call) => {
    const [kernel, bias] = call.weights;
    const channels = kernel.shape[kernel.shape.length - 2];
    const y = convNodes(
      call,
      call.inputs[0],
      depthwiseKernel(kernel.data, kernel.shape),
      call.config.useBias ? bias.data : null,
      channels,
    );
    return [applyActivation(call.graph, call.config.activation, y)];
  },
});

registerOnnxConverter('SeparableConv2D', {
  check: (_layer, _node, config) => convProblem(config),
  // The depthwise conv (strides, padding, dilation), then a 1x1 pointwise conv with the bias, as Keras.
  convert: (call) => {
    const [depthwise, pointwise, bias] = call.weights;
    const channels = depthwise.shape[depthwise.shape.length - 2];
    const mid = convNodes(
      call,
      call.inputs[0],
      depthwiseKernel(depthwise.data, depthwise.shape),
      null,
      channels,
    );
    const pointCall = {
      ...call,
      config: { ...call.config, padding: 'valid', dilationRate: [1, 1] },
      inputShapes: [call.outputShapes[0]],
    };
    const y = convNodes(
      pointCall,
      mid,
      onnxKernel(pointwise.data, pointwise.shape),
      call.config.useBias ? bias.data : null,
      1,
      [1, 1],
    );
    return [applyActivation(call.graph, call.config.activation, y)];
  },
});

registerOnnxConverter('Conv2DTranspose', {
  check: (_layer, _node, config) =>
    convProblem(config) ??
    (config.outputPadding != null ? 'outputPadding is set' : null) ??
    ((config.dilationRate as number[]).some((d) => d !== 1) ? 'dilationRate above 1' : null),
  convert: (call) => {
    const { graph, config, inputShapes, weights } = call;
    const [kernel, bias] = weights;
    const kernelSize: number[] = config.kernelSize;
    const strides: number[] = config.strides;
    // Keras kernel [kh, kw, out, in] to ONNX ConvTranspose's [in, out, kh, kw].
    const w = transposeData(kernel.data, kernel.shape, [3, 2, 0, 1]);
    const dims = [kernel.shape[3], kernel.shape[2], kernel.shape[0], kernel.shape[1]];
    // 'same' gives in * s: the padding is that of the forward conv from in * s to in (TF's rule), and when
    // the kernel is smaller than the stride the missing rows come as output_padding at the end.
    const attrs: Record<string, number[]> = { kernel_shape: kernelSize, strides };
    if (config.padding === 'same') {
      const totals = kernelSize.map((k, i) => Math.max(k - strides[i], 0));
      attrs.pads = [...totals.map((t) => Math.floor(t / 2)), ...totals.map((t) => t - Math.floor(t / 2))];
      attrs.output_padding = kernelSize.map((k, i) => Math.max(strides[i] - k, 0));
    }
    const inputs = [toChannelsFirst(graph, call.inputs[0], 4), graph.floats('kernel', w, dims)];
    if (config.useBias) inputs.push(graph.floats('bias', bias.data, bias.shape));
    const y = toChannelsLast(graph, graph.op1('ConvTranspose', inputs, attrs), inputShapes[0].length);
    return [applyActivation(graph, config.activation, y)];
  },
});
