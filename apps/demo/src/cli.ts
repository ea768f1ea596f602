/**
 * The terminal half of Strata's MNIST demo (`pnpm demo`): Keras's "Simple MNIST convnet" example, run on
 * Strata. Prints the model summary, trains with the progress bar and early stopping, evaluates on the
 * test set, then saves to a .keras file, loads it back and predicts a few test digits.
 */
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

import type { Model } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
// Side-effect imports register 'adam', 'sparse_categorical_crossentropy', 'accuracy' and ProgbarLogger.
import '@strata/optimizers';
import '@strata/losses-metrics';
import { getBackend, setBackend } from '@strata/backends';
import { EarlyStopping } from '@strata/callbacks';
import { mnist } from '@strata/datasets';
import { loadModel } from '@strata/io';

import {
  CliError,
  type CliOptions,
  checkSaveFolder,
  parseCliArgs,
  resolveSavePath,
  USAGE,
} from './cli-args.js';
import { buildModel, IMAGE_SHAPE, prepareImages } from './mnist-models.js';

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** Draws 28x28 digits side by side, two pixels per character cell row to keep them square-ish. */
function drawDigits(
  images: Float32Array | Int32Array | Uint8Array,
  count: number,
  captions: string[],
): string {
  const shades = ' .:-=+*#%@';
  const lines: string[] = [];
  for (let row = 0; row < 28; row += 2) {
    const parts: string[] = [];
    for (let d = 0; d < count; d++) {
      let s = '';
      for (let col = 0; col < 28; col++) {
        const v = Math.max(images[d * 784 + row * 28 + col], images[d * 784 + (row + 1) * 28 + col]);
        s += shades[Math.min(shades.length - 1, Math.floor(v * shades.length))];
      }
      parts.push(s);
    }
    lines.push(parts.join('  '));
  }
  lines.push(captions.map((c) => c.padEnd(28)).join('  '));
  return lines.join('\n');
}

async function run(opts: CliOptions): Promise<void> {
  const started = performance.now();
  // Checked before the minutes of training, not after.
  const savePath = resolveSavePath(opts.save);
  checkSaveFolder(savePath, opts.save);
  const backend = await setBackend(opts.backend);
  console.log(`Backend: ${backend}${opts.backend === 'auto' ? ' (auto)' : ''}`);

  let t = performance.now();
  const [[xTrainAll, yTrainAll], [xTestRaw, yTest]] = await mnist.loadData();
  const n = opts.samples ?? xTrainAll.shape[0];
  const xTrain = prepareImages(xTrainAll, IMAGE_SHAPE[opts.model], n);
  const yTrain = tf.slice(yTrainAll, 0, n);
  const xTest = prepareImages(xTestRaw, IMAGE_SHAPE[opts.model]);
  tf.dispose([xTrainAll, yTrainAll, xTestRaw]);
  console.log(
    `MNIST: ${n} training digits (10% held out for validation), ${yTest.shape[0]} test digits; loaded in ${seconds(t)}`,
  );
  console.log(`x_train shape: [${xTrain.shape.join(', ')}]\n`);

  const model = buildModel(opts.model);
  model.summary();
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });

  t = performance.now();
  const history = await model.fit(xTrain, yTrain, {
    batchSize: opts.batchSize,
    epochs: opts.epochs,
    validationSplit: 0.1,
    callbacks: [new EarlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true })],
  });
  const epochsRun = history.history.loss.length;
  console.log(`\nTrained ${epochsRun} epoch${epochsRun === 1 ? '' : 's'} in ${seconds(t)}`);

  const [testLoss, testAccuracy] = (await model.evaluate(xTest, yTest, { verbose: 0 })) as number[];
  console.log(`Test loss: ${testLoss.toFixed(4)}`);
  console.log(`Test accuracy: ${testAccuracy.toFixed(4)}`);

  await model.save(savePath);
  const reloaded = (await loadModel(savePath)) as Model;
  console.log(`\nSaved ${savePath} (${statSync(savePath).size} bytes) and loaded it back.`);

  const k = Math.min(opts.predict, yTest.shape[0]);
  const [sample, predicted, predictedBefore, truth]: tf.Tensor[] = tf.tidy(() => {
    const x = tf.slice(xTest, 0, k);
    return [
      x,
      tf.argMax(reloaded.predict(x) as tf.Tensor, -1),
      tf.argMax(model.predict(x) as tf.Tensor, -1),
      tf.slice(yTest, 0, k),
    ];
  });
  const [pixels, p, q, y] = await Promise.all([
    sample.data<'float32'>(),
    predicted.data<'int32'>(),
    predictedBefore.data<'int32'>(),
    truth.data<'int32'>(),
  ]);
  tf.dispose([sample, predicted, predictedBefore, truth]);

  const shown = Math.min(k, 4);
  console.log(`\nThe first ${shown} test digits, as the reloaded model reads them:\n`);
  console.log(
    drawDigits(
      pixels,
      shown,
      Array.from({ length: shown }, (_, i) => `predicted ${p[i]}, true ${y[i]}`),
    ),
  );
  const cell = (v: number | string) => String(v).padStart(3);
  console.log(`\n${'digit'.padEnd(10)}${Array.from({ length: k }, (_, i) => cell(i)).join('')}`);
  console.log(`${'predicted'.padEnd(10)}${Array.from(p, cell).join('')}`);
  console.log(`${'true'.padEnd(10)}${Array.from(y, cell).join('')}`);
  let correct = 0;
  for (let i = 0; i < k; i++) if (p[i] === y[i]) correct++;
  const same = p.every((v: number, i: number) => v === q[i]);
  console.log(
    `${correct}/${k} correct; the reloaded model's predictions ${same ? 'equal' : 'DIFFER FROM'} the trained model's.`,
  );

  tf.dispose([xTrain, yTrain, xTest, yTest]);
  model.dispose();
  reloaded.dispose();
  console.log(`\nDone in ${seconds(started)} on ${getBackend()}.`);
}

try {
  const opts = parseCliArgs(process.argv.slice(2));
  if (opts.help) console.log(USAGE);
  else await run(opts);
} catch (e) {
  if (e instanceof CliError) {
    console.error(`Error: ${e.message}`);
    process.exitCode = 2;
  } else {
    console.error(e);
    process.exitCode = 1;
  }
}
