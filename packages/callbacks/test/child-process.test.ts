/**
 * Real processes, really killed: a checkpoint write interrupted by SIGKILL, a training run killed after
 * epoch 2 and started again, and the progress bar in a pseudo-terminal.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Model } from '@strata/core';
import { loadModel } from '@strata/io';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';

import { removeStaleTemporaries } from '../src/atomic-write.js';
import { bundleChild } from './child-bundle.js';
import { regressionData, smallModel, tempDir, weightValues } from './fixtures.js';
import { renderTerminal } from './terminal.js';

const here = dirname(fileURLToPath(import.meta.url));
let child = '';

beforeAll(async () => {
  child = await bundleChild(join(here, 'child', 'train-child.ts'), tempDir('strata-child-'));
});

/** Starts the child and hands out its stdout lines as they come. */
function start(mode: string, workdir: string) {
  const proc = spawn(process.execPath, [child, mode, workdir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let buffer = '';
  let stderr = '';
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const line of parts) {
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  proc.stderr.on('data', (c) => {
    stderr += c;
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const next = (): Promise<string> => {
    const ready = lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      waiters.push(resolve);
      exited.then(() => reject(new Error(`child exited; stderr:\n${stderr}`)));
    });
  };
  return { proc, next, exited };
}

async function kill(proc: ChildProcess, exited: Promise<number | null>): Promise<void> {
  proc.kill('SIGKILL');
  await exited;
}

function predict(model: Model, x: tf.Tensor): number[] {
  const p = model.predict(x) as tf.Tensor;
  const out = Array.from(p.dataSync());
  p.dispose();
  return out;
}

describe('in a child process', () => {
  test('SIGKILL in the middle of a checkpoint write leaves the previous checkpoint whole and loadable', async () => {
    const dir = tempDir();
    const final = join(dir, 'ckpt.keras');
    const c = start('checkpoint', dir);
    expect(await c.next()).toBe('SAVED');
    const before = readFileSync(final);
    const { x } = regressionData(5);
    const good = (await loadModel(final)) as Model;
    const expected = predict(good, x);
    good.dispose();

    c.proc.stdin!.write('GO\n');
    const [word, written, total] = (await c.next()).split(' ');
    expect(word).toBe('MIDSAVE');
    // The process is stopped halfway through writing the next checkpoint: kill it there.
    const temps = readdirSync(dir).filter((f) => f.endsWith('.strata-tmp'));
    expect(temps).toHaveLength(1);
    expect(statSync(join(dir, temps[0])).size).toBe(Number(written));
    expect(Number(written)).toBeLessThan(Number(total));
    await kill(c.proc, c.exited);

    // The final name still holds the complete earlier checkpoint, byte for byte; it loads and predicts as before.
    expect(readFileSync(final).equals(before)).toBe(true);
    const again = (await loadModel(final)) as Model;
    expect(predict(again, x)).toEqual(expected);
    again.dispose();
    // The killed writer's partial file is cleaned up by the next run.
    await removeStaleTemporaries(dir);
    expect(readdirSync(dir)).toEqual(['ckpt.keras']);
    x.dispose();
  });

  test('a run killed after epoch 2 of 5 and started again resumes at epoch 3 and ends with the weights of an uninterrupted run', async () => {
    const dir = tempDir();
    const first = start('backup', dir);
    expect(await first.next()).toBe('EPOCH2');
    await kill(first.proc, first.exited);

    const second = start('resume', dir);
    const line = await second.next();
    expect(line.startsWith('RESULT ')).toBe(true);
    const result = JSON.parse(line.slice('RESULT '.length)) as { epochs: number[]; weights: number[][] };
    expect(await second.exited).toBe(0);
    expect(result.epochs).toEqual([2, 3, 4]);

    // The same training here, never interrupted (the child builds the same seeded model and data).
    const model = smallModel({ optimizer: 'adam', learningRate: 0.05 });
    const { x, y } = regressionData(16);
    await model.fit(x, y, { epochs: 5, batchSize: 4, shuffle: false, verbose: 0 });
    expect(result.weights).toEqual(weightValues(model));
    tf.dispose([x, y]);
    model.dispose();
  });

  test("in a pseudo-terminal the default display is Keras's bar, redrawn in place", () => {
    let script = '';
    try {
      script = execFileSync('which', ['script'], { encoding: 'utf8' }).trim();
    } catch {
      throw new Error('This test needs `script` (util-linux) to run the child in a pseudo-terminal.');
    }
    const out = execFileSync(
      script,
      ['-qfec', `${process.execPath} ${child} progbar ${tempDir()}`, '/dev/null'],
      {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '' },
      },
    );
    const text = out.replace(/\r\n/g, '\n');
    // Redrawn in place (carriage returns between updates), colored as Keras colors it.
    expect(text).toContain('\r\u001b[1m16/16\u001b[0m \u001b[32m━━━━━━━━━━━━━━━━━━━━\u001b[0m');
    // At least one in-place redraw per epoch; more appear when an epoch outlasts the 100 ms throttle.
    expect(text.split('\r').length).toBeGreaterThanOrEqual(3);
    const screen = renderTerminal(text).filter(
      (l) => !l.includes('TensorFlow.js') && !/^=+$/.test(l) && l !== '',
    );
    const bar = /^16\/16 ━{20} \d+s \d+(s|ms|us)\/step - loss: \d+\.\d{4}$/;
    expect(screen).toHaveLength(4);
    expect(screen[0]).toBe('Epoch 1/2');
    expect(screen[1]).toMatch(bar);
    expect(screen[2]).toBe('Epoch 2/2');
    expect(screen[3]).toMatch(bar);
  });
});
