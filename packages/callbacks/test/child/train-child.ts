/**
 * A training process for the child-process tests, bundled by child-bundle.ts and run with plain node.
 * Usage: node child.mjs <mode> <workdir>. It talks to the parent over stdout lines and stdin.
 *   checkpoint  fits with ModelCheckpoint; after the first save it prints SAVED and waits for GO, then
 *               the next checkpoint write stops halfway (it prints MIDSAVE and hangs) for the parent to kill.
 *   backup      fits with BackupAndRestore; after epoch 2 of 5 it prints EPOCH2 and hangs.
 *   resume      the same call as backup, run to the end; prints RESULT <json>.
 *   progbar     fits with the default display (verbose 1), for a pseudo-terminal.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@strata/losses-metrics';
import '../../src/index.js';

import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { Sequential } from '@strata/core';
import { Dense, initializers } from '@strata/layers';
import { Adam } from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';

import { BackupAndRestore, LambdaCallback, ModelCheckpoint } from '../../src/index.js';

const [mode, workdir] = process.argv.slice(2);
const say = (line: string) => process.stdout.write(`${line}\n`);
const forever = () => new Promise<never>(() => {});

function model(): Sequential {
  const m = new Sequential([
    new Dense({
      units: 4,
      activation: 'tanh',
      inputShape: [3],
      kernelInitializer: new initializers.GlorotUniform({ seed: 1 }),
    }),
    new Dense({ units: 1, kernelInitializer: new initializers.GlorotUniform({ seed: 2 }) }),
  ]);
  m.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: 'mse' });
  return m;
}

function data(n: number) {
  const x = tf.randomUniform([n, 3], -1, 1, 'float32', 7) as tf.Tensor2D;
  const y = tf.matMul(x, tf.tensor2d([[1], [-2], [0.5]])) as tf.Tensor2D;
  return { x, y };
}

async function waitForLine(expected: string): Promise<void> {
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (line.trim() === expected) {
      rl.close();
      return;
    }
  }
}

/** Makes the next file write stop halfway: half the bytes reach the file, then the write never ends. */
async function armHalfWrite(): Promise<void> {
  const probe = await open(process.execPath, 'r');
  const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
  await probe.close();
  const original = proto.write;
  proto.write = async function (
    this: unknown,
    buffer: Uint8Array,
    offset = 0,
    length = buffer.length - offset,
  ) {
    const half = Math.max(1, Math.floor(length / 2));
    await original.call(this, buffer, offset, half);
    say(`MIDSAVE ${half} ${length}`);
    return forever();
  } as never;
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  if (mode === 'checkpoint') {
    const m = model();
    const { x, y } = data(16);
    let armed = false;
    await m.fit(x, y, {
      epochs: 3,
      batchSize: 4,
      verbose: 0,
      callbacks: [
        new ModelCheckpoint({ filepath: join(workdir, 'ckpt.keras') }),
        new LambdaCallback({
          onEpochEnd: async () => {
            if (armed) return;
            say('SAVED');
            await waitForLine('GO');
            await armHalfWrite();
            armed = true;
          },
        }),
      ],
    });
    say('UNEXPECTED END');
    return;
  }
  if (mode === 'backup' || mode === 'resume') {
    const m = model();
    const { x, y } = data(16);
    const history = await m.fit(x, y, {
      epochs: 5,
      batchSize: 4,
      shuffle: false,
      verbose: 0,
      callbacks: [
        new BackupAndRestore({ backupDir: join(workdir, 'backup') }),
        new LambdaCallback({
          onEpochEnd: async (epoch) => {
            if (mode === 'backup' && epoch === 1) {
              say('EPOCH2');
              await forever();
            }
          },
        }),
      ],
    });
    const weights = m.getWeights().map((w) => Array.from(w.dataSync()));
    say(`RESULT ${JSON.stringify({ epochs: history.epoch, weights })}`);
    return;
  }
  if (mode === 'progbar') {
    const m = model();
    const { x, y } = data(64);
    await m.fit(x, y, { epochs: 2, batchSize: 4 });
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(1);
  },
);
