import { register } from '@strata/core';

import { BasePrecisionRecall, type PrecisionRecallArgs } from './base-precision-recall.js';

/** Constructor arguments of `Recall`: Keras's arguments of the same names, in camelCase. */
export type RecallArgs = PrecisionRecallArgs;

/**
 * Computes how many actual positives are predicted positive, `TP / (TP + FN)`, from counts accumulated over every batch seen, so the result over several
 * batches is the value on the whole data, not the mean of per-batch values.
 *
 * Arguments: `thresholds` (0.5), `topK` (null), `classId` (null), `name` (`'recall'`), `dtype`.
 *
 * Keras: `keras.metrics.Recall`
 *
 * @example
 * ```ts
 * model.compile({ loss: 'binary_crossentropy', optimizer: 'adam', metrics: [new Recall()] });
 * ```
 */
export class Recall extends BasePrecisionRecall {
  static override className = 'Recall';

  constructor(args: RecallArgs = {}) {
    super(args, {
      owner: 'Recall',
      defaultName: 'recall',
      errorCondition: 'falseNegatives',
      errorVariableName: 'false_negatives',
    });
  }
}

register('metric', 'Recall', Recall, { aliases: ['recall'] });

declare module '@strata/core' {
  interface MetricIds {
    Recall: true;
    recall: true;
  }
}
