/**
 * The parts of a compiled training step on the native backend (issue 20): the whole step (forward pass,
 * loss, backward pass and optimizer update) is one ONNX graph run by one ONNX Runtime session call,
 * instead of ~150 separate kernels. Layers, the loss and the optimizer each emit their share of the
 * graph through these interfaces; `compile-step.ts` assembles them.
 *
 * Shapes are static: a graph is built per batch size (the last, smaller batch of an epoch gets its own).
 */
import type { Layer } from '@strata/core';
import type { OnnxGraph } from '@strata/onnx/graph';

/**
 * The order of an activation's axes between step layers: `'nchw'` inside convolution stacks (ONNX's
 * `Conv` layout), `'keras'` elsewhere (Keras's order, channels last). The compiler inserts the transposes
 * (and their gradients) where consecutive layers disagree.
 */
export type StepLayout = 'nchw' | 'keras';

/** One layer of a compiled step. */
export interface StepLayer {
  /** The layout the layer reads its input in. */
  readonly inputLayout: StepLayout;
  /** The layout the layer writes its output in. */
  readonly outputLayout: StepLayout;
  /** The output's shape, batch included, in `outputLayout` order. */
  readonly outputShape: readonly number[];
  /**
   * Emits the forward pass of `x` (a graph value in `inputLayout`) with the layer's weights (graph value
   * names, in `layer.trainableWeights` order, each in Strata's own layout: a Conv2D kernel is
   * `[kh, kw, in, out]`); returns the output's value name. Called once per graph.
   */
  forward(g: OnnxGraph, x: string, weights: readonly string[], training: boolean): string;
  /**
   * Emits the backward pass, after `forward`: `dy` is the loss's gradient with respect to the output.
   * Returns the gradient with respect to the input (null when `needInputGrad` is false: the first layer)
   * and one gradient per weight, in weight order and in the weight's own layout.
   */
  backward(g: OnnxGraph, dy: string, needInputGrad: boolean): { dx: string | null; dWeights: string[] };
  /**
   * The float32 graph inputs `forward` declared for Dropout's scaled masks: the compiler feeds each a new
   * mask every run, from a sequence of uniform numbers of `seed` where it is not null.
   */
  readonly randomInputs?: readonly RandomInput[];
}

/**
 * A graph input of Dropout's scaled mask; see `StepLayer.randomInputs`. Each value is 1 / (1 − rate) where
 * its uniform number in [0, 1) is at least `rate` (kept, probability 1 − rate), and 0 where it is below.
 */
export interface RandomInput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly seed: number | null;
  readonly rate: number;
}

/**
 * Makes the step layer of a Strata layer, given its input's shape (batch included, in `inputLayout`
 * order as the previous layer writes it), or returns why the layer cannot be compiled (the step then
 * runs uncompiled).
 */
export type StepLayerFactory = (
  layer: Layer,
  inputShape: readonly number[],
  inputLayout: StepLayout,
) => StepLayer | string;
