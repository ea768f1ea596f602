import { registry } from '@strata/core';
import { expectNoLeakedTensors } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, test, vi } from 'vitest';

import { regressionData, smallModel } from '../test/fixtures.js';
import { FakeStream, renderTerminal } from '../test/terminal.js';
import { ProgbarLogger, type ProgressUpdate } from './progbar-logger.js';
import { formatValue } from './python-format.js';

afterEach(() => vi.restoreAllMocks());

const BAR = '━'.repeat(20);
const fmt = (v: number) => formatValue(v, '.4f');

/** A clock that stands still: every time shown is 0s and 0s/step, so lines can be compared whole. */
const still = () => 0;

describe('ProgbarLogger', () => {
  test("is registered as 'ProgbarLogger', so fit uses it by default", async () => {
    expect(registry.get('callback', 'ProgbarLogger')).toBe(ProgbarLogger);
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const model = smallModel();
    const { x, y } = regressionData(8);
    await model.fit(x, y, { epochs: 2, batchSize: 4 });
    vi.restoreAllMocks();
    const text = lines.join('');
    expect(text).toMatch(
      /^Epoch 1\/2\n2\/2 ━{20} \d+s \d+(s|ms|us)\/step - loss: \d+\.\d{4}\nEpoch 2\/2\n2\/2 ━{20} /,
    );
    tf.dispose([x, y]);
    model.dispose();
  });

  test('piped output: one plain line per epoch after its "Epoch i/n" line, no \\r, no escape codes', async () => {
    const stream = new FakeStream(false);
    const model = smallModel();
    const { x, y } = regressionData(16);
    const history = await model.fit(x, y, {
      epochs: 3,
      batchSize: 4,
      validationData: [x, y],
      callbacks: [new ProgbarLogger({ stream, clock: still })],
    });
    const h = history.history;
    const expected = [0, 1, 2].flatMap((e) => [
      `Epoch ${e + 1}/3`,
      `4/4 ${BAR} 0s 0s/step - loss: ${fmt(h.loss[e])} - val_loss: ${fmt(h.val_loss[e])}`,
    ]);
    expect(stream.text).toBe(`${expected.join('\n')}\n`);
    for (const control of ['\r', '\u001b', '\b']) expect(stream.text).not.toContain(control);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('verbose 2: one summary line per epoch', async () => {
    const stream = new FakeStream(true);
    const model = smallModel();
    const { x, y } = regressionData(8);
    const history = await model.fit(x, y, {
      epochs: 2,
      batchSize: 8,
      verbose: 2,
      callbacks: [new ProgbarLogger({ stream, clock: still })],
    });
    const l = history.history.loss;
    expect(stream.text).toBe(
      `Epoch 1/2\n1/1 - 0s - 0s/step - loss: ${fmt(l[0])}\nEpoch 2/2\n1/1 - 0s - 0s/step - loss: ${fmt(l[1])}\n`,
    );
    tf.dispose([x, y]);
    model.dispose();
  });

  test('a terminal: the bar is redrawn in place, fed by async reads at most every 100 ms', async () => {
    const stream = new FakeStream(true, 200);
    // Each clock reading moves 60 ms, so a read is due about every other step.
    let t = 0;
    const clock = () => (t += 60);
    const model = smallModel({ metrics: ['mae'] });
    const { x, y } = regressionData(64);
    const reads = vi.spyOn(model, 'readLogs');
    const history = await model.fit(x, y, {
      epochs: 2,
      batchSize: 4,
      callbacks: [new ProgbarLogger({ stream, clock })],
    });
    // 32 steps in all; fit itself reads once per epoch. The bar reads some steps, never every step.
    const barReads = reads.mock.calls.length - 2;
    expect(barReads).toBeGreaterThan(2);
    expect(barReads).toBeLessThan(32);
    expect(stream.text).toContain('\r');
    expect(stream.text).toContain('\x1b[32m');
    const screen = renderTerminal(stream.text);
    expect(screen).toHaveLength(4);
    expect(screen[0]).toBe('Epoch 1/2');
    const h = history.history;
    expect(screen[1]).toMatch(
      new RegExp(`^16/16 ${BAR} \\d+s \\d+ms/step - loss: ${fmt(h.loss[0])} - mae: ${fmt(h.mae[0])}$`),
    );
    expect(screen[3]).toMatch(
      new RegExp(`^16/16 ${BAR} \\d+s \\d+ms/step - loss: ${fmt(h.loss[1])} - mae: ${fmt(h.mae[1])}$`),
    );
    tf.dispose([x, y]);
    model.dispose();
  });

  test('never reads batch logs (that would wait for the device on every step)', () => {
    const stream = new FakeStream(true, 80);
    const logger = new ProgbarLogger({ stream, clock: still });
    logger.setParams({ verbose: 1, epochs: 1, steps: 3 });
    logger.onEpochBegin(0);
    const trap = Object.defineProperty({}, 'loss', {
      enumerable: true,
      get: () => {
        throw new Error('batch logs were read');
      },
    });
    for (let b = 0; b < 3; b++) logger.onTrainBatchEnd(b, trap);
  });

  test('evaluate shows its own bar; validation inside fit is silent', async () => {
    const stream = new FakeStream(false);
    const model = smallModel();
    const { x, y } = regressionData(8);
    const loss = (await model.evaluate(x, y, {
      batchSize: 4,
      callbacks: [new ProgbarLogger({ stream, clock: still })],
    })) as number;
    expect(stream.text).toBe(`2/2 ${BAR} 0s 0s/step - loss: ${fmt(loss)}\n`);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('printFn receives whole lines; onProgress receives snapshots', async () => {
    const lines: string[] = [];
    const updates: ProgressUpdate[] = [];
    let t = 0;
    const model = smallModel();
    const { x, y } = regressionData(32);
    const history = await model.fit(x, y, {
      epochs: 2,
      batchSize: 4,
      callbacks: [
        new ProgbarLogger({
          printFn: (l) => lines.push(l),
          onProgress: (u) => updates.push(u),
          clock: () => (t += 150),
        }),
      ],
    });
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('Epoch 1/2');
    expect(lines.every((l) => !['\r', '\n', '\u001b'].some((c) => l.includes(c)))).toBe(true);
    const done = updates.filter((u) => u.done);
    expect(done.map((u) => [u.epoch, u.step, u.steps, u.logs.loss])).toEqual([
      [0, 8, 8, history.history.loss[0]],
      [1, 8, 8, history.history.loss[1]],
    ]);
    const live = updates.filter((u) => !u.done);
    expect(live.length).toBeGreaterThan(0);
    expect(live.every((u) => u.phase === 'train' && u.step >= 1 && u.step <= 8)).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('keeps no tensors, in a terminal with reads in flight', async () => {
    const model = smallModel();
    const { x, y } = regressionData(32);
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    let t = 0;
    await expectNoLeakedTensors(async () => {
      await model.fit(x, y, {
        epochs: 2,
        batchSize: 4,
        callbacks: [new ProgbarLogger({ stream: new FakeStream(true, 100), clock: () => (t += 200) })],
      });
    });
    tf.dispose([x, y]);
    model.dispose();
  });
});
