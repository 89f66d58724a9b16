import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { slotCe } from '../../../src/plugins/losses/slot-ce';
import { rng } from '../../helpers/fake-run';
import { BACKENDS, relError, useBackend, values } from './backends';
import { argmax, ceJs, rows } from './oracle';

const B = 2;
const T = 6;
const S = 7;

describe.each(BACKENDS)('slot-ce on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const r = rng(7);
  const logits0 = Array.from({ length: B * T * S }, () => (r() * 2 - 1) * 3);
  const mask0 = [0, 1, 1, 0, 1, 0, /* row 2 */ 0, 1, 0, 1, 0, 0]; // CLS, words, continuations, padding
  const labels0 = mask0.map((m, k) => (m ? (k * 3) % S : -1)); // unlabelled tokens carry -1
  const loss = slotCe.create(slotCe.configSchema.parse({}), undefined);

  /** Value, accuracy and gradient wrt the logits. */
  function run(logits: number[], mask = mask0) {
    const l = tf.tensor3d(logits, [B, T, S]);
    const labels = tf.tensor2d(labels0, [B, T], 'int32');
    const m = tf.tensor2d(mask, [B, T]);
    const f = (x: tf.Tensor) => loss.compute({ slotLogits: x as tf.Tensor3D, slotLabels: labels, slotMask: m });
    const terms = f(l);
    const grad = tf.grad((x: tf.Tensor) => f(x).slotCe!)(l);
    const out = { ce: values(terms.slotCe!)[0]!, acc: values(terms.slotAcc!)[0]!, grad: values(grad) };
    tf.dispose([...Object.values(terms), grad, l, labels, m]);
    return out;
  }

  it('is Σ mask·ce / Σ mask with the matching gradient and masked accuracy', () => {
    const before = tf.memory().numTensors;
    const got = run(logits0);
    expect(tf.memory().numTensors).toBe(before);
    const rs = rows(logits0, S);
    const n = mask0.reduce((s, m) => s + m, 0);
    const want = rs.reduce((s, row, k) => s + (mask0[k] ? ceJs(row, labels0[k]!) : 0), 0) / n;
    const wantGrad = rs.flatMap((row, k) => {
      const z = row.reduce((s, v) => s + Math.exp(v), 0);
      return row.map((v, c) => (mask0[k] ? (Math.exp(v) / z - (c === labels0[k] ? 1 : 0)) / n : 0));
    });
    const wantAcc = rs.filter((row, k) => mask0[k] && argmax(row) === labels0[k]).length / n;
    expect(relError([got.ce], [want])).toBeLessThan(1e-5);
    expect(relError(got.grad, wantGrad)).toBeLessThan(1e-5);
    expect(got.acc).toBeCloseTo(wantAcc, 6);
  });

  it('ignores the logits of unlabelled tokens: same value, zero gradient there', () => {
    const base = run(logits0);
    const changed = logits0.map((v, i) => (mask0[Math.floor(i / S)] ? v : v + (r() * 2 - 1) * 50));
    const got = run(changed);
    expect(got.ce).toBe(base.ce);
    expect(got.acc).toBe(base.acc);
    got.grad.forEach((g, i) => {
      if (!mask0[Math.floor(i / S)]) expect(Math.abs(g)).toBe(0);
      else expect(g).toBe(base.grad[i]);
    });
  });

  it('gives 0 (finite, zero gradient) when no token is labelled', () => {
    const got = run(
      logits0,
      mask0.map(() => 0),
    );
    expect(got.ce).toBe(0);
    expect(got.acc).toBe(0);
    expect(got.grad.every((g) => g === 0)).toBe(true);
  });

  it('says when labels or mask do not align with the logits', () => {
    const l = tf.zeros([B, T, S]) as tf.Tensor3D;
    const labels = tf.zeros([B, T - 1], 'int32') as tf.Tensor2D;
    const m = tf.ones([B, T]) as tf.Tensor2D;
    expect(() => loss.compute({ slotLogits: l, slotLabels: labels, slotMask: m })).toThrow(
      "loss 'slot-ce': 'slotLabels' has 5 tokens but 'slotLogits' has 6; they must align token for token",
    );
    tf.dispose([l, labels, m]);
  });
});
