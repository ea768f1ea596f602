/**
 * Keras's VAE example (issue 18), ported: a subclassed encoder and decoder, a sampling layer, and a VAE
 * model whose custom `trainStep` adds the KL divergence to the reconstruction loss, trained on MNIST with
 * `fit`. A second form adds the KL term with `addLoss` in `call` and lets the built-in step train it.
 */
import { Layer, Model, type StepData, type StepLogs, valueAndGrads } from '@strata/core';
import { mnist } from '@strata/datasets';
import { Dense } from '@strata/layers';
import { Mean } from '@strata/losses-metrics';
import { Adam } from '@strata/optimizers';
import '@strata/backends/cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';

const LATENT = 2;
const N = 512;

let digits: tf.Tensor2D;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const [[xTrain, yTrain], [xTest, yTest]] = await mnist.loadData({ dtype: 'float32' });
  digits = tf.tidy(() => tf.div(xTrain.slice(0, N).reshape([N, 784]), 255)) as tf.Tensor2D;
  tf.dispose([xTrain, yTrain, xTest, yTest]);
});

/** z = mean + exp(logVar / 2) * epsilon (the reparameterization trick). */
class Sampling extends Layer {
  private seed = 1;
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [zMean, zLogVar] = inputs as tf.Tensor[];
    const eps = tf.randomNormal(zMean.shape, 0, 1, 'float32', this.seed++);
    return tf.add(zMean, tf.mul(tf.exp(tf.mul(0.5, zLogVar)), eps));
  }
}

class Encoder extends Model {
  hidden = new Dense({ units: 64, activation: 'relu' });
  zMean = new Dense({ units: LATENT, name: 'z_mean' });
  zLogVar = new Dense({ units: LATENT, name: 'z_log_var' });
  sampling = new Sampling();
  override call(x: tf.Tensor): tf.Tensor[] {
    const h = this.hidden.apply(x);
    const zMean = this.zMean.apply(h);
    const zLogVar = this.zLogVar.apply(h);
    return [zMean, zLogVar, this.sampling.apply([zMean, zLogVar]) as tf.Tensor];
  }
}

class Decoder extends Model {
  hidden = new Dense({ units: 64, activation: 'relu' });
  pixels = new Dense({ units: 784, activation: 'sigmoid' });
  override call(z: tf.Tensor): tf.Tensor {
    return this.pixels.apply(this.hidden.apply(z));
  }
}

/** Summed over pixels, averaged over the batch, as the example's reconstruction loss. */
function reconstructionLoss(x: tf.Tensor, recon: tf.Tensor): tf.Scalar {
  const p = tf.clipByValue(recon, 1e-7, 1 - 1e-7);
  const bce = tf.neg(tf.add(tf.mul(x, tf.log(p)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, p)))));
  return tf.mean(tf.sum(bce, 1));
}

function klLoss(zMean: tf.Tensor, zLogVar: tf.Tensor): tf.Scalar {
  const terms = tf.mul(-0.5, tf.sub(tf.sub(tf.add(1, zLogVar), tf.square(zMean)), tf.exp(zLogVar)));
  return tf.mean(tf.sum(terms, 1));
}

class VAE extends Model {
  encoder = new Encoder();
  decoder = new Decoder();
  totalLossTracker = new Mean({ name: 'total_loss' });
  reconstructionLossTracker = new Mean({ name: 'reconstruction_loss' });
  klLossTracker = new Mean({ name: 'kl_loss' });
  override get metrics() {
    return [this.totalLossTracker, this.reconstructionLossTracker, this.klLossTracker];
  }
  override call(x: tf.Tensor): tf.Tensor {
    const [, , z] = this.encoder.apply(x) as unknown as tf.Tensor[];
    return this.decoder.apply(z);
  }
  override trainStep({ x }: StepData): StepLogs {
    const data = x as tf.Tensor;
    const vars = this.trainableWeights;
    const { value, grads, aux } = valueAndGrads(() => {
      const [zMean, zLogVar, z] = this.encoder.apply(data, { training: true }) as unknown as tf.Tensor[];
      const recon = this.decoder.apply(z, { training: true });
      const r = reconstructionLoss(data, recon);
      const kl = klLoss(zMean, zLogVar);
      return [tf.add(r, kl) as tf.Scalar, { r, kl }] as const;
    }, vars);
    this.optimizer!.applyGradients(grads.map((g, i) => [g, vars[i]]));
    this.totalLossTracker.updateState(value);
    this.reconstructionLossTracker.updateState(aux.r);
    this.klLossTracker.updateState(aux.kl);
    return {
      loss: this.totalLossTracker.result(),
      reconstruction_loss: this.reconstructionLossTracker.result(),
      kl_loss: this.klLossTracker.result(),
    };
  }
}

describe("Keras's VAE example on MNIST", () => {
  test('a custom trainStep trains the encoder and decoder; total = reconstruction + KL', async () => {
    const vae = new VAE({ name: 'vae' });
    vae.compile({ optimizer: new Adam({ learningRate: 1e-3 }) });
    const history = await vae.fit(digits, digits, { epochs: 3, batchSize: 64, verbose: 0 });
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
    await vae.fit(digits, digits, { epochs: 1, batchSize: 64, verbose: 0 });
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
