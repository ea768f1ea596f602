// Dense, Embedding, Masking, and the layers that are the identity at inference.
import { activationProblem, applyActivation } from './activations.js';
import { type LayerCall, registerOnnxConverter } from './converter.js';

/** `x @ kernel (+ bias)` over the last axis, for a kernel of shape [in, out]. */
export function denseNodes(call: LayerCall, x: string, kernel: number, bias: number | null): string {
  const { graph, weights } = call;
  const w = weights[kernel];
  let y = graph.op1('MatMul', [x, graph.floats('kernel', w.data, w.shape)]);
  if (bias != null) y = graph.op1('Add', [y, graph.floats('bias', weights[bias].data, weights[bias].shape)]);
  return y;
}

registerOnnxConverter('Dense', {
  check: (_layer, _node, config) => activationProblem(config.activation),
  convert: (call) => {
    const y = denseNodes(call, call.inputs[0], 0, call.config.useBias ? 1 : null);
    return [applyActivation(call.graph, call.config.activation, y)];
  },
});

registerOnnxConverter('Embedding', {
  check: (_layer, _node, config) =>
    config.sparse ? 'sparse=true' : config.quantizationConfig ? 'a quantized embedding' : null,
  convert: ({ graph, inputs, weights }) => {
    // Keras casts the ids to int; ONNX's Cast from float truncates the same way.
    const ids = graph.op1('Cast', [inputs[0]], { to: 7 });
    return [
      graph.op1('Gather', [graph.floats('embeddings', weights[0].data, weights[0].shape), ids], { axis: 0 }),
    ];
  },
});

registerOnnxConverter('Masking', {
  // Keras's Masking zeroes the timesteps whose features all equal maskValue: x * any(x != maskValue, -1).
  convert: ({ graph, config, inputs }) => {
    const x = inputs[0];
    const equal = graph.op1('Equal', [x, graph.floats('mask_value', [config.maskValue ?? 0], [])]);
    const keep = graph.op1('Cast', [graph.op1('Not', [equal])], { to: 1 });
    return [graph.op1('Mul', [x, graph.reduce('ReduceMax', keep, [-1], true)])];
  },
});

// Training-only noise and regularization: the identity in inference, which is what an exported model runs.
for (const name of [
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'ActivityRegularization',
  'Identity',
]) {
  registerOnnxConverter(name, { convert: ({ inputs }) => [inputs[0]] });
}
