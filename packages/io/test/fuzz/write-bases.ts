import '@strata/losses-metrics';
import '@strata/optimizers';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { input, Model, Sequential, type SymbolicTensor } from '@strata/core';
import {
  Concatenate,
  Dense,
  Dropout,
  Embedding,
  GlorotUniform,
  LSTM,
  OrthogonalInitializer,
  RandomUniform,
} from '@strata/layers';

import { MemoryTarget } from '../../src/index.js';
import { STRATA_TFJS, storedZip, zipMembers } from './mutants.js';

const seeded = (seed: number) => new GlorotUniform({ seed });

/**
 * Saves the Strata-written bases of the fuzz suite into `dir`: small models with seeded weights, in the
 * .keras, legacy .h5 and TF.js formats. The .keras files are re-zipped with a fixed date, so every run
 * writes the same bytes.
 */
export async function writeStrataBases(dir: string): Promise<void> {
  mkdirSync(join(dir, STRATA_TFJS), { recursive: true });
  const mlp = new Sequential([
    new Dense({ units: 8, activation: 'relu', inputShape: [6], kernelInitializer: seeded(1) }),
    new Dropout({ rate: 0.2 }),
    new Dense({ units: 3, activation: 'softmax', kernelInitializer: seeded(2) }),
  ]);
  mlp.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  const a = input({ shape: [4], name: 'a' });
  const b = input({ shape: [5], name: 'b' });
  const merged = new Concatenate().apply([
    new Dense({ units: 4, kernelInitializer: seeded(3) }).apply(a),
    new Dense({ units: 4, kernelInitializer: seeded(4) }).apply(b),
  ]);
  const functional = new Model({
    inputs: [a, b],
    outputs: new Dense({ units: 1, kernelInitializer: seeded(5) }).apply(
      merged as SymbolicTensor,
    ) as SymbolicTensor,
  });
  const lstm = new Sequential([
    new Embedding({
      inputDim: 20,
      outputDim: 3,
      inputShape: [7],
      embeddingsInitializer: new RandomUniform({ seed: 6 }),
    }),
    new LSTM({
      units: 4,
      kernelInitializer: seeded(7),
      recurrentInitializer: new OrthogonalInitializer({ seed: 8 }),
    }),
    new Dense({ units: 1, kernelInitializer: seeded(9) }),
  ]);
  const save = async (model: { save(t: MemoryTarget, o?: object): Promise<void> }, format: string) => {
    const mem = new MemoryTarget();
    await model.save(mem, { format });
    return mem;
  };
  const fixedKeras = (bytes: Uint8Array) =>
    storedZip(
      zipMembers(bytes).map(([n, d]) => [
        n,
        n === 'metadata.json'
          ? new TextEncoder().encode(
              new TextDecoder()
                .decode(d)
                .replace(/"date_saved": ?"[^"]*"/, '"date_saved": "2024-01-01@00:00:00"'),
            )
          : d,
      ]),
    );
  writeFileSync(join(dir, 'strata-mlp.keras'), fixedKeras((await save(mlp, 'keras')).bytes));
  writeFileSync(join(dir, 'strata-functional.keras'), fixedKeras((await save(functional, 'keras')).bytes));
  writeFileSync(join(dir, 'strata-lstm.keras'), fixedKeras((await save(lstm, 'keras')).bytes));
  writeFileSync(join(dir, 'strata-mlp.h5'), (await save(mlp, 'h5')).bytes);
  const tfjs = await save(mlp, 'tfjs');
  for (const [name, data] of tfjs.files) writeFileSync(join(dir, STRATA_TFJS, name), data);
  for (const m of [mlp, functional, lstm]) m.dispose();
}
