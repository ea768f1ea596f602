import { register } from '@strata/core';

import { BasePrecisionRecall, type PrecisionRecallArgs } from './base-precision-recall.js';

/** Constructor arguments of `Precision`: Keras's arguments of the same names, in camelCase. */
export type PrecisionArgs = PrecisionRecallArgs;

/**
 * Computes how many predicted positives are actual positives, `TP / (TP + FP)`, from counts accumulated over every batch seen, so the result over several
 * batches is the value on the whole data, not the mean of per-batch values.
 *
 * Arguments: `thresholds` (0.5), `topK` (null), `classId` (null), `name` (`'precision'`), `dtype`.
 *
 * Keras: `keras.metrics.Precision`
 *
 * @example
 * ```ts
 * model.compile({ loss: 'binary_crossentropy', optimizer: 'adam', metrics: [new Precision()] });
 * ```
 */
export class Precision extends BasePrecisionRecall {
  static override className = 'Precision';

  constructor(args: PrecisionArgs = {}) {
    super(args, {
      owner: 'Precision',
      defaultName: 'precision',
      errorCondition: 'falsePositives',
      errorVariableName: 'false_positives',
    });
  }
}

register('metric', 'Precision', Precision, { aliases: ['precision'] });

declare module '@strata/core' {
  interface MetricIds {
    Precision: true;
    precision: true;
  }
}
