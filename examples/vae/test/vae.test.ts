/**
 * Keras's VAE example (issue 18), as src/vae.ts ports it: a subclassed encoder and decoder, a sampling layer,
 * and a VAE model whose custom `trainStep` adds the KL divergence to the reconstruction loss, trained on MNIST
 * with `fit`. A second form adds the KL term with `addLoss` in `call` and lets the built-in step train it.
 */
import { Model } from '@strata/core';
import { mnist } from '@strata/datasets';
import { Adam } from '@strata/optimizers';
import '@strata/backends/cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { Decoder, Encoder, klLoss, reconstructionLoss, VAE } from '../src/vae.js';

const N = 512;

let digits: tf.Tensor2D;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const [[xTrain, yTrain], [xTest, yTest]] = await mnist.loadData({ dtype: 'float32' });
  digits = tf.tidy(() => tf.div(xTrain.slice(0, N).reshape([N, 784]), 255)) as tf.Tensor2D;
  tf.dispose([xTrain, yTrain, xTest, yTest]);
});

describe("Keras's VAE example on MNIST", () => {
  test('a custom trainStep trains the encoder and decoder; total = reconstruction + KL', async () => {
    const vae = new VAE({ name: 'vae' });
    vae.compile({ optimizer: new Adam({ learningRate: 1e-3 }) });
    const history = await vae.fit(digits, { epochs: 3, batchSize: 64, verbose: 0 });
    const h = history.history;
    expect(Object.keys(h).sort()).toEqual(['kl_loss', 'loss', 'reconstruction_loss']);
    h.loss.forEach((total, i) => {
      expect(Number.isFinite(total)).toBe(true);
      expect(total).toBeCloseTo(h.reconstruction_loss[i] + h.kl_loss[i], 3);
    });
    // A blank guess costs 784 * ln 2 = 543 nats per digit; training goes well below it and keeps falling.
    expect(h.reconstruction_loss[2]).toBeLessThan(h.reconstruction_loss[0]);
    expect(h.reconstruction_loss[2]).toBeLessThan(450);
    expect(vae.layers.map((l) => l.getClassName())).toEqual(['Encoder', 'Decoder']);
    expect(vae.trainableWeights).toHaveLength(10);
    const before = tf.memory().numTensors;
    await vae.fit(digits, { epochs: 1, batchSize: 64, verbose: 0 });
    expect(tf.memory().numTensors).toBe(before);
  });

  test('the KL term added with addLoss in call joins the built-in step', async () => {
    class LossInCall extends Model {
      encoder = new Encoder();
      decoder = new Decoder();
      override call(x: tf.Tensor): tf.Tensor {
        // Decoding the mean (no sampling) keeps this check deterministic.
        const [zMean, zLogVar] = this.encoder.apply(x) as unknown as tf.Tensor[];
        this.addLoss(klLoss(zMean, zLogVar));
        return this.decoder.apply(zMean);
      }
    }
    const model = new LossInCall();
    model.compile({
      optimizer: new Adam({ learningRate: 1e-3 }),
      // The example's reconstruction loss as a loss function of (yTrue, yPred).
      loss: (yTrue: tf.Tensor, yPred: tf.Tensor) =>
        tf.sum(
          tf.neg(
            tf.add(
              tf.mul(yTrue, tf.log(tf.clipByValue(yPred, 1e-7, 1))),
              tf.mul(tf.sub(1, yTrue), tf.log(tf.clipByValue(tf.sub(1, yPred), 1e-7, 1))),
            ),
          ),
          -1,
        ),
    });
    const x = digits.slice(0, 64);
    // The reported loss is the reconstruction loss plus the KL term of the same forward pass, both by hand.
    const withKl = (await model.testOnBatch(x, x)) as number;
    const [recon, kl] = tf.tidy(() => {
      const [zMean, zLogVar] = model.encoder.apply(x) as unknown as tf.Tensor[];
      return [
        reconstructionLoss(x, model.decoder.apply(zMean)).dataSync()[0],
        klLoss(zMean, zLogVar).dataSync()[0],
      ];
    });
    expect(kl).toBeGreaterThan(1e-4);
    expect(withKl).toBeCloseTo(recon + kl, 2);
    const before = tf.memory().numTensors;
    await model.testOnBatch(x, x);
    expect(tf.memory().numTensors).toBe(before);
    const h = await model.fit(digits, digits, { epochs: 2, batchSize: 64, verbose: 0 });
    expect(h.history.loss[1]).toBeLessThan(h.history.loss[0]);
    x.dispose();
  });
});
