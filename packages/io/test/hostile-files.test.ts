import { RegistryError, Sequential, ValueError } from '@strata/core';
import { seededRandom } from '@strata/core/testing';
import '@strata/layers';
import '@strata/optimizers';
import '@strata/losses-metrics';
import { Dense, LSTM, OrthogonalInitializer } from '@strata/layers';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { loadH5 } from '../src/hdf5/h5-module.js';
import { readHdf5 } from '../src/hdf5/read-h5.js';
import { loadModel, MemoryTarget } from '../src/index.js';
import { DEFAULT_READ_LIMITS } from '../src/limits.js';
import { fixtureBytes } from './fixture-helpers.js';
import { storedZip, zipMembers } from './fuzz/mutants.js';

type Json = Record<string, any>;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A .keras file with its config.json edited (members re-zipped, CRCs correct). */
function withConfig(bytes: Uint8Array, edit: (config: Json) => void): Uint8Array {
  const members = zipMembers(bytes);
  return storedZip(
    members.map(([n, d]) => {
      if (n !== 'config.json') return [n, d];
      const config = JSON.parse(dec.decode(d)) as Json;
      edit(config);
      return [n, enc.encode(JSON.stringify(config))];
    }),
  );
}

async function failure(source: Uint8Array): Promise<Error> {
  try {
    (await loadModel(source, { warn: () => {} })).dispose();
  } catch (e) {
    return e as Error;
  }
  throw new Error('the load succeeded');
}

describe('hostile model files', () => {
  let mlp: Uint8Array; // Keras 3.15: Flatten(28x28) -> Dense(128, relu) -> Dropout -> Dense(10)
  beforeAll(async () => {
    mlp = fixtureBytes('mnist-mlp-seq.keras');
    await loadH5();
  });
  afterEach(() => vi.restoreAllMocks());

  it('a trap inside h5wasm discards the instance: the next file loads on a fresh one', async () => {
    const first = await loadH5();
    const weights = zipMembers(mlp).find(([n]) => n === 'model.weights.h5')![1];
    const h5 = first.h5 as unknown as { File: unknown };
    const File = h5.File;
    h5.File = class {
      constructor() {
        throw new WebAssembly.RuntimeError('memory access out of bounds');
      }
    };
    try {
      await expect(readHdf5(weights)).rejects.toThrow(
        /damaged or not an HDF5 file: memory access out of bounds/,
      );
    } finally {
      h5.File = File;
    }
    const second = await loadH5();
    expect(second).not.toBe(first);
    expect(second.h5).not.toBe(first.h5);
    const model = await loadModel(mlp, { warn: () => {} });
    expect(model.weights.map((w) => w.shape)).toContainEqual([784, 128]);
    model.dispose();
  });

  it('an HDF5 error that is not a trap keeps the instance', async () => {
    const first = await loadH5();
    await expect(readHdf5(new Uint8Array(600).fill(7))).rejects.toThrow(ValueError);
    expect(await loadH5()).toBe(first);
  });

  it('damaged HDF5 files give the same outcome in either order', async () => {
    const weights = zipMembers(fixtureBytes('tabular-regression-mlp.keras')).find(
      ([n]) => n === 'model.weights.h5',
    )![1];
    const rand = seededRandom(2025);
    const damaged = Array.from({ length: 30 }, () => {
      const h = weights.slice();
      for (let k = 0; k < 4; k++)
        h[Math.floor(rand() * Math.min(h.length, 3000))] ^= 1 + Math.floor(rand() * 255);
      return h;
    });
    const outcome = async (bytes: Uint8Array) => {
      try {
        const tree = await readHdf5(bytes, DEFAULT_READ_LIMITS, 'w');
        return `read ${[...tree.children.keys()].join(',')}`;
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
    };
    const forward: string[] = [];
    for (const d of damaged) forward.push(await outcome(d));
    const backward: string[] = [];
    for (const d of damaged.slice().reverse()) backward.unshift(await outcome(d));
    expect(backward).toEqual(forward);
    expect(forward.filter((o) => o.startsWith('ValueError')).length).toBeGreaterThanOrEqual(3);
  });

  it('a config asking for more than the file holds fails before allocating, naming the layer and weight', async () => {
    const before = tf.memory();
    const huge = withConfig(mlp, (c) => {
      c.config.layers.find((l: Json) => l.class_name === 'Dense').config.units = 1e6;
    });
    const e1 = await failure(huge);
    expect(e1).toBeInstanceOf(ValueError);
    expect(e1.message).toMatch(/Layer "dense\w*" declares weight 'kernel' of shape \(784, 1000000\)/);
    const wide = withConfig(mlp, (c) => {
      c.config.layers.find((l: Json) => l.class_name === 'InputLayer').config.batch_shape = [null, 1e9];
      c.config.layers = c.config.layers.filter((l: Json) => l.class_name !== 'Flatten');
      for (const l of c.config.layers) delete l.build_config;
      c.build_config = { input_shape: [null, 1e9] };
    });
    const e2 = await failure(wide);
    expect(e2).toBeInstanceOf(ValueError);
    expect(e2.message).toMatch(/declares weight 'kernel' of shape \(1000000000, 128\)/);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it('ten failed loads, each after building some layers, leave no tensor behind', async () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) {
      // The last Dense is too big: the first one's variables exist when the load fails.
      const bad = withConfig(mlp, (c) => {
        const dense = c.config.layers.filter((l: Json) => l.class_name === 'Dense');
        dense[dense.length - 1].config.units = 1e5 + i;
      });
      expect(await failure(bad)).toBeInstanceOf(ValueError);
    }
    // And ten that fail after the model is built (a weight of the wrong shape in the file).
    for (let i = 0; i < 10; i++) {
      const bad = withConfig(mlp, (c) => {
        const dense = c.config.layers.filter((l: Json) => l.class_name === 'Dense');
        dense[dense.length - 1].config.units = 9;
      });
      expect((await failure(bad)).message).toMatch(/expects shape/);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loading does not run the initializers of weights the file replaces', async () => {
    const model = new Sequential([new LSTM({ units: 8, inputShape: [5, 3] }), new Dense({ units: 2 })]);
    const mem = new MemoryTarget();
    await model.save(mem);
    const apply = vi.spyOn(OrthogonalInitializer.prototype, 'apply');
    const loaded = await loadModel(mem.bytes, { warn: () => {} });
    expect(apply).not.toHaveBeenCalled();
    for (const [i, w] of loaded.weights.entries())
      expect(Array.from(w.value.dataSync())).toEqual(Array.from(model.weights[i].value.dataSync()));
    // Outside a load, the initializer runs as before.
    const fresh = new Sequential([new LSTM({ units: 4, inputShape: [2, 3] })]);
    fresh.build([null, 2, 3]);
    expect(apply).toHaveBeenCalledTimes(1);
    for (const m of [model, loaded, fresh]) m.dispose();
  });

  it('zip members are capped before they are inflated: a bomb in model.weights.h5, a huge config.json', async () => {
    const members = zipMembers(mlp);
    // A real bomb: 16 MiB of zeros deflate to ~16 KiB (ratio ~1000), far more than this model's weights.
    const zeros = new Uint8Array(16 * 2 ** 20);
    const bomb = storedZip(
      members.map(([n, d]) => [n, n === 'model.weights.h5' ? zeros : d]),
      6,
    );
    expect(bomb.length).toBeLessThan(2 ** 20);
    const e = await failure(bomb);
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toMatch(
      /'model\.weights\.h5' declares 16777216 bytes, more than the \d+ bytes allowed by what the weights/,
    );
    // A member that lies: 2.2 MB of deflated data declaring 2.1 GB (ratio below the 1000 limit).
    const noise = seededRandom(5);
    const random = new Uint8Array(2_200_000);
    for (let i = 0; i < random.length; i++) random[i] = noise() * 256;
    const lying = storedZip(
      members.map(([n, d]) => [n, n === 'model.weights.h5' ? random : d]),
      6,
    );
    const view = new DataView(lying.buffer, lying.byteOffset);
    let eocd = lying.length - 22;
    while (view.getUint32(eocd, true) !== 0x06054b50) eocd--;
    let p = view.getUint32(eocd + 16, true);
    for (let k = 0; k < view.getUint16(eocd + 10, true); k++) {
      const nameLen = view.getUint16(p + 28, true);
      if (dec.decode(lying.subarray(p + 46, p + 46 + nameLen)) === 'model.weights.h5')
        view.setUint32(p + 24, 2_100_000_000, true);
      p += 46 + nameLen + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
    }
    expect((await failure(lying)).message).toMatch(
      /declares 2100000000 bytes, more than the \d+ bytes allowed/,
    );
    // JSON members by maxJsonBytes, before inflating.
    await expect(loadModel(mlp, { limits: { maxJsonBytes: 100 } })).rejects.toThrow(
      /'(metadata|config)\.json' declares \d+ bytes, more than the 100 bytes allowed by the limit on JSON documents/,
    );
  });

  it('output_layers: [] and input_layers: [] are rejected', async () => {
    const model = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
    const mem = new MemoryTarget();
    // A functional config: a Sequential's graph written as Functional by hand.
    await model.save(mem);
    const functional = withConfig(mem.bytes, (c) => {
      c.class_name = 'Functional';
      c.config = { name: 'f', layers: [], input_layers: [['input_layer', 0, 0]], output_layers: [] };
    });
    const e = await failure(functional);
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toMatch(/`output_layers` is empty.*Received: output_layers=\[\]/);
    model.dispose();
  });

  it('hostile names and wrong types fail with Strata errors naming the field', async () => {
    const before = tf.memory().numTensors;
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      for (const registered of [false, true]) {
        const bad = withConfig(mlp, (c) => {
          const l = c.config.layers.find((x: Json) => x.class_name === 'Dense');
          l.class_name = name;
          if (registered) l.registered_name = name;
        });
        const e = await failure(bad);
        expect(e).toBeInstanceOf(RegistryError);
        expect(e.message).toContain(`${name} (layer "dense`);
      }
      const model = withConfig(mlp, (c) => {
        c.class_name = name;
      });
      expect(await failure(model)).toBeInstanceOf(RegistryError);
    }
    const cases: [string, (c: Json) => void, RegExp][] = [
      [
        'batch_shape',
        (c) => (c.config.layers[0].config.batch_shape = '28x28'),
        /`batch_shape` should be a list.*Received: batch_shape="28x28"/,
      ],
      [
        'batch_shape',
        (c) => (c.config.layers[0].config.batch_shape = [null, -3]),
        /`batch_shape` should list dimensions/,
      ],
      [
        'layers',
        (c) => (c.config.layers = 'x'),
        /`layers` should be a list of layer configs. Received: layers="x"/,
      ],
      ['layers[1]', (c) => (c.config.layers[1] = 42), /`layers\[1\]` should be a layer config/],
      ['config', (c) => (c.config = 'x'), /`config`/],
      [
        'units',
        (c) => (c.config.layers.find((l: Json) => l.class_name === 'Dense').config.units = 1e12),
        /declares weight 'kernel'/,
      ],
      [
        'build_config',
        (c) => (c.build_config = { input_shape: 'x' }),
        /`build_config.input_shape` should be a list/,
      ],
    ];
    for (const [field, edit, message] of cases) {
      const e = await failure(withConfig(mlp, edit));
      expect(e, field).toBeInstanceOf(ValueError);
      expect(e.message, field).toMatch(message);
    }
    // A functional file (Keras 3.15): graph references of the wrong shape.
    const functional = fixtureBytes('keras3.15-integer-lookup-mask.keras');
    const graphCases: [(c: Json) => void, RegExp][] = [
      [
        (c) => (c.config.layers[1].inbound_nodes = [{ args: 'x' }]),
        /`layers\[1\]\.inbound_nodes\[0\]` should be \{args/,
      ],
      [
        (c) => delete c.config.layers[1].inbound_nodes[0].args[0].config.keras_history,
        /`layers\[1\]\.inbound_nodes\[0\]\.args\[0\]\.config\.keras_history` should be \[layer_name, node_index, tensor_index\]/,
      ],
      [(c) => (c.config.output_layers = [[0, 0, 0]]), /`output_layers\[0\]` should be \[layer_name/],
      [(c) => (c.config.layers[0].config.batch_shape = {}), /`batch_shape` should be a list of dimensions/],
    ];
    for (const [edit, message] of graphCases) {
      const e = await failure(withConfig(functional, edit));
      expect(e).toBeInstanceOf(ValueError);
      expect(e.message).toMatch(message);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
