import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { COMMITTED_FIXTURES } from './fixture-helpers.js';
import { MUTANT_COUNT } from './fuzz/mutants.js';
import { type MutantResult, runInWorkers } from './fuzz/run-fuzz.js';
import { writeStrataBases } from './fuzz/write-bases.js';

/**
 * The fuzz suite of issue 25: thousands of deterministic mutants (byte flips, truncation, zip-member
 * tampering, zip bombs, hostile config.json edits, damaged HDF5) of committed Keras-written fixtures and of
 * Strata-written files. Each load runs in a worker process with a time limit (10 s) and a memory limit
 * (peak RSS 1 GiB); the suite fails on a crash, a hang, an error that is not one of Strata's, a leaked
 * tensor, or an outcome that changes when the same mutants are loaded in the opposite order.
 *
 * By default a slice runs (every 16th mutant); STRATA_FUZZ=full runs all of them.
 */
const FULL = process.env.STRATA_FUZZ === 'full';
const STEP = 16;

describe('fuzz: damaged and hostile model files, loaded in worker processes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strata-fuzz-'));
    await writeStrataBases(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    `${FULL ? `all ${MUTANT_COUNT}` : `every ${STEP}th of ${MUTANT_COUNT}`} mutants fail cleanly or load, the same in both orders`,
    async () => {
      expect(MUTANT_COUNT).toBeGreaterThanOrEqual(2000);
      const dirs = { fixtures: COMMITTED_FIXTURES, bases: dir };
      const all = Array.from({ length: MUTANT_COUNT }, (_, i) => i);
      const ids = FULL ? all : all.filter((i) => i % STEP === 0);
      const chunks: number[][] = [];
      for (let i = 0; i < ids.length; i += 400) chunks.push(ids.slice(i, i + 400));
      const problems: string[] = [];
      const outcomes = new Map<string, number>();
      let slowest: MutantResult | null = null;
      let peakRss = 0;
      for (const chunk of chunks) {
        // The same mutants in one process forward and in another backward: every outcome must agree.
        const [forward, backward] = await Promise.all([
          runInWorkers(chunk, dirs),
          runInWorkers(chunk.slice().reverse(), dirs),
        ]);
        for (const id of chunk) {
          const a = forward.get(id)!;
          const b = backward.get(id)!;
          for (const r of [a, b]) {
            if (r.problem) problems.push(`mutant ${id} (${r.name ?? '?'}): ${r.problem}`);
            if ((r.ms ?? 0) > (slowest?.ms ?? -1)) slowest = r;
            peakRss = Math.max(peakRss, r.maxRssMB ?? 0);
          }
          if (a.outcome !== b.outcome)
            problems.push(`mutant ${id} (${a.name}): "${a.outcome}" forward but "${b.outcome}" backward`);
          // Internal errors of a constructor, wrapped by the loader: counted apart, to show how many
          // malformed configs still lack a check that names the field.
          const kind = a.outcome.startsWith('loaded')
            ? 'loaded'
            : a.outcome.includes('building it failed with')
              ? 'ValueError (wrapped internal error)'
              : a.outcome.split(':')[0];
          outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
        }
      }
      console.log(
        `fuzz: ${ids.length} mutants x 2 orders; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; ` +
          `slowest load ${slowest?.ms} ms (${slowest?.name}); peak worker RSS ${peakRss} MiB`,
      );
      expect(problems.slice(0, 30)).toEqual([]);
      // Most mutants must be refused; the rest change bytes nothing reads, or weight values (a flip
      // inside a weight's data, or a harmless config edit such as a dropout rate).
      expect(outcomes.get('loaded') ?? 0).toBeLessThan(ids.length * 0.5);
    },
    FULL ? 3_600_000 : 300_000,
  );

  it('the harness itself reports a worker that dies', async () => {
    const results = await runInWorkers([MUTANT_COUNT + 1], { fixtures: COMMITTED_FIXTURES, bases: dir });
    expect(results.get(MUTANT_COUNT + 1)?.outcome).toBe('crash');
  }, 120_000);
});
