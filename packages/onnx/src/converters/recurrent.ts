// SimpleRNN, LSTM and GRU as ONNX's RNN, LSTM and GRU ops, and Bidirectional on them. ONNX's ops are
// time-major and order the LSTM gates i, o, f, c (Keras: i, f, c, o); GRU's z, r, h are in Keras's order,
// and Keras's reset_after is ONNX's linear_before_reset.
import type { Layer, Node } from '@strata/core';

import type { OnnxGraph } from '../onnx-graph.js';
import {
  type LayerCall,
  layerClassName,
  readLayerWeights,
  registerOnnxConverter,
  type WeightData,
} from './converter.js';
import { transposeData } from './layout.js';

const ONNX_ACTIVATIONS: Record<string, string> = { sigmoid: 'Sigmoid', tanh: 'Tanh', relu: 'Relu' };
const OPS: Record<string, { op: string; gates: number; keras: string; onnx: string }> = {
  SimpleRNN: { op: 'RNN', gates: 1, keras: 'h', onnx: 'h' },
  LSTM: { op: 'LSTM', gates: 4, keras: 'ifco', onnx: 'iofc' },
  GRU: { op: 'GRU', gates: 3, keras: 'zrh', onnx: 'zrh' },
};

const classNameOf = layerClassName;

function rnnProblem(layer: Layer, node: Node | null): string | null {
  const className = classNameOf(layer);
  if (!(className in OPS)) return `a ${className} inside has no ONNX form`;
  const config = layer.getConfig() as Record<string, any>;
  if (config.stateful) return 'stateful=true';
  for (const key of ['activation', ...(className === 'SimpleRNN' ? [] : ['recurrentActivation'])]) {
    if (!(config[key] in ONNX_ACTIVATIONS))
      return `${key}='${config[key]}' (ONNX's recurrent ops here take ${Object.keys(ONNX_ACTIVATIONS).join(', ')})`;
  }
  if (node && node.kwargsTensors.length > 0) return 'it is called with initialState or mask tensors';
  return null;
}

/** Keras kernel [in, gates * units] to ONNX [1, gates * units, in], gate blocks in ONNX's order. */
function gateMatrix(
  w: WeightData,
  spec: (typeof OPS)[string],
  units: number,
): { data: Float32Array; dims: number[] } {
  const t = transposeData(w.data, w.shape, [1, 0]);
  const cols = w.shape[0];
  const out = new Float32Array(t.length);
  [...spec.onnx].forEach((gate, j) => {
    const k = spec.keras.indexOf(gate);
    out.set(t.subarray(k * units * cols, (k + 1) * units * cols), j * units * cols);
  });
  return { data: out, dims: [1, spec.gates * units, cols] };
}

/** Reorders one bias vector's gate blocks from Keras's order to ONNX's. */
function gateVector(b: Float32Array, spec: (typeof OPS)[string], units: number): Float32Array {
  const out = new Float32Array(b.length);
  [...spec.onnx].forEach((gate, j) => {
    const k = spec.keras.indexOf(gate);
    out.set(b.subarray(k * units, (k + 1) * units), j * units);
  });
  return out;
}

/**
 * One recurrent layer on a batch-major sequence `x`. Returns the output (the sequence, batch-major, or the
 * last step) and the final states. `direction: 'reverse'` gives outputs aligned with the input's time
 * steps; `kerasOrder` flips them into the processing order, as a go_backwards layer returns them.
 */
function rnnNodes(
  g: OnnxGraph,
  layer: Layer,
  x: string,
  kerasOrder: boolean,
): { output: string; states: string[] } {
  const className = classNameOf(layer);
  const spec = OPS[className];
  const config = layer.getConfig() as Record<string, any>;
  const units: number = config.units;
  const weights = readLayerWeights(layer);
  const [kernel, recurrent, bias] = weights;
  const w = gateMatrix(kernel, spec, units);
  const r = gateMatrix(recurrent, spec, units);
  const inputs = [
    g.op1('Transpose', [x], { perm: [1, 0, 2] }),
    g.floats('W', w.data, w.dims),
    g.floats('R', r.data, r.dims),
  ];
  if (config.useBias) {
    const width = spec.gates * units;
    const both = new Float32Array(2 * width);
    if (bias.shape.length === 2) {
      both.set(gateVector(bias.data.subarray(0, width), spec, units), 0);
      both.set(gateVector(bias.data.subarray(width), spec, units), width);
    } else {
      both.set(gateVector(bias.data, spec, units), 0);
    }
    inputs.push(g.floats('B', both, [1, 2 * width]));
  }
  const activations =
    className === 'SimpleRNN'
      ? [config.activation]
      : className === 'GRU'
        ? [config.recurrentActivation, config.activation]
        : [config.recurrentActivation, config.activation, config.activation];
  const attrs: Record<string, number | string | string[]> = {
    hidden_size: units,
    direction: config.goBackwards ? 'reverse' : 'forward',
    activations: activations.map((a: string) => ONNX_ACTIVATIONS[a]),
  };
  if (className === 'GRU') attrs.linear_before_reset = config.resetAfter ? 1 : 0;
  const outs = g.op(spec.op, inputs, attrs, className === 'LSTM' ? 3 : 2);
  const states = outs.slice(1).map((s) => g.op1('Squeeze', [s, g.int64s('axes', [0])]));
  let output = states[0];
  if (config.returnSequences) {
    let seq = g.op1('Squeeze', [outs[0], g.int64s('axes', [1])]);
    if (config.goBackwards && kerasOrder)
      seq = g.op1('Slice', [
        seq,
        g.int64s('starts', [-1]),
        g.int64s('ends', [Number.MIN_SAFE_INTEGER]),
        g.int64s('axes', [0]),
        g.int64s('steps', [-1]),
      ]);
    output = g.op1('Transpose', [seq], { perm: [1, 0, 2] });
  }
  return { output, states };
}

for (const className of Object.keys(OPS)) {
  registerOnnxConverter(className, {
    check: (layer, node) => rnnProblem(layer, node),
    convert: ({ graph, layer, inputs, config }) => {
      const { output, states } = rnnNodes(graph, layer, inputs[0], true);
      return config.returnState ? [output, ...states] : [output];
    },
  });
}

const MERGES: Record<string, string> = { sum: 'Add', mul: 'Mul', ave: 'Mean' };

registerOnnxConverter('Bidirectional', {
  check: (layer, node) => {
    const { forwardLayer, backwardLayer } = layer as unknown as { forwardLayer: Layer; backwardLayer: Layer };
    return (
      rnnProblem(forwardLayer, null) ??
      rnnProblem(backwardLayer, null) ??
      (node.kwargsTensors.length > 0 ? 'it is called with initialState or mask tensors' : null)
    );
  },
  // The backward layer's sequence comes back aligned with the input's time steps, as Keras's Bidirectional
  // flips it back.
  convert: ({ graph, layer, inputs, config }: LayerCall) => {
    const { forwardLayer, backwardLayer } = layer as unknown as { forwardLayer: Layer; backwardLayer: Layer };
    const fwd = rnnNodes(graph, forwardLayer, inputs[0], false);
    const bwd = rnnNodes(graph, backwardLayer, inputs[0], false);
    const mode = config.mergeMode as string | null;
    const outputs =
      mode == null
        ? [fwd.output, bwd.output]
        : mode === 'concat'
          ? [graph.op1('Concat', [fwd.output, bwd.output], { axis: -1 })]
          : mode === 'ave'
            ? [graph.op1('Mean', [fwd.output, bwd.output])]
            : [graph.op1(MERGES[mode], [fwd.output, bwd.output])];
    const returnState = (forwardLayer.getConfig() as Record<string, any>).returnState;
    return returnState ? [...outputs, ...fwd.states, ...bwd.states] : outputs;
  },
});
