// The merging layers. ONNX's Sum, Mean, Max and Min are variadic and broadcast as Keras's merges do.
import type { OnnxGraph } from '../onnx-graph.js';
import { registerOnnxConverter } from './converter.js';

const VARIADIC: Record<string, string> = { Add: 'Sum', Average: 'Mean', Maximum: 'Max', Minimum: 'Min' };
for (const [className, opType] of Object.entries(VARIADIC)) {
  registerOnnxConverter(className, { convert: ({ graph, inputs }) => [graph.op1(opType, inputs)] });
}

registerOnnxConverter('Subtract', { convert: ({ graph, inputs }) => [graph.op1('Sub', inputs)] });

registerOnnxConverter('Multiply', {
  convert: ({ graph, inputs }) => [inputs.slice(1).reduce((acc, x) => graph.op1('Mul', [acc, x]), inputs[0])],
});

registerOnnxConverter('Concatenate', {
  convert: ({ graph, config, inputs }) => [graph.op1('Concat', inputs, { axis: config.axis ?? -1 })],
});

/** `x / sqrt(max(sum(x^2, axis), 1e-12))`, Keras's l2_normalize. */
function l2Normalize(g: OnnxGraph, x: string, axis: number): string {
  const sumSq = g.op1('ReduceSum', [g.op1('Mul', [x, x]), g.int64s('axes', [axis])], { keepdims: 1 });
  const norm = g.op1('Sqrt', [g.op1('Max', [sumSq, g.floats('epsilon', [1e-12], [])])]);
  return g.op1('Div', [x, norm]);
}

registerOnnxConverter('Dot', {
  check: (_layer, node) =>
    node.inputTensors.length === 2 && node.inputTensors.every((t) => t.shape.length <= 4)
      ? null
      : 'Dot of inputs with rank above 4',
  // Keras's batch_dot as an Einsum: the batch axis is shared, the two `axes` are contracted, the rest of x's
  // axes come first, then y's; a result of rank 1 gets a trailing axis of 1, as in Keras.
  convert: ({ graph, config, inputs, inputShapes }) => {
    const [rx, ry] = inputShapes.map((s) => s.length);
    const pair = Array.isArray(config.axes) ? config.axes : [config.axes, config.axes];
    const ax = pair[0] < 0 ? pair[0] + rx : pair[0];
    const ay = pair[1] < 0 ? pair[1] + ry : pair[1];
    let [x, y] = inputs;
    if (config.normalize) {
      x = l2Normalize(graph, x, ax);
      y = l2Normalize(graph, y, ay);
    }
    const letters = 'bcdefghijk';
    const xs = ['a', ...letters.slice(0, rx - 1)];
    const ys = ['a', ...letters.slice(rx - 1, rx + ry - 2)];
    ys[ay] = xs[ax];
    const out = [...xs.filter((_, i) => i !== ax), ...ys.filter((_, i) => i !== 0 && i !== ay)];
    let z = graph.op1('Einsum', [x, y], { equation: `${xs.join('')},${ys.join('')}->${out.join('')}` });
    if (out.length === 1) z = graph.op1('Unsqueeze', [z, graph.int64s('axes', [1])]);
    return [z];
  },
});
