import { ValueError } from './errors.js';

/** Levenshtein distance, for suggesting the argument a misspelt one was meant to be. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The known name closest to `name`, when it is close enough to be a likely typo. */
export function closestName(name: string, known: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = name.toLowerCase();
  for (const candidate of known) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || v == null) return String(v);
  return Object.prototype.toString.call(v).slice(8, -1);
}

/**
 * Rejects keys of an argument object that `owner` does not take, as Keras rejects unknown keyword
 * arguments, naming the closest known argument. Keys whose value is `undefined` count as absent.
 */
export function checkArgumentNames(
  args: object | null | undefined,
  known: Iterable<string>,
  owner: string,
): void {
  if (args == null || typeof args !== 'object') return;
  const knownSet = known instanceof Set ? (known as Set<string>) : new Set(known);
  const record = args as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => record[k] !== undefined && !knownSet.has(k));
  if (unknown.length === 0) return;
  const listed = unknown.map((k) => `'${k}': ${describeValue(record[k])}`).join(', ');
  const hints = unknown
    .map((k) => [k, closestName(k, knownSet)] as const)
    .filter(([, c]) => c !== null)
    .map(([k, c]) => `'${k}' -> '${c}'`);
  const hint =
    hints.length === 0
      ? ''
      : unknown.length === 1
        ? ` Did you mean '${closestName(unknown[0], knownSet)}'?`
        : ` Did you mean: ${hints.join(', ')}?`;
  throw new ValueError(`Unrecognized keyword arguments passed to ${owner}: {${listed}}.${hint}`);
}
