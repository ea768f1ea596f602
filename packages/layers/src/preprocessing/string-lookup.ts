import { type CallKwargs, isSymbolic, register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { flattenNested, IndexLookup, type IndexLookupArgs } from './index-lookup.js';

export type StringLookupArgs = IndexLookupArgs<string>;

type StringInput = string[] | string[][] | tf.Tensor;

/**
 * Maps strings to integer indices from a vocabulary (Keras's StringLookup). Default OOV token '[UNK]'
 * at index 0 (or 1 after a mask token). Call it on JS string arrays (`string[]`, `string[][]`) or a
 * string tensor; it returns an int32 tensor of the same shape. tfjs has no string kernels, so the lookup
 * runs on the host: use it on raw data before a model, not inside a compiled graph.
 *
 * ```ts
 * const lookup = new StringLookup({ vocabulary: ['a', 'b'] });
 * lookup.apply(['a', 'c', 'b']); // int32 [1, 0, 2]
 * ```
 */
export class StringLookup extends IndexLookup<string> {
  static override className = 'StringLookup';

  constructor(args: StringLookupArgs = {}) {
    super(args, '[UNK]');
  }

  /** Learns the vocabulary from strings (any nesting). */
  adapt(data: string[] | string[][]): void {
    this.adaptTokens(flattenNested<string>(data, 'StringLookup.adapt data').values);
  }

  /** Looks up strings; the result is int32 (or, with `invert`, a string tensor). */
  override apply(inputs: StringInput | any, kwargs: CallKwargs = {}): any {
    if (Array.isArray(inputs) && !inputs.some((t) => t instanceof tf.Tensor || isSymbolic(t))) {
      return this.lookupNested(inputs as (string | number)[]);
    }
    return super.apply(inputs, kwargs);
  }

  private lookupNested(data: (string | number)[] | (string | number)[][]): tf.Tensor {
    const { values, shape } = flattenNested<string | number>(data, `Input of layer "${this.name}"`);
    if (this.invert)
      return tf.tensor(
        values.map((i) => this.tokenAt(Number(i))),
        shape,
        'string',
      );
    return tf.tensor(
      values.map((s) => this.lookup(String(s))),
      shape,
      'int32',
    );
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return this.lookupNested(x.arraySync() as unknown as string[]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), vocabularyDtype: 'string' };
  }
}

register('layer', 'StringLookup', StringLookup);
