import { describe, expect, test } from 'vitest';

import { FakeStream, renderTerminal } from '../test/terminal.js';
import { formatEta, formatTime, Progbar } from './progbar.js';

/** A clock the test moves by hand (seconds). */
function manualClock() {
  const clock = { t: 0, now: () => clock.t };
  return clock;
}

function bar(options: { target: number | null; dynamic: boolean; verbose?: number; columns?: number }) {
  const clock = manualClock();
  const stream = new FakeStream(options.dynamic, options.columns);
  const progbar = new Progbar({ ...options, write: (s) => stream.write(s), now: clock.now });
  return { clock, stream, progbar };
}

describe('Progbar layout (Keras 3)', () => {
  test("the finished line reads exactly as Keras's", () => {
    const { clock, stream, progbar } = bar({ target: 469, dynamic: true });
    clock.t = 0.01;
    progbar.markStep(1);
    clock.t = 3.0;
    progbar.update(469, [
      ['accuracy', 0.9712],
      ['loss', 0.0954],
    ]);
    // 3.0 s elapsed; (3.0 - 0.01) / 468 steps = 6.39 ms per step after the first.
    expect(renderTerminal(stream.text)).toEqual([
      '469/469 ━━━━━━━━━━━━━━━━━━━━ 3s 6ms/step - accuracy: 0.9712 - loss: 0.0954',
    ]);
    expect(stream.text.endsWith('\n')).toBe(true);
  });

  test('while running: the ETA, a partly green bar, colors, redrawn in place with a carriage return', () => {
    const { clock, stream, progbar } = bar({ target: 469, dynamic: true });
    clock.t = 0.01;
    progbar.markStep(1);
    clock.t = 1.0;
    progbar.update(100, [['loss', 0.5]]);
    // 0.99 s over 99 steps = 10 ms/step; 369 steps left = 3.69 s -> "3s". floor(20 * 100 / 469) = 4 green.
    expect(stream.text).toBe(
      '\r\x1b[1m100/469\x1b[0m \x1b[32m━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m3s\x1b[0m 10ms/step - loss: 0.5000',
    );
    clock.t = 2.0;
    progbar.update(250, [['loss', 0.25]]);
    clock.t = 4.0;
    progbar.update(469, [['loss', 0.125]]);
    expect(renderTerminal(stream.text)).toEqual(['469/469 ━━━━━━━━━━━━━━━━━━━━ 4s 9ms/step - loss: 0.1250']);
  });

  test('a shorter line is padded so no characters of the longer one remain', () => {
    const { clock, stream, progbar } = bar({ target: 10, dynamic: true });
    clock.t = 1;
    progbar.update(1, [['loss', 123.25]]);
    clock.t = 2;
    progbar.update(2, [['loss', 1.5]]);
    expect(renderTerminal(stream.text)).toEqual([' 2/10 ━━━━━━━━━━━━━━━━━━━━ 8s 1s/step - loss: 1.5000']);
  });

  test('updates closer together than the interval are not drawn', () => {
    const { clock, stream, progbar } = bar({ target: 10, dynamic: true });
    clock.t = 1;
    progbar.update(1);
    const drawn = stream.text;
    clock.t = 1.01;
    progbar.update(2);
    expect(stream.text).toBe(drawn);
  });

  test('in-progress lines are cut to the terminal width; the finished line is not', () => {
    const { clock, stream, progbar } = bar({ target: 10, dynamic: true, columns: 30 });
    clock.t = 1;
    progbar.update(5, [['loss', 0.5]]);
    expect(renderTerminal(stream.text)[0]).toHaveLength(29);
    clock.t = 2;
    progbar.update(10, [['loss', 0.5]]);
    expect(renderTerminal(stream.text)).toEqual([
      // No first-step time was recorded, so the estimate is elapsed / steps = 2 / 10.
      '10/10 ━━━━━━━━━━━━━━━━━━━━ 2s 200ms/step - loss: 0.5000',
    ]);
  });

  test('not a terminal: nothing until the end, then one plain line', () => {
    const { clock, stream, progbar } = bar({ target: 4, dynamic: false });
    for (let step = 1; step <= 3; step++) {
      clock.t = step;
      progbar.update(step, [['loss', 1]]);
    }
    expect(stream.text).toBe('');
    clock.t = 4;
    progbar.update(4, [
      ['loss', 0.0005],
      ['val_loss', -2],
    ]);
    expect(stream.text).toBe('4/4 ━━━━━━━━━━━━━━━━━━━━ 4s 1s/step - loss: 5.0000e-04 - val_loss: -2.0000\n');
  });

  test('verbose 2 writes one summary line', () => {
    const { clock, stream, progbar } = bar({ target: 469, dynamic: false, verbose: 2 });
    clock.t = 0.01;
    progbar.markStep(1);
    clock.t = 3.0;
    progbar.update(469, [
      ['accuracy', 0.9712],
      ['loss', 0.0954],
    ]);
    expect(stream.text).toBe('469/469 - 3s - 6ms/step - accuracy: 0.9712 - loss: 0.0954\n');
  });

  test('an unknown target counts steps', () => {
    const { clock, stream, progbar } = bar({ target: null, dynamic: true });
    clock.t = 1.2;
    progbar.update(12, [], false);
    expect(renderTerminal(stream.text)).toEqual(['     12/Unknown 1s 100ms/step']);
  });

  test('ETA and time-per-step formats', () => {
    expect(formatEta(3725)).toBe('1:02:05');
    expect(formatEta(125.9)).toBe('2:05');
    expect(formatEta(59.9)).toBe('59s');
    expect(formatTime(2.4, 'step')).toBe(' 2s/step');
    expect(formatTime(0, 'step')).toBe(' 0s/step');
    expect(formatTime(0.0064, 'step')).toBe(' 6ms/step');
    expect(formatTime(0.00025, 'sample')).toBe(' 250us/sample');
  });
});
