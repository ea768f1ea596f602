// Runs `changeset version` on a copy of the workspace's manifests: a minor release of @strata/core must not
// force a major release of the plug-ins, whose peer range on core (`>=0.1.0 <1.0.0`) admits the new minor.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, test } from 'vitest';

import { root, runOk } from './helpers.js';

const PLUGINS = [
  '@strata/layers',
  '@strata/optimizers',
  '@strata/losses-metrics',
  '@strata/callbacks',
  '@strata/backends',
  '@strata/io',
  '@strata/datasets',
];

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) fs.rmSync(t, { recursive: true, force: true });
});

/** Copies the root manifest, the workspace file, every workspace package.json and the changeset config. */
function copyWorkspace(): { dir: string; folders: Map<string, string> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-changesets-'));
  temps.push(dir);
  for (const f of ['package.json', 'pnpm-workspace.yaml', '.changeset/config.json']) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(root, f), path.join(dir, f));
  }
  // The changelog generator named in the config resolves from here.
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const folders = new Map<string, string>();
  for (const group of ['packages', 'examples', 'apps']) {
    for (const name of fs.readdirSync(path.join(root, group))) {
      const rel = `${group}/${name}`;
      if (fs.existsSync(path.join(root, rel, 'package.json'))) folders.set(rel, rel);
    }
  }
  if (fs.existsSync(path.join(root, 'bench/package.json'))) folders.set('bench', 'bench');
  const byName = new Map<string, string>();
  for (const rel of folders.keys()) {
    fs.mkdirSync(path.join(dir, rel), { recursive: true });
    fs.copyFileSync(path.join(root, rel, 'package.json'), path.join(dir, rel, 'package.json'));
    byName.set(JSON.parse(fs.readFileSync(path.join(root, rel, 'package.json'), 'utf8')).name, rel);
  }
  return { dir, folders: byName };
}

function manifest(dir: string, rel: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(path.join(dir, rel, 'package.json'), 'utf8'));
}

async function versionWith(changeset: string, edit?: (dir: string, folders: Map<string, string>) => void) {
  const { dir, folders } = copyWorkspace();
  edit?.(dir, folders);
  fs.writeFileSync(path.join(dir, '.changeset', 'sample-core-minor.md'), changeset);
  await runOk(process.execPath, [path.join(root, 'node_modules/@changesets/cli/bin.js'), 'version'], {
    cwd: dir,
  });
  const versions = new Map<string, string>();
  for (const [name, rel] of folders) versions.set(name, manifest(dir, rel).version);
  return { dir, folders, versions };
}

const CORE_MINOR = '---\n"@strata/core": minor\n---\n\nA new core feature.\n';

describe('changesets', () => {
  test('a core minor bumps core only to the next minor; plug-ins keep their versions; the umbrella gets a patch', async () => {
    const before = new Map<string, string>();
    const { folders: names } = copyWorkspace();
    for (const [name, rel] of names) before.set(name, manifest(root, rel).version);

    const { dir, folders, versions } = await versionWith(CORE_MINOR);
    const [major, minor] = before.get('@strata/core')!.split('.').map(Number);
    expect(versions.get('@strata/core')).toBe(major === 0 ? `0.${minor + 1}.0` : `${major}.${minor + 1}.0`);
    for (const plugin of PLUGINS) {
      expect(versions.get(plugin), plugin).toBe(before.get(plugin));
      // Its peer range still admits the new core, so it is left as written.
      expect(manifest(dir, folders.get(plugin)!).peerDependencies['@strata/core']).toBe(
        manifest(root, folders.get(plugin)!).peerDependencies['@strata/core'],
      );
    }
    // The umbrella depends on core with ^, which 0.x minors leave: a patch release picks the new core up.
    const [uMajor, uMinor, uPatch] = before.get('strata')!.split('.').map(Number);
    expect(versions.get('strata')).toBe(`${uMajor}.${uMinor}.${uPatch + 1}`);
    // Ignored and private packages stay put.
    expect(versions.get('@acme/strata-plugin')).toBe(before.get('@acme/strata-plugin'));
    expect(fs.readFileSync(path.join(dir, 'packages/core/CHANGELOG.md'), 'utf8')).toContain(
      'A new core feature.',
    );
  });

  test('with a caret peer range instead, the same changeset would force a major on that plug-in', async () => {
    // The counter-example that shows the range is what keeps plug-ins stable.
    const { versions } = await versionWith(CORE_MINOR, (dir, folders) => {
      const rel = folders.get('@strata/layers')!;
      const m = manifest(dir, rel);
      m.peerDependencies['@strata/core'] = 'workspace:^';
      fs.writeFileSync(path.join(dir, rel, 'package.json'), JSON.stringify(m, null, 2));
    });
    const [major] = manifest(root, 'packages/layers').version.split('.').map(Number);
    expect(versions.get('@strata/layers')).toBe(`${major + 1}.0.0`);
    expect(versions.get('@strata/optimizers')).toBe(manifest(root, 'packages/optimizers').version);
  });
});
