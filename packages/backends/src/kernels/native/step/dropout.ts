/**
 * `Dropout` in a compiled training step: each value is kept with probability `1 - rate` and the kept ones
 * are scaled by `1 / (1 - rate)`, as Keras does; the gradient goes through the same mask and scale.
 *
 * The mask compares uniform random numbers, a graph input the compiler fills before each run
 * (`UniformSource`), with the rate. ONNX Runtime's own `Dropout` draws every value from `std::mt19937`
 * on one thread: 285 µs for the bench MLP's 128x512 mask (onnxruntime 1.30 in Python, one thread, load ~6),
 * against 56 µs for the JavaScript loop below and 50–150 µs for the comparison and `Where` in the graph
 * (step-profile.ts, load 4–8); interleaved in Node at load 7, old and new masks with their products: 1,126
 * against 1,016 µs. The
 * masks are not those the uncompiled step draws (another generator); with a `seed` the layer's compiled
 * masks repeat from run to run.
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
      const name = `random/${layer.name}`;
      g.addInput(name, [...inputShape], 'float32');
      randomInputs.push({ name, shape: inputShape, seed });
      // kept where u >= rate (probability 1 - rate for u uniform in [0, 1)); the mask holds 1 / (1 - rate) there.
      const kept = g.op1('GreaterOrEqual', [name, g.floats('rate', [rate], [])]);
      const zero = g.floats('zero', [0], []);
      scaledMask = g.op1('Where', [kept, g.floats('scale', [1 / (1 - rate)], []), zero]);
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
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      values[i] = (x & 0xffff) / 65536;
      if (i + 1 < n) values[i + 1] = (x >>> 16) / 65536;
    }
    this.state = x;
  }
}
