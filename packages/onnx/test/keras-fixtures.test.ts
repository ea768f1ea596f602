// The `.keras` and `.h5` fixtures that load in Strata, exported and run in onnxruntime-node: the committed
// ones (packages/io/test/fixtures) and, where present, the shared third-party ones (STRATA_SHARED_FIXTURES
// or ../shared/fixtures/keras). A committed fixture the exporter refuses fails the test; a shared one is
// reported.
import path from 'node:path';

import { type Model, ValueError } from '@strata/core';
import '@strata/layers';
import { loadModel } from '@strata/io';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../src/index.js';
import { toOnnx } from '../src/index.js';
import { COMMITTED, fixtureFiles, fixtureInputs, ROOT } from './fixture-inputs.js';
import { expectOnnxMatchesPredict } from './onnx-runtime.js';

const files = fixtureFiles();

describe('Keras fixtures: ONNX export matches predict', () => {
  it.each(files.map((f) => [path.relative(ROOT, f), f]))('%s', async (_name, file) => {
    let model: Model;
    try {
      model = await loadModel(file, { warn: () => {} });
    } catch (e) {
      console.log(
        `${path.basename(file)}: does not load in Strata (${(e as Error).message.split('\n')[0]}); skipped`,
      );
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = toOnnx(model);
    } catch (e) {
      // Every committed fixture exports; a shared third-party one may hold a layer ONNX cannot express.
      if (file.startsWith(COMMITTED)) throw e;
      expect(e).toBeInstanceOf(ValueError);
      expect((e as Error).message).toMatch(/cannot be expressed/);
      const layers = (e as Error).message
        .split('\n')
        .slice(1)
        .map((l) => l.trim());
      console.log(`${path.basename(file)}: unsupported: ${layers.join('; ')}`);
      return;
    }
    expect(bytes.length).toBeGreaterThan(0);
    const xs = fixtureInputs(model, file);
    try {
      const worst = await expectOnnxMatchesPredict(model, xs);
      console.log(
        `${path.basename(file)}: exported, largest difference from predict ${worst.toExponential(2)}`,
      );
    } finally {
      tf.dispose(xs);
    }
  });
});
