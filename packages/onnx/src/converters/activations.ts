import { floatAttr, type OnnxGraph } from '../onnx-graph.js';
import { registerOnnxConverter } from './converter.js';

/**
 * Keras 3's activations as ONNX (opset 17) nodes. Where ONNX has no single op (gelu, silu, mish, relu6),
 * the node sequence follows the formula in packages/layers/src/activations/activations.ts.
 */
const ACTIVATIONS: Record<string, (g: OnnxGraph, x: string) => string> = {
  linear: (_g, x) => x,
  relu: (g, x) => g.op1('Relu', [x]),
  relu6: (g, x) => g.op1('Clip', [x, g.floats('zero', [0], []), g.floats('six', [6], [])]),
  leaky_relu: (g, x) => g.op1('LeakyRelu', [x], { alpha: floatAttr(0.2) }),
  elu: (g, x) => g.op1('Elu', [x], { alpha: floatAttr(1) }),
  selu: (g, x) => g.op1('Selu', [x]),
  gelu: (g, x) => {
    // 0.5 * x * (1 + erf(x / sqrt(2))), Keras 3's exact gelu (ONNX's Gelu op needs opset 20).
    const erf = g.op1('Erf', [g.op1('Mul', [x, g.floats('inv_sqrt2', [Math.SQRT1_2], [])])]);
    const onePlus = g.op1('Add', [erf, g.floats('one', [1], [])]);
    return g.op1('Mul', [g.op1('Mul', [x, g.floats('half', [0.5], [])]), onePlus]);
  },
  sigmoid: (g, x) => g.op1('Sigmoid', [x]),
  // Keras 3's hard_sigmoid is relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1): ONNX's HardSigmoid with these.
  hard_sigmoid: (g, x) => g.op1('HardSigmoid', [x], { alpha: floatAttr(1 / 6), beta: floatAttr(0.5) }),
  tanh: (g, x) => g.op1('Tanh', [x]),
  softmax: (g, x) => g.op1('Softmax', [x], { axis: -1 }),
  log_softmax: (g, x) => g.op1('LogSoftmax', [x], { axis: -1 }),
  softplus: (g, x) => g.op1('Softplus', [x]),
  softsign: (g, x) => g.op1('Softsign', [x]),
  silu: (g, x) => g.op1('Mul', [x, g.op1('Sigmoid', [x])]),
  mish: (g, x) => g.op1('Mul', [x, g.op1('Tanh', [g.op1('Softplus', [x])])]),
  exponential: (g, x) => g.op1('Exp', [x]),
};
const ALIASES: Record<string, string> = { leakyrelu: 'leaky_relu', swish: 'silu' };

function activationKey(name: unknown): string | null {
  if (name == null) return 'linear';
  if (typeof name !== 'string') return null;
  const key = ALIASES[name] ?? name;
  return key in ACTIVATIONS ? key : null;
}

/** Why an activation cannot be exported (a custom function, say), or null. */
export function activationProblem(name: unknown): string | null {
  return activationKey(name)
    ? null
    : `activation ${typeof name === 'string' ? `'${name}'` : String(name)} has no ONNX form (known: ${Object.keys(ACTIVATIONS).join(', ')})`;
}

/** Adds the nodes of a Keras activation (by its serialized name) applied to `x`; returns the result. */
export function applyActivation(g: OnnxGraph, name: unknown, x: string): string {
  const key = activationKey(name);
  if (!key) throw new Error(`Internal error: ${activationProblem(name)}`);
  return ACTIVATIONS[key](g, x);
}

registerOnnxConverter('Activation', {
  check: (_layer, _node, config) => activationProblem(config.activation),
  convert: ({ graph, config, inputs }) => [applyActivation(graph, config.activation, inputs[0])],
});
