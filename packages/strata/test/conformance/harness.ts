/**
 * The conformance suite's shared parts: reading the Keras goldens (written by
 * scripts/conformance/write_goldens.py), walking the registry, comparing numbers, and the coverage table
 * each kind prints.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { type KerasObjectJSON, type RegistryKind, registry } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, expect, it } from 'vitest';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** A golden value: numbers, or the strings 'inf', '-inf', 'nan' for non-finite floats. */
export type Encoded = number | string | Encoded[];

/** Keras's serialized object, as `serialize_keras_object` writes it. */
export type KerasJSON = KerasObjectJSON;

export function readGolden<T>(file: string): T & { keras_version: string } {
  return JSON.parse(fs.readFileSync(path.join(HERE, 'goldens', file), 'utf8'));
}

interface AllowEntry {
  reason: string;
}
interface Allowlist {
  names: Partial<Record<RegistryKind, Record<string, AllowEntry>>>;
  /**
   * Names that differ from Keras in a part of the tree this suite may not fix: each is checked, counted
   * as failing in the table, and its test expects the check to fail (so a fix makes the suite ask for the
   * entry to be removed).
   */
  known_failures?: Partial<Record<RegistryKind, Record<string, string>>>;
  /**
   * Keys of Keras's config that Strata does not write, per `kind:Name` (or '*': at any depth of every
   * layer's config), each with its reason: compared as absent, and listed in docs/conformance.md.
   */
  config_gaps?: Record<string, { keys: string[]; reason: string }>;
  /** Pairs of class names compared as equal inside configs (Strata's key and Keras's), with the reason in docs. */
  same_class_names?: [string, string][];
  /** Names with a Keras counterpart whose golden is not written yet: reported as pending, not failed. */
  pending?: Partial<Record<RegistryKind, Record<string, string>>>;
  tolerances: Record<string, { rtol?: number; atol?: number; reason: string }>;
}

export const allowlist: Allowlist = JSON.parse(fs.readFileSync(path.join(HERE, 'allowlist.json'), 'utf8'));

export function decode(x: Encoded): number | number[] | Encoded[] {
  if (typeof x === 'string') return x === 'inf' ? Infinity : x === '-inf' ? -Infinity : Number.NaN;
  if (typeof x === 'number') return x;
  return x.map((v) => decode(v)) as number[];
}

export function shapeOf(x: Encoded): number[] {
  const shape: number[] = [];
  let cur: Encoded = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

function flat(x: Encoded): number[] {
  if (!Array.isArray(x)) return [decode(x) as number];
  return x.flatMap((v) => flat(v));
}

/** A tensor from a golden value, with the golden's shape. */
export function tensorOf(x: Encoded, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  return tf.tensor(flat(x), shapeOf(x), dtype);
}

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/** The default comparison: float32 math, |actual - expected| <= 1e-5 * |expected| + 1e-6. */
export const FLOAT32: Required<Tolerance> = { rtol: 1e-5, atol: 1e-6 };

/** The tolerance for a check: the default unless allowlist.json's `tolerances` loosens it (with a reason). */
export function toleranceFor(key: string): Required<Tolerance> {
  const t = allowlist.tolerances[key];
  return { rtol: t?.rtol ?? FLOAT32.rtol, atol: t?.atol ?? FLOAT32.atol };
}

/** Compares a tensor (or numbers) with a golden value, element by element; non-finite values must match. */
export function expectClose(
  actual: tf.Tensor | number | number[],
  expected: Encoded,
  what: string,
  tol: Required<Tolerance> = FLOAT32,
): void {
  let a: number[];
  let aShape: number[] | null = null;
  if (actual instanceof tf.Tensor) {
    a = Array.from(actual.dataSync());
    aShape = actual.shape;
  } else a = Array.isArray(actual) ? actual : [actual];
  const e = flat(expected);
  const eShape = shapeOf(expected);
  if (aShape && eShape.length > 0 && aShape.join() !== eShape.join()) {
    throw new Error(`${what}: shape [${aShape}] vs Keras's [${eShape}]`);
  }
  if (a.length !== e.length) throw new Error(`${what}: ${a.length} values vs Keras's ${e.length}`);
  const bad: string[] = [];
  for (let i = 0; i < e.length; i++) {
    const x = a[i];
    const y = e[i];
    const ok = Number.isFinite(y)
      ? Math.abs(x - y) <= tol.rtol * Math.abs(y) + tol.atol
      : Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));
    if (!ok) bad.push(`[${i}] ${x} vs Keras ${y}`);
  }
  if (bad.length) {
    throw new Error(
      `${what}: ${bad.length} of ${e.length} values differ (rtol ${tol.rtol}, atol ${tol.atol}): ${bad.slice(0, 6).join('; ')}`,
    );
  }
}

/**
 * Config both ways: every key of Keras's config is written by Strata with Keras's value. Strata may write
 * more (Keras 3.15's Huber config omits `delta`, for one); those extra keys are not compared.
 */
export function expectConfigMatches(
  strata: Record<string, unknown>,
  keras: Record<string, unknown>,
  what: string,
  gapKey?: string,
): void {
  // '*' gaps are nested configs (a layer's initializers): the objects themselves are checked as they are.
  const ignored = new Set([
    ...(gapKey?.startsWith('layer:') ? (allowlist.config_gaps?.['*']?.keys ?? []) : []),
    ...(gapKey ? (allowlist.config_gaps?.[gapKey]?.keys ?? []) : []),
  ]);
  const differing: string[] = [];
  for (const [k, v] of Object.entries(keras)) {
    if (ignored.has(k)) continue;
    if (!sameConfigValue(strata[k], v, ignored))
      differing.push(`${k}: Strata ${JSON.stringify(strata[k])}, Keras ${JSON.stringify(v)}`);
  }
  if (differing.length)
    throw new Error(`${what}: config written back differs from Keras's: ${differing.join('; ')}`);
}

/**
 * Keras's JSON value `b` is matched by Strata's `a`, where numbers may differ by float32 rounding (Keras
 * stores 0.01 as 0.009999999776...).
 */
function sameConfigValue(a: unknown, b: unknown, ignored: Set<string> = new Set()): boolean {
  if (typeof a === 'number' && typeof b === 'number')
    return Math.abs(a - b) <= 1e-7 * Math.max(Math.abs(a), Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameConfigValue(x, b[i], ignored));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    // As at the top level, every key of Keras's object must be there with Keras's value; Strata may write
    // more. A nested layer (a wrapper's `layer`, an RNN's `cell`) has its own class's config gaps.
    const nested =
      typeof rb.class_name === 'string' ? allowlist.config_gaps?.[`layer:${rb.class_name}`] : undefined;
    const inner = nested ? new Set([...ignored, ...nested.keys]) : ignored;
    return Object.keys(rb)
      .filter((k) => !ignored.has(k))
      .every((k) => sameConfigValue(ra[k], rb[k], k === 'config' ? inner : ignored));
  }
  if (typeof a === 'string' && typeof b === 'string' && a !== b) {
    return (allowlist.same_class_names ?? []).some(([x, y]) => (a === x && b === y) || (a === y && b === x));
  }
  return a === b;
}
/**
 * Keras resolves string ids such as 'mse' to functions (`mean_squared_error`); each maps to the class of
 * the same name in PascalCase, except where `special` says otherwise.
 */
export function functionClasses(
  aliases: Record<string, string>,
  special: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = { kl_divergence: 'KLDivergence', ...special };
  for (const alias of Object.values(aliases)) {
    if (!alias.startsWith('function:')) continue;
    const fn = alias.slice('function:'.length);
    out[fn] ??= fn
      .split('_')
      .map((w) => w[0].toUpperCase() + w.slice(1))
      .join('');
  }
  return out;
}

// ---- the registry walk and the coverage table ------------------------------------------------------------

export type Status = 'covered' | 'allow-listed' | 'failing' | 'pending';

export interface KindReport {
  kind: RegistryKind;
  statuses: Map<string, Status>;
}

const reports: KindReport[] = [];

/**
 * Walks every canonical name registered for `kind` without a package prefix. A name with golden cases gets one test running
 * `check(name)`; an allow-listed name is counted; any other name is a failing test, so a newly registered
 * name without a golden or an allow-list entry fails the suite. Prints the kind's coverage table.
 */
export function walkKind(
  kind: RegistryKind,
  goldenNames: Iterable<string>,
  check: (name: string) => void | Promise<void>,
  options: { pending?: Record<string, string> } = {},
): KindReport {
  // Strata's own names: entries registered under a package prefix (`mypkg>Name`, a user's or a test's
  // plug-in) are not Keras names.
  const names = registry.list(kind).filter((name) => registry.find(kind, name)?.builtin);
  const golden = new Set(goldenNames);
  const allowed = allowlist.names[kind] ?? {};
  const report: KindReport = { kind, statuses: new Map() };
  reports.push(report);
  const known = allowlist.known_failures?.[kind] ?? {};
  for (const name of names) {
    if (golden.has(name) && known[name]) {
      report.statuses.set(name, 'failing');
      it.fails(`${kind} ${name} differs from Keras, as allowlist.json's known_failures says`, async () => {
        await check(name);
      });
    } else if (golden.has(name)) {
      it(`${kind} ${name} matches Keras`, async () => {
        report.statuses.set(name, 'failing');
        await check(name);
        report.statuses.set(name, 'covered');
      });
    } else if (allowed[name]) {
      report.statuses.set(name, 'allow-listed');
    } else if (options.pending?.[name]) {
      report.statuses.set(name, 'pending');
    } else {
      it(`${kind} ${name} has a Keras golden or an allow-list entry`, () => {
        report.statuses.set(name, 'failing');
        throw new Error(
          `The ${kind} '${name}' is registered but has neither a golden (scripts/conformance/write_goldens.py) ` +
            `nor an entry in packages/strata/test/conformance/allowlist.json saying why it has no Keras counterpart.`,
        );
      });
    }
  }
  it(`${kind}: every allow-list entry names a registered ${kind}`, () => {
    for (const name of Object.keys(allowed)) expect(names, `allow-listed ${kind} '${name}'`).toContain(name);
  });
  afterAll(() => {
    console.log(coverageTable(report));
  });
  return report;
}

export function coverageTable(report: KindReport): string {
  const counts: Record<Status, string[]> = { covered: [], 'allow-listed': [], failing: [], pending: [] };
  for (const [name, s] of report.statuses) counts[s].push(name);
  const total = report.statuses.size;
  const lines = [
    `Keras conformance: ${report.kind} (${total} registered names)`,
    `| kind | covered | allow-listed | pending | failing |`,
    `|---|---|---|---|---|`,
    `| ${report.kind} | ${counts.covered.length} | ${counts['allow-listed'].length} | ${counts.pending.length} | ${counts.failing.length} |`,
  ];
  if (counts.failing.length) lines.push(`failing: ${counts.failing.sort().join(', ')}`);
  const known = Object.keys(allowlist.known_failures?.[report.kind] ?? {});
  if (known.length) lines.push(`  of which known (reasons in allowlist.json): ${known.sort().join(', ')}`);
  if (counts.pending.length) lines.push(`pending: ${counts.pending.sort().join(', ')}`);
  return lines.join('\n');
}

/**
 * Checks Keras's alias table against the registry: each alias Strata registers and Keras knows resolves to
 * the class Keras resolves it to (`function:name` entries map to the class named in `functionClasses`).
 */
export function checkAliases(
  kind: RegistryKind,
  kerasAliases: Record<string, string>,
  functionClasses: Record<string, string> = {},
): void {
  const mismatches: string[] = [];
  for (const [alias, resolved] of Object.entries(kerasAliases)) {
    const entry = registry.find(kind, alias);
    if (!entry) continue; // Keras knows a name that Strata does not register: the walk covers classes.
    // Allow-listed entries (the 'accuracy' resolver) say why they differ from Keras's table.
    if (allowlist.names[kind]?.[entry.key]) continue;
    const kerasClass = resolved.startsWith('function:')
      ? (functionClasses[resolved.slice('function:'.length)] ?? resolved)
      : resolved;
    if (entry.key !== kerasClass) mismatches.push(`'${alias}': Strata ${entry.key}, Keras ${kerasClass}`);
  }
  expect(mismatches).toEqual([]);
}

/** Leak check around a synchronous or async body. */
export async function noLeaks<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  expect(tf.memory().numTensors - before, 'tensors left behind').toBe(0);
  return out;
}
