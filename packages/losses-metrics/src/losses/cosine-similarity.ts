import { type LossArgs, register } from '@strata/core';

import { LossFunctionWrapper } from './loss-function-wrapper.js';
import { cosineSimilarity } from './regression-math.js';

/** Constructor arguments of `CosineSimilarity`: Keras's arguments of the same names, in camelCase. */
export interface CosineSimilarityArgs extends LossArgs {
  /** The axis along which the similarity is computed. Default -1. */
  axis?: number;
}

/**
 * Computes the negated cosine similarity `-sum(l2Normalize(yTrue) * l2Normalize(yPred))` along `axis`: -1
 * means the same direction, 0 orthogonal, so minimizing it aligns predictions with targets. A zero vector
 * gives 0.
 *
 * Arguments: `axis` (default -1), `reduction` (default `'sum_over_batch_size'`), `name` (default
 * `'cosine_similarity'`).
 *
 * Keras: `keras.losses.CosineSimilarity`
 *
 * @example
 * ```ts
 * const loss = new losses.CosineSimilarity({ axis: -1 });
 * loss.apply(yTrue, yPred); // shape []
 * ```
 */
export class CosineSimilarity extends LossFunctionWrapper {
  static override className = 'CosineSimilarity';

  readonly axis: number;

  constructor(args: CosineSimilarityArgs = {}) {
    const { axis = -1, ...base } = args;
    super((t, p) => cosineSimilarity(t, p, axis), { ...base, name: base.name ?? 'cosine_similarity' });
    this.axis = axis;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}

register('loss', 'CosineSimilarity', CosineSimilarity, { aliases: ['cosine_similarity'] });

declare module '@strata/core' {
  interface LossIds {
    CosineSimilarity: true;
    cosine_similarity: true;
    cosineSimilarity: true;
  }
}
