/**
 * A fused convolution's usual epilogue, a bias per output channel and then relu, applied as the
 * kernels store their outputs.
 *
 * Relu is computed without a branch on the value, `(v + |v|) / 2`: with inputs of either sign a
 * compare-and-select mispredicts about half the time, and over the 21.6 million outputs of the MNIST
 * convnet's first layer at batch 1,000 that cost ~115 ms of CPU here, against ~15 ms for this form
 * (measured alone on a copy loop). It is exact for every float32 value held in a double (2v and v/2
 * are exact), gives 0 for negatives and keeps NaN; only -Infinity needs a second look (a branch that is
 * taken only for NaN results, so it predicts well).
 */

/** One bias per output channel (zeros for none), then relu or nothing. */
export interface BiasRelu {
  bias: Float32Array;
  relu: boolean;
}

/**
 * `max(0, v)` when `relu`, NaN kept; `v` otherwise. `(v + |v|) / 2` is NaN for -Infinity too: the rare
 * NaN is told apart. One function, not a call to a `reluOf`: the direct kernel stores through it at 16
 * sites, and two nested functions per site ran past V8's inlining budget there (some stores became
 * calls: ~8% of the MNIST convnet's first Conv2D in a profile).
 */
export function reluIf(v: number, relu: boolean): number {
  if (!relu) return v;
  const r = (v + Math.abs(v)) * 0.5;
  // biome-ignore lint/suspicious/noSelfCompare: measured: Number.isNaN here made the MNIST convnet's first Conv2D ~1.5x slower.
  return r === r || v !== v ? r : 0;
}

/** Adds `epilogue` to the whole output rows `from .. to` (counted in values) of `out`, in place. */
export function applyBiasRelu(epilogue: BiasRelu, out: Float32Array, from: number, to: number): void {
  const { bias, relu } = epilogue;
  const channels = bias.length;
  for (let row = from; row < to; row += channels) {
    for (let j = 0; j < channels; j++) out[row + j] = reluIf(out[row + j] + bias[j], relu);
  }
}
