import { Callback, type Logs, register, ValueError } from '@strata/core';

import { type PyValue, pyStr } from './python-format.js';

type FileHandle = import('node:fs/promises').FileHandle;

/** Constructor arguments of `CSVLogger`: Keras's arguments of the same names, in camelCase. */
export interface CSVLoggerArgs {
  /** The CSV file, e.g. 'run/log.csv'. */
  filename: string;
  /** The field separator. Default ','. */
  separator?: string;
  /** Append to an existing file (useful when training resumes) instead of replacing it. Default false. */
  append?: boolean;
}

/**
 * Streams each epoch's logs to a CSV file (Keras's `CSVLogger`). The columns are Keras's: `epoch`
 * (0-based), then the log keys of the first epoch sorted; when that epoch had no validation keys, a
 * `val_` column is added for each key anyway and filled with `NA`. Rows are written as Python's `csv`
 * module writes them (Excel dialect: `\r\n` line ends, fields quoted only when needed, floats as
 * Python's `repr`). Node only.
 *
 * Keras: `keras.callbacks.CSVLogger`
 *
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [new CSVLogger({ filename: 'training.csv' })] });
 * ```
 */
export class CSVLogger extends Callback {
  static override className = 'CSVLogger';

  readonly filename: string;
  readonly separator: string;
  readonly append: boolean;
  private keys: string[] | null = null;
  private appendHeader = true;
  private file: FileHandle | null = null;
  private headerWritten = false;

  constructor(args: CSVLoggerArgs | string) {
    super();
    const a = typeof args === 'string' ? { filename: args } : args;
    if (typeof a?.filename !== 'string' || a.filename === '') {
      throw new ValueError(`CSVLogger needs a \`filename\`. Received: filename=${String(a?.filename)}`);
    }
    this.filename = a.filename;
    this.separator = a.separator ?? ',';
    if (this.separator.length !== 1) {
      throw new ValueError(
        `\`separator\` must be a 1-character string. Received: separator=${JSON.stringify(this.separator)}`,
      );
    }
    this.append = a.append ?? false;
  }

  override async onTrainBegin(): Promise<void> {
    const fs = await import('node:fs/promises');
    this.appendHeader = true;
    if (this.append) {
      // A header is written only into an empty or new file.
      const size = await fs.stat(this.filename).then(
        (st) => st.size,
        () => 0,
      );
      this.appendHeader = size === 0;
    }
    await this.close();
    // Opening here makes an unwritable path fail before any training work.
    this.file = await fs.open(this.filename, this.append ? 'a' : 'w');
    this.keys = null;
    this.headerWritten = false;
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    if (!this.file) return;
    if (this.keys === null) {
      this.keys = Object.keys(logs).sort();
      if (this.keys.length > 0 && !this.keys.some((k) => k.startsWith('val_'))) {
        this.keys.push(...this.keys.map((k) => `val_${k}`));
      }
    }
    let text = '';
    if (!this.headerWritten) {
      if (this.appendHeader) text += this.row(['epoch', ...this.keys]);
      this.headerWritten = true;
    }
    const values = this.keys.map((k) => (k in logs ? cell(logs[k] as unknown) : 'NA'));
    text += this.row([String(epoch), ...values]);
    await this.file.write(text);
  }

  override async onTrainEnd(): Promise<void> {
    await this.close();
  }

  private async close(): Promise<void> {
    const file = this.file;
    this.file = null;
    if (file) await file.close();
  }

  private row(fields: string[]): string {
    return `${fields.map((f) => this.quote(f)).join(this.separator)}\r\n`;
  }

  /** Python's csv QUOTE_MINIMAL: quote a field holding the separator, a quote or a line break. */
  private quote(field: string): string {
    if (field.includes(this.separator) || /["\r\n]/.test(field)) return `"${field.replace(/"/g, '""')}"`;
    return field;
  }

  getConfig(): Record<string, unknown> {
    return { filename: this.filename, separator: this.separator, append: this.append };
  }
}

/** A log value as Keras writes it: numbers as Python's str(), sequences as "[a, b]". */
function cell(value: unknown): string {
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    return `"[${Array.from(value as ArrayLike<number>, (v) => pyStr(v as PyValue)).join(', ')}]"`;
  }
  if (
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    typeof value === 'string' ||
    typeof value === 'boolean'
  ) {
    return pyStr(value);
  }
  return String(value);
}

register('callback', 'CSVLogger', CSVLogger, { aliases: ['csv_logger'] });
