// `pnpm check:packages`: packs every published workspace package the way `pnpm publish` would (each one's
// `prepack` builds it first, so no dist/ is needed beforehand) and checks every tarball:
//   - publint finds no errors or warnings;
//   - arethetypeswrong resolves every export (the `./*` subpaths file by file) under node10, node16 (ESM)
//     and bundler resolution; the packages are ESM-only, so `require()` resolving to ESM is expected;
//   - every source map carries the sources it names (the tarballs ship no src/);
//   - a README.md that names the package and shows an example.
// Private workspace packages (the demo, the bench, the quickstart example) are never packed.
// Usage: pnpm check:packages [--out DIR]   (tarballs are kept in DIR, default .packed/)
// The packaging test (test/packaging/packaging.test.ts) imports the same functions.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');

/** Runs a command without a shell; rejects with its output when it exits non-zero. */
export function exec(
  cmd: string,
  args: string[],
  {
    cwd,
    env = process.env,
    timeoutMs = 600_000,
  }: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) {
        resolve({ stdout, stderr });
        return;
      }
      // The end of the output first (a compiler's errors, say), so the cause is what stands out.
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-60).join('\n');
      const error = new Error(
        `${cmd} ${args.slice(0, 4).join(' ')} … exited with ${code} in ${cwd}:\n${tail}`,
      );
      reject(Object.assign(error, { stdout, stderr }));
    });
  });
}

/** The workspace's project folders, from the globs in pnpm-workspace.yaml (`dir/*` or a plain `dir`). */
export interface Project {
  dir: string;
  name: string;
  version: string;
  private: boolean;
}

export interface PackedProject extends Project {
  tarball: string;
  /** The tarball unpacked: its `package/` folder. */
  unpacked: string;
  manifest: Record<string, any>;
}

export function workspaceProjects(root = repoRoot): Project[] {
  const yaml = fs.readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8');
  const block = yaml.split(/^packages:\s*$/m)[1]?.split(/^\S/m)[0] ?? '';
  const globs = [...block.matchAll(/^\s+-\s+['"]?([^'"\s]+)['"]?\s*$/gm)].map((m) => m[1]);
  const dirs: string[] = [];
  for (const glob of globs) {
    if (glob.endsWith('/*')) {
      const parent = glob.slice(0, -2);
      if (!fs.existsSync(path.join(root, parent))) continue;
      for (const name of fs.readdirSync(path.join(root, parent)).sort()) dirs.push(`${parent}/${name}`);
    } else dirs.push(glob);
  }
  return dirs
    .filter((dir) => fs.existsSync(path.join(root, dir, 'package.json')))
    .map((dir) => {
      const manifest = JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
      return { dir, name: manifest.name, version: manifest.version, private: manifest.private === true };
    });
}

/** The projects `pnpm publish -r` would publish: every one not marked private. */
export function publishedProjects(root = repoRoot): Project[] {
  return workspaceProjects(root).filter((p) => !p.private);
}

/** The file name `pnpm pack` gives a package's tarball. */
export function tarballName(name: string, version: string): string {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

/**
 * Packs the published projects of the workspace at `root` into `dest` with one `pnpm -r pack`. pnpm packs
 * them in dependency order and runs each `prepack` (a turbo build of the package and what it depends on)
 * first; one at a time, so two turbo runs never write the same dist/ at once.
 */
export async function packPublished(
  dest: string,
  root = repoRoot,
  env: NodeJS.ProcessEnv = {},
): Promise<PackedProject[]> {
  fs.mkdirSync(dest, { recursive: true });
  const projects = publishedProjects(root);
  const filters = projects.flatMap((p) => ['--filter', p.name]);
  await exec(
    'pnpm',
    // Not --loglevel=error: a failing prepack's compiler errors are then part of the error thrown.
    ['-r', '--workspace-concurrency=1', ...filters, 'pack', '--pack-destination', dest],
    { cwd: root, env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', ...env } },
  );
  const out: PackedProject[] = [];
  for (const p of projects) {
    const tarball = path.join(dest, tarballName(p.name, p.version));
    if (!fs.existsSync(tarball)) throw new Error(`pnpm pack made no ${path.basename(tarball)} for ${p.name}`);
    const unpackTo = path.join(dest, path.basename(tarball, '.tgz'));
    fs.rmSync(unpackTo, { recursive: true, force: true });
    fs.mkdirSync(unpackTo, { recursive: true });
    await exec('tar', ['-xzf', tarball, '-C', unpackTo], { cwd: dest });
    const unpacked = path.join(unpackTo, 'package');
    const manifest = JSON.parse(fs.readFileSync(path.join(unpacked, 'package.json'), 'utf8'));
    out.push({ ...p, tarball, unpacked, manifest });
  }
  return out;
}

/** All files under a folder, relative to it, with forward slashes. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p).split(path.sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** publint on the unpacked tarball (exactly what is published), warnings included. */
export async function publintProblems(unpacked: string): Promise<string[]> {
  const { messages, pkg } = await publint({ pkgDir: unpacked, level: 'warning', pack: false });
  return messages.map((m) => `publint ${m.type}: ${formatMessage(m, pkg) ?? m.code}`);
}

/**
 * The subpaths arethetypeswrong should resolve: it finds the plain `exports` keys itself, and a `./*`
 * pattern is expanded here to every declaration file it matches.
 */
export function wildcardEntrypoints(unpacked: string, manifest: Record<string, any>): string[] {
  const files = filesUnder(unpacked);
  const entries: string[] = [];
  for (const [key, value] of Object.entries(manifest.exports ?? {})) {
    if (!key.includes('*')) continue;
    const types = value && typeof value === 'object' ? (value as { types?: unknown }).types : undefined;
    if (typeof types !== 'string') continue;
    const [before, after] = types.replace(/^\.\//, '').split('*');
    for (const f of files) {
      if (!f.startsWith(before) || !f.endsWith(after)) continue;
      const stem = f.slice(before.length, f.length - after.length);
      const entry = key.replace('*', stem);
      if (entry !== './index') entries.push(entry);
    }
  }
  return entries;
}

/** arethetypeswrong on the tarball; the one rule left out is CJS `require()` resolving to ESM. */
export async function attwProblems(
  tarball: string,
  unpacked: string,
  manifest: Record<string, any>,
  /** Only these subpaths ('.' is the root); by default every export, each `./*` match included. */
  only?: string[],
): Promise<{ problems: string[]; entrypoints: string[] }> {
  const bin = path.join(repoRoot, 'node_modules', '.bin', 'attw');
  const args = [tarball, '--format', 'json', '--ignore-rules', 'cjs-resolves-to-esm'];
  if (only) args.push('--entrypoints', ...only);
  else {
    const extra = wildcardEntrypoints(unpacked, manifest);
    if (extra.length > 0) args.push('--include-entrypoints', ...extra);
  }
  let stdout: string;
  try {
    ({ stdout } = await exec(bin, args, {
      cwd: path.dirname(tarball),
      env: { ...process.env, NO_COLOR: '1' },
    }));
  } catch (e) {
    // attw exits 1 when it finds problems; its JSON is still on stdout.
    const out = (e as { stdout?: string }).stdout ?? '';
    if (!out.trim().startsWith('{')) throw e;
    stdout = out;
  }
  const report = JSON.parse(stdout);
  const checked = Object.keys(report.analysis.entrypoints ?? {});
  const problems = (report.analysis.problems ?? [])
    .filter((p: { kind: string }) => p.kind !== 'CJSResolvesToESM')
    .map(
      (p: { kind: string; entrypoint?: string; resolutionKind?: string }) =>
        `attw ${p.kind}: ${p.entrypoint ?? ''} (${p.resolutionKind ?? 'any resolution'})`,
    );
  return { problems, entrypoints: checked };
}

/** Every source map in the tarball names sources it carries (sourcesContent), and every .js points at its map. */
export function sourceMapProblems(unpacked: string): { problems: string[]; maps: number } {
  const problems: string[] = [];
  const files = filesUnder(unpacked);
  const maps = files.filter((f) => f.endsWith('.js.map'));
  for (const f of maps) {
    const map = JSON.parse(fs.readFileSync(path.join(unpacked, f), 'utf8'));
    const sources: string[] = map.sources ?? [];
    const contents: (string | null)[] = map.sourcesContent ?? [];
    if (sources.length === 0) problems.push(`${f} names no sources`);
    sources.forEach((s, i) => {
      if (typeof contents[i] !== 'string' || contents[i].length === 0) {
        const onDisk = path.resolve(path.dirname(path.join(unpacked, f)), map.sourceRoot ?? '', s);
        if (!fs.existsSync(onDisk)) problems.push(`${f}: source ${s} is neither embedded nor shipped`);
      }
    });
  }
  for (const f of files.filter((x) => x.endsWith('.js'))) {
    const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(fs.readFileSync(path.join(unpacked, f), 'utf8'));
    if (m && !m[1].startsWith('data:') && !fs.existsSync(path.join(unpacked, path.dirname(f), m[1])))
      problems.push(`${f} points at a missing map ${m[1]}`);
  }
  return { problems, maps: maps.length };
}

/** A README.md that names the package and holds at least one code example. */
export function readmeProblems(unpacked: string, manifest: Record<string, any>): string[] {
  const file = path.join(unpacked, 'README.md');
  if (!fs.existsSync(file)) return ['no README.md in the tarball'];
  const text = fs.readFileSync(file, 'utf8');
  const problems: string[] = [];
  if (!text.includes(manifest.name)) problems.push(`README.md never names ${manifest.name}`);
  if (!/```(?:ts|js|sh)\n[\s\S]+?```/.test(text))
    problems.push('README.md shows no ```ts, ```js or ```sh example');
  return problems;
}

/** Every check on one packed package. */
export async function checkPacked(
  p: PackedProject,
): Promise<{ problems: string[]; entrypoints: number; maps: number }> {
  const [pub, types] = await Promise.all([
    publintProblems(p.unpacked),
    attwProblems(p.tarball, p.unpacked, p.manifest),
  ]);
  const maps = sourceMapProblems(p.unpacked);
  return {
    problems: [...pub, ...types.problems, ...maps.problems, ...readmeProblems(p.unpacked, p.manifest)],
    entrypoints: types.entrypoints.length,
    maps: maps.maps,
  };
}

async function main() {
  const i = process.argv.indexOf('--out');
  const dest = path.resolve(i > 0 ? process.argv[i + 1] : path.join(repoRoot, '.packed'));
  fs.rmSync(dest, { recursive: true, force: true });
  const started = Date.now();
  const packed = await packPublished(dest);
  const privateOnes = workspaceProjects().filter((p) => p.private);
  console.log(
    `packed ${packed.length} packages into ${dest} in ${((Date.now() - started) / 1000).toFixed(0)} s (not packed, private: ${privateOnes.map((p) => p.name).join(', ')})`,
  );
  let failed = 0;
  for (const p of packed) {
    const { problems, entrypoints, maps } = await checkPacked(p);
    const kib = (fs.statSync(p.tarball).size / 1024).toFixed(1);
    if (problems.length === 0) {
      console.log(`ok   ${p.name}: ${kib} KiB, ${entrypoints} entry points, ${maps} source maps`);
    } else {
      failed++;
      console.log(`FAIL ${p.name}:\n  ${problems.join('\n  ')}`);
    }
  }
  console.log(failed === 0 ? 'all packages pass' : `${failed} of ${packed.length} packages fail`);
  process.exitCode = failed === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
