/**
 * An HDF5 file as plain data: groups of named children, datasets with their values, attributes.
 * Reading copies everything out of the HDF5 library, so nothing stays open once a file is parsed.
 */
import { ValueError } from '@strata/core';

export type H5NumericDtype =
  | 'float16'
  | 'float32'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

export type H5Values =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** A dataset in an HDF5 tree: its dtype, shape, values and attributes. */
export interface H5Dataset {
  kind: 'dataset';
  /** A numeric dtype, or 'string'/'other' for data Strata does not use as weights. */
  dtype: H5NumericDtype | 'string' | 'other';
  shape: number[];
  /** Values for numeric datasets (float16 is widened to float32); null otherwise. */
  data: H5Values | null;
  attrs: Record<string, H5AttrValue>;
}

/** A group in an HDF5 tree: its children by name and its attributes. */
export interface H5Group {
  kind: 'group';
  attrs: Record<string, H5AttrValue>;
  children: Map<string, H5Node>;
}

/** A node of an HDF5 tree: a group or a dataset. */
export type H5Node = H5Group | H5Dataset;

/** Attribute values: strings (variable or fixed length), lists of strings, numbers or numeric arrays. */
export type H5AttrValue = string | string[] | number | number[] | bigint | null;

export function newGroup(attrs: Record<string, H5AttrValue> = {}): H5Group {
  return { kind: 'group', attrs, children: new Map() };
}

export function newDataset(data: H5Values, shape: number[], dtype: H5NumericDtype): H5Dataset {
  return { kind: 'dataset', dtype, shape, data, attrs: {} };
}

/** Follows a slash-separated path; undefined where a step is missing. */
export function getNode(root: H5Group, path: string): H5Node | undefined {
  let node: H5Node = root;
  for (const part of path.split('/').filter(Boolean)) {
    if (node.kind !== 'group') return undefined;
    const next = node.children.get(part);
    if (!next) return undefined;
    node = next;
  }
  return node;
}

/** The group at a slash-separated path of an HDF5 tree, or undefined when there is none. */
export function getGroup(root: H5Group, path: string): H5Group | undefined {
  const n = getNode(root, path);
  return n?.kind === 'group' ? n : undefined;
}

/** Creates the groups along a path as needed and returns the last one. */
export function ensureGroup(root: H5Group, path: string): H5Group {
  let g = root;
  for (const part of path.split('/').filter(Boolean)) {
    let next = g.children.get(part);
    if (!next) {
      next = newGroup();
      g.children.set(part, next);
    }
    if (next.kind !== 'group')
      throw new ValueError(`HDF5 path '${path}': '${part}' is a dataset, not a group.`);
    g = next;
  }
  return g;
}
