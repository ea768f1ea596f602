/**
 * Keras's example "Variational AutoEncoder" (keras.io/examples/generative/vae), in Strata with dense layers: a
 * subclassed encoder and decoder, a sampling layer, and a VAE model whose custom `trainStep` adds the KL divergence
 * to the reconstruction loss, with its own loss trackers.
 */
import { Layer, Model, type StepData, type StepLogs, valueAndGrads } from '@strata/core';
import { Dense } from '@strata/layers';
import { Mean } from '@strata/losses-metrics';
import * as tf from '@tensorflow/tfjs-core';

export const LATENT = 2;

/** z = mean + exp(logVar / 2) * epsilon (the reparameterization trick). */
export class Sampling extends Layer {
  private seed: number;
  constructor(args: { seed?: number; name?: string } = {}) {
    super({ name: args.name });
    this.seed = args.seed ?? 1;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [zMean, zLogVar] = inputs as tf.Tensor[];
    const eps = tf.randomNormal(zMean.shape, 0, 1, 'float32', this.seed++);
    return tf.add(zMean, tf.mul(tf.exp(tf.mul(0.5, zLogVar)), eps));
  }
}

/** x → [zMean, zLogVar, z]. */
export class Encoder extends Model {
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

/** z → 784 pixel probabilities. */
export class Decoder extends Model {
  hidden = new Dense({ units: 64, activation: 'relu' });
  pixels = new Dense({ units: 784, activation: 'sigmoid' });
  override call(z: tf.Tensor): tf.Tensor {
    return this.pixels.apply(this.hidden.apply(z));
  }
}

/** Binary cross-entropy summed over pixels, averaged over the batch, as the example's reconstruction loss. */
export function reconstructionLoss(x: tf.Tensor, recon: tf.Tensor): tf.Scalar {
  const p = tf.clipByValue(recon, 1e-7, 1 - 1e-7);
  const bce = tf.neg(tf.add(tf.mul(x, tf.log(p)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, p)))));
  return tf.mean(tf.sum(bce, 1));
}

/** KL(q(z|x) ‖ N(0, I)) summed over the latent dimensions, averaged over the batch. */
export function klLoss(zMean: tf.Tensor, zLogVar: tf.Tensor): tf.Scalar {
  const terms = tf.mul(-0.5, tf.sub(tf.sub(tf.add(1, zLogVar), tf.square(zMean)), tf.exp(zLogVar)));
  return tf.mean(tf.sum(terms, 1));
}

export class VAE extends Model {
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
