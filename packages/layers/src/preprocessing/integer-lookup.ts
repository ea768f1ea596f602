import { type CallKwargs, register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { flattenNested, IndexLookup, type IndexLookupArgs } from './index-lookup.js';

export interface IntegerLookupArgs extends IndexLookupArgs<number> {
  /** Keras's vocabulary dtype; tfjs holds int32. Default 'int64'. */
  vocabularyDtype?: 'int64' | 'int32';
}

/**
 * Maps integers to contiguous indices from a vocabulary (Keras's IntegerLookup). Default OOV token -1
 * at index 0 (or 1 after a mask token). Input: an integer tensor (or nested JS arrays for `adapt`);
 * output: an int32 tensor of the same shape. Lookups read the input on the host.
 */
export class IntegerLookup extends IndexLookup<number> {
  static override className = 'IntegerLookup';
  readonly vocabularyDtype: 'int64' | 'int32';

  constructor(args: IntegerLookupArgs = {}) {
    super(args, -1);
    this.vocabularyDtype = args.vocabularyDtype ?? 'int64';
  }

  /** Learns the vocabulary from integers: a tensor or nested arrays. */
  adapt(data: tf.Tensor | number[] | number[][]): void {
    const values =
      data instanceof tf.Tensor
        ? Array.from(data.dataSync())
        : flattenNested<number>(data, 'IntegerLookup.adapt data').values;
    this.adaptTokens(values);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const values = Array.from(x.dataSync());
    if (this.invert)
      return tf.tensor(
        values.map((i) => this.tokenAt(i)),
        x.shape,
        'int32',
      );
    return tf.tensor(
      values.map((v) => this.lookup(v)),
      x.shape,
      'int32',
    );
  }

  protected override outputDtype(): tf.DataType {
    return 'int32';
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), vocabularyDtype: this.vocabularyDtype };
  }
}

register('layer', 'IntegerLookup', IntegerLookup);
