import { Metric, type MetricArgs, register, ValueError, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The fraction of predictions whose sign matches the target's (zero counts as its own sign), weighted by
 * `sampleWeight` (one weight per sample) when given. A direction-only score for regression.
 *
 * Registered as `'acme>SignAgreement'`: `model.compile({ metrics: ['acme>SignAgreement'] })`.
 */
export class SignAgreement extends Metric {
  static override className = 'SignAgreement';

  private readonly total: Variable;
  private readonly count: Variable;

  constructor(args: MetricArgs = {}) {
    super({ ...args, name: args.name ?? 'sign_agreement' });
    this.total = this.addVariable('total', []);
    this.count = this.addVariable('count', []);
  }

  override updateState(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    if (!tf.util.arraysEqual(yTrue.shape, yPred.shape)) {
      throw new ValueError(
        `SignAgreement needs y_true and y_pred of the same shape. Received: y_true.shape=(${yTrue.shape.join(', ')}), y_pred.shape=(${yPred.shape.join(', ')})`,
      );
    }
    tf.tidy(() => {
      const agree = tf.cast(tf.equal(tf.sign(yTrue), tf.sign(yPred)), 'float32');
      let weights: tf.Tensor = tf.onesLike(agree);
      if (sampleWeight) {
        const perSample = tf.reshape(tf.cast(sampleWeight, 'float32'), [
          agree.shape[0],
          ...agree.shape.slice(1).map(() => 1),
        ]);
        weights = tf.mul(weights, perSample);
      }
      this.total.value.assign(tf.add(this.total.value, tf.sum(tf.mul(agree, weights))));
      this.count.value.assign(tf.add(this.count.value, tf.sum(weights)));
    });
  }

  override result(): tf.Tensor {
    return tf.tidy(() => tf.divNoNan(this.total.value, this.count.value));
  }
}

register('metric', 'SignAgreement', SignAgreement, { package: 'acme', module: '@acme/strata-plugin' });
