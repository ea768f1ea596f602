/**
 * The text of Keras's progress bar (`keras.utils.Progbar`), laid out as Keras 3 lays it out:
 *
 *     469/469 ━━━━━━━━━━━━━━━━━━━━ 3s 6ms/step - accuracy: 0.9712 - loss: 0.0954
 *
 * In a terminal (`dynamic`) the line is redrawn in place with a carriage return, shows the ETA while
 * the epoch runs, and is colored as Keras colors it. Otherwise nothing is written until the bar is
 * finished, and then one plain line: no carriage returns, no escape codes.
 */
import { formatValue } from './python-format.js';

/**
 * Options of `Progbar`: target, width, verbosity, update interval, the stream it writes to and which metrics
 * are stateful.
 */
export interface ProgbarOptions {
  /** Total steps, or null when unknown. */
  target: number | null;
  /** Bar width in characters. Default 20. */
  width?: number;
  /** 1: the bar; 2: one summary line when finished; 0: silent. Default 1. */
  verbose?: number;
  /** Minimum seconds between two redraws. Default 0.05. */
  interval?: number;
  /** The unit of the per-step time. Default 'step'. */
  unitName?: string;
  /** Receives the rendered text, line breaks and (when dynamic) carriage returns included. */
  write: (text: string) => void;
  /** Redraw one line in place (a terminal). Default false. */
  dynamic?: boolean;
  /** Color the bar with ANSI codes (only when dynamic). Default true. */
  colors?: boolean;
  /** Terminal width: in-progress lines are cut to fit so the carriage return can redraw them. */
  columns?: number | null;
  /** The clock, in seconds. Default `performance.now() / 1000`. */
  now?: () => number;
}

interface Segment {
  text: string;
  style?: string;
}

const RESET = '\x1b[0m';
const BOLD = '\x1b[1m';
const GREEN = '\x1b[32m';
const WHITE = '\x1b[37m';

/**
 * A text progress bar: the bar `ProgbarLogger` draws during `fit`.
 *
 * Keras: `keras.utils.Progbar`
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const bar = new Progbar({ target: 100, write: (text) => lines.push(text) });
 * for (let step = 1; step <= 100; step++) bar.update(step, [['loss', 1 / step]]);
 * ```
 */
export class Progbar {
  target: number | null;
  readonly width: number;
  readonly verbose: number;
  readonly interval: number;
  readonly unitName: string;
  private readonly write: (text: string) => void;
  private readonly dynamic: boolean;
  private readonly colors: boolean;
  private readonly columns: number | null;
  private readonly now: () => number;

  private readonly values = new Map<string, number>();
  private readonly start: number;
  private lastUpdate = 0;
  private timeAfterFirstStep: number | null = null;
  private prevWidth = 0;
  seen = 0;

  constructor(options: ProgbarOptions) {
    this.target = options.target;
    this.width = options.width ?? 20;
    this.verbose = options.verbose ?? 1;
    this.interval = options.interval ?? 0.05;
    this.unitName = options.unitName ?? 'step';
    this.write = options.write;
    this.dynamic = options.dynamic ?? false;
    this.colors = this.dynamic && (options.colors ?? true);
    this.columns = options.columns ?? null;
    this.now = options.now ?? (() => performance.now() / 1000);
    this.start = this.now();
  }

  /**
   * Records that step `current` is done, for the time-per-step estimate, without drawing. Keras times
   * from the end of the first step, which is not representative.
   */
  markStep(current: number): void {
    if (current === 1 && this.timeAfterFirstStep === null) this.timeAfterFirstStep = this.now();
    this.seen = current;
  }

  /**
   * Moves the bar to step `current` and records the latest value of each metric (the values are the
   * model's running means, shown as they are). `finalize` defaults to reaching the target.
   */
  update(current: number, values: Iterable<[string, number]> = [], finalize?: boolean): void {
    const done = finalize ?? (this.target !== null && current >= this.target);
    for (const [k, v] of values) this.values.set(k, v);
    this.seen = current;
    const now = this.now();
    const timePerUnit = this.estimateStepDuration(current, now);

    if (this.verbose === 1) {
      if (now - this.lastUpdate < this.interval && !done) return;
      this.lastUpdate = now;
      if (!this.dynamic && !done) return;
      const segments = this.barSegments(current, now, timePerUnit, done);
      if (!this.dynamic) {
        this.write(`${plain(segments)}\n`);
        return;
      }
      const shown = !done && this.columns ? cut(segments, this.columns - 1) : segments;
      const visible = plain(shown).length;
      let message = `\r${this.colors ? colored(shown) : plain(shown)}`;
      if (this.prevWidth > visible) message += ' '.repeat(this.prevWidth - visible);
      if (done) message += '\n';
      this.prevWidth = visible;
      this.write(message);
    } else if (this.verbose === 2) {
      this.lastUpdate = now;
      if (!done || this.target === null || this.target <= 0) return;
      let info = `${this.count(current)} - ${formatValue(now - this.start, '.0f')}s -${formatTime(timePerUnit, this.unitName)}`;
      for (const [k, avg] of this.values) {
        // Keras compares the signed value here (not its magnitude, as the bar does).
        info += ` - ${k}: ${formatValue(avg, avg > 1e-3 ? '.4f' : '.4e')}`;
      }
      this.write(`${info}\n`);
    }
  }

  private count(current: number): string {
    const target = this.target!;
    const digits = Math.floor(Math.log10(target)) + 1;
    return `${String(current).padStart(digits)}/${target}`;
  }

  private barSegments(current: number, now: number, timePerUnit: number, done: boolean): Segment[] {
    const segments: Segment[] = [];
    const target = this.target;
    if (target !== null && target > 0) {
      const filled = Math.floor((this.width * current) / target);
      segments.push({ text: this.count(current), style: BOLD }, { text: ' ' });
      if (filled > 0) segments.push({ text: '━'.repeat(filled), style: GREEN });
      segments.push({ text: '━'.repeat(Math.max(0, this.width - filled)), style: WHITE });
    } else {
      segments.push({ text: `${String(current).padStart(7)}/Unknown` });
    }
    segments.push({ text: ' ' });
    if (target !== null && target > 0 && !done) {
      segments.push({ text: formatEta(timePerUnit * (target - current)), style: BOLD });
    } else {
      segments.push({ text: `${formatValue(now - this.start, '.0f')}s`, style: BOLD });
    }
    let info = formatTime(timePerUnit, this.unitName);
    for (const [k, avg] of this.values) {
      info += ` - ${k}: ${formatValue(avg, Math.abs(avg) > 1e-3 ? '.4f' : '.4e')}`;
    }
    segments.push({ text: info });
    return segments;
  }

  /** Keras's estimate: time since the end of the first step over the steps after it. */
  private estimateStepDuration(current: number, now: number): number {
    if (!current) return 0;
    const perUnit =
      this.timeAfterFirstStep !== null && current > 1
        ? (now - this.timeAfterFirstStep) / (current - 1)
        : (now - this.start) / current;
    if (current === 1 && this.timeAfterFirstStep === null) this.timeAfterFirstStep = now;
    return perUnit;
  }
}

/** Keras's ETA: `1:02:03` past an hour, `2:03` past a minute, else whole seconds. */
export function formatEta(eta: number): string {
  const two = (n: number) => String(Math.trunc(n)).padStart(2, '0');
  if (eta > 3600) return `${Math.trunc(eta / 3600)}:${two((eta % 3600) / 60)}:${two(eta % 60)}`;
  if (eta > 60) return `${Math.trunc(eta / 60)}:${two(eta % 60)}`;
  return `${Math.trunc(eta)}s`;
}

/** Keras's time per step: ` 3s/step`, ` 6ms/step` or ` 250us/step` (with the leading space). */
export function formatTime(timePerUnit: number, unitName: string): string {
  if (timePerUnit >= 1 || timePerUnit === 0) return ` ${formatValue(timePerUnit, '.0f')}s/${unitName}`;
  if (timePerUnit >= 1e-3) return ` ${formatValue(timePerUnit * 1000, '.0f')}ms/${unitName}`;
  return ` ${formatValue(timePerUnit * 1e6, '.0f')}us/${unitName}`;
}

function plain(segments: Segment[]): string {
  return segments.map((s) => s.text).join('');
}

function colored(segments: Segment[]): string {
  return segments.map((s) => (s.style ? `${s.style}${s.text}${RESET}` : s.text)).join('');
}

/** The segments cut to `max` visible characters. */
function cut(segments: Segment[], max: number): Segment[] {
  const out: Segment[] = [];
  let room = max;
  for (const s of segments) {
    if (room <= 0) break;
    const chars = [...s.text];
    out.push({ ...s, text: chars.slice(0, room).join('') });
    room -= chars.length;
  }
  return out;
}
