/**
 * Test helpers for Strata and for plug-in authors: `import { runLayerTest } from '@strata/core/testing'`.
 * They throw plain Errors, so they work under any test runner.
 *
 * @module @strata/core/testing
 */
import * as tf from '@tensorflow/tfjs-core';

import { type Shape, SymbolicTensor } from '../engine/symbolic-tensor.js';
import { formatShape } from '../errors.js';
import { input } from '../input-layer.js';
import type { Layer } from '../layer.js';
import { registry } from '../registry.js';
import { deserializeKerasObject, serializeKerasObject } from '../serialization.js';

export { expectClose } from './expect-close.js';
export { CHROMIUM_PATH, headlessChromiumOptions, WEBGPU_CHROMIUM_ARGS } from './headless-chromium.js';
export { seededRandom, seededValues } from './seeded-random.js';

type TensorLike = tf.Tensor | number[] | number[][] | number[][][] | number[][][][] | number;

function toArray(x: TensorLike): { values: Float32Array | Int32Array | Uint8Array; shape: number[] } {
  if (x instanceof tf.Tensor) return { values: x.dataSync() as Float32Array, shape: x.shape };
  const t = tf.tensor(x as number[]);
  const out = { values: t.dataSync() as Float32Array, shape: t.shape };
  t.dispose();
  return out;
}

/** Fails unless `actual` and `expected` have the same shape and agree elementwise within `atol + rtol*|expected|`. */
export function expectTensorsClose(
  actual: TensorLike,
  expected: TensorLike,
  options: { atol?: number; rtol?: number; checkShape?: boolean } = {},
): void {
  const atol = options.atol ?? 1e-6;
  const rtol = options.rtol ?? 0;
  const a = toArray(actual);
  const e = toArray(expected);
  if ((options.checkShape ?? true) && !tf.util.arraysEqual(a.shape, e.shape)) {
    throw new Error(`Shapes differ: actual ${formatShape(a.shape)} vs expected ${formatShape(e.shape)}`);
  }
  if (a.values.length !== e.values.length) {
    throw new Error(`Sizes differ: actual ${a.values.length} vs expected ${e.values.length}`);
  }
  let worst = -1;
  let worstDiff = 0;
  for (let i = 0; i < a.values.length; i++) {
    const av = a.values[i];
    const ev = e.values[i];
    if (Number.isNaN(ev) && Number.isNaN(av)) continue;
    const diff = Math.abs(av - ev);
    if (!(diff <= atol + rtol * Math.abs(ev)) && diff >= worstDiff) {
      worst = i;
      worstDiff = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `Tensors differ at flat index ${worst}: actual ${a.values[worst]} vs expected ${e.values[worst]} ` +
        `(|diff| ${worstDiff}, atol ${atol}, rtol ${rtol})`,
    );
  }
}

/** Runs `fn` and fails if it leaves more tensors alive than before (what it returns is not counted). */
export async function expectNoLeakedTensors<T>(fn: () => T | Promise<T>, allowed = 0): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const returned = countTensors(result);
  const after = tf.memory().numTensors;
  if (after - returned - before > allowed) {
    throw new Error(
      `Leaked ${after - returned - before} tensor(s): ${before} before, ${after} after (${returned} returned).`,
    );
  }
  return result;
}

function countTensors(x: unknown): number {
  if (x instanceof tf.Tensor) return x.isDisposed ? 0 : 1;
  if (Array.isArray(x)) return x.reduce((n: number, v) => n + countTensors(v), 0);
  return 0;
}

/**
 * Options of `runLayerTest`: the layer class and its arguments, the input shape or data, and what to expect.
 */
export interface LayerTestOptions<A> {
  /** Constructor arguments. */
  initArgs: A;
  /** Input shape with the batch axis first (a number batch, e.g. [2, 4]); an array of shapes for multi-input layers. */
  inputShape: number[] | number[][];
  /** Expected output shape for that input (concrete batch). An array of shapes for multi-output layers. */
  expectedOutputShape: number[] | number[][];
  expectedNumTrainableWeights?: number;
  expectedNumNonTrainableWeights?: number;
  /** Concrete input values (default: uniform random in [-1, 1)). */
  inputData?: tf.Tensor | tf.Tensor[];
  inputDtype?: 'float32' | 'int32';
  /** Expected output values for `inputData`. */
  expectedOutput?: tf.Tensor | number[] | number[][];
  /** Run one gradient step on the layer's trainable weights (default true). */
  runTrainingCheck?: boolean;
  /** Check Keras JSON serialization through the registry (default true when the class is registered). */
  checkSerialization?: boolean;
  atol?: number;
}

interface LayerClass<A> {
  new (args: A): Layer;
  fromConfig(config: Record<string, any>): Layer;
}

function stable(x: unknown): string {
  return JSON.stringify(x, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v,
  );
}

function isMulti(shape: number[] | number[][]): shape is number[][] {
  return Array.isArray(shape[0]);
}

/**
 * Keras's `run_layer_test`, in brief: config round trip (and Keras JSON through the registry), build,
 * symbolic and eager output shapes, weight counts, expected values, one training step, and no leaked tensors.
 */
export async function runLayerTest<A>(LayerCls: LayerClass<A>, options: LayerTestOptions<A>): Promise<void> {
  const layer = new LayerCls(options.initArgs);
  const name = layer.name;

  // Config round trip before build.
  const config = layer.getConfig();
  const rebuilt = LayerCls.fromConfig(config);
  if (stable({ ...rebuilt.getConfig(), name }) !== stable(config)) {
    throw new Error(
      `${name}: fromConfig(getConfig()) does not round-trip.\n${stable(config)}\n${stable(rebuilt.getConfig())}`,
    );
  }
  const entry = registry.entryOf('layer', LayerCls);
  if ((options.checkSerialization ?? true) && entry) {
    const json = JSON.parse(JSON.stringify(serializeKerasObject('layer', layer)));
    const again = deserializeKerasObject<Layer>('layer', json);
    if (stable({ ...again.getConfig(), name }) !== stable(config)) {
      throw new Error(
        `${name}: Keras JSON does not round-trip.\n${stable(config)}\n${stable(again.getConfig())}`,
      );
    }
  }

  const multiIn = isMulti(options.inputShape);
  const inShapes = (multiIn ? options.inputShape : [options.inputShape]) as number[][];
  const multiOut = isMulti(options.expectedOutputShape);
  const outShapes = (multiOut ? options.expectedOutputShape : [options.expectedOutputShape]) as number[][];

  // Symbolic call: shapes with a free batch axis.
  const symbolicLayer = LayerCls.fromConfig({ ...config, name: `${name}_symbolic` });
  const symIn = inShapes.map((s) =>
    input({ batchShape: [null, ...s.slice(1)] as Shape, dtype: options.inputDtype }),
  );
  const symOut = symbolicLayer.apply(multiIn ? symIn : symIn[0]);
  const symList = (Array.isArray(symOut) ? symOut : [symOut]) as SymbolicTensor[];
  symList.forEach((t, i) => {
    const expected = [null, ...outShapes[i].slice(1)];
    if (!(t instanceof SymbolicTensor) || stable(t.shape) !== stable(expected)) {
      throw new Error(
        `${name}: symbolic output ${i} has shape ${formatShape(t.shape)}, expected ${formatShape(expected)}`,
      );
    }
  });
  symbolicLayer.dispose();

  // Eager call.
  const inputs =
    options.inputData != null
      ? Array.isArray(options.inputData)
        ? options.inputData
        : [options.inputData]
      : inShapes.map((s) =>
          options.inputDtype === 'int32' ? tf.randomUniform(s, 0, 5, 'int32') : tf.randomUniform(s, -1, 1),
        );
  const callInputs = multiIn ? inputs : inputs[0];
  const first = layer.apply(callInputs as tf.Tensor, { training: false });
  const outs = Array.isArray(first) ? first : [first];
  outs.forEach((t, i) => {
    if (!tf.util.arraysEqual(t.shape, outShapes[i])) {
      throw new Error(
        `${name}: eager output ${i} has shape ${formatShape(t.shape)}, expected ${formatShape(outShapes[i])}`,
      );
    }
  });
  if (options.expectedOutput != null)
    expectTensorsClose(outs[0], options.expectedOutput, { atol: options.atol ?? 1e-6 });
  tf.dispose(outs);

  if (
    options.expectedNumTrainableWeights != null &&
    layer.trainableWeights.length !== options.expectedNumTrainableWeights
  ) {
    throw new Error(
      `${name}: ${layer.trainableWeights.length} trainable weights, expected ${options.expectedNumTrainableWeights}`,
    );
  }
  if (
    options.expectedNumNonTrainableWeights != null &&
    layer.nonTrainableWeights.length !== options.expectedNumNonTrainableWeights
  ) {
    throw new Error(
      `${name}: ${layer.nonTrainableWeights.length} non-trainable weights, expected ${options.expectedNumNonTrainableWeights}`,
    );
  }

  // Built now: further calls and a training step must not leak.
  await expectNoLeakedTensors(() => {
    tf.dispose(layer.apply(callInputs as tf.Tensor, { training: true }));
    layer.clearCallLosses();
    const vars = layer.trainableWeights;
    if ((options.runTrainingCheck ?? true) && vars.length > 0) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(
          () => {
            const out = layer.apply(callInputs as tf.Tensor, { training: true });
            const list = Array.isArray(out) ? out : [out];
            let total = tf.scalar(0);
            for (const o of list) total = tf.add(total, tf.sum(tf.square(o))) as tf.Scalar;
            for (const l of layer.losses) total = tf.add(total, l) as tf.Scalar;
            return total;
          },
          vars.map((v) => v.value),
        );
        for (const v of vars) {
          const g = grads[v.value.name];
          if (!g || !tf.util.arraysEqual(g.shape, v.shape)) {
            throw new Error(`${name}: no gradient of shape ${formatShape(v.shape)} for weight '${v.name}'`);
          }
          if (!Number.isFinite(tf.sum(g).dataSync()[0]))
            throw new Error(`${name}: non-finite gradient for '${v.name}'`);
          v.assign(tf.sub(v.value, tf.mul(g, 0.01)));
        }
      });
      layer.clearCallLosses();
    }
  });
  if (options.inputData == null) tf.dispose(inputs);
  layer.dispose();
}
