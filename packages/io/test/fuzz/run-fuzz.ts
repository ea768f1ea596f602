import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = resolve(here, 'fuzz-child.ts');
const REPO = resolve(here, '../../../..');

export interface MutantResult {
  id: number;
  name?: string;
  outcome: string;
  /** Why this result fails the suite (bad throw, leak, hang, crash, memory), or null. */
  problem: string | null;
  ms?: number;
  maxRssMB?: number;
}

export interface FuzzLimits {
  /** Longest one load may take before its process is killed (a hang). */
  perMutantMs: number;
  /** Peak RSS of a worker process allowed, in MiB. */
  rssLimitMB: number;
  /** Time a worker may take to start (import tfjs, h5wasm) before its first mutant. */
  startupMs: number;
}

export const DEFAULT_FUZZ_LIMITS: FuzzLimits = { perMutantMs: 10_000, rssLimitMB: 1024, startupMs: 120_000 };

/**
 * Loads the mutants `ids`, in that order, in worker processes: one process takes them all in sequence,
 * and when it hangs or dies on one, that mutant is recorded and a new process goes on with the next.
 */
export async function runInWorkers(
  ids: number[],
  dirs: { fixtures: string; bases: string },
  limits: FuzzLimits = DEFAULT_FUZZ_LIMITS,
): Promise<Map<number, MutantResult>> {
  const results = new Map<number, MutantResult>();
  let rest = ids.slice();
  while (rest.length > 0) {
    const done = await runOneWorker(rest, dirs, limits, results);
    rest = rest.slice(done);
  }
  return results;
}

/** Runs one worker over `ids`; returns how many ids it settled (including one it hung or died on). */
function runOneWorker(
  ids: number[],
  dirs: { fixtures: string; bases: string },
  limits: FuzzLimits,
  results: Map<number, MutantResult>,
): Promise<number> {
  return new Promise((settle) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=strata-source',
        '--import',
        'tsx',
        '--max-old-space-size=1024',
        CHILD,
        dirs.fixtures,
        dirs.bases,
        ids.join(','),
      ],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let settled = 0;
    let buffer = '';
    let stderr = '';
    let ended = false;
    let timer: NodeJS.Timeout;
    const arm = (ms: number, why: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (ended) return;
        ended = true;
        const id = ids[settled];
        results.set(id, { id, outcome: 'hang', problem: `${why} (killed after ${ms} ms)` });
        child.kill('SIGKILL');
        settle(settled + 1);
      }, ms);
    };
    arm(limits.startupMs, 'the worker did not start');
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
        if (!line.startsWith('{')) continue;
        const msg = JSON.parse(line) as {
          ready?: boolean;
          id: number;
          name: string;
          outcome: string;
          bad: string | null;
          leaked: number;
          ms: number;
          maxRssMB: number;
        };
        if (!msg.ready) {
          const problems = [
            msg.bad,
            msg.leaked !== 0 ? `left ${msg.leaked} tensors behind` : null,
            msg.maxRssMB > limits.rssLimitMB ? `peak RSS ${msg.maxRssMB} MiB` : null,
          ].filter(Boolean);
          results.set(msg.id, {
            id: msg.id,
            name: msg.name,
            outcome: msg.outcome,
            problem: problems.length ? problems.join('; ') : null,
            ms: msg.ms,
            maxRssMB: msg.maxRssMB,
          });
          settled++;
        }
        arm(limits.perMutantMs, 'the load did not finish');
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (ended) return;
      ended = true;
      if (settled < ids.length) {
        const id = ids[settled];
        results.set(id, {
          id,
          outcome: 'crash',
          problem: `the worker died (code ${code}, signal ${signal}): ${stderr.slice(-600)}`,
        });
        settle(settled + 1);
      } else settle(settled);
    });
  });
}
