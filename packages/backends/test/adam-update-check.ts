/**
 * A browser page's check of Strata's `StrataAdamUpdate` kernel on the active backend (webgl, webgpu):
 * per shape, the worst difference from Keras 3's Adam formulas computed on the host, and whether the
 * kernel left any data behind.
 */
import { StrataAdamUpdate } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

export interface AdamUpdateCheck {
  shape: number[];
  worst: number;
  leakedData: number;
  /** Whether the backend has the kernel registered (else the engine would have thrown). */
  kernel: boolean;
}

/** Runs the kernel on the active backend, which must be `backendName`. */
export async function checkAdamUpdate(backendName: string): Promise<AdamUpdateCheck[]> {
  if (tf.getBackend() !== backendName) throw new Error(`Expected ${backendName}, found ${tf.getBackend()}`);
  const out: AdamUpdateCheck[] = [];
  const [alpha, beta1, beta2, epsilon] = [0.0123, 0.9, 0.999, 1e-7];
  for (const shape of [[784, 512], [7], [3, 5, 11], [], [13, 17]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = (seed: number, positive = false) =>
      Float32Array.from({ length: n }, (_, i) => {
        const s = Math.sin(i * 12.9898 + seed * 78.233) * 43758.5453;
        const u = s - Math.floor(s);
        return positive ? u * 0.01 : u * 2 - 1;
      });
    const [w, g, m, v] = [values(1), values(2), values(3), values(4, true)];
    const ts = [w, g, m, v].map((a) => tf.tensor(a, shape));
    const dataBefore = tf.engine().backend.numDataIds();
    const outs = tf.engine().runKernel(
      StrataAdamUpdate,
      { variable: ts[0], gradient: ts[1], m: ts[2], v: ts[3] },
      {
        alpha,
        beta1,
        beta2,
        epsilon,
      },
    ) as tf.Tensor[];
    const leakedData = tf.engine().backend.numDataIds() - dataBefore - 3;
    const [wNew, mNew, vNew] = await Promise.all(outs.map((t) => t.data()));
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const mi = m[i] + (g[i] - m[i]) * (1 - beta1);
      const vi = v[i] + (g[i] * g[i] - v[i]) * (1 - beta2);
      const wi = w[i] - (mi * alpha) / (Math.sqrt(vi) + epsilon);
      for (const [got, want] of [
        [mNew[i], mi],
        [vNew[i], vi],
        [wNew[i], wi],
      ]) {
        // float32 values of order 1: error against 1 + the value, as the filter-gradient check does.
        const d = Math.abs(got - want) / (1 + Math.abs(want));
        worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
      }
    }
    out.push({ shape, worst, leakedData, kernel: tf.getKernel(StrataAdamUpdate, backendName) != null });
    tf.dispose([...ts, ...outs]);
  }
  return out;
}
