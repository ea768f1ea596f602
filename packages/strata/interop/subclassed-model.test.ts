/**
 * Subclassed models between Keras 3 and Strata (issue 18), with real Keras in the repository's venv. Off by
 * default; runs with STRATA_INTEROP=1 (the strata project then includes interop/). Python defines the same
 * subclasses with the same attribute names: it reads Strata's `.weights.h5` and `.keras` files, and Strata
 * reads the weights file Keras writes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Model, register } from '@strata/core';
import '@strata/io';
import { Dense } from '@strata/layers';
import '@strata/losses-metrics';
import '@strata/optimizers';
import '@strata/backends/cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { PYTHON, pythonCanImport, pythonEnv } from '../../io/interop/python.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const enabled = pythonCanImport(['keras', 'h5py']);

class MLP extends Model {
  d1 = new Dense({ units: 8, activation: 'tanh' });
  d2 = new Dense({ units: 2 });
  override call(x: tf.Tensor): tf.Tensor {
    return this.d2.apply(this.d1.apply(x));
  }
}

class Registered extends Model {
  static override className = 'Registered';
  units: number;
  d: Dense;
  constructor(args: { units?: number; name?: string } = {}) {
    super({ name: args.name });
    this.units = args.units ?? 4;
    this.d = new Dense({ units: this.units });
  }
  override call(x: tf.Tensor): tf.Tensor {
    return this.d.apply(x);
  }
  override getConfig(): Record<string, unknown> {
    return { units: this.units, name: this.name };
  }
}
register('layer', 'Registered', Registered, { package: 'strata_interop' });

let dir = '';
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function close(actual: ArrayLike<number>, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  Array.from(actual).forEach((v, i) => {
    expect(v).toBeCloseTo(expected[i], 5);
  });
}

describe.skipIf(!enabled)('subclassed models with Keras 3', () => {
  it('Keras reads the weights and .keras files of the same subclass; Strata reads Keras weights', async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'strata-subclass-interop-'));
    const xs = Array.from({ length: 15 }, (_, i) => Math.sin(i));
    const x = tf.tensor2d(xs, [5, 3]);
    writeFileSync(join(dir, 'x.json'), JSON.stringify({ shape: [5, 3], values: xs }));
    const mlp = new MLP();
    const mine = mlp.predict(x) as tf.Tensor;
    await mlp.saveWeights(join(dir, 'strata.weights.h5'));
    const reg = new Registered({ units: 3, name: 'mine' });
    reg.compile({ optimizer: 'adam', loss: 'mse' });
    await reg.fit(x.slice([0, 0], [5, 2]), tf.ones([5, 3]), { epochs: 2, verbose: 0 });
    const regOut = reg.predict(x.slice([0, 0], [5, 2])) as tf.Tensor;
    await reg.save(join(dir, 'registered.keras'));

    execFileSync(PYTHON, [join(here, 'subclassed_model.py'), dir], { env: pythonEnv, stdio: 'pipe' });

    const keras = JSON.parse(readFileSync(join(dir, 'keras_on_strata.json'), 'utf8'));
    close(mine.dataSync(), keras.mlp);
    close(regOut.dataSync(), keras.registered);
    expect(keras.registered_units).toBe(3);
    expect(keras.registered_name).toBe('mine');

    const own = JSON.parse(readFileSync(join(dir, 'keras_own.json'), 'utf8'));
    const fresh = new MLP();
    tf.tidy(() => fresh.apply(tf.zeros([1, 3])));
    await fresh.loadWeights(join(dir, 'keras.weights.h5'));
    const theirs = fresh.predict(x) as tf.Tensor;
    close(theirs.dataSync(), own.mlp);
    tf.dispose([x, mine, regOut, theirs]);
    // Keras's start-up (JAX, h5py) runs inside the test: give a loaded machine room.
  }, 600_000);
});
