import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '@strata/core/testing';

import { zipSync } from 'fflate';

import { ZipArchive } from '../../src/keras-zip/zip-reader.js';
import { DEFAULT_READ_LIMITS } from '../../src/limits.js';

/**
 * Deterministic mutants of model files for the fuzz suite: mutant `i` is a pure function of `i` and the
 * base files, so a child process can rebuild any of them from its number alone, in any order.
 */

/** A base file: a single file's bytes, or a TF.js file map (model.json and its shard). */
export interface Base {
  name: string;
  files: Record<string, Uint8Array>;
  primary: string;
}

export interface Mutant {
  id: number;
  name: string;
  /** What loadModel gets: bytes, or a file map for TF.js bases. */
  source: Uint8Array | Record<string, Uint8Array>;
}

/** Committed Keras-written fixtures used as bases (small ones: each mutant is loaded twice). */
export const FIXTURE_BASES = [
  'tabular-regression-mlp.keras',
  'keras3.15-text-vectorization-tfidf.keras',
  'keras3.15-integer-lookup-mask.keras',
  'mnist-cnn-seq-k3.1.keras',
];

/** Strata-written bases, saved by the parent into a folder (see write-bases.ts). */
export const STRATA_BASES = [
  'strata-mlp.keras',
  'strata-functional.keras',
  'strata-lstm.keras',
  'strata-mlp.h5',
];
export const STRATA_TFJS = 'strata-mlp-tfjs';

export function loadBases(fixturesDir: string, strataDir: string): Base[] {
  const one = (dir: string, name: string): Base => ({
    name,
    files: { [name]: new Uint8Array(readFileSync(join(dir, name))) },
    primary: name,
  });
  const tfjsDir = join(strataDir, STRATA_TFJS);
  return [
    ...FIXTURE_BASES.map((n) => one(fixturesDir, n)),
    ...STRATA_BASES.map((n) => one(strataDir, n)),
    {
      name: STRATA_TFJS,
      files: {
        'model.json': new Uint8Array(readFileSync(join(tfjsDir, 'model.json'))),
        'group1-shard1of1.bin': new Uint8Array(readFileSync(join(tfjsDir, 'group1-shard1of1.bin'))),
      },
      primary: 'model.json',
    },
  ];
}

const FIXED_MTIME = new Date(Date.UTC(2024, 0, 1));

/** Stored (uncompressed) zip with a fixed timestamp, so the same members give the same bytes. */
export function storedZip(members: [string, Uint8Array][], level: 0 | 6 = 0): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 | 6; mtime: Date }]> = {};
  for (const [name, data] of members) files[name] = [data, { level, mtime: FIXED_MTIME }];
  return zipSync(files);
}

export function zipMembers(bytes: Uint8Array): [string, Uint8Array][] {
  const zip = ZipArchive.open(bytes, DEFAULT_READ_LIMITS);
  return zip.names().map((n) => [n, zip.read(n)]);
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Names that are members of every JavaScript object: a lookup must never find them. */
const BUILTIN_NAMES = [
  'constructor',
  'toString',
  '__proto__',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  '__defineGetter__',
  'toLocaleString',
  'prototype',
  'Object',
];

type Json = Record<string, unknown>;

/** Every layer config object in a model config (nested models included). */
function layerObjects(node: unknown, out: Json[] = [], depth = 0): Json[] {
  if (depth > 20 || typeof node !== 'object' || node === null) return out;
  if (Array.isArray(node)) {
    for (const n of node) layerObjects(n, out, depth + 1);
    return out;
  }
  const obj = node as Json;
  if (typeof obj.class_name === 'string' && typeof obj.config === 'object' && obj.config !== null)
    out.push(obj);
  for (const v of Object.values(obj)) layerObjects(v, out, depth + 1);
  return out;
}

/** Hostile edits of a parsed config.json (or modelTopology); each returns a description. */
const CONFIG_EDITS: ((root: Json, pick: <T>(xs: T[]) => T) => string)[] = [
  (root, pick) => {
    const l = pick(layerObjects(root));
    const name = pick(BUILTIN_NAMES);
    l.class_name = name;
    if (pick([true, false])) l.registered_name = name;
    return `class_name=${name}`;
  },
  (root, pick) => {
    const l = pick(layerObjects(root));
    const v = pick([1e6, 1e12, -1, 0, 1.5, '10', null, [], {}, 1e300, Number.NaN]);
    const key = pick(['units', 'filters', 'output_dim', 'input_dim', 'num_tokens', 'kernel_size', 'rate']);
    (l.config as Json)[key] = v;
    return `${key}=${JSON.stringify(v)}`;
  },
  (root, pick) => {
    const l = pick(layerObjects(root));
    const v = pick(['28x28', [null, 1e9], [null, -3], {}, [null, 'a'], 42, [[null, 2], 3], [null, 1e9, 1e9]]);
    const key = pick(['batch_shape', 'batch_input_shape', 'input_shape']);
    (l.config as Json)[key] = v;
    return `${key}=${JSON.stringify(v)}`;
  },
  (root, pick) => {
    const v = pick([[null, 1e9], [null, 2 ** 40], '28', [null, -1], { a: [null, 1e9] }]);
    root.build_config = { input_shape: v };
    return `build_config.input_shape=${JSON.stringify(v)}`;
  },
  (root, pick) => {
    const cfg = root.config as Json;
    const v = pick(['x', {}, null, 42, [1, 2], [null]]);
    cfg.layers = v;
    return `layers=${JSON.stringify(v)}`;
  },
  (root, pick) => {
    const v = pick([[], 'config', 42, null, true]);
    root.config = v;
    return `config=${JSON.stringify(v)}`;
  },
  (root, pick) => {
    const cfg = root.config as Json;
    const key = pick(['output_layers', 'input_layers']);
    const v = pick([[], {}, 'dense', [['nope', 0, 0]], [[0, 0, 0]], 7]);
    cfg[key] = v;
    return `${key}=${JSON.stringify(v)}`;
  },
  (root, pick) => {
    const l = pick(layerObjects(root));
    const key = pick(['activation', 'kernel_initializer', 'dtype', 'name', 'kernel_regularizer']);
    const v = pick([
      pick(BUILTIN_NAMES),
      { class_name: pick(BUILTIN_NAMES), config: {} },
      42,
      { class_name: 'GlorotUniform', config: 'x' },
      [],
    ]);
    (l.config as Json)[key] = v;
    return `${key}=${JSON.stringify(v)}`;
  },
  (root, pick) => {
    const l = pick(layerObjects(root));
    const v = pick([
      'x',
      [['a', 0, 0]],
      [{ args: 'x' }],
      [{ args: [{ class_name: '__keras_tensor__', config: {} }] }],
    ]);
    l.inbound_nodes = v;
    return `inbound_nodes=${JSON.stringify(v)}`;
  },
  (root) => {
    let deep: Json = { class_name: 'Sequential', config: { name: 'd', layers: [] } };
    for (let i = 0; i < 300; i++)
      deep = { class_name: 'Sequential', config: { name: `d${i}`, layers: [deep] } };
    (root.config as Json).layers = [deep];
    return 'nested 300 deep';
  },
  (root, pick) => {
    root.class_name = pick(BUILTIN_NAMES);
    return `model class_name=${String(root.class_name)}`;
  },
  (root, pick) => {
    root.compile_config = pick([
      { optimizer: '__proto__', loss: 'constructor' },
      { optimizer: { class_name: 'Adam', config: { learning_rate: 'x' } }, loss: 42 },
      'adam',
      { metrics: 'toString', loss: 'mse', optimizer: 'sgd' },
    ]);
    return 'compile_config';
  },
];

/** One entry per family: how many mutants it makes and how. */
interface Family {
  name: string;
  count: number;
  make(base: Base, rand: () => number): Uint8Array | Record<string, Uint8Array> | null;
  bases(b: Base): boolean;
}

const isZip = (b: Base) => b.primary.endsWith('.keras');
const isH5 = (b: Base) => b.primary.endsWith('.h5');
const isTfjs = (b: Base) => b.primary === 'model.json';

function flip(bytes: Uint8Array, rand: () => number, n: number, from = 0, span = bytes.length): Uint8Array {
  const out = bytes.slice();
  for (let k = 0; k < n; k++) {
    const at = Math.min(out.length - 1, from + Math.floor(rand() * span));
    out[at] ^= 1 + Math.floor(rand() * 255);
  }
  return out;
}

function replaceMember(base: Base, name: string, data: Uint8Array | null): Uint8Array {
  const members = zipMembers(base.files[base.primary]).filter(([n]) => n !== name || data !== null);
  return storedZip(members.map(([n, d]) => [n, n === name && data ? data : d]));
}

function member(base: Base, name: string): Uint8Array {
  return zipMembers(base.files[base.primary]).find(([n]) => n === name)![1];
}

function editConfig(base: Base, rand: () => number): Uint8Array | Record<string, Uint8Array> {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const text = isTfjs(base) ? dec.decode(base.files['model.json']) : dec.decode(member(base, 'config.json'));
  const json = JSON.parse(text) as Json;
  const root = isTfjs(base) ? (json.modelTopology as Json) : json;
  const target = (isTfjs(base) ? ((root.model_config as Json) ?? root) : root) as Json;
  pick(CONFIG_EDITS)(target, pick);
  const edited = enc.encode(JSON.stringify(json));
  if (isTfjs(base)) return { ...base.files, 'model.json': edited };
  return replaceMember(base, 'config.json', edited);
}

const FAMILIES: Family[] = [
  {
    name: 'flip',
    count: 450,
    bases: () => true,
    make: (b, r) => {
      const bytes = b.files[b.primary];
      const out = flip(bytes, r, 1 + Math.floor(r() * 8));
      return isTfjs(b) ? { ...b.files, 'model.json': out } : out;
    },
  },
  {
    name: 'truncate',
    count: 200,
    bases: () => true,
    make: (b, r) => {
      const bytes = b.files[b.primary];
      const out = bytes.slice(0, Math.floor(r() * bytes.length));
      return isTfjs(b) ? { ...b.files, 'model.json': out } : out;
    },
  },
  {
    // Damaged HDF5: bytes of the weights file changed (mostly in its metadata, near the start) and the
    // archive re-zipped with a correct CRC, so the HDF5 library itself meets the damage.
    name: 'hdf5-flip',
    count: 560,
    bases: (b) => isZip(b) || isH5(b),
    make: (b, r) => {
      const h5 = isH5(b) ? b.files[b.primary] : member(b, 'model.weights.h5');
      const head = r() < 0.7;
      const out = flip(
        h5,
        r,
        1 + Math.floor(r() * 6),
        head ? 0 : 0,
        head ? Math.min(h5.length, 4096) : h5.length,
      );
      return isH5(b) ? out : replaceMember(b, 'model.weights.h5', out);
    },
  },
  {
    name: 'hdf5-truncate',
    count: 120,
    bases: (b) => isZip(b) || isH5(b),
    make: (b, r) => {
      const h5 = isH5(b) ? b.files[b.primary] : member(b, 'model.weights.h5');
      const out = h5.slice(0, Math.floor(r() * h5.length));
      return isH5(b) ? out : replaceMember(b, 'model.weights.h5', out);
    },
  },
  {
    name: 'config',
    count: 600,
    bases: (b) => isZip(b) || isTfjs(b),
    make: (b, r) => editConfig(b, r),
  },
  {
    name: 'json-text',
    count: 120,
    bases: isZip,
    make: (b, r) => {
      const which = r() < 0.7 ? 'config.json' : 'metadata.json';
      const text = dec.decode(member(b, which));
      const cut = Math.floor(r() * text.length);
      const junk = ['', '}', '"', ',', '{]', '\u0000', 'NaN', '\ud800', '[[[[[[[[', '1e999'][
        Math.floor(r() * 10)
      ];
      return replaceMember(
        b,
        which,
        enc.encode(text.slice(0, cut) + junk + text.slice(cut + 1 + Math.floor(r() * 5))),
      );
    },
  },
  {
    name: 'members',
    count: 80,
    bases: isZip,
    make: (b, r) => {
      const members = zipMembers(b.files[b.primary]);
      const k = Math.floor(r() * 4);
      if (k === 0) return storedZip(members.filter((_, i) => i !== Math.floor(r() * members.length)));
      if (k === 1) return storedZip(members.map(([n, d]) => [n === 'config.json' ? 'config.JSON' : n, d]));
      if (k === 2) {
        // The weights member swapped for another member's bytes.
        const other = members[Math.floor(r() * members.length)][1];
        return storedZip(members.map(([n, d]) => [n, n === 'model.weights.h5' ? other : d]));
      }
      return storedZip([...members, [`assets/${'x'.repeat(Math.floor(r() * 300))}`, new Uint8Array(10)]]);
    },
  },
  {
    // Zip bombs and lying directories: a deflated member that declares far more than it (or the model)
    // can hold, within the compression-ratio limit.
    name: 'bomb',
    count: 90,
    bases: isZip,
    make: (b, r) => {
      const members = zipMembers(b.files[b.primary]);
      const target = ['model.weights.h5', 'config.json', 'metadata.json'][Math.floor(r() * 3)];
      const k = Math.floor(r() * 3);
      let data = members.find(([n]) => n === target)![1];
      if (k === 0) data = new Uint8Array(8 * 2 ** 20 + Math.floor(r() * 2 ** 20)); // zeros: a real bomb
      const zip = storedZip(
        members.map(([n, d]) => [n, n === target ? data : d]),
        6,
      );
      if (k === 2) return zip;
      // Patch the declared (uncompressed) size of the member in its central-directory entry.
      const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
      let eocd = zip.length - 22;
      while (eocd > 0 && view.getUint32(eocd, true) !== 0x06054b50) eocd--;
      let p = view.getUint32(eocd + 16, true);
      const count = view.getUint16(eocd + 10, true);
      for (let e = 0; e < count; e++) {
        const nameLen = view.getUint16(p + 28, true);
        const name = dec.decode(zip.subarray(p + 46, p + 46 + nameLen));
        if (name === target) {
          const compressed = view.getUint32(p + 20, true);
          const declared = Math.min(0xfffffffe, Math.floor(compressed * (900 + r() * 99)));
          if (k === 1 || r() < 0.5) view.setUint32(p + 24, declared, true);
        }
        p += 46 + nameLen + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
      }
      return zip;
    },
  },
  {
    name: 'tfjs-shard',
    count: 60,
    bases: isTfjs,
    make: (b, r) => {
      const shard = b.files['group1-shard1of1.bin'];
      const k = Math.floor(r() * 3);
      const out =
        k === 0
          ? shard.slice(0, Math.floor(r() * shard.length))
          : k === 1
            ? flip(shard, r, 4)
            : new Uint8Array(shard.length * 2);
      return { ...b.files, 'group1-shard1of1.bin': out };
    },
  },
];

/** How many mutants the suite has. */
export const MUTANT_COUNT = FAMILIES.reduce((n, f) => n + f.count, 0);

/** Mutant `id`: its family, a base chosen for it, and the damage, all from a PRNG seeded with `id`. */
export function makeMutant(id: number, bases: Base[]): Mutant {
  let k = id;
  for (const family of FAMILIES) {
    if (k < family.count) {
      const rand = seededRandom(0x5eed + id * 7919);
      const eligible = bases.filter(family.bases);
      const base = eligible[k % eligible.length];
      const source = family.make(base, rand);
      return { id, name: `${family.name}-${k} of ${base.name}`, source: source ?? base.files[base.primary] };
    }
    k -= family.count;
  }
  throw new Error(`No mutant ${id}: there are ${MUTANT_COUNT}.`);
}
