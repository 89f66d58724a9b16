import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { distillMse } from '../../../src/plugins/losses/distill-mse';
import { rng } from '../../helpers/fake-run';
import { BACKENDS, relError, useBackend, values } from './backends';

const B = 5;
const D = 6;

/** Plain-JS oracle: mean over rows of ‖a − t‖² + w·‖b − t‖², with d/da = 2(a − t)/B and d/db = 2w(b − t)/B. */
function oracle(a: number[], b: number[], t: number[], w: number) {
  let sum = 0;
  const da: number[] = [];
  const db: number[] = [];
  for (let i = 0; i < B * D; i++) {
    sum += (a[i]! - t[i]!) ** 2 + w * (b[i]! - t[i]!) ** 2;
    da.push((2 * (a[i]! - t[i]!)) / B);
    db.push((2 * w * (b[i]! - t[i]!)) / B);
  }
  return { loss: sum / B, da, db };
}

describe.each(BACKENDS)('distill-mse on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const r = rng(11);
  const rand = () => Array.from({ length: B * D }, () => r() * 2 - 1);
  const [a0, b0, t0] = [rand(), rand(), rand()];

  it.each([1, 0.25])(
    'pivotWeight %s: the plain formula, gradients to the student rows and none to the teacher',
    (w) => {
      const before = tf.memory().numTensors;
      const loss = distillMse.create(distillMse.configSchema.parse({ pivotWeight: w }), undefined);
      const [a, b, t] = [a0, b0, t0].map((x) => tf.tensor2d(x, [B, D]));
      const { value, grads } = tf.valueAndGrads(
        (...xs: tf.Tensor[]) =>
          loss.compute({ a: xs[0] as tf.Tensor2D, b: xs[1] as tf.Tensor2D, teacher: xs[2] as tf.Tensor2D }).distillMse!,
      )([a!, b!, t!]);
      const got = { loss: values(value)[0]!, da: values(grads[0]!), db: values(grads[1]!), dt: values(grads[2]!) };
      tf.dispose([a!, b!, t!, value, ...grads]);
      loss.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const want = oracle(a0, b0, t0, w);
      expect(relError([got.loss], [want.loss])).toBeLessThan(1e-5);
      got.da.forEach((g, i) => expect(Math.abs(g - want.da[i]!)).toBeLessThan(1e-5));
      got.db.forEach((g, i) => expect(Math.abs(g - want.db[i]!)).toBeLessThan(1e-5));
      expect(got.dt.every((g) => g === 0)).toBe(true);
    },
  );
});
