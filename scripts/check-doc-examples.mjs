// Type-checks every `@example` of the TSDoc comments in packages/*/src (packages/strata's
// doc-examples.test.ts runs them; this checks that they compile against the public API). Each example
// becomes the body of a function in one generated file that imports every public export of the Strata
// packages, with the same fixtures the test gives (`model`, `x`, `y`, `yTrue`, `yPred`). Examples in the
// losses, metrics, initializers, constraints and regularizers folders see their namespace's members by
// bare name, as the reference lists them there.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packages = [
  'layers',
  'optimizers',
  'losses-metrics',
  'callbacks',
  'io',
  'onnx',
  'datasets',
  'backends',
  'core',
];
const namespaces = {
  'losses-metrics/src/losses/': ['losses-metrics', 'losses'],
  'losses-metrics/src/metrics/': ['losses-metrics', 'metrics'],
  'layers/src/initializers/': ['layers', 'initializers'],
  'layers/src/constraints/': ['layers', 'constraints'],
  'layers/src/regularizers/': ['layers', 'regularizers'],
};

/** Public exports of each package: name → whether it is a value (else a type only). */
function publicExports() {
  const entries = packages.map((p) => join(root, 'packages', p, 'src', 'index.ts'));
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'packages', 'strata', 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => {},
    },
  );
  const program = ts.createProgram(entries, { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const describe = (moduleSymbol) =>
    new Map(
      checker.getExportsOfModule(moduleSymbol).map((s) => {
        const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
        return [s.name, { value: (target.flags & ts.SymbolFlags.Value) !== 0, symbol: target }];
      }),
    );
  const out = new Map();
  for (const [i, p] of packages.entries())
    out.set(p, describe(checker.getSymbolAtLocation(program.getSourceFile(entries[i]))));
  const members = new Map();
  for (const [dir, [p, ns]] of Object.entries(namespaces)) {
    members.set(
      dir,
      [...describe(out.get(p).get(ns).symbol).entries()].filter(([, d]) => d.value).map(([n]) => n),
    );
  }
  return { exports: out, members };
}

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'vendor' ? [] : sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

function examples() {
  const out = [];
  for (const p of packages) {
    for (const file of sourceFiles(join(root, 'packages', p, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
        const body = comment[0]
          .split('\n')
          .map((l) => l.replace(/^\s*\* ?/, ''))
          .join('\n');
        const at = body.indexOf('@example');
        if (at < 0) continue;
        const code = /```ts\n([\s\S]*?)```/.exec(body.slice(at))?.[1] ?? '';
        const line = text.slice(0, comment.index).split('\n').length;
        out.push({ where: `${relative(join(root, 'packages'), file)}:${line}`, code });
      }
    }
  }
  return out;
}

const { exports, members } = publicExports();
const seen = new Set();
const lines = ["import * as tf from '@tensorflow/tfjs-core';"];
for (const p of packages) {
  const names = [...exports.get(p).entries()].filter(([n]) => !seen.has(n));
  for (const [n] of names) seen.add(n);
  const spec = names.map(([n, d]) => (d.value ? n : `type ${n}`)).join(', ');
  lines.push(`import { ${spec} } from '@strata/${p}';`);
}
lines.push(
  'declare const model: Sequential;',
  'declare const x: tf.Tensor, y: tf.Tensor, yTrue: tf.Tensor, yPred: tf.Tensor;',
  '',
);
const found = examples();
for (const [i, e] of found.entries()) {
  const dir = Object.keys(namespaces).find((d) => e.where.startsWith(d));
  const local = dir ? members.get(dir).filter((n) => new RegExp(`\\b${n}\\b`).test(e.code)) : [];
  const [p, ns] = dir ? namespaces[dir] : [];
  const prelude = local.length ? `const { ${local.join(', ')} } = ${ns};\n` : '';
  if (local.length && !seen.has(ns)) throw new Error(`${ns} is not exported by @strata/${p}`);
  lines.push(`// ${e.where}`, `export async function example${i}() {`, `${prelude}${e.code}}`, '');
}

const outDir = join(root, 'packages', 'strata', '.doc-examples');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir);
writeFileSync(join(outDir, 'examples.ts'), lines.join('\n'));
writeFileSync(
  join(outDir, 'tsconfig.json'),
  JSON.stringify({
    extends: '../../../tsconfig.base.json',
    compilerOptions: { noEmit: true, noUnusedLocals: false },
    files: ['examples.ts'],
  }),
);
const config = ts.getParsedCommandLineOfConfigFile(
  join(outDir, 'tsconfig.json'),
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: () => {},
  },
);
const program = ts.createProgram(config.fileNames, config.options);
const generated = program.getSourceFile(join(outDir, 'examples.ts'));
const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file === generated);
const source = readFileSync(join(outDir, 'examples.ts'), 'utf8').split('\n');
for (const d of diagnostics) {
  const { line } = generated.getLineAndCharacterOfPosition(d.start ?? 0);
  const where = source
    .slice(0, line + 1)
    .reverse()
    .find((l) => l.startsWith('// '))
    ?.slice(3);
  console.error(
    `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}\n    ${source[line]?.trim()}`,
  );
}
rmSync(outDir, { recursive: true, force: true });
console.log(`${found.length} examples type-checked, ${diagnostics.length} errors`);
process.exit(diagnostics.length ? 1 : 0);
