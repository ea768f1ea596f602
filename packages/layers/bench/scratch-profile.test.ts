import '@tensorflow/tfjs-backend-cpu';
import '../test/register-gradients.js';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { it } from 'vitest';
import { LSTM } from '../src/index.js';
it('profile', async () => {
  const require = createRequire(path.resolve(__dirname, '../../../bench/package.json'));
  const entry = require.resolve('@tensorflow/tfjs-backend-wasm');
  const wasm = await import(entry);
  wasm.setWasmPaths(`${path.dirname(entry)}/`);
  await tf.setBackend('wasm');
  const x = tf.randomUniform([64, 100, 32]);
  const ours = new LSTM({ units: 128 });
  const theirs = tfl.layers.lstm({ units: 128, recurrentActivation: 'sigmoid' });
  tf.dispose(ours.apply(x)); tf.dispose(theirs.apply(x) as tf.Tensor);
  for (const [name, layer] of [['ours', ours], ['theirs', theirs]] as const) {
    const info = await tf.profile(() => tf.tidy(() => { ((layer as any).apply(x) as tf.Tensor).dataSync(); }));
    const agg = new Map<string, [number, number]>();
    let total = 0;
    for (const k of info.kernels) {
      const ms = (await k.kernelTimeMs) as number;
      total += ms;
      const e = agg.get(k.name) ?? [0, 0];
      agg.set(k.name, [e[0] + ms, e[1] + 1]);
    }
    console.log(name, 'total kernel ms', total.toFixed(0), [...agg].sort((a, b) => b[1][0] - a[1][0]).slice(0, 12).map(([n, [ms, c]]) => `${n}:${ms.toFixed(0)}ms/${c}`).join(' '));
  }
});
