import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Sequential } from '@strata/core';
import { Dense } from '@strata/layers';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { loadModel } from '../src/index.js';
import { sniffFormat } from '../src/internal.js';
import { writeFilesAtomic } from '../src/targets/node-file.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function model(): Sequential {
  return new Sequential([new Dense({ units: 3, inputShape: [4] }), new Dense({ units: 2 })]);
}

describe('file targets (Node)', () => {
  it('model.save picks the format by extension and loadModel sniffs it back', async () => {
    const m = model();
    const x = tf.randomNormal([2, 4]);
    const y = m.predict(x) as tf.Tensor;
    for (const [file, format] of [
      ['m.keras', 'zip'],
      ['m.h5', 'hdf5'],
      ['model.json', 'json'],
    ] as const) {
      const path = join(dir, file);
      await m.save(path);
      expect(sniffFormat(new Uint8Array(readFileSync(path)))).toBe(format);
      const loaded = await loadModel(path);
      const z = (loaded as unknown as Sequential).predict(x) as tf.Tensor;
      expect(Array.from(z.dataSync())).toEqual(Array.from(y.dataSync()));
      z.dispose();
      loaded.dispose();
    }
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // A TF.js save writes model.json with its shard beside it.
    expect(readdirSync(dir)).toContain('group1-shard1of1.bin');
    tf.dispose([x, y]);
    m.dispose();
  });

  it('saveWeights requires .weights.h5, as Keras does; an unknown extension is refused', async () => {
    const m = model();
    await expect(m.saveWeights(join(dir, 'w.h5'))).rejects.toThrow(/must end in `\.weights\.h5`/);
    await expect(m.save(join(dir, 'm.bin'))).rejects.toThrow(/Invalid filepath extension/);
    await expect(m.save(join(dir, 'm.weights.h5'))).rejects.toThrow(/saveWeights/);
    await m.saveWeights(join(dir, 'w.weights.h5'));
    const other = model();
    await other.loadWeights(join(dir, 'w.weights.h5'));
    expect(Array.from(other.weights[0].value.dataSync())).toEqual(Array.from(m.weights[0].value.dataSync()));
    m.dispose();
    other.dispose();
  });

  it('overwrite: false keeps an existing file; a failed write leaves the old file whole', async () => {
    const path = join(dir, 'keep.keras');
    writeFileSync(path, 'old');
    const m = model();
    await expect(m.save(path, { overwrite: false })).rejects.toThrow(/already exists/);
    expect(readFileSync(path, 'utf8')).toBe('old');
    // A file whose data cannot be written (a directory stands where a shard should go).
    const target = join(dir, 'sub', 'model.json');
    // Saving never creates folders (as in Keras): a missing one fails and stays missing.
    await expect(
      writeFilesAtomic(join(dir, 'sub', 'x.bin'), [{ name: 'x.bin', data: new Uint8Array([1]) }], true),
    ).rejects.toThrow(`the folder '${join(dir, 'sub')}' does not exist. Create it first`);
    expect(existsSync(join(dir, 'sub'))).toBe(false);
    mkdirSync(join(dir, 'sub'));
    await writeFilesAtomic(join(dir, 'sub', 'x.bin'), [{ name: 'x.bin', data: new Uint8Array([1]) }], true);
    const blocked = join(dir, 'sub', 'group1-shard1of1.bin');
    rmSync(blocked, { force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(join(blocked, 'inner'), { recursive: true }));
    await expect(m.save(target)).rejects.toThrow();
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(join(dir, 'sub')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    m.dispose();
  });
});
