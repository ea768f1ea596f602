// Shared by the packaging tests: build, pack, install outside the workspace, and read what was packed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every package that is published, by folder; the umbrella and the example plug-in included. */
export const PUBLISHED = [
  'packages/core',
  'packages/layers',
  'packages/optimizers',
  'packages/losses-metrics',
  'packages/callbacks',
  'packages/backends',
  'packages/io',
  'packages/onnx',
  'packages/datasets',
  'packages/strata',
  'examples/plugin-acme',
];

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell; resolves with its output whatever the exit code. */
export function run(
  cmd: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
) {
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like `run`, but fails with the command's output when it exits non-zero. */
export async function runOk(
  cmd: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
) {
  const r = await run(cmd, args, options);
  if (r.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} (in ${options.cwd}) exited with ${r.code}:\n${r.stdout}\n${r.stderr}`,
    );
  }
  return r;
}

/** The last line of a script's stdout, parsed as JSON (tfjs may print notices before it). */
export function lastJson<T = Record<string, unknown>>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

/**
 * Copies the working tree as a fresh clone would hold it into `dest`: every file git tracks or would track
 * (uncommitted edits included), so no dist/, no node_modules and no build cache; then installs it from pnpm's
 * store, offline. The demo's and the bench's sources and the docs are left out (nothing published needs them),
 * their manifests kept (the lockfile lists those projects).
 */
export async function cleanCopy(dest: string): Promise<void> {
  const { stdout } = await runOk('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
  });
  for (const rel of stdout.split('\0')) {
    if (!rel || rel.startsWith('docs/')) continue;
    if (/^(apps|bench)\//.test(rel) && !/^(apps\/[^/]+|bench)\/package\.json$/.test(rel)) continue;
    const from = path.join(root, rel);
    // A file deleted but not yet committed is still listed.
    if (!fs.existsSync(from) || !fs.statSync(from).isFile()) continue;
    fs.mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
    fs.copyFileSync(from, path.join(dest, rel));
  }
  await runOk('pnpm', ['install', '--offline', '--frozen-lockfile', '--loglevel=error'], {
    cwd: dest,
    timeoutMs: 300_000,
  });
}

/** The `npm install` line the root README gives for 'Node' or 'a browser app', as its list of package names. */
export function readmeInstallLine(kind: 'Node' | 'a browser app'): string[] {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Install\n'));
  const body = section.slice(0, section.indexOf('\n## ', 1) > 0 ? section.indexOf('\n## ', 1) : undefined);
  const at = body.indexOf(`In ${kind}`);
  const m = at < 0 ? null : /```sh\nnpm install ([^\n]+)\n```/.exec(body.slice(at));
  if (!m) throw new Error(`README.md's Install section has no \`npm install\` line for ${kind}`);
  return m[1].trim().split(/\s+/);
}

/** All files under a folder, relative to it, with forward slashes. */
export function listFiles(dir: string): string[] {
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

// Static imports and re-exports start a line in tsc's output; matching only there skips import-like text
// inside strings (an error message that says "import '@strata/io'").
const IMPORT_PATTERNS = [
  /^\s*import\s+(?:[\w$*{}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/gm,
  /^\s*export\s+(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\})\s+from\s+['"]([^'"]+)['"]/gm,
  /\bimport\(\s*(?:\/\*.*?\*\/\s*)*['"]([^'"]+)['"]\s*\)/g,
];

/** The bare package names a built .js file imports at run time (static, re-export and literal dynamic imports). */
export function importedPackages(source: string): Set<string> {
  const names = new Set<string>();
  const code = source.replace(/^\s*\/\/.*$/gm, '');
  for (const re of IMPORT_PATTERNS) {
    for (const m of code.matchAll(re)) {
      const spec = m[1];
      if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || spec.includes('${'))
        continue;
      const parts = spec.split('/');
      names.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]);
    }
  }
  return names;
}

/** Every string target in an exports map, with the condition path that leads to it. */
export function exportTargets(
  exportsField: unknown,
  at: string[] = [],
): { path: string[]; target: string }[] {
  if (typeof exportsField === 'string') return [{ path: at, target: exportsField }];
  if (exportsField && typeof exportsField === 'object') {
    return Object.entries(exportsField).flatMap(([k, v]) => exportTargets(v, [...at, k]));
  }
  return [];
}

/** Writes a consumer project's package.json in a fresh folder. */
export function makeProject(dir: string, dependencies: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name: path.basename(dir), version: '0.0.0', private: true, type: 'module', dependencies }, null, 2)}\n`,
  );
}

export const OFFLINE_ERROR = /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|network/i;

/** npm install, preferring the local cache. Returns null when npm could not get packages (no network, no cache). */
export async function npmInstall(dir: string): Promise<RunResult | null> {
  const r = await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'],
    { cwd: dir, timeoutMs: 240_000 },
  );
  if (r.code !== 0 && OFFLINE_ERROR.test(r.stderr)) return null;
  if (r.code !== 0) throw new Error(`npm install in ${dir} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}
