import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { intentCe } from '../../../src/plugins/losses/intent-ce';
import { rng } from '../../helpers/fake-run';
import { BACKENDS, relError, useBackend, values } from './backends';
import { argmax, ceJs, rows } from './oracle';

const B = 6;
const I = 5;

describe.each(BACKENDS)('intent-ce on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const r = rng(6);
  const logits0 = Array.from({ length: B * I }, () => (r() * 2 - 1) * 3);
  const labels0 = [0, 3, 4, 1, 1, 2];

  for (const smoothing of [0, 0.1]) {
    it(`matches mean cross-entropy, its gradient (softmax - q)/B and the accuracy (label smoothing ${smoothing})`, () => {
      const before = tf.memory().numTensors;
      const loss = intentCe.create(intentCe.configSchema.parse({ labelSmoothing: smoothing }), undefined);
      const labels = tf.tensor1d(labels0, 'int32');
      const logits = tf.tensor2d(logits0, [B, I]);
      const terms = loss.compute({ intentLogits: logits, intentLabels: labels });
      expect(Object.keys(terms)).toEqual(['intentCe', 'intentAcc']);
      const grad = tf.grad(
        (l: tf.Tensor) => loss.compute({ intentLogits: l as tf.Tensor2D, intentLabels: labels }).intentCe!,
      )(logits);
      const got = { ce: values(terms.intentCe!)[0]!, acc: values(terms.intentAcc!)[0]!, grad: values(grad) };
      tf.dispose([...Object.values(terms), grad, labels, logits]);
      loss.dispose();
      expect(tf.memory().numTensors).toBe(before);

      const rs = rows(logits0, I);
      const want = rs.reduce((s, row, i) => s + ceJs(row, labels0[i]!, smoothing), 0) / B;
      const wantGrad = rs.flatMap((row, i) => {
        const z = row.reduce((s, v) => s + Math.exp(v), 0);
        return row.map((v, c) => (Math.exp(v) / z - ((c === labels0[i] ? 1 - smoothing : 0) + smoothing / I)) / B);
      });
      const wantAcc = rs.filter((row, i) => argmax(row) === labels0[i]).length / B;
      expect(relError([got.ce], [want])).toBeLessThan(1e-5);
      expect(relError(got.grad, wantGrad)).toBeLessThan(1e-5);
      expect(got.acc).toBeCloseTo(wantAcc, 6);
    });
  }

  it('wants int32 labels and one label per row', () => {
    const loss = intentCe.create(intentCe.configSchema.parse({}), undefined);
    const logits = tf.zeros([B, I]) as tf.Tensor2D;
    const asFloat = tf.tensor1d(labels0);
    const short = tf.tensor1d([1, 2], 'int32');
    expect(() => loss.compute({ intentLogits: logits, intentLabels: asFloat })).toThrow(
      "loss 'intent-ce': feature 'intentLabels' must be a rank-1 int32 tensor, got shape [6] float32",
    );
    expect(() => loss.compute({ intentLogits: logits, intentLabels: short })).toThrow(
      "loss 'intent-ce': feature 'intentLabels' has batch 2 but 'intentLogits' has 6; all features of one step share B",
    );
    tf.dispose([logits, asFloat, short]);
  });

  it('rejects a label smoothing outside [0, 1)', () => {
    expect(intentCe.configSchema.safeParse({ labelSmoothing: 1 }).success).toBe(false);
    expect(intentCe.configSchema.safeParse({ labelSmoothing: -0.1 }).success).toBe(false);
  });
});
