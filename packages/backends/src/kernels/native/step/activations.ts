/**
 * Activations in a compiled training step: the forward op and its gradient, for a layer's `activation`
 * (applied by the compiler after the layer's linear part) and for the `Activation` layer.
 */
import { type Layer, registeredNameOf } from '@strata/core';
import type { OnnxGraph } from '@strata/onnx/graph';

import type { StepLayer, StepLayerFactory, StepLayout } from './types.js';

/** One activation in a step graph: `forward` first, then `backward` with the output's gradient. */
export interface StepActivation {
  /** Emits `y = f(z)`; returns y. */
  forward(g: OnnxGraph, z: string): string;
  /** Emits `dz = dy · f'(z)` (from the values `forward` made); returns dz. */
  backward(g: OnnxGraph, dy: string): string;
}

/** The activations a step can compile, by their registered (Keras) names. */
const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];

/** The registered name of a layer's activation function, or null when it has none. */
export function activationName(fn: unknown): string | null {
  if (fn == null) return null;
  return (typeof fn === 'function' && registeredNameOf('activation', fn)) || '<unregistered>';
}

/**
 * The step form of activation `name` over values whose channels (softmax's axis) lie on `channelAxis`,
 * or why it has none.
 */
export function stepActivation(name: string, channelAxis: number): StepActivation | string {
  if (!ACTIVATIONS.includes(name))
    return `the activation '${name}' is not compiled (supported: ${ACTIVATIONS.join(', ')})`;
  let y = '';
  const one = (g: OnnxGraph) => g.floats('one', [1], []);
  return {
    forward(g, z) {
      switch (name) {
        case 'linear':
          y = z;
          break;
        case 'relu':
          y = g.op1('Relu', [z]);
          break;
        case 'sigmoid':
          y = g.op1('Sigmoid', [z]);
          break;
        case 'tanh':
          y = g.op1('Tanh', [z]);
          break;
        default:
          y = g.op1('Softmax', [z], { axis: channelAxis });
      }
      return y;
    },
    backward(g, dy) {
      switch (name) {
        case 'linear':
          return dy;
        case 'relu':
          // tfjs's gradient: dy where the output is positive, else 0 (Sign of a ReLU output is 0 or 1).
          return g.op1('Mul', [dy, g.op1('Sign', [y])]);
        case 'sigmoid':
          return g.op1('Mul', [dy, g.op1('Mul', [y, g.op1('Sub', [one(g), y])])]);
        case 'tanh':
          return g.op1('Mul', [dy, g.op1('Sub', [one(g), g.op1('Mul', [y, y])])]);
        default: {
          // y · (dy − Σ dy·y) along the softmax axis.
          const dot = g.reduce('ReduceSum', g.op1('Mul', [dy, y]), [channelAxis], true);
          return g.op1('Mul', [y, g.op1('Sub', [dy, dot])]);
        }
      }
    },
  };
}

/** The channel axis of values in `layout` of rank `rank`: softmax's axis (Keras's last axis). */
export function channelAxisOf(layout: StepLayout, rank: number): number {
  return layout === 'nchw' && rank > 2 ? 1 : rank - 1;
}

/**
 * Wraps a layer's step form with its activation: the activation runs after the layer's forward pass, and
 * its gradient before the layer's backward pass.
 */
export function withActivation(inner: StepLayer, activation: StepActivation): StepLayer {
  return {
    inputLayout: inner.inputLayout,
    outputLayout: inner.outputLayout,
    outputShape: inner.outputShape,
    forward: (g, x, weights, training) => activation.forward(g, inner.forward(g, x, weights, training)),
    backward: (g, dy, needInputGrad) => inner.backward(g, activation.backward(g, dy), needInputGrad),
  };
}

/** The `Activation` layer: its activation, in whatever layout its input comes. */
export const activationStepLayer: StepLayerFactory = (layer: Layer, inputShape, inputLayout) => {
  const name = activationName((layer as Layer & { activation?: unknown }).activation);
  if (name == null) return `layer "${layer.name}" has no activation function`;
  const activation = stepActivation(name, channelAxisOf(inputLayout, inputShape.length));
  if (typeof activation === 'string') return `layer "${layer.name}": ${activation}`;
  return {
    inputLayout,
    outputLayout: inputLayout,
    outputShape: inputShape,
    forward: (g, x) => activation.forward(g, x),
    backward: (g, dy, needInputGrad) => ({
      dx: needInputGrad ? activation.backward(g, dy) : null,
      dWeights: [],
    }),
  };
};
