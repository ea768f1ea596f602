import { type MetricArgs, register } from '@strata/core';

import { cosineSimilarityValue } from '../losses/regression-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/** Constructor arguments of `CosineSimilarity`: Keras's arguments of the same names, in camelCase. */
export interface CosineSimilarityArgs extends MetricArgs {
  /** The axis along which the similarity is computed. Default -1. */
  axis?: number;
}

/**
 * Computes the mean cosine similarity between targets and predictions (1: same direction, 0: orthogonal,
 * -1: opposite). Unlike the loss of the same name it is not negated.
 *
 * Arguments: `axis` (-1), `name` (`'cosine_similarity'`), `dtype`.
 *
 * Keras: `keras.metrics.CosineSimilarity`
 *
 * @example
 * ```ts
 * const m = new metrics.CosineSimilarity({ axis: -1 });
 * m.updateState(yTrue, yPred);
 * m.result(); // shape []
 * ```
 */
export class CosineSimilarity extends MeanMetricWrapper {
  static override className = 'CosineSimilarity';

  readonly axis: number;

  constructor(args: CosineSimilarityArgs = {}) {
    const { axis = -1, ...base } = args;
    super((t, p) => cosineSimilarityValue(t, p, axis), { ...base, name: base.name ?? 'cosine_similarity' });
    this.axis = axis;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}

register('metric', 'CosineSimilarity', CosineSimilarity, { aliases: ['cosine_similarity'] });

declare module '@strata/core' {
  interface MetricIds {
    CosineSimilarity: true;
    cosine_similarity: true;
    cosineSimilarity: true;
  }
}
