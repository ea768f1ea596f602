// The checks `pnpm check:packages` runs, on small hand-made package folders: each one must be able to fail.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, test } from 'vitest';

import {
  publishedProjects,
  readmeProblems,
  sourceMapProblems,
  tarballName,
  wildcardEntrypoints,
  workspaceProjects,
} from './check-packages.js';
import { root } from './helpers.js';

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) fs.rmSync(t, { recursive: true, force: true });
});

/** A package folder holding the given files. */
function pkg(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-check-'));
  temps.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const js = 'export const a = 1;\n//# sourceMappingURL=a.js.map\n';
const map = (extra: Record<string, unknown>) =>
  JSON.stringify({ version: 3, file: 'a.js', sources: ['../src/a.ts'], mappings: 'AAAA', ...extra });

describe('source maps', () => {
  test('a map that embeds its source passes; one naming a source neither embedded nor shipped fails', () => {
    const good = pkg({
      'dist/a.js': js,
      'dist/a.js.map': map({ sourcesContent: ['export const a = 1;\n'] }),
    });
    expect(sourceMapProblems(good)).toEqual({ problems: [], maps: 1 });

    const bad = pkg({ 'dist/a.js': js, 'dist/a.js.map': map({}) });
    expect(sourceMapProblems(bad).problems).toEqual([
      'dist/a.js.map: source ../src/a.ts is neither embedded nor shipped',
    ]);
    // Shipping the source the map names is the other way to pass.
    const shipped = pkg({ 'dist/a.js': js, 'dist/a.js.map': map({}), 'src/a.ts': 'export const a = 1;\n' });
    expect(sourceMapProblems(shipped).problems).toEqual([]);
  });

  test('a .js pointing at a map that is not there fails', () => {
    const dir = pkg({ 'dist/a.js': js });
    expect(sourceMapProblems(dir).problems).toEqual(['dist/a.js points at a missing map a.js.map']);
  });
});

describe('README', () => {
  const manifest = { name: '@strata/thing' };
  test('missing, not naming the package, or without an example: each is a problem', () => {
    expect(readmeProblems(pkg({}), manifest)).toEqual(['no README.md in the tarball']);
    expect(readmeProblems(pkg({ 'README.md': '# Thing\n\n```ts\nx();\n```\n' }), manifest)).toEqual([
      'README.md never names @strata/thing',
    ]);
    expect(readmeProblems(pkg({ 'README.md': '# @strata/thing\n\nNo code.\n' }), manifest)).toEqual([
      'README.md shows no ```ts, ```js or ```sh example',
    ]);
    expect(readmeProblems(pkg({ 'README.md': '# @strata/thing\n\n```ts\nx();\n```\n' }), manifest)).toEqual(
      [],
    );
  });
});

describe('entry points and projects', () => {
  test('a ./* export expands to one entry per declaration file it matches, the index left to "."', () => {
    const dir = pkg({
      'dist/index.d.ts': '',
      'dist/adam.d.ts': '',
      'dist/schedules/cosine-decay.d.ts': '',
      'dist/adam.js': '',
    });
    const manifest = { exports: { '.': { types: './dist/index.d.ts' }, './*': { types: './dist/*.d.ts' } } };
    expect(wildcardEntrypoints(dir, manifest).sort()).toEqual(['./adam', './schedules/cosine-decay']);
  });

  test('the workspace projects come from pnpm-workspace.yaml; private ones are not published', () => {
    const all = workspaceProjects(root);
    const names = all.map((p) => p.name);
    expect(names).toContain('@strata/core');
    expect(names).toContain('@strata/demo');
    const published = publishedProjects(root).map((p) => p.name);
    expect(published).toContain('@strata/core');
    expect(published).toContain('@acme/strata-plugin');
    for (const p of all.filter((x) => x.private)) expect(published).not.toContain(p.name);
    expect(published).not.toContain('@strata/demo');
    expect(published).not.toContain('@strata/bench');
    expect(tarballName('@strata/core', '0.1.0')).toBe('strata-core-0.1.0.tgz');
  });
});
