import {
  input,
  Model,
  RegistryError,
  registry,
  Sequential,
  type SymbolicTensor,
  ValueError,
} from '@strata/core';
import {
  BatchNormalization,
  Concatenate,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  MaxPooling2D,
} from '@strata/layers';
import '@strata/losses-metrics';
import '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { loadH5, scratchPath } from '../src/hdf5/h5-module.js';
import { loadModel, MemoryTarget } from '../src/index.js';
import { readKerasArchive, writeKerasArchive } from '../src/internal.js';
import { DEFAULT_READ_LIMITS } from '../src/limits.js';
import { sniffFormat } from '../src/sniff.js';

type Json = Record<string, any>;

/** Keras 3's serialized-object schema: every layer entry has these keys with these types. */
function expectKerasObject(o: Json, where: string): void {
  expect(typeof o.class_name, `${where}.class_name`).toBe('string');
  expect(typeof o.config, `${where}.config`).toBe('object');
  expect('module' in o && (o.module === null || typeof o.module === 'string'), `${where}.module`).toBe(true);
  expect('registered_name' in o, `${where}.registered_name`).toBe(true);
}

/** Lists every group and dataset with h5wasm's own API (not Strata's reader). */
async function nativeListing(
  bytes: Uint8Array,
): Promise<Map<string, { shape?: number[]; dtype?: unknown; attrs: string[] }>> {
  const { h5, fs } = await loadH5();
  const p = scratchPath();
  fs.writeFile(p, bytes);
  const f = new h5.File(p, 'r');
  const out = new Map<string, { shape?: number[]; dtype?: unknown; attrs: string[] }>();
  const walk = (g: InstanceType<typeof h5.Group>, prefix: string) => {
    for (const k of g.keys()) {
      const child = g.get(k);
      const path = prefix ? `${prefix}/${k}` : k;
      if (child instanceof h5.Group) {
        out.set(`${path}/`, { attrs: Object.keys(child.attrs) });
        walk(child, path);
      } else if (child instanceof h5.Dataset)
        out.set(path, { shape: child.shape ?? [], dtype: child.dtype, attrs: [] });
    }
  };
  walk(f, '');
  f.close();
  fs.unlink(p);
  return out;
}

describe("Keras 3's own layout", () => {
  it('a saved Sequential CNN has Keras paths, shapes, dtypes and a schema-valid config.json', async () => {
    const model = new Sequential([
      new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [10, 10, 1] }),
      new BatchNormalization({}),
      new MaxPooling2D({ poolSize: 2 }),
      new Conv2D({ filters: 3, kernelSize: 3 }),
      new Flatten({}),
      new Dropout({ rate: 0.3 }),
      new Dense({ units: 5 }),
      new Dense({ units: 2, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
    const x = tf.randomNormal([2, 10, 10, 1]);
    const y = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 2);
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    const mem = new MemoryTarget();
    await model.save(mem);
    expect(sniffFormat(mem.bytes)).toBe('zip');
    const archive = readKerasArchive(mem.bytes, DEFAULT_READ_LIMITS);
    const listing = await nativeListing(archive.weights);
    const shapes = Object.fromEntries([...listing].filter(([, v]) => v.shape).map(([k, v]) => [k, v.shape]));
    expect(shapes).toMatchObject({
      'layers/conv2d/vars/0': [3, 3, 1, 4],
      'layers/conv2d/vars/1': [4],
      'layers/batch_normalization/vars/0': [4],
      'layers/batch_normalization/vars/3': [4],
      'layers/conv2d_1/vars/0': [3, 3, 4, 3],
      'layers/dense/vars/0': [12, 5],
      'layers/dense_1/vars/0': [5, 2],
      'layers/dense_1/vars/1': [2],
      'optimizer/vars/0': [],
      'optimizer/vars/1': [],
    });
    // Weightless layers still get their (empty) vars groups; no InputLayer group in a Sequential.
    for (const g of ['layers/max_pooling2d/vars/', 'layers/flatten/vars/', 'layers/dropout/vars/', 'vars/'])
      expect(listing.has(g), g).toBe(true);
    expect([...listing.keys()].some((k) => k.startsWith('layers/input_layer'))).toBe(false);
    expect(listing.get('optimizer/vars/0')!.dtype).toBe('<q');
    expect(listing.get('layers/dense/vars/0')!.dtype).toBe('<f');
    expect(listing.get('layers/dense/vars/')!.attrs).toContain('name');
    // Adam: iteration, learning_rate, then (m, v) per trainable variable: 2 + 2 * 10.
    expect([...listing.keys()].filter((k) => /^optimizer\/vars\/\d+$/.test(k))).toHaveLength(22);

    const c = archive.config as Json;
    expectKerasObject(c, 'config.json');
    expect(c).toMatchObject({ module: 'keras', class_name: 'Sequential', registered_name: null });
    expect(typeof c.build_config).toBe('object');
    expect(c.compile_config).toMatchObject({ loss: 'categorical_crossentropy' });
    expectKerasObject(c.compile_config.optimizer, 'compile_config.optimizer');
    expect(c.config.layers[0].class_name).toBe('InputLayer');
    expect(c.config.layers[0].config.batch_shape).toEqual([null, 10, 10, 1]);
    for (const [i, l] of (c.config.layers as Json[]).entries()) expectKerasObject(l, `layers[${i}]`);
    expect(c.config.layers[1].config).toMatchObject({ filters: 4, kernel_size: [3, 3], activation: 'relu' });
    expect(Object.keys(archive.metadata).sort()).toEqual(['date_saved', 'keras_version']);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('a Functional model has input_layer groups and Keras 3 inbound_nodes', async () => {
    const a = input({ shape: [3] });
    const b = input({ shape: [2] });
    const out = new Dense({ units: 1 }).apply(
      new Concatenate({}).apply([new Dense({ units: 4 }).apply(a), b]) as SymbolicTensor,
    );
    const model = new Model({ inputs: [a, b], outputs: out });
    const mem = new MemoryTarget();
    await model.save(mem);
    const archive = readKerasArchive(mem.bytes, DEFAULT_READ_LIMITS);
    const listing = await nativeListing(archive.weights);
    for (const g of ['layers/input_layer/vars/', 'layers/input_layer_1/vars/', 'layers/concatenate/vars/'])
      expect(listing.has(g), g).toBe(true);
    expect(listing.get('layers/dense_1/vars/0')!.shape).toEqual([6, 1]);
    const c = archive.config as Json;
    expect(c).toMatchObject({
      module: 'keras.src.models.functional',
      class_name: 'Functional',
      registered_name: 'Functional',
    });
    const concat = c.config.layers.find((l: Json) => l.class_name === 'Concatenate');
    expect(concat.inbound_nodes[0].args[0]).toHaveLength(2);
    expect(concat.inbound_nodes[0].args[0][0]).toMatchObject({
      class_name: '__keras_tensor__',
      config: { keras_history: [expect.any(String), 0, 0] },
    });
    expect(c.config.input_layers).toHaveLength(2);
    model.dispose();
  });
});

describe('safety', () => {
  it('a Lambda layer fails naming it; nothing runs', async () => {
    const model = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
    const mem = new MemoryTarget();
    await model.save(mem);
    const archive = readKerasArchive(mem.bytes, DEFAULT_READ_LIMITS);
    const config = structuredClone(archive.config) as Json;
    config.config.layers.push({
      module: 'keras.layers',
      class_name: 'Lambda',
      registered_name: null,
      config: { name: 'evil', function: { class_name: '__lambda__', config: { code: 'import os' } } },
    });
    const bad = writeKerasArchive({ ...archive, config });
    await expect(loadModel(bad)).rejects.toThrow(/Lambda layer \("evil"\).*never runs code/);
    model.dispose();
  });

  it('an unknown layer class fails with a RegistryError naming it and the package', async () => {
    const model = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
    const mem = new MemoryTarget();
    await model.save(mem);
    const archive = readKerasArchive(mem.bytes, DEFAULT_READ_LIMITS);
    const config = structuredClone(archive.config) as Json;
    config.config.layers[1].class_name = 'FancyAttention';
    const err = await loadModel(writeKerasArchive({ ...archive, config })).catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toMatch(/FancyAttention \(layer "dense.*"\).*@strata\/layers/);
    model.dispose();
  });

  it('bytes of no known format are rejected by their magic, not their name', async () => {
    await expect(loadModel(new TextEncoder().encode('GIF89a....'))).rejects.toThrow(ValueError);
    await expect(loadModel(new Uint8Array(0))).rejects.toThrow(/empty file/);
  });

  it('io registers saveModel, saveWeights and loadWeights for core', () => {
    for (const n of ['saveModel', 'saveWeights', 'loadWeights']) expect(registry.has('io', n)).toBe(true);
  });
});
