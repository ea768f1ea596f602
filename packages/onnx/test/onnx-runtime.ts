// Runs an exported model in onnxruntime-node and compares it with Strata's predict.
import type { Model } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';

import { toOnnx } from '../src/index.js';

/**
 * Exports `model`, runs it in ONNX Runtime on `xs`, and expects every output within `tol` of predict's
 * (absolute, relative for values above 1); returns the largest such difference.
 */
export async function expectOnnxMatchesPredict(model: Model, xs: tf.Tensor[], tol = 1e-5): Promise<number> {
  // Export reads the weights (and lookup tables) and keeps no tensor.
  const before = tf.memory().numTensors;
  const bytes = toOnnx(model);
  expect(tf.memory().numTensors).toBe(before);
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  expect(session.inputNames).toEqual(model.inputNames);
  const feeds: Record<string, ort.Tensor> = {};
  xs.forEach((x, i) => {
    const name = session.inputNames[i];
    if (x.dtype === 'string') {
      feeds[name] = new ort.Tensor(
        'string',
        [x.arraySync()].flat(x.rank + 1) as unknown as string[],
        x.shape,
      );
      return;
    }
    // Copies: a tensor's data may be a typed array of another realm, which onnxruntime-common refuses.
    if (x.dtype === 'bool') {
      feeds[name] = new ort.Tensor('bool', Uint8Array.from(x.dataSync()), x.shape);
      return;
    }
    const data = x.dtype === 'int32' ? Int32Array.from(x.dataSync()) : Float32Array.from(x.dataSync());
    feeds[name] = new ort.Tensor(x.dtype === 'int32' ? 'int32' : 'float32', data, x.shape);
  });
  const results = await session.run(feeds);
  const predicted = model.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor | tf.Tensor[];
  const wants = Array.isArray(predicted) ? predicted : [predicted];
  let worst = 0;
  try {
    expect(session.outputNames.length).toBe(wants.length);
    session.outputNames.forEach((name, i) => {
      const got = results[name];
      expect(got.dims).toEqual(wants[i].shape);
      if (wants[i].dtype === 'string') {
        expect(got.data).toEqual([wants[i].arraySync()].flat(wants[i].rank + 1));
        return;
      }
      expect(got.type).toBe(wants[i].dtype);
      const want = wants[i].dataSync();
      const data = got.data as Float32Array;
      for (let j = 0; j < want.length; j++) {
        // 1e-5 absolute, relative above 1: float32 itself resolves only ~1e-7 of a value's magnitude, and
        // exp or a long sum turns a last-bit difference in its input into several last bits of output.
        // NaN where predict has NaN (a mean over no kept steps) is the same output.
        if (Number.isNaN(want[j]) && Number.isNaN(data[j])) continue;
        const diff = Math.abs(data[j] - want[j]) / Math.max(1, Math.abs(want[j]));
        if (!(diff <= tol))
          throw new Error(`output ${name}[${j}]: onnxruntime ${data[j]} vs predict ${want[j]}`);
        worst = Math.max(worst, diff);
      }
    });
  } finally {
    tf.dispose(wants);
    await session.release();
  }
  return worst;
}
