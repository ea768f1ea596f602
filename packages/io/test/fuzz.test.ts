import { RegistryError, Sequential, ValueError } from '@strata/core';
import { seededRandom } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { loadH5 } from '../src/hdf5/h5-module.js';
import { loadModel, MemoryTarget } from '../src/index.js';
import { writeZip, ZipArchive } from '../src/internal.js';
import { DEFAULT_READ_LIMITS } from '../src/limits.js';
import { TestDense, TestShift } from './test-layers.js';

type Outcome = 'loaded-same' | 'loaded-other-values' | 'error';

/**
 * Corrupts a valid .keras file in many ways, with a fixed seed. Every variant must either load to the very
 * same model (a change in bytes nothing reads, such as a timestamp) or fail with Strata's ValueError or
 * RegistryError carrying a message: never another exception, a crash of the HDF5 library, or a hang.
 */
describe('fuzzing a .keras file', () => {
  it('1000+ corrupted variants each end in a clear error or an identical model', async () => {
    const model = new Sequential([
      new TestDense({ units: 8, inputShape: [6] }),
      new TestShift({}),
      new TestDense({ units: 3 }),
    ]);
    const mem = new MemoryTarget();
    await model.save(mem);
    const valid = mem.bytes;
    const x = tf.randomNormal([2, 6]);
    const reference = (model.predict(x) as tf.Tensor).dataSync().slice();
    const zip = ZipArchive.open(valid, DEFAULT_READ_LIMITS);
    const members = zip.names().map((n) => [n, zip.read(n)] as [string, Uint8Array]);
    const weightsBytes = members.find(([n]) => n === 'model.weights.h5')![1];
    const configText = new TextDecoder().decode(members.find(([n]) => n === 'config.json')![1]);
    const rand = seededRandom(12345);
    const int = (n: number) => Math.floor(rand() * n);
    const rezip = (replace: Record<string, Uint8Array | null>) =>
      writeZip(members.filter(([n]) => replace[n] !== null).map(([n, d]) => [n, replace[n] ?? d]));

    const variants: [string, Uint8Array][] = [];
    for (let i = 0; i < 150; i++) variants.push([`truncated-${i}`, valid.slice(0, int(valid.length))]);
    for (let i = 0; i < 250; i++) {
      const v = valid.slice();
      for (let k = 0, n = 1 + int(8); k < n; k++) v[int(v.length)] ^= 1 + int(255);
      variants.push([`flipped-${i}`, v]);
    }
    // Corrupt the HDF5 member itself and re-zip with a correct CRC, so the HDF5 parser sees the damage.
    for (let i = 0; i < 300; i++) {
      const h = weightsBytes.slice();
      const where = i < 150 ? int(Math.min(h.length, 2048)) : int(h.length);
      for (let k = 0, n = 1 + int(4); k < n; k++) h[Math.min(h.length - 1, where + int(16))] ^= 1 + int(255);
      variants.push([`h5-flipped-${i}`, rezip({ 'model.weights.h5': h })]);
    }
    for (let i = 0; i < 60; i++)
      variants.push([
        `h5-truncated-${i}`,
        rezip({ 'model.weights.h5': weightsBytes.slice(0, int(weightsBytes.length)) }),
      ]);
    for (const name of members.map(([n]) => n)) variants.push([`removed-${name}`, rezip({ [name]: null })]);
    for (let i = 0; i < 100; i++) {
      const cut = int(configText.length);
      const broken =
        configText.slice(0, cut) +
        ['', '}', '"', ',', '{]', '\u0000'][i % 6] +
        configText.slice(cut + 1 + int(5));
      variants.push([`json-${i}`, rezip({ 'config.json': new TextEncoder().encode(broken) })]);
    }
    // Shapes lied about: the config asks for other sizes than the weights hold.
    for (let i = 0; i < 60; i++) {
      const lied = configText.replace(/"units": ?(\d+)/g, (_m, u) => `"units": ${Number(u) + 1 + int(5)}`);
      variants.push([`shape-lie-${i}`, rezip({ 'config.json': new TextEncoder().encode(lied) })]);
    }
    // Huge declared sizes in the zip directory (uncompressed and compressed sizes, offsets).
    const cdStart = (() => {
      for (let i = valid.length - 22; i >= 0; i--)
        if (valid[i] === 0x50 && valid[i + 1] === 0x4b && valid[i + 2] === 5 && valid[i + 3] === 6) return i;
      return -1;
    })();
    const view = new DataView(valid.buffer, valid.byteOffset, valid.byteLength);
    const cdOffset = view.getUint32(cdStart + 16, true);
    for (let i = 0; i < 60; i++) {
      const v = valid.slice();
      const dv = new DataView(v.buffer);
      let p = cdOffset;
      for (let e = 0; e < 3; e++) {
        if (int(2)) dv.setUint32(p + [20, 24, 42][int(3)], 0xfffffff0 - int(1000), true);
        p += 46 + dv.getUint16(p + 28, true) + dv.getUint16(p + 30, true) + dv.getUint16(p + 32, true);
      }
      if (i % 5 === 0) dv.setUint16(cdStart + 10, 0xfffe, true);
      variants.push([`huge-size-${i}`, v]);
    }
    // Huge HDF5 dataspace: patch the dimension of a dataset (found by its 4-byte size) to ~2^40.
    for (let i = 0; i < 30; i++) {
      const h = weightsBytes.slice();
      const dv = new DataView(h.buffer);
      for (let p = 0; p + 8 <= h.length; p++) {
        if (dv.getUint32(p, true) === 6 && dv.getUint32(p + 4, true) === 0 && rand() < 0.3) {
          dv.setUint32(p + 4, 1 + int(255), true);
        }
      }
      variants.push([`h5-huge-dim-${i}`, rezip({ 'model.weights.h5': h })]);
    }
    expect(variants.length).toBeGreaterThanOrEqual(1000);

    await loadH5();
    const tensorsBefore = tf.memory().numTensors;
    const counts: Record<Outcome, number> = { 'loaded-same': 0, 'loaded-other-values': 0, error: 0 };
    const failures: string[] = [];
    const rssStart = process.memoryUsage().rss;
    let rssPeak = rssStart;
    for (const [name, bytes] of variants) {
      try {
        const loaded = await loadModel(bytes, { warn: () => {} });
        const out = loaded.predict(x) as tf.Tensor;
        const values = out.dataSync();
        out.dispose();
        loaded.dispose();
        if (values.length !== reference.length)
          failures.push(`${name}: loaded a model of another shape without an error`);
        else if (values.some((v, i) => !Object.is(v, reference[i]))) {
          // A byte flipped inside a weight's data and re-zipped with a fresh CRC is a valid file holding
          // other numbers; nothing can tell it from an honest one. Anywhere else, different values are a bug.
          if (name.startsWith('h5-flipped')) counts['loaded-other-values']++;
          else failures.push(`${name}: loaded different values without an error`);
        } else counts['loaded-same']++;
      } catch (e) {
        if (!(e instanceof ValueError || e instanceof RegistryError) || !(e as Error).message) {
          failures.push(`${name}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
        } else counts.error++;
      }
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }
    expect(failures.slice(0, 20)).toEqual([]);
    // Most variants must be refused; the rest changed bytes nothing reads (or weight values, see above).
    expect(counts.error).toBeGreaterThan(variants.length * 0.8);
    expect(counts.error + counts['loaded-same'] + counts['loaded-other-values']).toBe(variants.length);
    // Nothing allocated more than 10x the file size beyond what the process held before.
    expect(rssPeak - rssStart).toBeLessThan(Math.max(10 * valid.length, 64 * 2 ** 20));
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    tf.dispose(x);
    model.dispose();
  });
});
