/**
 * What EarlyStopping and ModelCheckpoint share (Keras's `MonitorCallback`): the `mode` argument, the
 * direction of the monitored quantity, and the `minDelta` improvement test.
 */
import type { Model } from '@strata/core';
import { ValueError } from '@strata/core';

/**
 * Whether the monitored quantity should fall (`'min'`), rise (`'max'`), or be inferred from its name
 * (`'auto'`): Keras's `mode` argument.
 */
export type MonitorMode = 'auto' | 'min' | 'max';

/**
 * Keras metrics that grow as the model improves (their `_direction` is "up"). Keras reads the direction
 * from the metric object; Strata's metrics may not carry one, so known names are looked up here.
 */
const UP_METRICS = new Set([
  'accuracy',
  'acc',
  'binary_accuracy',
  'categorical_accuracy',
  'sparse_categorical_accuracy',
  'top_k_categorical_accuracy',
  'sparse_top_k_categorical_accuracy',
  'auc',
  'precision',
  'recall',
  'precision_at_recall',
  'recall_at_precision',
  'sensitivity_at_specificity',
  'specificity_at_sensitivity',
  'true_positives',
  'true_negatives',
  'f1_score',
  'fbeta_score',
  'r2_score',
  'iou',
  'mean_iou',
  'binary_iou',
  'one_hot_iou',
  'one_hot_mean_iou',
  'cosine_similarity',
  'pearson_correlation',
  'concordance_correlation',
]);

/** Keras metrics that shrink as the model improves (`_direction` "down"). */
const DOWN_METRICS = new Set([
  'mean_squared_error',
  'mse',
  'mean_absolute_error',
  'mae',
  'mean_absolute_percentage_error',
  'mape',
  'mean_squared_logarithmic_error',
  'msle',
  'root_mean_squared_error',
  'log_cosh_error',
  'logcosh',
  'binary_crossentropy',
  'categorical_crossentropy',
  'sparse_categorical_crossentropy',
  'binary_focal_crossentropy',
  'categorical_focal_crossentropy',
  'kl_divergence',
  'kullback_leibler_divergence',
  'poisson',
  'hinge',
  'squared_hinge',
  'categorical_hinge',
  'false_positives',
  'false_negatives',
]);

/** Keras falls back to 'auto' (with a warning) for an unknown mode. */
export function checkMode(mode: string | undefined, warning: string): MonitorMode {
  if (mode === undefined || mode === 'auto' || mode === 'min' || mode === 'max') return mode ?? 'auto';
  console.warn(warning);
  return 'auto';
}

/** The direction a metric improves in, from the metric object when it says, else from its name. */
function metricDirection(model: Model | null, name: string): 'up' | 'down' | null {
  const metrics = model?.compiled ? model.metrics : [];
  for (const m of metrics) {
    if (m.name !== name) continue;
    const declared =
      (m as { direction?: unknown; _direction?: unknown }).direction ??
      (m as { _direction?: unknown })._direction;
    if (declared === 'up' || declared === 'down') return declared;
  }
  // Multi-output models prefix metric names with the output name ("out1_accuracy").
  const bases = [
    name,
    ...(model?.outputNames ?? [])
      .filter((o) => name.startsWith(`${o}_`))
      .map((o) => name.slice(o.length + 1)),
  ];
  for (const base of bases) {
    if (UP_METRICS.has(base)) return 'up';
    if (DOWN_METRICS.has(base)) return 'down';
  }
  return null;
}

/**
 * The comparison for "better" (`less` or `greater`), as Keras's `_set_monitor_op` decides it: from the
 * mode, else "loss" is minimized, else the metric's direction; otherwise it fails naming the callback.
 */
export function monitorOp(
  model: Model | null,
  monitor: string,
  mode: MonitorMode,
  callbackName: string,
): 'less' | 'greater' {
  if (mode === 'min') return 'less';
  if (mode === 'max') return 'greater';
  const name = monitor.startsWith('val_') ? monitor.slice(4) : monitor;
  let op: 'less' | 'greater' | null = name === 'loss' ? 'less' : null;
  const direction = metricDirection(model, name);
  if (direction) op = direction === 'up' ? 'greater' : 'less';
  if (op === null) {
    throw new ValueError(
      `${callbackName} callback received monitor=${monitor}, but cannot tell automatically whether that ` +
        "metric should be maximized or minimized. Pass `mode: 'max'` to monitor the highest value, or " +
        "`mode: 'min'` to monitor the lowest.",
    );
  }
  return op;
}

/** Keras's `_is_improvement`: `current` beats `reference` by more than `minDelta` (anything beats null). */
export function isImprovement(
  op: 'less' | 'greater',
  minDelta: number,
  current: number,
  reference: number | null,
): boolean {
  if (reference === null) return true;
  const delta = Math.abs(minDelta);
  return op === 'less' ? current + delta < reference : current - delta > reference;
}

/** Python's default warning filter shows a given warning once; callbacks keep one of these each. */
export class WarnOnce {
  private readonly seen = new Set<string>();

  warn(message: string): void {
    if (this.seen.has(message)) return;
    this.seen.add(message);
    console.warn(message);
  }
}
