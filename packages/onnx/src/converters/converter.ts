import { type Layer, type Node, registry, type Shape, ValueError } from '@strata/core';

import type { OnnxGraph } from '../onnx-graph.js';

/** A layer call being converted: the layer, its config, and the ONNX values of its inputs. */
export interface LayerCall {
  graph: OnnxGraph;
  layer: Layer;
  /** `layer.getConfig()` (camelCase keys, as Strata writes them). */
  config: Record<string, any>;
  /** The graph node of this call. */
  node: Node;
  /** ONNX value names of the call's positional inputs. */
  inputs: string[];
  /** ONNX value names of the symbolic tensors in the call's keyword arguments, by keyword. */
  kwargs: Record<string, string>;
  /**
   * The Keras masks the call receives, one per positional input (boolean `[batch, time]` values, null for
   * none): from Embedding(maskZero) or Masking upstream, as Strata's predict passes them.
   */
  masks: (string | null)[];
  inputShapes: Shape[];
  outputShapes: Shape[];
  /** The layer's weights in `layer.weights` order, as float32 data with their shapes. */
  weights: WeightData[];
}

/** One weight's values, read once from the layer. */
export interface WeightData {
  data: Float32Array;
  shape: number[];
}

/** How to export one layer class: why a call cannot be expressed (if it cannot), and how to express it. */
export interface LayerConverter {
  /** The reason this call cannot be exported, or null when it can. Runs before anything is written. */
  check?(layer: Layer, node: Node, config: Record<string, any>): string | null;
  /** The default domain's opset the layer's nodes need, when newer than the exporter's base (17). */
  minOpset?(layer: Layer, config: Record<string, any>): number;
  /** Adds the call's ONNX nodes to `call.graph`; returns the ONNX values of the call's outputs, in order. */
  convert(call: LayerCall): string[];
}

/** A layer's weights as float32 data, in `layer.weights` order; every tensor read is disposed. */
export function readLayerWeights(layer: Layer): WeightData[] {
  return layer.weights.map((v) => {
    const t = v.read();
    try {
      return { data: Float32Array.from(t.dataSync() as ArrayLike<number>), shape: t.shape.slice() };
    } finally {
      t.dispose();
    }
  });
}

/** The layer's registry key (`Dense`, or a third party's `mypkg>MyLayer`), which converters are keyed by. */
export function layerClassName(layer: Layer): string {
  return (
    registry.entryOf('layer', layer.constructor)?.key ??
    (layer.constructor as { className?: string }).className ??
    layer.constructor.name
  );
}

const converters = new Map<string, LayerConverter>();

/**
 * Teaches the ONNX exporter a layer class, by its registered class name (`'Dense'`, or a third party's
 * `'mypkg>MyLayer'`). Registering a name twice fails unless `override` is set.
 *
 * @example
 * ```ts
 * registerOnnxConverter('mypkg>Double', {
 *   convert: ({ graph, inputs }) => [graph.op1('Add', [inputs[0], inputs[0]])],
 * });
 * ```
 */
export function registerOnnxConverter(
  className: string,
  converter: LayerConverter,
  { override = false } = {},
): void {
  if (converters.has(className) && !override)
    throw new ValueError(
      `An ONNX converter for '${className}' is already registered; pass { override: true } to replace it.`,
    );
  converters.set(className, converter);
}

/** The converter for a layer class name, if any. */
export function converterFor(className: string): LayerConverter | undefined {
  return converters.get(className);
}

/** The layer classes the exporter knows, sorted. */
export function supportedLayers(): string[] {
  return [...converters.keys()].sort();
}
