/**
 * The shape-dependent metric names of Keras's `compile`: `'accuracy'`/`'acc'` and `'crossentropy'`/`'ce'`
 * become the binary, categorical or sparse categorical variant depending on the shapes of the targets and
 * predictions at the first batch, and keep the name the user wrote as their log key.
 */
import {
  type Metric,
  type MetricResolveContext,
  type MetricResolver,
  register,
  type Shape,
} from '@strata/core';

import { BinaryAccuracy } from './binary-accuracy.js';
import { BinaryCrossentropy } from './binary-crossentropy.js';
import { CategoricalAccuracy } from './categorical-accuracy.js';
import { CategoricalCrossentropy } from './categorical-crossentropy.js';
import { SparseCategoricalAccuracy } from './sparse-categorical-accuracy.js';
import { SparseCategoricalCrossentropy } from './sparse-categorical-crossentropy.js';

/**
 * The kind of targets (binary, categorical or sparse) that decides which metric a name such as `'accuracy'`
 * resolves to.
 */
export type TargetKind = 'binary' | 'sparse_categorical' | 'categorical';

/**
 * Keras's `is_binary_or_sparse_categorical`: binary when the predictions' last axis is 1; sparse categorical
 * when the targets have lower rank than the predictions, or a last axis of 1 against more than one class;
 * categorical otherwise.
 */
export function targetKind(yTrueShape: Shape, yPredShape: Shape): TargetKind {
  const yTrueLast = yTrueShape.length ? yTrueShape[yTrueShape.length - 1] : null;
  const yPredLast = yPredShape.length ? yPredShape[yPredShape.length - 1] : null;
  if (yPredLast === 1) return 'binary';
  if (yTrueShape.length < yPredShape.length || (yTrueLast === 1 && yPredLast != null && yPredLast > 1)) {
    return 'sparse_categorical';
  }
  return 'categorical';
}

/** `'accuracy'` / `'acc'`: BinaryAccuracy, SparseCategoricalAccuracy or CategoricalAccuracy. */
export const accuracyResolver: MetricResolver = {
  resolveMetric({ name, yTrueShape, yPredShape }: MetricResolveContext): Metric {
    const kind = targetKind(yTrueShape, yPredShape);
    if (kind === 'binary') return new BinaryAccuracy({ name });
    if (kind === 'sparse_categorical') return new SparseCategoricalAccuracy({ name });
    return new CategoricalAccuracy({ name });
  },
};

/** `'crossentropy'` / `'ce'`: BinaryCrossentropy, SparseCategoricalCrossentropy or CategoricalCrossentropy. */
export const crossentropyResolver: MetricResolver = {
  resolveMetric({ name, yTrueShape, yPredShape }: MetricResolveContext): Metric {
    const kind = targetKind(yTrueShape, yPredShape);
    if (kind === 'binary') return new BinaryCrossentropy({ name });
    if (kind === 'sparse_categorical') return new SparseCategoricalCrossentropy({ name });
    return new CategoricalCrossentropy({ name });
  },
};

register('metric', 'accuracy', accuracyResolver, { aliases: ['acc'] });
register('metric', 'crossentropy', crossentropyResolver, { aliases: ['ce'] });

declare module '@strata/core' {
  interface MetricIds {
    accuracy: true;
    acc: true;
    crossentropy: true;
    ce: true;
  }
}
