/**
 * Writes the MNIST subset the page trains on: `tsx --conditions=strata-source pack-mnist.ts OUT TRAIN TEST`.
 * A separate process because Vite loads its config with Node's own resolution, which would pick the
 * packages' built output instead of their sources.
 */
import { mnist } from '@strata/datasets';

const [out, train, test] = process.argv.slice(2);
if (!out || !train || !test) {
  console.error('Usage: pack-mnist.ts OUT_FILE TRAIN_COUNT TEST_COUNT');
  process.exit(2);
}
const bytes = await mnist.writeMnistPack(out, { trainCount: Number(train), testCount: Number(test) });
console.log(`Wrote ${out} (${bytes} bytes: ${train} training and ${test} test digits).`);
