#!/usr/bin/env node
// Runs the whole test suite with vitest and ends with one line, `N passed, N failed`, with the real totals.
// When Python with Keras 3 can be set up (a local pip mirror, as on our CI machines), the Keras interop
// suite runs too; elsewhere it is skipped and the rest still runs. Set STRATA_INTEROP=0 to skip it.
// The log stays quiet so that a failure stands out: no colour codes when the output is not a terminal, no
// TensorFlow or JAX start-up lines from the Python side, no pip notices about the mirror's layout.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const venvPython = path.join(root, '.venv', 'bin', 'python');

function sh(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...opts });
}

// pip's notices about the local mirror ("Location '…' is ignored: it is neither a file nor a directory",
// for a package the second index lacks) and its PATH hints say nothing about the tests.
const PIP_NOISE =
  /Location '.*' is ignored|is neither a file nor a directory|which is not on PATH|--no-warn-script-location/;

/** `python -m pip install -q …`, printing what pip says except its notices about the mirror. */
function pipInstall(args) {
  const r = sh(
    venvPython,
    ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--no-warn-script-location', ...args],
    { timeout: 900_000 },
  );
  const said = `${r.stdout ?? ''}${r.stderr ?? ''}`
    .split('\n')
    .filter((line) => line.trim() && !PIP_NOISE.test(line));
  if (said.length > 0) console.log(said.join('\n'));
  return r;
}

function pipIndexArgs() {
  // Our machines list a local mirror as pip's extra index; using it as the index skips the unreachable default.
  const r = sh('python3', ['-m', 'pip', 'config', 'get', 'global.extra-index-url']);
  const urls = (r.stdout || '').split(/\s+/).filter(Boolean);
  if (r.status !== 0 || urls.length === 0) return null;
  return ['--index-url', urls[0], ...urls.slice(1).flatMap((u) => ['--extra-index-url', u])];
}

function prepareInterop() {
  if (process.env.STRATA_INTEROP === '0') return false;
  const hasKeras = () =>
    fs.existsSync(venvPython) &&
    sh(venvPython, ['-c', 'import keras, h5py, numpy'], { env: { ...process.env, KERAS_BACKEND: 'jax' } })
      .status === 0;
  if (hasKeras()) {
    ensureExtras(null);
    return true;
  }
  if (sh('python3', ['--version']).status !== 0) return false;
  const index = pipIndexArgs();
  if (!index) {
    console.log('[tests] no local pip mirror found: the Keras interop suite is skipped.');
    return false;
  }
  console.log('[tests] setting up .venv with keras, jax, h5py and numpy for the interop suite…');
  if (
    !fs.existsSync(venvPython) &&
    sh('python3', ['-m', 'venv', path.join(root, '.venv')], { stdio: 'inherit' }).status !== 0
  )
    return false;
  const pip = pipInstall([...index, 'keras', 'jax', 'jaxlib', 'h5py', 'numpy']);
  if (pip.status !== 0 || !hasKeras()) {
    console.log('[tests] could not install Keras 3: the interop suite is skipped.');
    return false;
  }
  ensureExtras(index);
  return true;
}

// Extras that single interop suites need, installed for them alone; a missing one skips those cases, nothing
// else. Keras's lookup layers (TextVectorization, StringLookup, IntegerLookup) need TensorFlow even on the JAX
// backend (Keras 3.15 raises "Layer StringLookup requires TensorFlow" without it); @strata/onnx's interop suite
// runs `onnx.checker` and Python's onnxruntime on exported files, and sets Keras's own ONNX export beside
// Strata's: Keras 3 exports through torch.onnx (torch backend), which needs torch and onnxscript. `local`
// packages come from pip's local wheels alone, without their dependencies (torch's CPU build; the index's
// would pull CUDA); their dependencies are listed in `packages`.
const EXTRAS = [
  { modules: ['tensorflow'], packages: ['tensorflow-cpu'], cases: 'the lookup-layer interop cases' },
  { modules: ['onnx', 'onnxruntime'], packages: ['onnx', 'onnxruntime'], cases: 'the ONNX interop suite' },
  {
    modules: ['torch', 'onnxscript'],
    local: ['torch'],
    packages: ['onnxscript', 'onnx-ir', 'filelock', 'fsspec', 'jinja2', 'networkx', 'setuptools', 'sympy'],
    cases: "the cases beside Keras's own ONNX export",
  },
];

function ensureExtras(givenIndex) {
  for (const extra of EXTRAS) {
    // Finding the packages is enough here (importing TensorFlow takes seconds); the suites import them.
    const present = () =>
      sh(venvPython, [
        '-c',
        `import importlib.util, sys; sys.exit(any(importlib.util.find_spec(m) is None for m in ${JSON.stringify(extra.modules)}))`,
      ]).status === 0;
    if (present()) continue;
    const index = givenIndex ?? pipIndexArgs();
    if (!index) return;
    const all = [...(extra.local ?? []), ...extra.packages];
    console.log(`[tests] adding ${all.join(', ')} to .venv for ${extra.cases}…`);
    if (extra.local) pipInstall(['--no-index', '--no-deps', ...extra.local]);
    pipInstall([...index, ...extra.packages]);
    if (!present()) console.log(`[tests] could not install ${all.join(', ')}: ${extra.cases} are skipped.`);
  }
}

const env = {
  ...process.env,
  // TensorFlow's and JAX's start-up lines (oneDNN notes, absl's "before InitializeLog" warning, "no GPU").
  TF_CPP_MIN_LOG_LEVEL: '3',
  TF_ENABLE_ONEDNN_OPTS: '0',
  JAX_PLATFORMS: 'cpu',
};
if (prepareInterop()) {
  env.STRATA_INTEROP = '1';
  env.STRATA_INTEROP_PYTHON ??= venvPython;
}
const sharedFixtures = path.resolve(root, '..', 'shared', 'fixtures', 'keras');
if (!env.STRATA_SHARED_FIXTURES && fs.existsSync(sharedFixtures)) env.STRATA_SHARED_FIXTURES = sharedFixtures;

const out = path.join(root, 'test-results', 'vitest.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.rmSync(out, { force: true });
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
// Colour codes are dropped when the log goes to a file or a pipe (CI sets CI=true, which turns vitest's colours
// on even there). Stripping them here, rather than setting NO_COLOR for every test process, leaves the tests
// that check Strata's own coloured progress bar as they are.
const plain = !process.stdout.isTTY && !('FORCE_COLOR' in process.env);
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');
function relay(from, to) {
  let pending = '';
  from.setEncoding('utf8');
  from.on('data', (chunk) => {
    const text = pending + chunk;
    const cut = text.lastIndexOf('\n') + 1;
    pending = text.slice(cut);
    if (cut > 0) to.write(text.slice(0, cut).replace(ANSI, ''));
  });
  from.on('end', () => {
    if (pending) to.write(pending.replace(ANSI, ''));
  });
}
const args = [
  vitest,
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile=${out}`,
  ...process.argv.slice(2),
];
const run = await new Promise((resolve) => {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env,
    stdio: plain ? ['inherit', 'pipe', 'pipe'] : 'inherit',
  });
  if (plain) {
    relay(child.stdout, process.stdout);
    relay(child.stderr, process.stderr);
  }
  child.on('close', (code, signal) => resolve({ status: code ?? (signal ? 1 : 0) }));
});

let passed = 0;
let failed = 0;
let skipped = 0;
if (fs.existsSync(out)) {
  const report = JSON.parse(fs.readFileSync(out, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = report.numFailedTests ?? 0;
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A file that fails to load has no failed test of its own: count it once.
  for (const file of report.testResults ?? []) {
    const anyFailed = (file.assertionResults ?? []).some((t) => t.status === 'failed');
    if (file.status === 'failed' && !anyFailed) failed += 1;
  }
} else {
  failed = 1;
}
if (run.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || run.status !== 0 ? 1 : 0);
