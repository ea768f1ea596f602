import { register, type Shape, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { getInitializer } from '../initializers/index.js';

import { Attention, type AttentionArgs } from './attention.js';

/** Constructor arguments of `AdditiveAttention`: Keras's arguments of the same names, in camelCase. */
export interface AdditiveAttentionArgs extends Omit<AttentionArgs, 'scoreMode' | 'useScale'> {
  /** Learn a per-feature scale vector for the scores. Default true. */
  useScale?: boolean;
}

/**
 * Additive (Bahdanau-style) attention, as Keras's AdditiveAttention: scores are
 * `sum(scale * tanh(query + key), -1)` over the feature axis; everything else is Attention's. Inputs
 * `[query, value]` or `[query, value, key]`; weight `scale` of shape `[dim]` (with `useScale`).
 *
 * Keras: `keras.layers.AdditiveAttention`
 *
 * @example
 * ```ts
 * const query = tf.ones([2, 3, 4]);
 * const value = tf.ones([2, 5, 4]);
 * new AdditiveAttention().apply([query, value]); // shape [2, 3, 4]
 * ```
 */
export class AdditiveAttention extends Attention {
  static override className = 'AdditiveAttention';

  constructor(args: AdditiveAttentionArgs = {}) {
    const { scoreMode } = args as { scoreMode?: unknown };
    if (scoreMode != null && scoreMode !== 'dot') {
      throw new ValueError(
        `AdditiveAttention does not take \`score_mode\`. Received: score_mode=${scoreMode}`,
      );
    }
    super(args);
  }

  protected override defaultUseScale(): boolean {
    return true;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shapes = inputShape as Shape[];
    const dim = Array.isArray(shapes[0]) ? shapes[0][shapes[0].length - 1] : null;
    if (this.useScale) {
      if (dim == null) {
        throw new ValueError(
          `Layer "${this.name}": the last axis of the query must be defined. Received: input_shape=${JSON.stringify(inputShape)}`,
        );
      }
      // Attention's own build would add a scalar scale; the additive form learns one per feature.
      this.checkInputs(shapes, shapes);
      this.scale = this.addWeight('scale', { shape: [dim], initializer: getInitializer('glorot_uniform') });
      this.buildInputShape = inputShape;
      this.built = true;
      return;
    }
    super.build(inputShape);
  }

  protected override calculateScores(query: tf.Tensor, key: tf.Tensor): tf.Tensor {
    const t = tf.tanh(tf.add(tf.expandDims(query, -2), tf.expandDims(key, -3)));
    return tf.sum(this.scale ? tf.mul(this.scale.value, t) : t, -1);
  }

  override getConfig(): Record<string, unknown> {
    const { scoreMode: _s, ...config } = super.getConfig();
    return config;
  }
}

register('layer', 'AdditiveAttention', AdditiveAttention);
