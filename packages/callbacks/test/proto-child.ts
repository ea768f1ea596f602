import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Sequential } from '@strata/core';
import { Dense } from '@strata/layers';
const m = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
const x: tf.Tensor = tf.ones([1, 3]);
console.log('child ok', (m.predict(x) as tf.Tensor).shape);
