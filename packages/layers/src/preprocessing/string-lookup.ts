import { type CallKwargs, isSymbolic, register, type SymbolicTensor, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { adaptDocumentsOf, flattenNested, IndexLookup, type IndexLookupArgs } from './index-lookup.js';

/** Constructor arguments of `StringLookup`: Keras's arguments of the same names, in camelCase. */
export interface StringLookupArgs extends IndexLookupArgs<string> {
  /** Text encoding Keras records; strings are JS strings here. Default 'utf-8'. */
  encoding?: string;
  /** Written by Strata before 0.2 (Keras's StringLookup has no such argument); ignored. */
  vocabularyDtype?: 'string';
}

type StringInput = string[] | string[][] | tf.Tensor;

/**
 * Maps strings to integer indices from a vocabulary (Keras's StringLookup). Default OOV token '[UNK]'
 * at index 0 (or 1 after a mask token). Call it on JS string arrays (`string[]`, `string[][]`) or a
 * string tensor. `outputMode` 'int' returns int32 indices of the input's shape; 'one_hot', 'multi_hot',
 * 'count' and 'tf_idf' return float32 encodings `vocabularySize()` wide (`maxTokens` with
 * `padToMaxTokens`), where multi_hot/count/tf_idf read each row of a `[batch, n]` input as one sample.
 * tfjs has no string kernels, so the lookup runs on the host.
 *
 * Keras: `keras.layers.StringLookup`
 *
 * @example
 * ```ts
 * const lookup = new StringLookup({ vocabulary: ['a', 'b'] });
 * lookup.apply(['a', 'c', 'b']); // int32 [1, 0, 2]
 * const bags = new StringLookup({ vocabulary: ['a', 'b'], outputMode: 'count' });
 * bags.apply([['a', 'a', 'c'], ['b', 'a', 'b']]); // float32 [[1, 2, 0], [0, 1, 2]]
 * ```
 */
export class StringLookup extends IndexLookup<string> {
  static override className = 'StringLookup';
  readonly encoding: string;

  constructor(args: StringLookupArgs = {}) {
    const { vocabularyDtype: _ignored, encoding, ...rest } = args;
    super(rest, '[UNK]');
    this.encoding = encoding ?? 'utf-8';
  }

  /**
   * Learns the vocabulary from strings: each element of a `string[]`, or each row of a `string[][]`, is one
   * document (what 'tf_idf' counts).
   */
  adapt(data: string[] | string[][] | tf.Tensor): void {
    const { values, shape } =
      data instanceof tf.Tensor
        ? { values: data.arraySync() as unknown as string[], shape: data.shape }
        : flattenNested<string>(data, 'StringLookup.adapt data');
    const flat = data instanceof tf.Tensor ? (values as unknown[]).flat(shape.length) : values;
    if (!flat.every((v) => typeof v === 'string')) {
      throw new ValueError(
        `StringLookup.adapt expects strings. Received: ${JSON.stringify(flat.find((v) => typeof v !== 'string'))}`,
      );
    }
    this.adaptDocuments(adaptDocumentsOf(flat as string[], shape));
  }

  /** Looks up strings (or, with `invert`, indices). */
  override apply(inputs: StringInput | any, kwargs: CallKwargs = {}): any {
    if (Array.isArray(inputs) && !inputs.some((t) => t instanceof tf.Tensor || isSymbolic(t))) {
      return this.lookupNested(inputs as (string | number)[]);
    }
    return super.apply(inputs, kwargs);
  }

  private lookupNested(data: (string | number)[] | (string | number)[][]): tf.Tensor {
    const { values, shape } = flattenNested<string | number>(data, `Input of layer "${this.name}"`);
    if (this.invert) {
      const bad = values.find((v) => typeof v !== 'number' || !Number.isInteger(v));
      if (bad !== undefined) {
        throw new ValueError(
          `Layer "${this.name}" (invert=true) expects integer indices. Received: ${JSON.stringify(bad)}`,
        );
      }
      return tf.tensor(this.tokensAt(values as number[]), shape, 'string');
    }
    const bad = values.find((v) => typeof v !== 'string');
    if (bad !== undefined) {
      throw new ValueError(`Layer "${this.name}" expects strings. Received: ${JSON.stringify(bad)}`);
    }
    return this.lookupAndEncode(values as string[], shape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (this.invert) return tf.tensor(this.tokensAt(x.dataSync()), x.shape, 'string');
    if (x.dtype !== 'string') {
      throw new ValueError(`Layer "${this.name}" expects a string tensor. Received: dtype=${x.dtype}`);
    }
    const values =
      x.rank === 0 ? [x.arraySync() as unknown as string] : (x.arraySync() as unknown[]).flat(x.rank);
    return this.lookupAndEncode(values as string[], x.shape);
  }

  protected override outputDtype(inputs: SymbolicTensor[]): tf.DataType {
    return this.invert ? 'string' : super.outputDtype(inputs);
  }

  protected parseToken(line: string): string {
    return line;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), encoding: this.encoding };
  }
}

register('layer', 'StringLookup', StringLookup);
