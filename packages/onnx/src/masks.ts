// Keras masks in the exported graph. Strata's runGraph passes a mask along with each tensor: Embedding
// (maskZero) and Masking make one, a masking layer passes its input's on, and a mask reader (an RNN,
// MultiHeadAttention) gets the masks of its inputs. The export follows the same rules, with the masks as
// boolean ONNX values `[batch, time]`.
import { Layer, type Node } from '@strata/core';

import { layerClassName } from './converters/converter.js';
import type { OnnxGraph } from './onnx-graph.js';

/** The recurrent layers whose converters take a mask. */
const RECURRENT = new Set(['SimpleRNN', 'LSTM', 'GRU', 'Bidirectional']);

/** Layers whose converters read the masks they receive. */
export const MASK_CONVERTERS = new Set([...RECURRENT, 'MultiHeadAttention', 'GlobalAveragePooling1D']);

/** Layers whose output depends on an input mask. */
export const MASK_READERS = new Set([
  ...MASK_CONVERTERS,
  'RNN',
  'TimeDistributed',
  'Attention',
  'AdditiveAttention',
]);

/**
 * How a call's first output's mask follows from its inputs' masks (its other outputs carry none):
 * 'embedding' and 'masking' make one, 'first' passes the first input's on, 'unknown' is a mask the export
 * does not compute (a merge of masks, say), 'none' is no mask.
 */
export type MaskRule = 'none' | 'embedding' | 'masking' | 'first' | 'unknown';

export function maskRule(node: Node, config: Record<string, any>, anyInputMasked: boolean): MaskRule {
  const layer = node.layer;
  const className = layerClassName(layer);
  if (className === 'Embedding') return config.maskZero ? 'embedding' : 'none';
  if (className === 'Masking') return 'masking';
  if (!anyInputMasked) return 'none';
  if (RECURRENT.has(className))
    return (layer as unknown as { returnSequences: boolean }).returnSequences ? 'first' : 'none';
  if (className === 'MultiHeadAttention') return 'first';
  if (layer.computeMask === Layer.prototype.computeMask) {
    if (!layer.supportsMasking) return 'none';
    return node.inputTensors.length === 1 ? 'first' : 'unknown';
  }
  return 'unknown';
}

/**
 * Whether the call's inputs' masks reach the layer, as runGraph decides: a call with tensors among its
 * keyword arguments gets them only if the layer takes one mask per positional input (MultiHeadAttention).
 */
export function receivesInputMasks(node: Node): boolean {
  return !node.hasTensorKwargs || node.layer.separatePositionalInputs;
}

/** The ONNX value of the mask a rule makes from the call's first input `x`. */
export function makeMask(
  g: OnnxGraph,
  rule: 'embedding' | 'masking',
  x: string,
  config: Record<string, any>,
): string {
  if (rule === 'embedding') {
    // Keras: ids != 0, on the ids as given (0.5 is not masked).
    const zero = g.floats('zero', [0], []);
    return g.op1('Not', [g.op1('Equal', [g.op1('Cast', [x], { to: 1 }), zero])]);
  }
  // Keras's Masking: a timestep is kept when any feature differs from maskValue.
  const differs = g.op1('Not', [g.op1('Equal', [x, g.floats('mask_value', [config.maskValue ?? 0], [])])]);
  return g.op1('Cast', [g.reduce('ReduceMax', g.op1('Cast', [differs], { to: 1 }), [-1], false)], { to: 9 });
}
