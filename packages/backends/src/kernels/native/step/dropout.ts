/**
 * `Dropout` in a compiled training step: each value is kept with probability `1 - rate` and the kept ones
 * are scaled by `1 / (1 - rate)`, as Keras does; the gradient goes through the same mask and scale.
 *
 * The mask, already scaled (1 / (1 - rate) or 0), is a graph input the compiler draws on the host before
 * each run (`UniformSource.fillMask`); the graph only multiplies by it. ONNX Runtime's own `Dropout` draws
 * every value from `std::mt19937` on one thread: 285 µs for the bench MLP's 128x512 mask (onnxruntime 1.30
 * in Python, one thread, load ~6), against 63 µs for the JavaScript loop below. Uniform numbers compared
 * with the rate in the graph (GreaterOrEqual, then Where for the scale) cost two more passes over the
 * activations: 0.026 and 0.057 ms on two threads. The masks are not those the uncompiled step draws
 * (another generator); with a `seed` the layer's compiled masks repeat from run to run.
 */
import type { Layer } from '@strata/core';

import type { RandomInput, StepLayerFactory } from './types.js';

/** Dropout, in whatever layout its input comes (it is element-wise); the identity at rate 0. */
export const dropoutStepLayer: StepLayerFactory = (layer: Layer, inputShape, inputLayout) => {
  const { rate, noiseShape, seed } = layer as Layer & {
    rate: number;
    noiseShape: unknown[] | null;
    seed: number | null;
  };
  if (noiseShape != null) return `layer "${layer.name}": Dropout with a noiseShape is not compiled`;
  let scaledMask = '';
  const randomInputs: RandomInput[] = [];
  return {
    inputLayout,
    outputLayout: inputLayout,
    outputShape: inputShape,
    randomInputs,
    forward(g, x, _weights, training) {
      if (!training || rate === 0) return x;
      // The host draws the mask, already scaled (see RandomInput): in the graph, comparing uniform numbers
      // with the rate and selecting the scale took two more passes over the activations than the product
      // (the bench MLP: GreaterOrEqual and Where, 0.08 of its 1.6 ms step in ONNX Runtime's profile).
      scaledMask = `random/${layer.name}`;
      g.addInput(scaledMask, [...inputShape], 'float32');
      randomInputs.push({ name: scaledMask, shape: inputShape, seed, rate });
      return g.op1('Mul', [x, scaledMask]);
    },
    backward(g, dy, needInputGrad) {
      if (!needInputGrad) return { dx: null, dWeights: [] };
      if (!scaledMask) return { dx: dy, dWeights: [] };
      return { dx: g.op1('Mul', [dy, scaledMask]), dWeights: [] };
    },
  };
};

/**
 * Uniform float32 numbers in [0, 1) from Marsaglia's xorshift32 (period 2^32 - 1), two of 16 bits from each
 * draw: a dropout mask compares them with its rate, which 16 bits resolve to 1/65,536. Two per draw halve the
 * loop: 56 against 108 µs for the bench MLP's 65,536 (one per draw, 24 bits).
 */
export class UniformSource {
  private state: number;

  /** `seed`: a reproducible sequence; null: one seeded from `Math.random`. */
  constructor(seed: number | null) {
    const start = seed ?? Math.floor(Math.random() * 0x100000000);
    // Spread small seeds over the state's bits (Knuth's multiplicative hash); xorshift's state must not be 0.
    this.state = Math.imul(start | 0, 0x9e3779b1) || 1;
  }

  /** Fills `values` with the next numbers of the sequence. */
  fill(values: Float32Array): void {
    let x = this.state;
    const n = values.length;
    for (let i = 0; i < n; i += 2) {
      x = xorshift(x);
      values[i] = (x & 0xffff) / 65536;
      if (i + 1 < n) values[i + 1] = (x >>> 16) / 65536;
    }
    this.state = x;
  }

  /**
   * Fills `mask` with Dropout's scaled mask for `rate` (see `RandomInput`) from the next numbers of the
   * sequence, the ones `fill` would give. A number k / 65,536 is at least the rate exactly when the integer k
   * is at least ⌈rate · 65,536⌉ (a division by a power of two is exact). The comparison is the sign bit of
   * ⌈rate · 65,536⌉ − 1 − k, without a branch: with a branch on a random 80/20 outcome the bench MLP's mask
   * took 219 against 63 µs.
   */
  fillMask(mask: Float32Array, rate: number): void {
    const below = Math.ceil(rate * 65536) - 1;
    const scale = 1 / (1 - rate);
    let x = this.state;
    const n = mask.length;
    for (let i = 0; i < n; i += 2) {
      x = xorshift(x);
      mask[i] = ((below - (x & 0xffff)) >>> 31) * scale;
      if (i + 1 < n) mask[i + 1] = ((below - (x >>> 16)) >>> 31) * scale;
    }
    this.state = x;
  }
}

/** One step of Marsaglia's xorshift32 (13, 17, 5) on a 32-bit state. */
function xorshift(state: number): number {
  let x = state;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x;
}
