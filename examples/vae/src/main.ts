// Trains the VAE of src/vae.ts on MNIST with `fit`, then prints where the latent means of a few test digits of
// each class fall: digits of one class cluster in the 2-D latent space.
import { getBackend, setBackend } from '@strata/backends';
import { mnist } from '@strata/datasets';
import { Adam } from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { VAE } from './vae.js';

const TRAIN = 10_000;
const EPOCHS = 10;

await setBackend('auto');
console.log(`backend: ${getBackend()}`);

const [[xAll, yAll], [xTestAll, yTestAll]] = await mnist.loadData({ dtype: 'float32' });
const digits = tf.tidy(() => tf.div(xAll.slice(0, TRAIN).reshape([TRAIN, 784]), 255));
const testDigits = tf.tidy(() => tf.div(xTestAll.slice(0, 1000).reshape([1000, 784]), 255));
const testLabels = yTestAll.slice(0, 1000);
tf.dispose([xAll, yAll, xTestAll, yTestAll]);

const vae = new VAE({ name: 'vae' });
vae.compile({ optimizer: new Adam({ learningRate: 1e-3 }) });
// As in Keras, fit takes the digits alone: the custom trainStep needs no targets.
await vae.fit(digits, { epochs: EPOCHS, batchSize: 128 });

// The mean latent position of each digit class.
const [zMean] = vae.encoder.apply(testDigits) as unknown as tf.Tensor[];
const z = (await zMean.array()) as number[][];
const labels = (await testLabels.data()) as Float32Array;
for (let digit = 0; digit < 10; digit++) {
  const rows = z.filter((_, i) => labels[i] === digit);
  const mean = [0, 1].map((d) => rows.reduce((s, r) => s + r[d], 0) / rows.length);
  console.log(
    `digit ${digit}: latent mean (${mean[0].toFixed(2)}, ${mean[1].toFixed(2)}) over ${rows.length} digits`,
  );
}
tf.dispose([digits, testDigits, testLabels, zMean]);
