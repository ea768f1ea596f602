/**
 * Runs every `@example` of the TSDoc comments in the packages' src, so the API reference never shows
 * code that does not run. An example sees every export of the Strata packages (and `losses`/`metrics`
 * namespaces), `tf`, and a few fixtures: `model` (a compiled Sequential from 100 features to 10 classes),
 * `x` and `y` (16 samples for it), `yTrue` and `yPred` (two [4, 3] probability rows), and a quiet
 * `console`. Each runs inside its own block, in a fresh temporary working folder.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as backends from '@strata/backends';
import * as callbacks from '@strata/callbacks';
import * as core from '@strata/core';
import * as datasets from '@strata/datasets';
import * as io from '@strata/io';
import * as layers from '@strata/layers';
import * as lossesMetrics from '@strata/losses-metrics';
import * as onnx from '@strata/onnx';
import * as optimizers from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const packagesDir = join(new URL('.', import.meta.url).pathname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'vendor' ? [] : sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

interface Example {
  where: string;
  code: string;
}

/** The ```ts blocks that follow an `@example` tag in the doc comments of `file`. */
function examplesIn(file: string): Example[] {
  const text = readFileSync(file, 'utf8');
  const out: Example[] = [];
  for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const lines = comment[0].split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
    const body = lines.join('\n');
    const at = body.indexOf('@example');
    if (at < 0) continue;
    const block = /```ts\n([\s\S]*?)```/.exec(body.slice(at));
    const line = text.slice(0, comment.index).split('\n').length;
    out.push({ where: `${file.slice(packagesDir.length + 1)}:${line}`, code: block?.[1] ?? '' });
  }
  return out;
}

const examples = readdirSync(packagesDir).flatMap((p) => {
  try {
    return sourceFiles(join(packagesDir, p, 'src')).flatMap(examplesIn);
  } catch {
    return [];
  }
});

const scope: Record<string, unknown> = {
  ...backends,
  ...callbacks,
  ...datasets,
  ...io,
  ...layers,
  ...lossesMetrics,
  ...onnx,
  ...optimizers,
  ...core,
  tf,
};
// Names reserved in a function body, or not exported values (`type` re-exports are absent at run time).
for (const name of Object.keys(scope)) if (!/^[A-Za-z_$][\w$]*$/.test(name)) delete scope[name];

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...values: unknown[]) => Promise<void>;

/**
 * A line that ends in `// shape [a, b]` is checked: `const y = f(); // shape [2, 3]` and
 * `f(); // shape [2, 3]` both assert the tensor's shape, as does a line `// y.shape: [2, 3]`; a line
 * `expression; // true` asserts the expression.
 */
function withShapeChecks(code: string): string {
  return code
    .split('\n')
    .map((line) => {
      const truth = /^(\s*)(.*?);\s*\/\/ true$/.exec(line);
      if (truth) return `${truth[1]}__expectTrue(${truth[2]}, ${JSON.stringify(truth[2])});`;
      const named = /^(\s*)\/\/ (\w+)\.shape: (\[[\d, ]*\])\s*$/.exec(line);
      if (named) return `${named[1]}__expectShape(${named[2]}, ${named[3]});`;
      const m = /^(\s*)(?:(const|let) (\w+) = )?(.*?);\s*\/\/ shape (\[[\d, ]*\])/.exec(line);
      if (!m) return line;
      const [, indent, decl, name, expr, shape] = m;
      return decl
        ? `${indent}${decl} ${name} = ${expr}; __expectShape(${name}, ${shape});`
        : `${indent}__expectShape(${expr}, ${shape});`;
    })
    .join('\n');
}

function expectTrue(value: unknown, what: string): void {
  expect(value, what).toBe(true);
}

function expectShape(t: unknown, shape: number[]): void {
  expect((t as tf.Tensor).shape, 'the shape the example states').toEqual(shape);
}

/** Names an example sees because of where it is: a loss's example means `losses.X` by `X`, and so on. */
function localScope(where: string): Record<string, unknown> {
  const dirs: [string, Record<string, unknown>][] = [
    ['losses-metrics/src/losses/', lossesMetrics.losses],
    ['losses-metrics/src/metrics/', lossesMetrics.metrics],
    ['layers/src/initializers/', layers.initializers],
    ['layers/src/constraints/', layers.constraints],
    ['layers/src/regularizers/', layers.regularizers],
    ['layers/src/activations/', layers.activations],
  ];
  return Object.fromEntries(
    dirs.filter(([dir]) => where.startsWith(dir)).flatMap(([, ns]) => Object.entries(ns)),
  );
}

async function runExample(where: string, code: string, fixtures: Record<string, unknown>): Promise<void> {
  const js = ts
    .transpileModule(`{\n${withShapeChecks(code)}\n}\nexport {};`, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    })
    .outputText.replace(/^export \{\};$/m, '');
  const all: Record<string, unknown> = { ...scope, ...localScope(where), ...fixtures };
  await new AsyncFunction(...Object.keys(all), js)(...Object.values(all));
}

describe('every @example in the API docs runs', () => {
  let dir = '';
  let cwd = '';
  beforeAll(() => {
    cwd = process.cwd();
  });
  afterAll(() => {
    process.chdir(cwd);
  });

  it('checks the shapes an example states', async () => {
    const quiet = { __expectShape: expectShape, __expectTrue: expectTrue };
    await runExample('x', 'const t = tf.zeros([2, 3]); // shape [2, 3]\n// t.shape: [2, 3]', quiet);
    await expect(runExample('x', 'tf.zeros([2, 3]); // shape [3, 2]', quiet)).rejects.toThrow(/shape/);
    await expect(runExample('x', 'const t = tf.zeros([2]);\n// t.shape: [3]', quiet)).rejects.toThrow(
      /shape/,
    );
  });

  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThan(150);
    for (const e of examples)
      expect(e.code.trim(), `${e.where} has an @example without a \`\`\`ts block`).not.toBe('');
  });

  for (const example of examples) {
    it(example.where, async () => {
      dir = mkdtempSync(join(tmpdir(), 'strata-example-'));
      process.chdir(dir);
      const model = new core.Sequential([
        new layers.Dense({ units: 10, activation: 'softmax', inputShape: [100] }),
      ]);
      model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
      const fixtures = {
        model,
        x: tf.randomNormal([16, 100]),
        y: tf.oneHot(tf.randomUniform([16], 0, 10, 'int32'), 10).toFloat(),
        yTrue: tf.tensor2d([
          [0, 1, 0],
          [0, 0, 1],
          [1, 0, 0],
          [0, 1, 0],
        ]),
        yPred: tf.tensor2d([
          [0.1, 0.8, 0.1],
          [0.2, 0.2, 0.6],
          [0.7, 0.2, 0.1],
          [0.3, 0.4, 0.3],
        ]),
        console: { log() {}, warn() {}, info() {}, error() {} },
        __expectShape: expectShape,
        __expectTrue: expectTrue,
      };
      // Examples print (summary(), progress bars, warnings); keep the test log for failures.
      const quiet = (['log', 'warn', 'info'] as const).map((m) =>
        vi.spyOn(console, m).mockImplementation(() => {}),
      );
      tf.engine().startScope();
      try {
        await runExample(example.where, example.code, fixtures);
      } finally {
        for (const spy of quiet) spy.mockRestore();
        tf.engine().endScope();
        process.chdir(cwd);
        rmSync(dir, { recursive: true, force: true });
        model.dispose();
        tf.dispose([fixtures.x, fixtures.y, fixtures.yTrue, fixtures.yPred]);
      }
    });
  }
});
