// Symbolic tensors in keyword arguments are graph edges (issue #10): the node records them, the graph
// orders and runs them, gradients flow through them, and configs write them as Keras 3 does.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';

import {
  type CallKwargs,
  input,
  Layer,
  Model,
  register,
  registry,
  type SymbolicTensor,
  serializeKerasObject,
} from '../src/index.js';
import { expectNoLeakedTensors, expectTensorsClose } from '../src/testing/index.js';
import { registerTestClasses, TestDense, TestMSE, TestSGD } from './fixtures.js';

/** Adds every tensor found in its keyword arguments (arrays included) to its input. */
class AddKwargTensors extends Layer {
  static override className = 'AddKwargTensors';
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs): tf.Tensor {
    const x = inputs as tf.Tensor;
    const extra = Object.entries(kwargs)
      .filter(([k]) => k !== 'training' && k !== 'mask')
      .flatMap(([, v]) => (Array.isArray(v) ? v : [v]))
      .filter((v): v is tf.Tensor => v instanceof tf.Tensor);
    return tf.tidy(() => extra.reduce((acc, t) => tf.add(acc, t), x));
  }
}

/** Concatenates its input with the tensors of `extra` on the last axis; its output shape is traced. */
class ConcatExtra extends Layer {
  static override className = 'ConcatExtra';
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs): tf.Tensor {
    return tf.concat([inputs as tf.Tensor, ...(kwargs.extra as tf.Tensor[])], -1);
  }
}

/** Gives its output a mask: true where the first feature is positive. */
class PositiveMask extends Layer {
  static override className = 'PositiveMask';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.clone(inputs as tf.Tensor);
  }
  override computeMask(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = inputs as tf.Tensor;
    return tf.tidy(() => tf.squeeze(tf.greater(tf.slice(x, [0, 0], [-1, 1]), 0), [1]));
  }
}

/** Records the mask its call receives; passes its input and mask through. */
class MaskSpy extends Layer {
  static override className = 'MaskSpy';
  seen: (number[] | null)[] = [];
  constructor(args = {}) {
    super(args);
    this.supportsMasking = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs): tf.Tensor {
    const m = kwargs.mask as tf.Tensor | null | undefined;
    this.seen.push(m ? Array.from(m.dataSync()).map(Number) : null);
    return tf.clone(inputs as tf.Tensor);
  }
}

beforeAll(() => {
  registerTestClasses();
  if (!registry.has('layer', 'AddKwargTensors')) {
    register('layer', 'AddKwargTensors', AddKwargTensors);
    register('layer', 'ConcatExtra', ConcatExtra);
    register('layer', 'PositiveMask', PositiveMask);
    register('layer', 'MaskSpy', MaskSpy);
  }
});

/** A tensor reference as Keras 3 writes it in a config. */
function keras(shape: (number | null)[], history: [string, number, number]) {
  return { class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: history } };
}

describe('symbolic tensors in keyword arguments', () => {
  test('are inbound edges in Keras order: layers, summary and config match what Keras 3.15 writes', () => {
    // Keras 3.15, for `Two()(a, zeta=z, alpha=al)` with inputs [a, z, al]: layers [a, al, z, two] (kwargs
    // flatten with sorted keys), "Connected to" a, al, z, and kwargs written in call order.
    const a = input({ shape: [2], name: 'a' });
    const z = input({ shape: [2], name: 'z' });
    const al = input({ shape: [2], name: 'al' });
    const y = new AddKwargTensors({ name: 'two' }).apply(a, { zeta: z, alpha: al });
    const model = new Model({ inputs: [a, z, al], outputs: y });
    expect(model.layers.map((l) => l.name)).toEqual(['a', 'al', 'z', 'two']);
    const node = model.getLayer('two').inboundNodes[0];
    expect(node.inboundTensors.map((t) => t.sourceLayer.name)).toEqual(['a', 'al', 'z']);

    const lines: string[] = [];
    model.summary(100, undefined, (l) => lines.push(l));
    // The last rows of Keras 3.15's `summary(line_length=100)` for the same model.
    expect(lines.slice(10, 13)).toEqual([
      '│ two (AddKwargTensors)       │ (None, 2)               │              0 │ a[0][0], al[0][0],      │',
      '│                             │                         │                │ z[0][0]                 │',
      '└─────────────────────────────┴─────────────────────────┴────────────────┴─────────────────────────┘',
    ]);

    const json = JSON.parse(JSON.stringify(serializeKerasObject('layer', model)));
    const two = json.config.layers.find((l: { name: string }) => l.name === 'two');
    expect(two.inbound_nodes).toEqual([
      {
        args: [keras([null, 2], ['a', 0, 0])],
        kwargs: { zeta: keras([null, 2], ['z', 0, 0]), alpha: keras([null, 2], ['al', 0, 0]) },
      },
    ]);
    expect(Object.keys(two.inbound_nodes[0].kwargs)).toEqual(['zeta', 'alpha']);
  });

  test('are fed to the call when the model runs, and the config rebuilds the same graph', () => {
    const a = input({ shape: [3], name: 'a' });
    const b = input({ shape: [3], name: 'b' });
    const c = input({ shape: [2], name: 'c' });
    const h = new TestDense({ units: 3, name: 'h', seed: 4 }).apply(b);
    const summed = new AddKwargTensors({ name: 'summed' }).apply(a, { shift: h, more: [b, b] });
    // ConcatExtra has no computeOutputShape: the trace must see the `extra` tensors to get 3 + 2 + 3.
    const out = new ConcatExtra({ name: 'joined' }).apply(summed, { extra: [c, a] });
    expect(out.shape).toEqual([null, 8]);
    const model = new Model({ inputs: [a, b, c], outputs: out, name: 'kw' });

    const xa = tf.tensor2d([
      [1, 2, 3],
      [-1, 0, 4],
    ]);
    const xb = tf.tensor2d([
      [0.5, -1, 2],
      [3, 1, -2],
    ]);
    const xc = tf.tensor2d([
      [7, 8],
      [9, 10],
    ]);
    const dense = model.getLayer('h') as TestDense;
    const expected = tf.tidy(() => {
      const hv = tf.add(tf.matMul(xb, dense.kernel.value), dense.bias.value);
      return tf.concat([tf.addN([xa, hv, xb, xb]), xc, xa], -1);
    });
    const y = model.predict([xa, xb, xc]) as tf.Tensor;
    expectTensorsClose(y, expected, { atol: 1e-6 });

    // The same graph from the config, with the layers listed consumer-first: a call waits for the node
    // that makes its keyword-argument tensors.
    const config = JSON.parse(JSON.stringify(model.getKerasConfig()));
    config.layers.reverse();
    const again = Model.fromConfig(config);
    again.setWeights(model.getWeights());
    expect(again.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    const y2 = again.predict([xa, xb, xc]) as tf.Tensor;
    expectTensorsClose(y2, expected, { atol: 1e-6 });
    expect(JSON.stringify(again.getKerasConfig())).toEqual(JSON.stringify(model.getKerasConfig()));
    tf.dispose([xa, xb, xc, expected, y, y2]);
  });

  test('carry gradients: training reaches the weights behind a keyword-argument tensor', async () => {
    const a = input({ shape: [2], name: 'a' });
    const b = input({ shape: [3], name: 'b' });
    const shift = new TestDense({ units: 2, name: 'shift', seed: 2 }).apply(b);
    const out = new AddKwargTensors({ name: 'add' }).apply(a, { shift });
    const model = new Model({ inputs: [a, b], outputs: out });
    const xa = tf.randomNormal([16, 2], 0, 1, 'float32', 1);
    const xb = tf.randomNormal([16, 3], 0, 1, 'float32', 2);
    const target = tf.tidy(() => tf.add(xa, tf.matMul(xb, tf.tensor2d([1, -1, 0.5, 2, 0, 1], [3, 2]))));
    const dense = model.getLayer('shift') as TestDense;

    // d/dW mean((a + bW + c - t)^2) = bᵀ · 2(a + bW + c - t) / size, written out by hand.
    const handGrad = tf.tidy(() => {
      const err = tf.sub(tf.add(xa, tf.add(tf.matMul(xb, dense.kernel.value), dense.bias.value)), target);
      return tf.matMul(xb, tf.mul(err, 2 / err.size), true, false);
    });
    const { grads } = tf.variableGrads(() =>
      tf.tidy(() => tf.mean(tf.square(tf.sub(model.runGraph([xa, xb], true)[0], target)))),
    );
    expectTensorsClose(grads[dense.kernel.value.name], handGrad, { atol: 1e-5 });
    tf.dispose([handGrad, ...Object.values(grads)]);

    model.compile({ optimizer: new TestSGD({ learningRate: 0.1 }), loss: new TestMSE() });
    await model.fit([xa, xb], target, { epochs: 1, verbose: 0 });
    const history = await expectNoLeakedTensors(() =>
      model.fit([xa, xb], target, { epochs: 15, batchSize: 8, verbose: 0 }),
    );
    const loss = history.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(loss[0] * 0.5);
    const y = await expectNoLeakedTensors(() => model.predict([xa, xb]) as tf.Tensor);
    expect(y.shape).toEqual([16, 2]);
    tf.dispose([xa, xb, target, y]);
  });

  test("mask: an explicit symbolic mask is passed; otherwise, as in Keras, tensor kwargs stop the inputs' mask", () => {
    const x = input({ shape: [3], name: 'x' });
    const s = input({ shape: [3], name: 's' });
    const m = input({ shape: [], name: 'm' });
    const masked = new PositiveMask({ name: 'masked' }).apply(x);
    const withKwarg = new MaskSpy({ name: 'with_kwarg' });
    const plain = new MaskSpy({ name: 'plain' });
    const explicit = new MaskSpy({ name: 'explicit' });
    const y1 = withKwarg.apply(masked, { extra: s });
    // The output mask still follows the input's mask, so the next layer sees it.
    const y2 = plain.apply(y1);
    const y3 = explicit.apply(masked, { mask: m });
    const model = new Model({ inputs: [x, s, m], outputs: [y2, y3] });
    const json = JSON.parse(JSON.stringify(model.getKerasConfig()));
    const spy = json.layers.find((l: { name: string }) => l.name === 'explicit');
    expect(spy.inbound_nodes[0].kwargs).toEqual({ mask: keras([null], ['m', 0, 0]) });

    // Building the graph traced the spies' calls; only the run counts.
    for (const spy of [withKwarg, plain, explicit]) spy.seen = [];
    const xs = [
      tf.tensor2d([
        [1, 0, 0],
        [-1, 0, 0],
      ]),
      tf.zeros([2, 3]),
      tf.tensor1d([0, 1]),
    ];
    tf.dispose(model.predict(xs));
    expect(withKwarg.seen).toEqual([null]);
    expect(plain.seen).toEqual([[1, 0]]);
    expect(explicit.seen).toEqual([[0, 1]]);
    tf.dispose(xs);
  });

  test('fail clearly when disconnected or mixed with concrete inputs', () => {
    const a = input({ shape: [2], name: 'given' });
    const b = input({ shape: [2], name: 'missing' });
    const y = new AddKwargTensors({ name: 'needs_b' }).apply(a, { shift: b });
    expect(() => new Model({ inputs: a, outputs: y })).toThrow(
      /Graph disconnected: cannot find the value of tensor .* at layer "needs_b"/,
    );
    const x = tf.ones([1, 2]);
    expect(() => new AddKwargTensors({ name: 'eager' }).apply(x, { shift: [b as SymbolicTensor] })).toThrow(
      `Layer "eager" was called on concrete tensors, but its keyword argument 'shift' holds a symbolic tensor.`,
    );
    x.dispose();
  });
});
