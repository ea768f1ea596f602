import * as tf from '@tensorflow/tfjs-core';

import { ValueError } from '../errors.js';
import { Loss, type LossFunction } from '../loss.js';
import { isMetricResolver, Metric, type MetricResolveContext } from '../metric.js';
import { type LossIds, type MetricIds, registry } from '../registry.js';
import { registeredNameOf } from '../resolve.js';
import {
  deserializeKerasObject,
  isKerasObjectJSON,
  type KerasObjectJSON,
  serializeKerasObject,
} from '../serialization.js';

/**
 * What `compile`'s `loss` accepts: a Loss, a loss function, a registered name such as
 * `'categorical_crossentropy'`, or a Keras config.
 */
export type LossIdentifier = Loss | LossFunction | keyof LossIds | KerasObjectJSON;
/**
 * What `compile`'s `metrics` accepts: a Metric, a function, a registered name such as `'accuracy'`, or a
 * Keras config.
 */
export type MetricIdentifier = Metric | LossFunction | keyof MetricIds | KerasObjectJSON;

/**
 * A running weighted mean kept on the device (the `loss` and `<output>_loss` trackers).
 *
 * Keras: the loss trackers inside `keras.Model` (`keras.metrics.Mean`)
 *
 * @example
 * ```ts
 * const tracker = new MeanTracker({ name: 'loss' });
 * tracker.updateState(tf.scalar(2), tf.scalar(4));
 * tracker.result(); // a scalar tensor: 3
 * ```
 */
export class MeanTracker extends Metric {
  static override className = 'Mean';
  private readonly total = this.addVariable('total', []);
  private readonly count = this.addVariable('count', []);

  override updateState(value: tf.Tensor, _yPred?: tf.Tensor, sampleWeight?: tf.Tensor | number | null): void {
    tf.tidy(() => {
      const w = sampleWeight == null ? 1 : sampleWeight;
      this.total.value.assign(tf.add(this.total.value, tf.mul(tf.sum(value), w)));
      this.count.value.assign(
        tf.add(this.count.value, typeof w === 'number' ? w * Math.max(value.size, 1) : tf.sum(w)),
      );
    });
  }

  override result(): tf.Tensor {
    return tf.tidy(() => tf.divNoNan(this.total.value, this.count.value));
  }
}

/**
 * A metric from `compile`'s `metrics` (not `weightedMetrics`) as `model.metrics` lists it: it ignores sample
 * weights, as Keras's compiled metrics do. A custom `trainStep` that passes `sampleWeight` to every metric, as
 * Keras's guide writes it, then reports what Keras reports. Its state is the compiled metric's own.
 *
 * Keras: the unweighted half of `CompileMetrics.update_state`
 */
export class UnweightedMetricView extends Metric {
  static override className = 'UnweightedMetricView';

  constructor(readonly metric: Metric) {
    super({ name: metric.name, dtype: metric.dtype });
  }

  override updateState(yTrue: tf.Tensor, yPred: tf.Tensor): void {
    this.metric.updateState(yTrue, yPred, null);
  }

  override result(): tf.Tensor {
    return this.metric.result();
  }

  override resetState(): void {
    this.metric.resetState();
  }

  override get variables() {
    return this.metric.variables;
  }

  /** The compiled metric's improving direction where it declares one (a monitor's 'auto' mode reads it). */
  get direction(): unknown {
    const m = this.metric as { direction?: unknown; _direction?: unknown };
    return m.direction ?? m._direction;
  }

  override getConfig(): Record<string, unknown> {
    return this.metric.getConfig();
  }

  /** The compiled metric is the model's: disposing the view leaves it. */
  override dispose(): void {}
}

/** A plain function `(yTrue, yPred) => per-sample values` used as a loss (Keras's LossFunctionWrapper). */
class FunctionLoss extends Loss {
  static override className = 'LossFunctionWrapper';
  constructor(readonly fn: LossFunction) {
    super({ name: fn.name || 'loss' });
  }

  override call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return this.fn(yTrue, yPred);
  }
}

/** A plain function used as a metric: the running mean of its per-sample values (Keras's MeanMetricWrapper). */
class FunctionMetric extends Metric {
  static override className = 'MeanMetricWrapper';
  private readonly total = this.addVariable('total', []);
  private readonly count = this.addVariable('count', []);

  constructor(
    readonly fn: LossFunction,
    name: string,
  ) {
    super({ name });
  }

  override updateState(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    tf.tidy(() => {
      let v = this.fn(yTrue, yPred);
      let w: tf.Tensor = tf.onesLike(v);
      if (sampleWeight) {
        const sw =
          sampleWeight.rank < v.rank
            ? tf.reshape(sampleWeight, [...sampleWeight.shape, ...Array(v.rank - sampleWeight.rank).fill(1)])
            : sampleWeight;
        v = tf.mul(v, sw);
        w = tf.mul(w, sw);
      }
      this.total.value.assign(tf.add(this.total.value, tf.sum(v)));
      this.count.value.assign(tf.add(this.count.value, tf.sum(w)));
    });
  }

  override result(): tf.Tensor {
    return tf.tidy(() => tf.divNoNan(this.total.value, this.count.value));
  }
}

export function resolveLoss(id: LossIdentifier | null | undefined): Loss | null {
  if (id == null) return null;
  if (id instanceof Loss) return id;
  if (typeof id === 'function') return new FunctionLoss(id);
  if (isKerasObjectJSON(id)) return deserializeKerasObject<Loss>('loss', id);
  const value = registry.get<unknown>('loss', id);
  if (typeof value === 'function' && 'fromConfig' in value)
    return new (value as unknown as new (a: object) => Loss)({});
  if (typeof value === 'function') return new FunctionLoss(value as LossFunction);
  throw new ValueError(
    `The loss '${id}' is registered with a value that is neither a Loss class nor a function.`,
  );
}

export function resolveMetric(id: MetricIdentifier, ctx: MetricResolveContext): Metric {
  if (id instanceof Metric) return id;
  if (typeof id === 'function') return new FunctionMetric(id, id.name || 'metric');
  if (isKerasObjectJSON(id)) return deserializeKerasObject<Metric>('metric', id);
  const value = registry.get<unknown>('metric', id);
  if (isMetricResolver(value)) return value.resolveMetric(ctx);
  if (typeof value === 'function' && 'fromConfig' in value)
    return new (value as unknown as new (a: object) => Metric)({ name: id });
  if (typeof value === 'function') return new FunctionMetric(value as LossFunction, id);
  throw new ValueError(
    `The metric '${id}' is registered with a value that is neither a Metric class nor a resolver.`,
  );
}

/** Serializes a compile argument for compile_config: strings stay strings, registered objects become Keras JSON. */
export function serializeCompileArg(kind: 'loss' | 'metric' | 'optimizer', value: unknown): unknown {
  if (value == null || typeof value === 'string' || typeof value === 'number') return value ?? null;
  if (Array.isArray(value)) return value.map((v) => serializeCompileArg(kind, v));
  if (isKerasObjectJSON(value)) return value;
  if (typeof value === 'function') return registeredNameOf(kind, value) ?? value.name;
  if (value instanceof FunctionLoss || value instanceof FunctionMetric) return value.name;
  if (typeof value === 'object' && registry.entryOf(kind, (value as object).constructor)) {
    return serializeKerasObject(kind, value as { getConfig(): Record<string, unknown> });
  }
  if (typeof value === 'object' && value.constructor === Object) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, serializeCompileArg(kind, v)]));
  }
  return null;
}

/** Spreads a per-output argument (single, list, or record by output name) into one entry per output. */
export function perOutput<T>(
  spec: T | T[] | Record<string, T> | null | undefined,
  outputNames: string[],
  what: string,
  isLeaf: (v: unknown) => boolean,
): (T | null)[] {
  if (spec == null) return outputNames.map(() => null);
  if (isLeaf(spec)) return outputNames.map(() => spec as T);
  if (Array.isArray(spec)) {
    if (spec.length !== outputNames.length) {
      throw new ValueError(
        `When passing a list as \`${what}\`, it should have one entry per model output. ` +
          `The model has ${outputNames.length} output(s) [${outputNames.join(', ')}], but you passed ${what} with ${spec.length} entries.`,
      );
    }
    return spec;
  }
  const rec = spec as Record<string, T>;
  const unknown = Object.keys(rec).filter((k) => !outputNames.includes(k));
  if (unknown.length) {
    throw new ValueError(
      `Unknown entries in ${what}: [${unknown.join(', ')}]. Only expected the model outputs: [${outputNames.join(', ')}].`,
    );
  }
  return outputNames.map((n) => rec[n] ?? null);
}
