/**
 * One worker of the fuzz suite (run by run-fuzz.ts in its own process): loads the mutants it is given, in
 * the given order, and prints one JSON line per mutant: how the load ended, tensors left behind, and the
 * process's peak RSS so far.
 *
 *   node --conditions=strata-source --import tsx fuzz-child.ts <fixturesDir> <basesDir> <id,id,...>
 */
import '@tensorflow/tfjs-backend-cpu';
import '@strata/layers';
import '@strata/optimizers';
import '@strata/losses-metrics';
import * as tf from '@tensorflow/tfjs-core';

import { loadH5 } from '../../src/hdf5/h5-module.js';
import { loadModel } from '../../src/index.js';
import { loadBases, makeMutant } from './mutants.js';

const STRATA_ERRORS = new Set(['ValueError', 'RegistryError', 'NotImplementedError']);

async function main(): Promise<void> {
  const [fixturesDir, basesDir, list] = process.argv.slice(2);
  await tf.setBackend('cpu');
  const bases = loadBases(fixturesDir, basesDir);
  const ids = list.split(',').map(Number);
  // Start-up work (h5wasm's compilation) is not any mutant's time.
  await loadH5();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  for (const id of ids) {
    const mutant = makeMutant(id, bases);
    const before = tf.memory().numTensors;
    const start = performance.now();
    let outcome: string;
    let bad: string | null = null;
    try {
      const model = await loadModel(mutant.source, { warn: () => {} });
      // A checksum of every weight: a load that depends on history would show here too.
      let sum = 0;
      for (const w of model.weights) for (const v of w.value.dataSync()) sum += Number.isFinite(v) ? v : 0;
      outcome = `loaded ${model.weights.length} weights, sum ${sum.toPrecision(10)}`;
      model.dispose();
    } catch (e) {
      if (!(e instanceof Error)) {
        bad = `threw a non-Error: ${String(e)}`;
        outcome = 'non-Error';
      } else {
        if (!STRATA_ERRORS.has(e.name) || !e.message) bad = `threw ${e.name}: ${e.message}`;
        // Auto-numbered names (dense_3) count up with history; the rest of the message must not change.
        outcome = `${e.name}: ${e.message.replace(/_\d+\b/g, '_N')}`;
      }
    }
    const line = {
      id,
      name: mutant.name,
      outcome,
      bad,
      leaked: tf.memory().numTensors - before,
      ms: Math.round(performance.now() - start),
      maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`fuzz child failed: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(2);
  },
);
