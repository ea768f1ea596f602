/**
 * The Python side of the interop suites: the repository's own venv (made by scripts/run-tests.mjs),
 * wherever the clone is, or STRATA_INTEROP_PYTHON. Suites run only with STRATA_INTEROP=1.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PYTHON =
  process.env.STRATA_INTEROP_PYTHON ?? fileURLToPath(new URL('../../../.venv/bin/python', import.meta.url));

/** The environment the Keras scripts run in (Keras 3 on JAX). */
export const pythonEnv = { ...process.env, KERAS_BACKEND: 'jax' };

/** Whether STRATA_INTEROP=1 and the venv's python can import every module in `modules`. */
export function pythonCanImport(modules: string[]): boolean {
  if (process.env.STRATA_INTEROP !== '1' || !existsSync(PYTHON)) return false;
  try {
    execFileSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore', env: pythonEnv });
    return true;
  } catch {
    return false;
  }
}
