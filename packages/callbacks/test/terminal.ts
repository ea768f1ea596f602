/**
 * A tiny terminal: applies text with carriage returns, line feeds, backspaces and ANSI color codes to
 * a screen and returns what a user would see, one string per line (trailing spaces trimmed).
 */
export function renderTerminal(text: string): string[] {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\u001b') {
      // Only SGR sequences (colors, bold), ESC [ digits ; ... m, are expected.
      const m = /^\[[0-9;]*([A-Za-z])/.exec(text.slice(i + 1));
      if (m?.[1] !== 'm')
        throw new Error(`Unexpected control sequence at ${i}: ${JSON.stringify(text.slice(i, i + 8))}`);
      i += m[0].length;
    } else if (c === '\r') col = 0;
    else if (c === '\n') {
      row++;
      col = 0;
      lines[row] ??= [];
    } else if (c === '\b') col = Math.max(0, col - 1);
    else {
      lines[row][col] = c;
      col++;
    }
  }
  const out = lines.map((l) =>
    Array.from(l, (ch) => ch ?? ' ')
      .join('')
      .replace(/ +$/, ''),
  );
  if (out[out.length - 1] === '') out.pop();
  return out;
}

/** A writable stream stand-in that records what is written. */
export class FakeStream {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}
