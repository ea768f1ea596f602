import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';

import { deserializeKerasObject, input, Model, Sequential, serializeKerasObject } from '../src/index.js';
import { runLayerTest } from '../src/testing/index.js';
import { registerTestClasses, TestConcat, TestDense } from './fixtures.js';

beforeAll(() => registerTestClasses());

describe('Keras 3 config schema', () => {
  test('Sequential writes an InputLayer with batch_shape and rebuilds to the same predictions', () => {
    const m = new Sequential([
      new TestDense({ units: 4, inputShape: [3], seed: 5 }),
      new TestDense({ units: 2, seed: 6 }),
    ]);
    const json = JSON.parse(JSON.stringify(serializeKerasObject('layer', m)));
    expect(json.module).toBe('keras');
    expect(json.class_name).toBe('Sequential');
    expect(json.registered_name).toBeNull();
    expect(json.config.layers[0].class_name).toBe('InputLayer');
    expect(json.config.layers[0].config.batch_shape).toEqual([null, 3]);
    expect(json.config.layers[1].config.units).toBe(4);
    expect(json.config.layers[1].build_config).toEqual({ input_shape: [null, 3] });
    expect(json.config.build_input_shape).toEqual([null, 3]);
    const again = deserializeKerasObject<Sequential>('layer', json);
    again.setWeights(m.getWeights());
    const x = tf.randomUniform([5, 3]);
    const a = m.predict(x) as tf.Tensor;
    const b = again.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
  });

  test('Functional writes inbound_nodes with __keras_tensor__ entries and round-trips', () => {
    const a = input({ shape: [3], name: 'in_a' });
    const b = input({ shape: [2], name: 'in_b' });
    const c = new TestConcat({ name: 'cat' }).apply([a, b]);
    const out = new TestDense({ units: 1, name: 'head', seed: 9 }).apply(c as never);
    const m = new Model({ inputs: [a, b], outputs: out, name: 'two_in' });
    const json = JSON.parse(JSON.stringify(serializeKerasObject('layer', m)));
    expect(json.module).toBe('keras.src.models.functional');
    expect(json.class_name).toBe('Functional');
    expect(json.registered_name).toBe('Functional');
    const cfg = json.config;
    expect(cfg.input_layers).toEqual([
      ['in_a', 0, 0],
      ['in_b', 0, 0],
    ]);
    expect(cfg.output_layers).toEqual([['head', 0, 0]]);
    const cat = cfg.layers.find((l: { name: string }) => l.name === 'cat');
    expect(cat.inbound_nodes).toEqual([
      {
        args: [
          [
            {
              class_name: '__keras_tensor__',
              config: { shape: [null, 3], dtype: 'float32', keras_history: ['in_a', 0, 0] },
            },
            {
              class_name: '__keras_tensor__',
              config: { shape: [null, 2], dtype: 'float32', keras_history: ['in_b', 0, 0] },
            },
          ],
        ],
        kwargs: {},
      },
    ]);
    const again = deserializeKerasObject<Model>('layer', json);
    expect(again.layers.map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
    expect(JSON.stringify(serializeKerasObject('layer', again))).toBe(JSON.stringify(json));
  });

  test('getConfig is camelCase as layers write it; fromConfig takes it back; files keep snake_case', () => {
    const seq = new Sequential({
      layers: [new TestDense({ units: 2, inputShape: [3], seed: 5 })],
      name: 'seq',
    });
    const seqConfig = seq.getConfig();
    expect(Object.keys(seqConfig).sort()).toEqual([
      'buildInputShape',
      'dtype',
      'layers',
      'name',
      'trainable',
    ]);
    expect(seqConfig.buildInputShape).toEqual([null, 3]);
    expect(serializeKerasObject('layer', seq).config.build_input_shape).toEqual([null, 3]);
    const seqAgain = Sequential.fromConfig(seqConfig);
    expect(seqAgain.getConfig()).toEqual(seqConfig);

    const a = input({ shape: [3], name: 'in_a' });
    const m = new Model({
      inputs: a,
      outputs: new TestDense({ units: 1, name: 'head' }).apply(a),
      name: 'f',
    });
    const config = m.getConfig();
    expect(Object.keys(config).sort()).toEqual([
      'inputLayers',
      'layers',
      'name',
      'outputLayers',
      'trainable',
    ]);
    expect(config.inputLayers).toEqual([['in_a', 0, 0]]);
    expect(config.outputLayers).toEqual([['head', 0, 0]]);
    const keras = serializeKerasObject('layer', m).config;
    expect(keras.input_layers).toEqual(config.inputLayers);
    const again = Model.fromConfig(config);
    expect(JSON.stringify(serializeKerasObject('layer', again))).toBe(
      JSON.stringify(serializeKerasObject('layer', m)),
    );
  });

  test('layers are ordered as Keras orders them (by depth, then traversal)', () => {
    const deep = input({ shape: [6], name: 'deep' });
    const wide = input({ shape: [5], name: 'wide' });
    const h = new TestDense({ units: 4, name: 'h1' }).apply(deep);
    const cat = new TestConcat({ name: 'concat' }).apply([wide, h]);
    const out = new TestDense({ units: 1, name: 'out' }).apply(cat as never);
    const m = new Model({ inputs: [wide, deep], outputs: out });
    expect(m.layers.map((l) => l.name)).toEqual(['deep', 'wide', 'h1', 'concat', 'out']);
  });

  test('Keras 2 configs (batch_input_shape, list inbound_nodes, class "Model") load', () => {
    const legacy = {
      class_name: 'Model',
      config: {
        name: 'model',
        layers: [
          {
            class_name: 'InputLayer',
            config: { batch_input_shape: [null, 3], dtype: 'float32', name: 'input_2' },
            name: 'input_2',
            inbound_nodes: [],
          },
          {
            class_name: 'TestDense',
            config: { units: 2, name: 'd', activation: 'linear', seed: 1 },
            name: 'd',
            inbound_nodes: [[['input_2', 0, 0, {}]]],
          },
        ],
        input_layers: [['input_2', 0, 0]],
        output_layers: [['d', 0, 0]],
      },
    };
    const m = deserializeKerasObject<Model>('layer', legacy as never);
    expect(m.inputs[0].shape).toEqual([null, 3]);
    expect(m.outputs[0].shape).toEqual([null, 2]);
  });
});

describe('Sequential', () => {
  test('deferred build from the first data, add and pop', () => {
    const m = new Sequential();
    m.add(new TestDense({ units: 3 }));
    m.add(new TestDense({ units: 2 }));
    expect(m.built).toBe(false);
    const x = tf.ones([4, 5]);
    const y = m.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([4, 2]);
    expect(m.built).toBe(true);
    expect(m.inputs[0].shape).toEqual([null, 5]);
    m.pop();
    const y2 = m.predict(x) as tf.Tensor;
    expect(y2.shape).toEqual([4, 3]);
    tf.dispose([x, y, y2]);
  });
});

describe('summary', () => {
  test('prints Keras 3 layout with parameter counts', () => {
    const m = new Sequential({
      name: 'sequential_demo',
      layers: [
        new TestDense({ units: 64, inputShape: [100], name: 'dense' }),
        new TestDense({ units: 10, name: 'dense_1' }),
      ],
    });
    const lines: string[] = [];
    m.summary(undefined, undefined, (l) => lines.push(l));
    expect(lines).toEqual([
      'Model: "sequential_demo"',
      // At 88 columns rich shrinks the 41/33/20 requests to 38/29/17 (ratio_reduce of the 10-column excess).
      `┏${'━'.repeat(38)}┳${'━'.repeat(29)}┳${'━'.repeat(17)}┓`,
      `┃ ${'Layer (type)'.padEnd(36)} ┃ ${'Output Shape'.padEnd(27)} ┃ ${'Param #'.padStart(15)} ┃`,
      `┡${'━'.repeat(38)}╇${'━'.repeat(29)}╇${'━'.repeat(17)}┩`,
      `│ ${'dense (TestDense)'.padEnd(36)} │ ${'(None, 64)'.padEnd(27)} │ ${'6,464'.padStart(15)} │`,
      `├${'─'.repeat(38)}┼${'─'.repeat(29)}┼${'─'.repeat(17)}┤`,
      `│ ${'dense_1 (TestDense)'.padEnd(36)} │ ${'(None, 10)'.padEnd(27)} │ ${'650'.padStart(15)} │`,
      `└${'─'.repeat(38)}┴${'─'.repeat(29)}┴${'─'.repeat(17)}┘`,
      ' Total params: 7,114 (27.79 KB)',
      ' Trainable params: 7,114 (27.79 KB)',
      ' Non-trainable params: 0 (0.00 B)',
    ]);
    // rich's layout at Keras's 76-column fallback width: 33 / 24 / 15 wide cells.
    const narrow: string[] = [];
    m.summary(76, undefined, (l) => narrow.push(l));
    expect(narrow[1]).toBe(`┏${'━'.repeat(33)}┳${'━'.repeat(24)}┳${'━'.repeat(15)}┓`);
  });
});

describe('testing helpers', () => {
  test('runLayerTest passes on a correct layer and fails on a wrong expected shape', async () => {
    await runLayerTest(TestDense, {
      initArgs: { units: 3 },
      inputShape: [2, 4],
      expectedOutputShape: [2, 3],
      expectedNumTrainableWeights: 2,
    });
    await expect(
      runLayerTest(TestDense, { initArgs: { units: 3 }, inputShape: [2, 4], expectedOutputShape: [2, 4] }),
    ).rejects.toThrow(/expected/);
  });
});
