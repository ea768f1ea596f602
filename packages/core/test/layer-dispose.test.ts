// The base Layer.dispose frees the sub-layers a layer tracks, so composite layers need no dispose of their own.
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';

import { type CallKwargs, Layer, type Shape } from '../src/index.js';
import { TestDense } from './fixtures.js';

/** Two dense sub-layers in a row, with one weight of its own. */
class TwoDense extends Layer {
  static override className = 'TwoDense';
  readonly first = new TestDense({ units: 3 });
  readonly second = new TestDense({ units: 2 });

  override get subLayers(): Layer[] {
    // Listed twice: a layer reached through two paths is disposed once.
    return [this.first, this.second, this.first];
  }

  override build(inputShape: Shape): void {
    const ones = { apply: (shape: number[]) => tf.ones(shape), getConfig: () => ({}) };
    this.addWeight('scale', { shape: [1], initializer: ones });
    this.first.build(inputShape);
    this.second.build([inputShape[0], 3]);
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs): tf.Tensor {
    return this.second.call(this.first.call(inputs, kwargs), kwargs) as tf.Tensor;
  }
}

test('dispose frees the layer’s own variables and those of its sub-layers, each once', () => {
  const before = tf.memory().numTensors;
  const layer = new TwoDense();
  layer.build([null, 4]);
  // scale, and a kernel and a bias per sub-layer.
  expect(tf.memory().numTensors - before).toBe(5);
  layer.dispose();
  expect(tf.memory().numTensors).toBe(before);
});
