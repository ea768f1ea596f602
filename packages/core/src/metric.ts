import * as tf from '@tensorflow/tfjs-core';
import { assertBackendRegistered } from './backend-check.js';
import type { Shape } from './engine/symbolic-tensor.js';
import {
  BASE_METRIC_ARGUMENTS,
  checkArgumentsAgainstConfig,
  withoutArgumentCheck,
} from './layer-arguments.js';
import { toSnakeCase } from './naming.js';
import { Variable } from './variable.js';

/** Constructor arguments every Metric accepts: `name` and `dtype`, as in Keras. */
export interface MetricArgs {
  name?: string;
  dtype?: string | null;
}

/**
 * The base class of stateful metrics (Keras's `Metric`). State lives in variables on the device:
 * `updateState` never reads values back to the host, and `result` returns a tensor.
 *
 * Keras: `keras.metrics.Metric`
 *
 * @example
 * ```ts
 * class CountPositives extends Metric {
 *   private readonly count = this.addVariable('count', []);
 *   override updateState(yTrue: tf.Tensor, yPred: tf.Tensor) {
 *     this.count.assign(tf.add(this.count.value, tf.sum(tf.greater(yPred, 0.5).toFloat())));
 *   }
 *   override result() {
 *     return this.count.value.clone();
 *   }
 * }
 * ```
 */
export abstract class Metric {
  static className = 'Metric';

  name: string;
  dtype: string;
  private readonly _variables: Variable[] = [];
  private readonly _initialValues: number[] = [];

  constructor(args: MetricArgs = {}) {
    checkArgumentsAgainstConfig(new.target as never, args, BASE_METRIC_ARGUMENTS);
    this.name = args.name ?? toSnakeCase(this.getClassName());
    this.dtype = args.dtype ?? 'float32';
  }

  getClassName(): string {
    const ctor = this.constructor as typeof Metric;
    return Object.hasOwn(ctor, 'className') ? ctor.className : ctor.name;
  }

  /** Adds a state variable filled with `initialValue`; `resetState` refills it. */
  addVariable(name: string, shape: number[], initialValue = 0, dtype: tf.DataType = 'float32'): Variable {
    assertBackendRegistered(`Metric "${this.name}" creating its variable '${name}'`);
    const init = tf.fill(shape, initialValue, dtype);
    const v = new Variable({ initialValue: init, name, path: `${this.name}/${name}`, trainable: false });
    init.dispose();
    this._variables.push(v);
    this._initialValues.push(initialValue);
    return v;
  }

  get variables(): Variable[] {
    return this._variables.slice();
  }

  /** Accumulates a batch. Implementations run their work inside `tf.tidy` and assign in place. */
  abstract updateState(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): void;

  /** The metric value so far, as a tensor the caller owns. */
  abstract result(): tf.Tensor;

  resetState(): void {
    tf.tidy(() => {
      this._variables.forEach((v, i) => {
        v.value.assign(tf.fill(v.shape, this._initialValues[i], v.dtype));
      });
    });
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, dtype: this.dtype };
  }

  static fromConfig<T extends Metric>(this: new (args: any) => T, config: Record<string, any>): T {
    return withoutArgumentCheck(() => new this(config));
  }

  dispose(): void {
    for (const v of this._variables) v.dispose();
  }
}

/** What a shape-dependent metric name (`'accuracy'`, `'crossentropy'`) is resolved from. */
export interface MetricResolveContext {
  /** The name the user wrote; it becomes the log key. */
  name: string;
  yTrueShape: Shape;
  yPredShape: Shape;
  /** The loss configured for the same output, when known (its registered name or instance). */
  loss?: unknown;
}

/**
 * A registry value of kind 'metric' may be a Metric class or a resolver that picks a metric from the
 * shapes of the targets and predictions, as Keras does for `'accuracy'`.
 */
export interface MetricResolver {
  resolveMetric(context: MetricResolveContext): Metric;
}

/**
 * Whether a value is a metric resolver: a name such as `'accuracy'` that picks its metric from the targets.
 */
export function isMetricResolver(value: unknown): value is MetricResolver {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as MetricResolver).resolveMetric === 'function'
  );
}
