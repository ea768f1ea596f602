/**
 * The examples of docs/coming-from-tfjs.md, run; migration-guides.test.ts checks that the page shows each
 * `// docs:NAME` region verbatim. The model.json loaded here is written by TF.js Layers itself, in the
 * layout of its `file://` save handler (model.json beside weights.bin).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EarlyStopping, LambdaCallback } from '@strata/callbacks';
import { Sequential } from '@strata/core';
import { Dense } from '@strata/layers';
import '@strata/losses-metrics';
import '@strata/optimizers';
import { loadModel } from '@strata/io';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

describe('coming from TensorFlow.js', () => {
  let dir = '';
  let cwd = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-guide-'));
    cwd = process.cwd();
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('tf.sequential and fit with callbacks', async () => {
    const x = tf.randomNormal([40, 100]);
    const y = tf.tidy(() => tf.oneHot(tf.randomUniform([40], 0, 10, 'int32'), 10).toFloat());
    // docs:tfjs-sequential:start
    const model = new Sequential({
      layers: [
        new Dense({ units: 64, activation: 'relu', inputShape: [100] }),
        new Dense({ units: 10, activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const losses: number[] = [];
    const history = await model.fit(x, y, {
      epochs: 5,
      batchSize: 32,
      validationSplit: 0.2,
      verbose: 0,
      callbacks: [
        new EarlyStopping({ monitor: 'val_loss', patience: 3 }),
        new LambdaCallback({ onEpochEnd: (epoch, logs) => void (losses[epoch] = logs!.loss!) }),
      ],
    });
    history.history.accuracy; // Keras's log keys: 'accuracy', not TF.js's 'acc'
    // docs:tfjs-sequential:end
    expect(losses).toEqual(history.history.loss);
    expect(history.history.accuracy!.length).toBe(losses.length);
    expect(history.history.acc).toBeUndefined();
    tf.dispose([x, y]);
    model.dispose();
  });

  it('loads a model.json that TF.js Layers saved, with the same predictions', async () => {
    const tfjsModel = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }),
        tfl.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    await tfjsModel.save(
      tf.io.withSaveHandler(async (artifacts) => {
        mkdirSync(join(dir, 'my-model'));
        const modelJSON = {
          modelTopology: artifacts.modelTopology,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        };
        writeFileSync(join(dir, 'my-model', 'model.json'), JSON.stringify(modelJSON));
        writeFileSync(
          join(dir, 'my-model', 'weights.bin'),
          new Uint8Array(artifacts.weightData as ArrayBuffer),
        );
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const xNew = tf.randomNormal([5, 4]);
    const before = tf.memory().numTensors;
    // docs:tfjs-load:start
    const model = await loadModel('my-model/model.json'); // reads weights.bin beside it
    const probs = model.predict(xNew, { verbose: 0 });
    // docs:tfjs-load:end
    const fromUrl = await loadModel(`file://${join(dir, 'my-model', 'model.json')}`);
    const expected = tfjsModel.predict(xNew) as tf.Tensor;
    const got = probs as tf.Tensor;
    const again = fromUrl.predict(xNew, { verbose: 0 }) as tf.Tensor;
    expect(got.shape).toEqual([5, 3]);
    const want = expected.arraySync() as number[][];
    for (const t of [got, again]) {
      const rows = t.arraySync() as number[][];
      for (let i = 0; i < 5; i++)
        for (let j = 0; j < 3; j++) expect(rows[i]![j]).toBeCloseTo(want[i]![j]!, 5);
    }
    tf.dispose([got, again, expected]);
    model.dispose();
    fromUrl.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tfjsModel.dispose();
    xNew.dispose();
  });
});
