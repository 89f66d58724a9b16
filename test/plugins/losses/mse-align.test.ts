import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { mseAlign } from '../../../src/plugins/losses/mse-align';
import { rng } from '../../helpers/fake-run';
import { BACKENDS, relError, useBackend, values } from './backends';

const B = 4;
const D = 8;
const H = 3;

describe.each(BACKENDS)('mse-align on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const r = rng(5);
  const rand = (n: number) => Array.from({ length: n }, () => r() * 2 - 1);
  const x = rand(B * H); // (B, H) input of the query path
  const y = rand(B * H); // (B, H) input of the target path
  const v0 = rand(H * D); // (H, D) query-side weights
  const w0 = rand(H * D); // (H, D) target-side weights

  it('is the mean squared difference; the gradient reaches the query path and none reaches the target path', () => {
    const before = tf.memory().numTensors;
    const loss = mseAlign.create(mseAlign.configSchema.parse({}), undefined);
    const V = tf.tidy(() => tf.variable(tf.tensor2d(v0, [H, D]), true, `m-${backend}/V`));
    const W = tf.tidy(() => tf.variable(tf.tensor2d(w0, [H, D]), true, `m-${backend}/W`));
    const features = () => ({
      enhanced: tf.matMul(tf.tensor2d(x, [B, H]), V) as tf.Tensor2D, // (B, D)
      target: tf.matMul(tf.tensor2d(y, [B, H]), W) as tf.Tensor2D, // (B, D)
    });
    const { value, grads } = tf.variableGrads(() => loss.compute(features()).mseAlign!, [V, W]);
    const got = { loss: values(value)[0]!, dV: values(grads[V.name]!), dW: values(grads[W.name]!) };
    // Without the stop-gradient the target path does get a gradient: W is on the path.
    const plain = tf.variableGrads(
      () =>
        tf.tidy(() => {
          const f = features();
          return tf.mean(tf.squaredDifference(f.enhanced, f.target)) as tf.Scalar;
        }),
      [V, W],
    );
    const plainDW = values(plain.grads[W.name]!);
    tf.dispose([value, ...Object.values(grads), plain.value, ...Object.values(plain.grads), V, W]);
    loss.dispose();
    expect(tf.memory().numTensors).toBe(before);

    // Oracle: E = xV, T = yW, L = Σ(E - T)²/(B·D), dL/dV = xᵀ·2(E - T)/(B·D).
    const E = Array.from({ length: B * D }, (_, k) =>
      Array.from({ length: H }, (_, h) => x[Math.floor(k / D) * H + h]! * v0[h * D + (k % D)]!).reduce(
        (s, v) => s + v,
        0,
      ),
    );
    const T = Array.from({ length: B * D }, (_, k) =>
      Array.from({ length: H }, (_, h) => y[Math.floor(k / D) * H + h]! * w0[h * D + (k % D)]!).reduce(
        (s, v) => s + v,
        0,
      ),
    );
    const want = E.reduce((s, e, k) => s + (e - T[k]!) ** 2, 0) / (B * D);
    const dV = Array.from({ length: H * D }, (_, k) => {
      const [h, d] = [Math.floor(k / D), k % D];
      let s = 0;
      for (let i = 0; i < B; i++) s += (x[i * H + h]! * 2 * (E[i * D + d]! - T[i * D + d]!)) / (B * D);
      return s;
    });
    expect(relError([got.loss], [want])).toBeLessThan(1e-5);
    expect(relError(got.dV, dV)).toBeLessThan(1e-5);
    expect(got.dW.every((g) => g === 0)).toBe(true);
    expect(Math.max(...plainDW.map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it('says when enhanced and target differ in shape', () => {
    const loss = mseAlign.create(mseAlign.configSchema.parse({}), { name: 'L_align' });
    const e = tf.zeros([B, D]) as tf.Tensor2D;
    const t = tf.zeros([B, D / 2]) as tf.Tensor2D;
    expect(() => loss.compute({ enhanced: e, target: t })).toThrow(
      "loss 'L_align' (mse-align): 'enhanced' [4, 8] and 'target' [4, 4] must have the same shape",
    );
    tf.dispose([e, t]);
  });
});
