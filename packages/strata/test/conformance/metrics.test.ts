/**
 * Every registered metric against Keras 3 (goldens/metrics.json): the result after each of two uneven
 * batches (3 samples, then 1) with rank-1 and rank-2 inputs, with and without sample weights, with the
 * metric's options (thresholds, topK, classId, ...), then resetState and one more batch; the config both
 * ways; and Keras's alias table.
 */
import { configFromKeras, type Metric, registry, serializeKerasObject } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../src/index.js';
import {
  checkAliases,
  type Encoded,
  expectClose,
  expectConfigMatches,
  functionClasses,
  type KerasJSON,
  noLeaks,
  readGolden,
  shapeOf,
  tensorOf,
  toleranceFor,
  walkKind,
} from './harness.js';

interface Batch {
  y_true: Encoded;
  y_true_dtype: 'float32' | 'int32';
  y_pred: Encoded | null;
  sample_weight: Encoded | null;
}
interface MetricCase {
  args: Record<string, unknown>;
  keras: KerasJSON;
  batches: Batch[];
  results: Encoded[];
  after_reset: Encoded;
  after_reset_and_last_batch: Encoded;
}
const golden = readGolden<{ cases: Record<string, MetricCase[]>; aliases: Record<string, string> }>(
  'metrics.json',
);

type MetricClass = new (
  args: Record<string, unknown>,
) => Metric & {
  updateState(a: tf.Tensor, b?: tf.Tensor | null, c?: tf.Tensor | null): void;
};

function update(m: InstanceType<MetricClass>, b: Batch, weighted: boolean): void {
  tf.tidy(() => {
    const yt = tensorOf(b.y_true, b.y_true_dtype);
    const sw = weighted && b.sample_weight != null ? tensorOf(b.sample_weight) : undefined;
    if (b.y_pred == null) m.updateState(yt, sw);
    else m.updateState(yt, tensorOf(b.y_pred), sw);
  });
}

function result(m: Metric): tf.Tensor {
  return (m as unknown as { result(): tf.Tensor }).result();
}

function checkMetric(name: string): Promise<void> {
  return noLeaks(() => {
    const Cls = registry.get<MetricClass>('metric', name);
    golden.cases[name].forEach((c, i) => {
      const weighted = c.batches[0].sample_weight != null;
      const what = `${name} #${i} ${JSON.stringify(c.args)}${weighted ? ' weighted' : ''} yTrue [${shapeOf(c.batches[0].y_true)}]`;
      const tol = toleranceFor(`metric:${name}`);
      const m = new Cls(configFromKeras({ ...c.args, name: c.keras.config.name }));
      try {
        const written = serializeKerasObject('metric', m);
        expect(written.class_name).toBe(c.keras.class_name);
        expectConfigMatches(written.config, c.keras.config, what);
        c.batches.forEach((b, j) => {
          update(m, b, weighted);
          const r = result(m);
          try {
            expectClose(r, c.results[j], `${what}: result after batch ${j + 1}`, tol);
          } finally {
            r.dispose();
          }
        });
        m.resetState();
        const r0 = result(m);
        const r1 = (() => {
          try {
            expectClose(r0, c.after_reset, `${what}: result after resetState`, tol);
          } finally {
            r0.dispose();
          }
          update(m, c.batches[1], false);
          return result(m);
        })();
        try {
          expectClose(
            r1,
            c.after_reset_and_last_batch,
            `${what}: result after resetState and one batch`,
            tol,
          );
        } finally {
          r1.dispose();
        }
      } finally {
        m.dispose();
      }
    });
  });
}

const METRIC_FUNCTION_CLASSES = functionClasses(golden.aliases, { log_cosh: 'LogCoshError' });

describe('metrics against Keras 3', () => {
  walkKind('metric', Object.keys(golden.cases), checkMetric);

  it("resolves Keras's metric aliases to the classes Keras does", () => {
    checkAliases('metric', golden.aliases, METRIC_FUNCTION_CLASSES);
  });
});
