/**
 * What the Node cases (case.ts) and the WebGL page (webgl-page.ts) share: one flat float32 buffer of a
 * model's initial weights, and the check epoch's scoring. No Node imports, so the page can bundle it.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The weights' shapes and their values concatenated in order. */
export function packWeights(ws: tf.Tensor[]): { shapes: number[][]; values: Float32Array } {
  const parts = ws.map((w) => w.dataSync() as Float32Array);
  const values = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    values.set(p, at);
    at += p.length;
  }
  return { shapes: ws.map((w) => w.shape), values };
}

/** `packWeights` undone: one tensor per shape, cut from `values` in order. */
export function unpackWeights(shapes: number[][], values: Float32Array): tf.Tensor[] {
  let at = 0;
  return shapes.map((s) => {
    const n = s.reduce((a, b) => a * b, 1);
    const t = tf.tensor(values.subarray(at, at + n), s, 'float32');
    at += n;
    return t;
  });
}

/** Mean crossentropy and accuracy of `probs` against `labels`, computed the same way for both libraries. */
export function score(probs: Float32Array, labels: Int32Array): { loss: number; accuracy: number } {
  let loss = 0;
  let hits = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = probs.subarray(i * 10, i * 10 + 10);
    loss -= Math.log(Math.max(row[labels[i]], 1e-7));
    let best = 0;
    for (let k = 1; k < 10; k++) if (row[k] > row[best]) best = k;
    if (best === labels[i]) hits++;
  }
  return { loss: loss / labels.length, accuracy: hits / labels.length };
}
