import { type MetricArgs, register } from '@strata/core';

import { FBetaScore, type FScoreAverage } from './fbeta-score.js';

/** Constructor arguments of `F1Score`: Keras's arguments of the same names, in camelCase. */
export interface F1ScoreArgs extends MetricArgs {
  /** Default null: one score per class. */
  average?: FScoreAverage;
  /** Predictions above it count as positive; null (the default) takes the top prediction of each sample. */
  threshold?: number | null;
}

/**
 * Computes the F1 score, the harmonic mean of precision and recall, from counts accumulated over every batch
 * seen. It is `FBetaScore` with `beta = 1`.
 *
 * Arguments: `average` (null; `'micro'`, `'macro'`, `'weighted'`), `threshold` (null), `name`
 * (`'f1_score'`), `dtype`.
 *
 * Keras: `keras.metrics.F1Score`
 *
 * @example
 * ```ts
 * const m = new F1Score({ average: 'macro', threshold: 0.5 });
 * m.updateState(yTrue, yPred);
 * m.result(); // shape []
 * ```
 */
export class F1Score extends FBetaScore {
  static override className = 'F1Score';

  constructor(args: F1ScoreArgs = {}) {
    const { beta: _ignored, ...rest } = args as F1ScoreArgs & { beta?: number };
    super({ ...rest, beta: 1, name: rest.name ?? 'f1_score' });
  }

  override getConfig(): Record<string, unknown> {
    const { beta: _beta, ...config } = super.getConfig();
    return config;
  }
}

register('metric', 'F1Score', F1Score, { aliases: ['f1_score'] });

declare module '@strata/core' {
  interface MetricIds {
    F1Score: true;
    f1_score: true;
    f1Score: true;
  }
}
