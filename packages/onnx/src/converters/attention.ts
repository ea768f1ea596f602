// MultiHeadAttention on sequences ([batch, positions, features]), as Keras computes it: Einsum projections,
// scaled dot products softmaxed over the key positions (masked positions pushed to -1e9, then zeroed),
// and the output projection.
import type { Layer } from '@strata/core';

import type { OnnxGraph } from '../onnx-graph.js';
import { readLayerWeights, registerOnnxConverter } from './converter.js';

interface Projections {
  queryDense: Layer;
  keyDense: Layer;
  valueDense: Layer;
  outputDense: Layer;
}

/** An EinsumDense projection: kernel (and bias, if any) from the sub-layer's weights. */
function project(g: OnnxGraph, dense: Layer, x: string, equation: string, name: string): string {
  const [kernel, bias] = readLayerWeights(dense);
  const y = g.op1('Einsum', [x, g.floats(`${name}_kernel`, kernel.data, kernel.shape)], { equation });
  return bias ? g.op1('Add', [y, g.floats(`${name}_bias`, bias.data, bias.shape)]) : y;
}

registerOnnxConverter('MultiHeadAttention', {
  check: (_layer, node, config) => {
    if (node.inputTensors.some((t) => t.shape.length !== 3)) return 'inputs of rank other than 3';
    if (config.attentionAxes != null) return 'attentionAxes is set';
    if (config.outputShape != null) return 'outputShape is set';
    if (config.useGate) return 'useGate=true';
    if (config.slidingWindow != null) return 'slidingWindow is set';
    if ('mask' in node.kwargs) return 'it is called with mask tensors';
    const causal = node.kwargs.useCausalMask ?? node.kwargs.use_causal_mask;
    const [query, value] = node.inputTensors;
    if (causal && (query.shape[1] == null || value.shape[1] == null))
      return 'useCausalMask with a sequence length unknown until run time';
    return null;
  },
  convert: ({ graph, layer, config, node, inputs, kwargs, masks }) => {
    const { queryDense, keyDense, valueDense, outputDense } = layer as unknown as Projections;
    const [queryIn, valueIn, keyIn = valueIn] = inputs;
    const q = project(graph, queryDense, queryIn, 'abc,cde->abde', 'query');
    const k = project(graph, keyDense, keyIn, 'abc,cde->abde', 'key');
    const v = project(graph, valueDense, valueIn, 'abc,cde->abde', 'value');
    const scaled = graph.op1('Mul', [q, graph.floats('scale', [1 / Math.sqrt(config.keyDim)], [])]);
    let scores = graph.op1('Einsum', [k, scaled], { equation: 'aecd,abcd->acbe' });
    // The mask, [batch, query positions, key positions] or broadcastable, gets a heads axis.
    let mask: string | null = null;
    const and = (m: string) => {
      mask = mask ? graph.op1('Mul', [mask, m]) : m;
    };
    // Keras masks of the inputs: a masked query position attends nowhere, a masked key position is
    // attended by none ([batch, 1, query positions, 1] and [batch, 1, 1, key positions]).
    const [queryMask, valueMask, keyMask] = masks;
    const asFloat = (m: string, axes: number[]) =>
      graph.op1('Unsqueeze', [graph.op1('Cast', [m], { to: 1 }), graph.int64s('axes', axes)]);
    if (queryMask) and(asFloat(queryMask, [1, 3]));
    if (valueMask) and(asFloat(valueMask, [1, 2]));
    if (keyMask) and(asFloat(keyMask, [1, 2]));
    const given = kwargs.attentionMask ?? kwargs.attention_mask;
    if (given)
      and(graph.op1('Unsqueeze', [graph.op1('Cast', [given], { to: 1 }), graph.int64s('axes', [-3])]));
    if (node.kwargs.useCausalMask ?? node.kwargs.use_causal_mask) {
      const t = node.inputTensors[0].shape[1] as number;
      const s = node.inputTensors[1].shape[1] as number;
      const lower = Array.from({ length: t * s }, (_, i) => (Math.floor(i / s) >= i % s ? 1 : 0));
      and(graph.floats('causal_mask', lower, [1, 1, t, s]));
    }
    if (mask) {
      const penalty = graph.op1('Mul', [
        graph.op1('Sub', [graph.floats('one', [1], []), mask]),
        graph.floats('neg', [-1e9], []),
      ]);
      scores = graph.op1('Add', [scores, penalty]);
    }
    let probs = graph.op1('Softmax', [scores], { axis: -1 });
    if (mask) probs = graph.op1('Mul', [probs, mask]);
    const combined = graph.op1('Einsum', [probs, v], { equation: 'acbe,aecd->abcd' });
    const output = project(graph, outputDense, combined, 'abcd,cde->abe', 'output');
    const returnScores = node.kwargs.returnAttentionScores ?? node.kwargs.return_attention_scores;
    return returnScores ? [output, probs] : [output];
  },
});
