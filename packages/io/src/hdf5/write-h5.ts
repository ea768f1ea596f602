import { ValueError } from '@strata/core';
import { discardH5, type H5Api, isTrap, scratchPath, startFromPristineHeap } from './h5-module.js';
import type { H5AttrValue, H5Group, H5NumericDtype } from './h5-tree.js';

const DTYPE_CODES: Record<H5NumericDtype, string> = {
  float16: '<e',
  float32: '<f',
  float64: '<d',
  int8: '|b',
  uint8: '|B',
  bool: '|b1',
  int16: '<h',
  uint16: '<H',
  int32: '<i',
  uint32: '<I',
  int64: '<q',
  uint64: '<Q',
};

type Group = InstanceType<H5Api['Group']>;

/**
 * Writes plain data to HDF5 bytes: superblock v0 and symbol-table groups (HDF5's earliest format), the
 * layout h5py writes by default, so Keras and h5py read it back.
 */
export async function writeHdf5(root: H5Group): Promise<Uint8Array> {
  const { h5, fs } = await startFromPristineHeap();
  const path = scratchPath();
  let file: InstanceType<H5Api['File']> | null = null;
  try {
    file = new h5.File(path, 'w');
    writeGroup(file, root);
  } catch (e) {
    if (isTrap(e)) discardH5();
    try {
      file?.close();
    } catch {
      // The failure above is the one to report.
    }
    try {
      fs.unlink(path);
    } catch {
      // Never created.
    }
    throw e;
  }
  file.close();
  const bytes = fs.readFile(path);
  fs.unlink(path);
  return bytes;
}

function writeGroup(target: Group, group: H5Group): void {
  writeAttrs(target, group.attrs);
  for (const [name, child] of group.children) {
    if (child.kind === 'group') {
      writeGroup(target.create_group(name), child);
    } else {
      if (!child.data || child.dtype === 'string' || child.dtype === 'other') {
        throw new ValueError(`Cannot write the non-numeric dataset '${name}'.`);
      }
      const ds = target.create_dataset({
        name,
        data: child.data,
        shape: child.shape,
        dtype: DTYPE_CODES[child.dtype],
      });
      writeAttrs(ds as unknown as Group, child.attrs);
    }
  }
}

function writeAttrs(target: Group, attrs: Record<string, H5AttrValue>): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null) continue;
    if (typeof value === 'string') target.create_attribute(name, value);
    else if (typeof value === 'number') target.create_attribute(name, new Float64Array([value]), [], '<d');
    else if (typeof value === 'bigint') target.create_attribute(name, new BigInt64Array([value]), [], '<q');
    else if (value.length === 0) target.create_attribute(name, new Float64Array(0), [0], '<d');
    else if (typeof value[0] === 'string') {
      // Fixed-length byte strings, as h5py stores numpy 'S' arrays (legacy Keras's layer_names, weight_names).
      const strings = value as string[];
      const width = Math.max(1, ...strings.map((v) => new TextEncoder().encode(v).length));
      target.create_attribute(name, strings, [strings.length], `S${width}`);
    } else target.create_attribute(name, Float64Array.from(value as number[]), [value.length], '<d');
  }
}
