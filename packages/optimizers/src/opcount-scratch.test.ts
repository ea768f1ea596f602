import { Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { Adam, AdamW, SGD, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion } from './index.js';

it('prints kernels per step', async () => {
  const make = () => Array.from({ length: 10 }, (_, i) => { const t = tf.randomNormal([64, 64]); const v = new Variable({ initialValue: t, name: `v${i}` }); t.dispose(); return v; });
  const cases: [string, () => any][] = [
    ['SGD', () => new SGD()], ['SGD momentum', () => new SGD({ momentum: 0.9 })], ['SGD nesterov', () => new SGD({ momentum: 0.9, nesterov: true })],
    ['Adam', () => new Adam()], ['Adam amsgrad', () => new Adam({ amsgrad: true })], ['AdamW', () => new AdamW()],
    ['RMSprop', () => new RMSprop()], ['RMSprop centered+momentum', () => new RMSprop({ centered: true, momentum: 0.9 })],
    ['Adagrad', () => new Adagrad()], ['Adadelta', () => new Adadelta()], ['Adamax', () => new Adamax()], ['Nadam', () => new Nadam()], ['Lion', () => new Lion()],
    ['Adam clipnorm', () => new Adam({ clipnorm: 1 })], ['Adam globalClipnorm', () => new Adam({ globalClipnorm: 1 })], ['Adam ema', () => new Adam({ useEma: true })],
  ];
  for (const [name, mk] of cases) {
    const vars = make(); const opt = mk();
    const grads = vars.map((v) => tf.randomNormal(v.shape));
    opt.apply(grads, vars);
    const p = await tf.profile(() => { opt.apply(grads, vars); });
    const names = p.kernels.map((k: any) => k.name);
    const counts: Record<string, number> = {}; for (const n of names) counts[n] = (counts[n] ?? 0) + 1;
    console.log(`${name}: ${names.length} kernels for 10 vars (${names.length / 10}/var); newTensors ${p.newTensors}; ${JSON.stringify(counts)}`);
    tf.dispose(grads); opt.dispose(); vars.forEach((v) => v.dispose());
  }
});
