// Builds every published package, packs it with pnpm as `pnpm publish` would, and checks the tarballs:
// their manifests (publint, declared imports, nothing workspace-only), then installs them with npm into
// fresh projects outside the workspace and trains, saves and loads there. Also measures a minimal bundle.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import { build } from 'esbuild';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import {
  attwProblems,
  type PackedProject,
  packPublished,
  publishedProjects,
  readmeProblems,
  sourceMapProblems,
} from './check-packages.js';
import {
  cleanCopy,
  exportTargets,
  importedPackages,
  lastJson,
  listFiles,
  makeProject,
  npmInstall,
  OFFLINE_ERROR,
  PUBLISHED,
  readmeInstallLine,
  root,
  run,
  runOk,
} from './helpers.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-packaging-'));
const fixtures = path.join(root, 'test', 'packaging', 'fixtures');
const tarballs = path.join(work, 'tarballs');
let packed: Map<string, PackedProject>;
let distBeforePack: string[];

beforeAll(async () => {
  // Packed as from a fresh clone: a copy of the working tree without dist/, where each package's `prepack`
  // builds it. The copy shares this checkout's turbo cache (.turbo/cache), so when `pnpm build` or
  // `pnpm check:packages` built the same sources before, dist/ is restored instead of compiled again.
  const clone = path.join(work, 'clone');
  await cleanCopy(clone);
  distBeforePack = PUBLISHED.filter((dir) => fs.existsSync(path.join(clone, dir, 'dist')));
  const list = await packPublished(tarballs, clone, { TURBO_CACHE_DIR: path.join(root, '.turbo', 'cache') });
  packed = new Map(list.map((p) => [p.name, p]));
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

function tarball(name: string): string {
  const p = packed.get(name);
  if (!p) throw new Error(`${name} was not packed`);
  return `file:${p.tarball}`;
}

describe('packed manifests', () => {
  test('packed from a clean clone: no dist/ beforehand, every non-private package packed and built, no private one', () => {
    expect(distBeforePack).toEqual([]);
    expect(
      publishedProjects()
        .map((p) => p.dir)
        .sort(),
    ).toEqual([...PUBLISHED].sort());
    expect([...packed.values()].map((p) => p.dir).sort()).toEqual([...PUBLISHED].sort());
    // Only the published tarballs: the demo, bench and quickstart example are private.
    expect(fs.readdirSync(tarballs).filter((f) => f.endsWith('.tgz')).length).toBe(PUBLISHED.length);
    for (const p of packed.values()) {
      const js = listFiles(p.unpacked).filter((f) => f.startsWith('dist/') && f.endsWith('.js'));
      expect(js.length, `${p.name} ships no built JavaScript`).toBeGreaterThan(0);
    }
  });

  // `pnpm check:packages` runs arethetypeswrong on every export of every package (a few minutes); here, the
  // subpaths that once failed under node10 and one per-file entry of each `./*` package, in parallel.
  test('arethetypeswrong: subpath exports resolve under node10, node16 and bundler resolution', async () => {
    const cases: [string, string[]][] = [
      ['@strata/core', ['.', './testing']],
      ['@strata/backends', ['.', './cpu', './wasm', './webgl']],
      ['@strata/layers', ['.', './core/dense', './convolutional/conv2d']],
      ['@strata/optimizers', ['.', './adam']],
      ['@strata/losses-metrics', ['.', './losses/categorical-crossentropy']],
    ];
    const results = await Promise.all(
      cases.map(async ([name, entries]) => {
        const p = packed.get(name)!;
        return { name, entries, ...(await attwProblems(p.tarball, p.unpacked, p.manifest, entries)) };
      }),
    );
    for (const r of results) {
      expect(r.problems, r.name).toEqual([]);
      expect([...r.entrypoints].sort(), r.name).toEqual([...r.entries].sort());
    }
  });

  test.each(PUBLISHED)(
    '%s: source maps carry their sources; README names the package and shows an example',
    (dir) => {
      const p = [...packed.values()].find((x) => x.dir === dir)!;
      const maps = sourceMapProblems(p.unpacked);
      expect(maps.problems).toEqual([]);
      expect(maps.maps).toBeGreaterThan(0);
      expect(readmeProblems(p.unpacked, p.manifest)).toEqual([]);
    },
  );

  test.each(PUBLISHED)('%s: publint finds no errors or warnings', async (dir) => {
    const p = [...packed.values()].find((x) => x.dir === dir)!;
    // The unpacked tarball holds exactly what is published, so publint need not pack again.
    const { messages, pkg } = await publint({ pkgDir: p.unpacked, level: 'warning', pack: false });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, pkg) ?? m.code}`)).toEqual([]);
  });

  test.each(PUBLISHED)('%s: nothing workspace-only is published', (dir) => {
    const p = [...packed.values()].find((x) => x.dir === dir)!;
    const text = JSON.stringify(p.manifest);
    expect(text).not.toContain('workspace:');
    expect(text).not.toContain('strata-source');
    const files = listFiles(p.unpacked);
    expect(files.filter((f) => f.startsWith('src/') || /\.test\./.test(f))).toEqual([]);
    // Every export target is in the tarball (a pattern's folder, for `./*` subpaths).
    const missing: string[] = [];
    for (const { path: at, target } of exportTargets(p.manifest.exports)) {
      const rel = target.replace(/^\.\//, '');
      const ok = rel.includes('*')
        ? files.some(
            (f) =>
              f.startsWith(rel.slice(0, rel.indexOf('*'))) && f.endsWith(rel.slice(rel.indexOf('*') + 1)),
          )
        : files.includes(rel);
      if (!ok) missing.push(`${at.join(' > ')}: ${target}`);
    }
    for (const field of ['main', 'types']) {
      if (p.manifest[field] && !files.includes(p.manifest[field].replace(/^\.\//, '')))
        missing.push(`${field}: ${p.manifest[field]}`);
    }
    expect(missing).toEqual([]);
    // sideEffects: the registering files of dist/ are listed, so bundlers keep them.
    const sideEffects = p.manifest.sideEffects;
    if (Array.isArray(sideEffects)) {
      const distPatterns = sideEffects.filter((s: string) => s.startsWith('./dist/'));
      expect(distPatterns.length).toBeGreaterThan(0);
      for (const pattern of distPatterns) {
        const re = new RegExp(
          `^${pattern
            .slice(2)
            .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
            .replace(/\*\*\//g, '(?:.*/)?')
            .replace(/\*/g, '[^/]*')}$`,
        );
        expect(
          files.some((f) => re.test(f)),
          `${pattern} matches no published file`,
        ).toBe(true);
      }
    } else {
      expect(sideEffects).toBe(false);
    }
  });

  test.each(PUBLISHED)('%s: every runtime import is a declared dependency or peer', (dir) => {
    const p = [...packed.values()].find((x) => x.dir === dir)!;
    const declared = new Set([
      p.manifest.name,
      ...Object.keys(p.manifest.dependencies ?? {}),
      ...Object.keys(p.manifest.peerDependencies ?? {}),
      ...Object.keys(p.manifest.optionalDependencies ?? {}),
    ]);
    const undeclared: string[] = [];
    const js = listFiles(p.unpacked).filter((f) => f.startsWith('dist/') && f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
    for (const f of js) {
      for (const name of importedPackages(fs.readFileSync(path.join(p.unpacked, f), 'utf8'))) {
        if (!declared.has(name)) undeclared.push(`${f} imports ${name}`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  test('the import scanner sees static, re-export and dynamic imports (so the check above can fail)', () => {
    const found = importedPackages(
      "import a from 'left-pad';\nexport * from '@scope/pkg/sub';\nconst m = await import(/* x */ 'dyn');\nimport './local.js';\nimport 'node:fs';\nthrow new Error(`first import 'not-an-import'`);",
    );
    expect([...found].sort()).toEqual(['@scope/pkg', 'dyn', 'left-pad']);
  });
});

describe("the README's install lines", () => {
  test('name packed packages and tfjs core plus a backend: the CPU one for Node, WebGL for a browser app', () => {
    const node = readmeInstallLine('Node');
    const browser = readmeInstallLine('a browser app');
    const backends = ['cpu', 'wasm', 'webgl'].map((b) => `@tensorflow/tfjs-backend-${b}`);
    for (const line of [node, browser]) {
      for (const name of line.filter((n) => n.startsWith('@strata/') || n === 'strata'))
        expect(packed.has(name), `${name} is not a packed package`).toBe(true);
      expect(line).toContain('@tensorflow/tfjs-core');
      expect(line.filter((n) => backends.includes(n)).length).toBeGreaterThan(0);
      expect(new Set(line).size).toBe(line.length);
    }
    expect(node).toContain('@tensorflow/tfjs-backend-cpu');
    expect(browser).toContain('@tensorflow/tfjs-backend-webgl');
    // The same Strata packages either way; only the backend differs.
    const strata = (line: string[]) => line.filter((n) => n.startsWith('@strata/')).sort();
    expect(strata(browser)).toEqual(strata(node));
  });
});

describe('installed from tarballs with npm, outside the workspace', () => {
  test("the README's Node `npm install` line, pointed at the tarballs, makes an empty npm project that trains, predicts and type-checks under NodeNext", async (ctx) => {
    const dir = path.join(work, 'project-node');
    fs.mkdirSync(dir, { recursive: true });
    await runOk('npm', ['init', '-y', '--loglevel=error'], { cwd: dir });
    // Exactly the README's names, each @strata package swapped for its tarball (they are not on a registry yet).
    const names = readmeInstallLine('Node');
    expect(names).toContain('@tensorflow/tfjs-core');
    const args = names.map((name) => (packed.has(name) ? packed.get(name)!.tarball : name));
    const install = await run(
      'npm',
      ['install', ...args, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
      { cwd: dir, timeoutMs: 240_000 },
    );
    if (install.code !== 0 && OFFLINE_ERROR.test(install.stderr))
      return ctx.skip('npm could not install @tensorflow packages (no cache, no network)');
    expect(install.code, install.stderr).toBe(0);
    // Every @strata package came from a tarball, none from a registry.
    const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8'));
    const strata = Object.entries<{ resolved?: string }>(lock.packages).filter(([k]) =>
      k.startsWith('node_modules/@strata/'),
    );
    expect(strata.length).toBeGreaterThanOrEqual(names.filter((n) => n.startsWith('@strata/')).length);
    for (const [k, v] of strata) expect(v.resolved, k).toMatch(/^file:/);
    expect(fs.readdirSync(path.join(dir, 'node_modules/@tensorflow')).sort()).toEqual([
      'tfjs-backend-cpu',
      'tfjs-core',
    ]);

    fs.copyFileSync(path.join(fixtures, 'readme-app.mts'), path.join(dir, 'app.mts'));
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          strict: true,
          outDir: 'out',
        },
        files: ['app.mts'],
      }),
    );
    const tsc = await run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], {
      cwd: dir,
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);

    const r = await runOk(process.execPath, ['out/app.mjs'], { cwd: dir });
    const out = lastJson<{ backend: string; loss: number[]; predicted: number[][]; reloaded: number[][] }>(
      r.stdout,
    );
    expect(out.backend).toBe('cpu');
    expect(out.loss[out.loss.length - 1]).toBeLessThan(out.loss[0] / 100);
    // y = 2a - 3b + 1 at (1, 1), (0, 0) and (0.5, -0.5).
    const expected = [0, 1, 3.5];
    for (const [i, [v]] of out.predicted.entries()) expect(v).toBeCloseTo(expected[i], 2);
    expect(out.reloaded).toEqual(out.predicted);
  });

  test('the strata umbrella alone trains, saves a .keras file and loads it back', async (ctx) => {
    const dir = path.join(work, 'project-umbrella');
    // The @strata/* tarballs are listed only because they are not on a registry; the script imports 'strata'.
    const deps: Record<string, string> = { strata: tarball('strata') };
    for (const name of Object.keys(packed.get('strata')!.manifest.dependencies)) {
      if (name.startsWith('@strata/')) deps[name] = tarball(name);
    }
    makeProject(dir, deps);
    if (!(await npmInstall(dir)))
      return ctx.skip('npm could not install @tensorflow packages offline (no cache, no network)');
    fs.copyFileSync(path.join(fixtures, 'umbrella.mjs'), path.join(dir, 'umbrella.mjs'));
    const r = await runOk(process.execPath, ['umbrella.mjs'], { cwd: dir });
    const out = lastJson<{
      backend: string;
      namespaces: string[];
      topLevel: string[];
      loss: number[];
      savedBytes: number;
      maxDiff: number;
    }>(r.stdout);
    expect(out.namespaces).toEqual([
      'layers',
      'optimizers',
      'losses',
      'metrics',
      'callbacks',
      'io',
      'backends',
      'datasets',
    ]);
    expect(out.topLevel).toEqual(['Sequential', 'Model', 'input', 'register', 'registry']);
    expect(out.backend).toBe('cpu');
    expect(out.loss[9]).toBeLessThan(out.loss[0]);
    expect(out.savedBytes).toBeGreaterThan(1000);
    expect(out.maxDiff).toBeLessThan(1e-6);
  });

  test('@acme/strata-plugin from its tarball works with the packed core, and a saved model needs it to load', async (ctx) => {
    const dir = path.join(work, 'project-acme');
    makeProject(dir, {
      '@acme/strata-plugin': tarball('@acme/strata-plugin'),
      '@strata/core': tarball('@strata/core'),
      '@strata/layers': tarball('@strata/layers'),
      '@strata/optimizers': tarball('@strata/optimizers'),
      '@strata/losses-metrics': tarball('@strata/losses-metrics'),
      '@strata/io': tarball('@strata/io'),
      '@tensorflow/tfjs-core': '4.22.0',
      '@tensorflow/tfjs-backend-cpu': '4.22.0',
    });
    if (!(await npmInstall(dir)))
      return ctx.skip('npm could not install @tensorflow packages offline (no cache, no network)');
    for (const f of ['acme-train.mjs', 'acme-load.mjs'])
      fs.copyFileSync(path.join(fixtures, f), path.join(dir, f));
    // One copy of core: the plug-in's peer dependency resolves to the application's.
    expect(fs.existsSync(path.join(dir, 'node_modules/@acme/strata-plugin/node_modules/@strata/core'))).toBe(
      false,
    );
    const file = path.join(dir, 'acme.keras');
    const trained = lastJson<{ loss: number[]; keys: string[]; prediction: number[][] }>(
      (await runOk(process.execPath, ['acme-train.mjs', file], { cwd: dir })).stdout,
    );
    expect(trained.keys).toEqual(['loss', 'acme>SignAgreement']);
    expect(trained.loss[trained.loss.length - 1]).toBeLessThan(trained.loss[0]);

    const loaded = lastJson<{ layers: string[]; optimizer: string; prediction: number[][] }>(
      (await runOk(process.execPath, ['acme-load.mjs', file, 'with'], { cwd: dir })).stdout,
    );
    expect(loaded.layers).toEqual(['Dense', 'ScaleShift']);
    expect(loaded.optimizer).toBe('Lion2');
    expect(loaded.prediction[0][0]).toBeCloseTo(trained.prediction[0][0], 5);

    const without = await run(process.execPath, ['acme-load.mjs', file, 'without'], { cwd: dir });
    expect(without.code).not.toBe(0);
    expect(without.stderr).toMatch(/acme>ScaleShift/);
    expect(without.stderr).toMatch(/@acme\/strata-plugin/);
  });

  test('bundle size: Sequential, Dense, Adam and categorical_crossentropy leave convolution, recurrent and io code out', async (ctx) => {
    const dir = path.join(work, 'project-node');
    if (!fs.existsSync(path.join(dir, 'node_modules', '@strata', 'core')))
      return ctx.skip('project-node was not installed');
    fs.copyFileSync(path.join(fixtures, 'bundle-entry.js'), path.join(dir, 'bundle-entry.js'));
    const result = await build({
      entryPoints: [path.join(dir, 'bundle-entry.js')],
      absWorkingDir: dir,
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    const outBytes = result.outputFiles[0].contents.byteLength;
    const strataBytes = Object.entries(result.metafile.outputs)[0][1].inputs;
    const ours = Object.entries(strataBytes)
      .filter(([f]) => f.includes('node_modules/@strata/'))
      .reduce((s, [, v]) => s + v.bytesInOutput, 0);
    const gzipped = gzipSync(result.outputFiles[0].contents).byteLength;
    // Printed for the README's "Bundle size" section.
    console.log(
      `[bundle] ${(outBytes / 1024).toFixed(1)} KiB minified (${(gzipped / 1024).toFixed(1)} KiB gzip), of which @strata/* ${(ours / 1024).toFixed(1)} KiB`,
    );
    expect(inputs.some((f) => f.includes('@strata/layers/dist/core/dense.js'))).toBe(true);
    expect(inputs.some((f) => f.includes('@strata/optimizers/dist/adam.js'))).toBe(true);
    expect(
      inputs.filter((f) => /@strata\/layers\/dist\/(convolutional|recurrent)\/|@strata\/io\//.test(f)),
    ).toEqual([]);
    // The check can fail: the package's main entry registers everything, convolutions included.
    const full = await build({
      stdin: { contents: "import '@strata/layers';", resolveDir: dir },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    expect(
      Object.keys(full.metafile.inputs).some((f) => f.includes('@strata/layers/dist/convolutional/')),
    ).toBe(true);
    // Other layers, optimizers and losses are left out too.
    expect(
      inputs.filter((f) =>
        /@strata\/(layers\/dist\/(pooling|attention)|optimizers\/dist\/(sgd|rmsprop)|losses-metrics\/dist\/metrics)/.test(
          f,
        ),
      ),
    ).toEqual([]);
  });
});
