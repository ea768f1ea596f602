// SimpleRNN, LSTM and GRU as ONNX's RNN, LSTM and GRU ops, and Bidirectional on them. ONNX's ops are
// time-major and order the LSTM gates i, o, f, c (Keras: i, f, c, o); GRU's z, r, h are in Keras's order,
// and Keras's reset_after is ONNX's linear_before_reset.
import type { Layer, Node } from '@strata/core';

import type { AttrValue, OnnxGraph } from '../onnx-graph.js';
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
  if (node) return kwargsProblem(node);
  return null;
}

/** A mask given in the call is taken; initial states (or other tensors) are not. */
function kwargsProblem(node: Node): string | null {
  const mask = node.kwargs.mask;
  return node.kwargsTensors.some((t) => t !== mask) ? 'it is called with initialState tensors' : null;
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

/** The ONNX op's weight inputs (W, R and, with a bias, B) and attributes for a Keras recurrent layer. */
function onnxRecurrence(
  g: OnnxGraph,
  layer: Layer,
): {
  spec: (typeof OPS)[string];
  config: Record<string, any>;
  weights: string[];
  attrs: Record<string, AttrValue>;
} {
  const className = classNameOf(layer);
  const spec = OPS[className];
  const config = layer.getConfig() as Record<string, any>;
  const units: number = config.units;
  const [kernel, recurrent, bias] = readLayerWeights(layer);
  const w = gateMatrix(kernel, spec, units);
  const r = gateMatrix(recurrent, spec, units);
  const weights = [g.floats('W', w.data, w.dims), g.floats('R', r.data, r.dims)];
  if (config.useBias) {
    const width = spec.gates * units;
    const both = new Float32Array(2 * width);
    if (bias.shape.length === 2) {
      both.set(gateVector(bias.data.subarray(0, width), spec, units), 0);
      both.set(gateVector(bias.data.subarray(width), spec, units), width);
    } else {
      both.set(gateVector(bias.data, spec, units), 0);
    }
    weights.push(g.floats('B', both, [1, 2 * width]));
  }
  const activations =
    className === 'SimpleRNN'
      ? [config.activation]
      : className === 'GRU'
        ? [config.recurrentActivation, config.activation]
        : [config.recurrentActivation, config.activation, config.activation];
  const attrs: Record<string, AttrValue> = {
    hidden_size: units,
    activations: activations.map((a: string) => ONNX_ACTIVATIONS[a]),
  };
  if (className === 'GRU') attrs.linear_before_reset = config.resetAfter ? 1 : 0;
  return { spec, config, weights, attrs };
}

/** The time axis (0) of a time-major tensor reversed. */
function reverseTime(g: OnnxGraph, x: string): string {
  return g.op1('Slice', [
    x,
    g.int64s('starts', [-1]),
    g.int64s('ends', [Number.MIN_SAFE_INTEGER]),
    g.int64s('axes', [0]),
    g.int64s('steps', [-1]),
  ]);
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
  const { spec, config, weights, attrs } = onnxRecurrence(g, layer);
  const outs = g.op(
    spec.op,
    [g.op1('Transpose', [x], { perm: [1, 0, 2] }), ...weights],
    { ...attrs, direction: config.goBackwards ? 'reverse' : 'forward' },
    spec.op === 'LSTM' ? 3 : 2,
  );
  const states = outs.slice(1).map((s) => g.op1('Squeeze', [s, g.int64s('axes', [0])]));
  let output = states[0];
  if (config.returnSequences) {
    let seq = g.op1('Squeeze', [outs[0], g.int64s('axes', [1])]);
    if (config.goBackwards && kerasOrder) seq = reverseTime(g, seq);
    output = g.op1('Transpose', [seq], { perm: [1, 0, 2] });
  }
  return { output, states };
}

/**
 * One recurrent layer on a batch-major sequence `x` with a mask (`[batch, time]`), as Keras runs it: a
 * masked timestep keeps the previous states and outputs the previous output (zeros with
 * `zeroOutputForMask`, which Bidirectional sets when it returns sequences). ONNX's recurrent ops take only
 * sequence lengths (right padding), so a Loop runs the op one timestep at a time from the carried states
 * and keeps them where the mask is false. Outputs as `rnnNodes` returns them.
 */
function maskedRnnNodes(
  g: OnnxGraph,
  layer: Layer,
  x: string,
  mask: string,
  kerasOrder: boolean,
): { output: string; states: string[] } {
  const { spec, config, weights, attrs } = onnxRecurrence(g, layer);
  const zeroOutput = (layer as unknown as { zeroOutputForMask: boolean }).zeroOutputForMask;
  let steps = g.op1('Transpose', [x], { perm: [1, 0, 2] });
  let keep = g.op1('Unsqueeze', [
    g.op1('Transpose', [g.op1('Cast', [mask], { to: 9 })], { perm: [1, 0] }),
    g.int64s('axes', [-1]),
  ]);
  if (config.goBackwards) {
    steps = reverseTime(g, steps);
    keep = reverseTime(g, keep);
  }
  const stateShape = g.op1(
    'Concat',
    [g.op1('Shape', [x], { start: 0, end: 1 }), g.int64s('units', [config.units])],
    { axis: 0 },
  );
  const zeros = g.op1('Expand', [g.floats('zero', [0], []), stateShape]);
  const stateCount = spec.op === 'LSTM' ? 2 : 1;

  const body = g.subgraph();
  const t = body.uniqueName('t');
  const cond = body.uniqueName('cond');
  const carried = Array.from({ length: stateCount + 1 }, (_, i) =>
    body.uniqueName(i < stateCount ? `state${i}` : 'previous_output'),
  );
  body.addInput(t, [], 'int64');
  body.addInput(cond, [], 'bool');
  for (const name of carried) body.addInput(name, null, 'float32');
  const step = body.op1('Unsqueeze', [body.op1('Gather', [steps, t], { axis: 0 }), body.int64s('axes', [0])]);
  const keepStep = body.op1('Gather', [keep, t], { axis: 0 });
  const initial = carried
    .slice(0, stateCount)
    .map((s) => body.op1('Unsqueeze', [s, body.int64s('axes', [0])]));
  while (weights.length < 3) weights.push('');
  const outs = body.op(
    spec.op,
    [step, ...weights, '', ...initial],
    { ...attrs, direction: 'forward' },
    stateCount + 1,
  );
  const fresh = outs.slice(1).map((s) => body.op1('Squeeze', [s, body.int64s('axes', [0])]));
  const next = fresh.map((s, i) => body.op1('Where', [keepStep, s, carried[i]]));
  const output = body.op1('Where', [keepStep, fresh[0], zeroOutput ? zeros : carried[stateCount]]);
  body.addOutput(body.uniqueName('cond_out'), cond, [], 'bool');
  for (const s of [...next, output]) body.addOutput(body.uniqueName('carried_out'), s, null, 'float32');
  body.addOutput(body.uniqueName('step_output'), output, null, 'float32');

  const time = g.op1('Gather', [g.op1('Shape', [steps]), g.int64s('time_axis', [0], [])], { axis: 0 });
  const results = g.op('Loop', [time, '', ...carried.map(() => zeros)], { body }, stateCount + 2);
  const states = results.slice(0, stateCount);
  if (!config.returnSequences) return { output: results[stateCount], states };
  let seq = results[stateCount + 1];
  if (config.goBackwards && !kerasOrder) seq = reverseTime(g, seq);
  return { output: g.op1('Transpose', [seq], { perm: [1, 0, 2] }), states };
}

/** A recurrent layer's nodes, through the Loop when the call has a mask (an input's or one given in the call). */
function recurrentNodes(call: LayerCall, layer: Layer, kerasOrder: boolean) {
  const mask = call.masks[0];
  return mask
    ? maskedRnnNodes(call.graph, layer, call.inputs[0], mask, kerasOrder)
    : rnnNodes(call.graph, layer, call.inputs[0], kerasOrder);
}

for (const className of Object.keys(OPS)) {
  registerOnnxConverter(className, {
    check: (layer, node) => rnnProblem(layer, node),
    convert: (call) => {
      const { output, states } = recurrentNodes(call, call.layer, true);
      return call.config.returnState ? [output, ...states] : [output];
    },
  });
}

const MERGES: Record<string, string> = { sum: 'Add', mul: 'Mul', ave: 'Mean' };

registerOnnxConverter('Bidirectional', {
  check: (layer, node) => {
    const { forwardLayer, backwardLayer } = layer as unknown as { forwardLayer: Layer; backwardLayer: Layer };
    return rnnProblem(forwardLayer, null) ?? rnnProblem(backwardLayer, null) ?? kwargsProblem(node);
  },
  // The backward layer's sequence comes back aligned with the input's time steps, as Keras's Bidirectional
  // flips it back.
  convert: (call: LayerCall) => {
    const { graph, layer, config } = call;
    const { forwardLayer, backwardLayer } = layer as unknown as { forwardLayer: Layer; backwardLayer: Layer };
    const fwd = recurrentNodes(call, forwardLayer, false);
    const bwd = recurrentNodes(call, backwardLayer, false);
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
