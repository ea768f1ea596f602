/**
 * The code in docs/coming-from-keras.md and docs/coming-from-tfjs.md, run (the TF.js page's examples are
 * in migration-tfjs.test.ts). Each `// docs:NAME` region is the body of one code block of those pages,
 * marked there with `<!-- example: NAME -->`. The page's block is its import lines, a blank line, then
 * the region verbatim (dedented); every name a page imports must be imported from the same module by the
 * test file that runs the region, so a page cannot drift from code that type-checks and trains.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EarlyStopping, ModelCheckpoint } from '@strata/callbacks';
import { input, Model, Sequential, type SymbolicTensor } from '@strata/core';
import { loadModel } from '@strata/io';
import { Concatenate, Dense, Dropout } from '@strata/layers';
import '@strata/losses-metrics';
import { Adam } from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '..', '..', '..');

function dedent(lines: string[]): string {
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length);
  const cut = Math.min(...indents);
  return lines.map((l) => l.slice(cut)).join('\n');
}

const exampleFiles = ['migration-guides.test.ts', 'migration-tfjs.test.ts'];

/** The `// docs:NAME` regions of the example files, by name, with the file each is in. */
function regions(): Map<string, { body: string; file: string }> {
  const out = new Map<string, { body: string; file: string }>();
  for (const file of exampleFiles) {
    let name: string | null = null;
    let body: string[] = [];
    for (const line of readFileSync(join(here, file), 'utf8').split('\n')) {
      const mark = /^\s*\/\/ docs:([a-z-]+):(start|end)$/.exec(line);
      if (mark?.[2] === 'start') {
        name = mark[1]!;
        body = [];
      } else if (mark?.[2] === 'end') {
        out.set(name!, { body: dedent(body), file });
        name = null;
      } else if (name) {
        body.push(line);
      }
    }
  }
  return out;
}

/** Module → imported names ('' for a side-effect import) of the import statements in `code`. */
function importsOf(code: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of code.matchAll(/^import (?:(?:type )?\{([^}]*)\} from |\* as (\w+) from )?'([^']+)';/gm)) {
    const names = m[1] !== undefined ? m[1].split(',') : [m[2] === undefined ? '' : `* as ${m[2]}`];
    const set = out.get(m[3]!) ?? new Set<string>();
    for (const n of names) if (n.trim() !== '' || m[1] === undefined) set.add(n.trim());
    out.set(m[3]!, set);
  }
  return out;
}

/** The ```ts blocks of a page that follow an `<!-- example: NAME -->` marker. */
function pageExamples(page: string): Map<string, string> {
  const text = readFileSync(join(root, 'docs', page), 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/<!-- example: ([a-z-]+) -->\s*```ts\n([\s\S]*?)\n```/g)) {
    out.set(m[1]!, m[2]!);
  }
  return out;
}

describe('the migration pages show code that runs', () => {
  it('reads imports as the pages write them', () => {
    const got = importsOf("import { a, type B } from 'x';\nimport 'y'; // note\nimport * as t from 'z';");
    expect([...got].map(([k, v]) => [k, [...v]])).toEqual([
      ['x', ['a', 'type B']],
      ['y', ['']],
      ['z', ['* as t']],
    ]);
  });

  for (const [page, prefix] of [
    ['coming-from-keras.md', 'keras-'],
    ['coming-from-tfjs.md', 'tfjs-'],
  ] as const) {
    it(`${page} shows every example region verbatim, with imports the tests use`, () => {
      const mine = regions();
      const shown = pageExamples(page);
      const expected = [...mine.keys()].filter((k) => k.startsWith(prefix));
      expect(expected.length).toBeGreaterThanOrEqual(2);
      expect([...shown.keys()].sort()).toEqual(expected.sort());
      for (const name of expected) {
        const block = shown.get(name)!;
        const { body, file } = mine.get(name)!;
        expect(block.endsWith(`\n${body}`) || block === body, `${name} body`).toBe(true);
        const head = block.slice(0, block.length - body.length);
        expect(
          head.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('import ')),
          name,
        ).toEqual([]);
        const used = importsOf(readFileSync(join(here, file), 'utf8'));
        const bare = (n: string) => n.replace(/^type /, '');
        for (const [module, names] of importsOf(head)) {
          const have = new Set([...(used.get(module) ?? [])].map(bare));
          for (const n of names)
            expect(have.has(bare(n)), `${name} imports ${n || module} from ${module}`).toBe(true);
        }
      }
    });
  }
});

/** Random features and one-hot labels for `n` samples of `features` values and `classes` classes. */
function data(n: number, features: number, classes: number): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const labels = tf.randomUniform([n], 0, classes, 'int32');
    return [tf.randomNormal([n, features]), tf.oneHot(labels, classes).toFloat()];
  });
}

describe('coming from Keras', () => {
  let dir = '';
  let cwd = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-guide-'));
    cwd = process.cwd();
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('Sequential: compile, fit, evaluate, predict', async () => {
    const [x, y] = data(40, 100, 10);
    const [xTest, yTest] = data(8, 100, 10);
    const [xNew] = data(3, 100, 10);
    const before = tf.memory().numTensors;
    // docs:keras-sequential:start
    const model = new Sequential([
      new Dense({ units: 64, activation: 'relu', inputShape: [100] }),
      new Dropout({ rate: 0.5 }),
      new Dense({ units: 10, activation: 'softmax' }),
    ]);
    model.compile({
      optimizer: new Adam({ learningRate: 1e-3 }),
      loss: 'categorical_crossentropy',
      metrics: ['accuracy'],
    });
    const history = await model.fit(x, y, { epochs: 3, batchSize: 32, validationSplit: 0.2, verbose: 0 });
    const valLoss = history.history.val_loss; // number[], one per epoch
    const [loss, acc] = (await model.evaluate(xTest, yTest, { verbose: 0 })) as number[];
    const probs = model.predict(xNew, { verbose: 0 }); // a tf.Tensor of shape [3, 10]
    // docs:keras-sequential:end
    expect(valLoss).toHaveLength(3);
    expect(Number.isFinite(loss) && acc! >= 0 && acc! <= 1).toBe(true);
    const p = probs as tf.Tensor;
    expect(p.shape).toEqual([3, 10]);
    // Softmax rows sum to one.
    for (const s of tf.tidy(() => p.sum(1)).arraySync() as number[]) expect(s).toBeCloseTo(1, 5);
    p.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 1); // the row sums above
    tf.dispose([x, y, xTest, yTest, xNew]);
  });

  it('functional model with two inputs', async () => {
    const [title] = data(16, 64, 2);
    const [body] = data(16, 128, 2);
    const label = tf.tidy(() => tf.randomUniform([16, 1]).round());
    // docs:keras-functional:start
    const a = input({ shape: [64], name: 'title' });
    const b = input({ shape: [128], name: 'body' });
    const merged = new Concatenate().apply([
      new Dense({ units: 32, activation: 'relu' }).apply(a),
      new Dense({ units: 32, activation: 'relu' }).apply(b),
    ]) as SymbolicTensor; // a list in, one tensor out
    const output = new Dense({ units: 1, activation: 'sigmoid' }).apply(merged);
    const model = new Model({ inputs: [a, b], outputs: output });
    model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
    await model.fit([title, body], label, { epochs: 2, batchSize: 8, verbose: 0 });
    // or by input name, as a Python dict:
    await model.fit({ title, body }, label, { epochs: 1, batchSize: 8, verbose: 0 });
    // docs:keras-functional:end
    const p = model.predict([title, body], { verbose: 0 }) as tf.Tensor;
    expect(p.shape).toEqual([16, 1]);
    expect(model.inputs.map((i) => i.shape)).toEqual([
      [null, 64],
      [null, 128],
    ]);
    tf.dispose([p, title, body, label]);
    model.dispose();
  });

  it('EarlyStopping and ModelCheckpoint, then load_model', async () => {
    const [x, y] = data(40, 100, 10);
    const model = new Sequential([
      new Dense({ units: 16, activation: 'relu', inputShape: [100] }),
      new Dense({ units: 10, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
    // docs:keras-callbacks:start
    const history = await model.fit(x, y, {
      epochs: 20,
      batchSize: 32,
      validationSplit: 0.2,
      verbose: 0,
      callbacks: [
        new EarlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true }),
        new ModelCheckpoint({ filepath: 'best.keras', monitor: 'val_loss', saveBestOnly: true }),
      ],
    });
    // docs:keras-callbacks:end
    expect(history.history.loss!.length).toBeGreaterThan(0);
    expect(history.history.loss!.length).toBeLessThanOrEqual(20);
    expect(readFileSync(join(dir, 'best.keras')).subarray(0, 2).toString('latin1')).toBe('PK');
    // docs:keras-load:start
    const again = await loadModel('best.keras'); // compiled from the file, as in Keras
    // docs:keras-load:end
    expect(again.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dense']);
    const [xNew] = data(2, 100, 10);
    const p = again.predict(xNew, { verbose: 0 }) as tf.Tensor;
    expect(p.shape).toEqual([2, 10]);
    tf.dispose([p, x, y, xNew]);
    model.dispose();
    again.dispose();
  });
});
