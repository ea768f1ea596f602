import { formatShape, register, type Shape, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { Merge } from './base-merge.js';

/**
 * Subtracts the second of exactly two inputs from the first, elementwise.
 *
 * Keras: `keras.layers.Subtract`
 *
 * @example
 * ```ts
 * new Subtract().apply([tf.ones([2, 3]), tf.ones([2, 3])]); // shape [2, 3]
 * ```
 */
export class Subtract extends Merge {
  static override className = 'Subtract';

  protected override validateInputShapes(shapes: Shape[]): void {
    if (shapes.length !== 2) {
      throw new ValueError(
        `A \`Subtract\` layer should be called on exactly 2 inputs. Received: input_shape=[${shapes.map(formatShape).join(', ')}]`,
      );
    }
  }

  protected mergeFunction(inputs: tf.Tensor[]): tf.Tensor {
    if (inputs.length !== 2) {
      throw new ValueError(
        `A \`Subtract\` layer should be called on exactly 2 inputs. Received: ${inputs.length} inputs`,
      );
    }
    return tf.sub(inputs[0], inputs[1]);
  }
}

register('layer', 'Subtract', Subtract);
