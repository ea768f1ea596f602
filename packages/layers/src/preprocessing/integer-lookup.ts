import { type CallKwargs, register, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { adaptDocumentsOf, flattenNested, IndexLookup, type IndexLookupArgs } from './index-lookup.js';

/** Constructor arguments of `IntegerLookup`: Keras's arguments of the same names, in camelCase. */
export interface IntegerLookupArgs extends IndexLookupArgs<number> {
  /** Keras's vocabulary dtype; tfjs holds int32. Default 'int64'. */
  vocabularyDtype?: 'int64' | 'int32';
}

/** IntegerLookup's own wording of two checks that IndexLookup also makes. */
function checkIntegerArgs(args: IntegerLookupArgs): IntegerLookupArgs {
  const { maxTokens, numOovIndices } = args;
  if (maxTokens != null && !(Number.isInteger(maxTokens) && maxTokens > 1)) {
    throw new ValueError(
      `If \`max_tokens\` is set for \`IntegerLookup\`, it must be greater than 1. Received: max_tokens=${maxTokens}`,
    );
  }
  if (numOovIndices != null && !(Number.isInteger(numOovIndices) && numOovIndices >= 0)) {
    throw new ValueError(
      `The value of \`num_oov_indices\` argument for \`IntegerLookup\` must >= 0. Received: num_oov_indices=${numOovIndices}`,
    );
  }
  return args;
}

/**
 * Maps integers to contiguous indices from a vocabulary (Keras's IntegerLookup). Default OOV token -1
 * at index 0 (or 1 after a mask token); with several OOV indices an unknown value `v` takes OOV index
 * `v mod numOovIndices`. Input: an integer tensor (or nested JS arrays for `adapt`). Output: int32
 * indices of the input's shape in 'int' mode, float32 encodings for 'one_hot', 'multi_hot', 'count' and
 * 'tf_idf' (see StringLookup). Lookups read the input on the host.
 *
 * Keras: `keras.layers.IntegerLookup`
 *
 * @example
 * ```ts
 * const lookup = new IntegerLookup({ vocabulary: [12, 7], outputMode: 'multi_hot' });
 * lookup.apply(tf.tensor2d([[12, 3], [7, 7]], undefined, 'int32')); // [[1, 1, 0], [0, 0, 1]]
 * ```
 */
export class IntegerLookup extends IndexLookup<number> {
  static override className = 'IntegerLookup';
  readonly vocabularyDtype: 'int64' | 'int32';

  constructor(args: IntegerLookupArgs = {}) {
    super(checkIntegerArgs(args), -1);
    this.vocabularyDtype = args.vocabularyDtype ?? 'int64';
  }

  /**
   * Learns the vocabulary from integers: a tensor or nested arrays. Each element of rank-1 data, or each
   * row of rank-2 data, is one document (what 'tf_idf' counts).
   */
  adapt(data: tf.Tensor | number[] | number[][]): void {
    const { values, shape } =
      data instanceof tf.Tensor
        ? { values: Array.from(data.dataSync() as ArrayLike<number>), shape: data.shape }
        : flattenNested<number>(data, 'IntegerLookup.adapt data');
    const bad = values.find((v) => typeof v !== 'number' || !Number.isInteger(v));
    if (bad !== undefined) {
      throw new ValueError(`IntegerLookup.adapt expects integers. Received: ${JSON.stringify(bad)}`);
    }
    this.adaptDocuments(adaptDocumentsOf(values, shape));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x.dtype === 'string') {
      throw new ValueError(`Layer "${this.name}" expects an integer tensor. Received: dtype=string`);
    }
    const values = Array.from(x.dataSync() as ArrayLike<number>);
    if (this.invert) return tf.tensor(this.tokensAt(values), x.shape, 'int32');
    return this.lookupAndEncode(values, x.shape);
  }

  protected parseToken(line: string): number {
    const v = Number(line.trim());
    if (!Number.isInteger(v)) {
      throw new ValueError(
        `Layer "${this.name}": a vocabulary file line is not an integer. Received: ${JSON.stringify(line)}`,
      );
    }
    return v;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), vocabularyDtype: this.vocabularyDtype };
  }
}

register('layer', 'IntegerLookup', IntegerLookup);
