// Where `pnpm demo` saves: relative to the folder the user ran it in, never into a folder it had to create.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, test } from 'vitest';

import { CliError, checkSaveFolder, parseCliArgs, resolveSavePath } from '../src/cli-args.js';

const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsx = path.resolve(demo, '../../node_modules/tsx/dist/cli.mjs');
const temps: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-demo-save-'));
  temps.push(d);
  return d;
};
afterEach(() => {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('--save', () => {
  test('a relative path is taken from INIT_CWD (where pnpm was run), else from the current folder', () => {
    expect(resolveSavePath('mnist.keras', { INIT_CWD: '/home/me/work' }, '/repo/apps/demo')).toBe(
      '/home/me/work/mnist.keras',
    );
    expect(resolveSavePath('out/m.keras', {}, '/repo/apps/demo')).toBe('/repo/apps/demo/out/m.keras');
    expect(resolveSavePath('/abs/m.keras', { INIT_CWD: '/home/me' }, '/x')).toBe('/abs/m.keras');
    expect(parseCliArgs([]).save).toBe('mnist.keras');
  });

  test('a folder that does not exist, or a file where the folder should be, fails and nothing is created', () => {
    const dir = tempDir();
    const missing = path.join(dir, 'no', 'such', 'm.keras');
    expect(() => checkSaveFolder(missing, 'no/such/m.keras')).toThrow(CliError);
    expect(() => checkSaveFolder(missing, 'no/such/m.keras')).toThrow(
      `'${path.join(dir, 'no', 'such')}' does not exist or is not a folder. Create it first. Received: --save=no/such/m.keras`,
    );
    expect(fs.existsSync(path.join(dir, 'no'))).toBe(false);
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    expect(() => checkSaveFolder(path.join(dir, 'file', 'm.keras'), 'file/m.keras')).toThrow(
      /is not a folder/,
    );
    expect(() => checkSaveFolder(path.join(dir, 'm.keras'), 'm.keras')).not.toThrow();
  });

  test('the command stops before training, with exit code 2, and says which folder is missing', () => {
    const dir = tempDir();
    const r = spawnSync(
      process.execPath,
      [tsx, '--conditions=strata-source', 'src/cli.ts', '--save', 'missing/m.keras'],
      { cwd: demo, env: { ...process.env, INIT_CWD: dir, NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).toContain(
      `Error: --save must name a file in an existing folder; '${path.join(dir, 'missing')}'`,
    );
    expect(r.status).toBe(2);
    expect(r.stdout).not.toContain('MNIST:');
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
