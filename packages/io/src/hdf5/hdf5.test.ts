import { ValueError } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { loadH5, scratchPath } from './h5-module.js';
import { ensureGroup, getNode, type H5Dataset, type H5Group, newDataset, newGroup } from './h5-tree.js';
import { readHdf5 } from './read-h5.js';
import { writeHdf5 } from './write-h5.js';

function sample(): H5Group {
  const root = newGroup();
  const vars = ensureGroup(root, 'layers/dense/vars');
  vars.attrs.name = 'dense_7';
  vars.children.set('0', newDataset(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3], 'float32'));
  vars.children.set('1', newDataset(Float32Array.from([0.5, -0.5, 1.5]), [3], 'float32'));
  const opt = ensureGroup(root, 'optimizer/vars');
  opt.children.set('0', newDataset(BigInt64Array.from([12345678901n]), [], 'int64'));
  opt.children.set('1', newDataset(Float32Array.from([0.001]), [], 'float32'));
  ensureGroup(root, 'layers/flatten/vars');
  root.attrs.names = ['dense', 'flatten_1'];
  root.attrs.empty = [];
  return root;
}

describe('HDF5 read/write', () => {
  it('round-trips groups, datasets of several dtypes, scalars, and string attributes', async () => {
    const bytes = await writeHdf5(sample());
    expect([...bytes.subarray(0, 4)]).toEqual([0x89, 0x48, 0x44, 0x46]);
    const back = await readHdf5(bytes);
    const k = getNode(back, 'layers/dense/vars/0') as H5Dataset;
    expect(k.shape).toEqual([2, 3]);
    expect(k.dtype).toBe('float32');
    expect([...(k.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6]);
    const it64 = getNode(back, 'optimizer/vars/0') as H5Dataset;
    expect(it64.dtype).toBe('int64');
    expect(it64.shape).toEqual([]);
    expect((it64.data as BigInt64Array)[0]).toBe(12345678901n);
    expect((getNode(back, 'optimizer/vars/1') as H5Dataset).data?.[0]).toBeCloseTo(0.001, 9);
    expect((getNode(back, 'layers/dense/vars') as H5Group).attrs.name).toBe('dense_7');
    expect(back.attrs.names).toEqual(['dense', 'flatten_1']);
    expect(back.attrs.empty).toEqual([]);
    expect((getNode(back, 'layers/flatten/vars') as H5Group).children.size).toBe(0);
  });

  it('writes what h5wasm reads back natively with the same paths and shapes', async () => {
    const bytes = await writeHdf5(sample());
    const { h5, fs } = await loadH5();
    const p = scratchPath();
    fs.writeFile(p, bytes);
    const f = new h5.File(p, 'r');
    try {
      const ds = f.get('layers/dense/vars/0') as InstanceType<typeof h5.Dataset>;
      expect(ds.shape).toEqual([2, 3]);
      expect(ds.dtype).toBe('<f');
      expect((f.get('optimizer/vars/0') as InstanceType<typeof h5.Dataset>).dtype).toBe('<q');
    } finally {
      f.close();
      fs.unlink(p);
    }
  });

  it('rejects bytes that are not HDF5 with a ValueError', async () => {
    await expect(readHdf5(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).rejects.toThrow(ValueError);
  });

  it('rejects a truncated file', async () => {
    const bytes = await writeHdf5(sample());
    await expect(readHdf5(bytes.subarray(0, Math.floor(bytes.length / 2)))).rejects.toThrow(ValueError);
  });
});
