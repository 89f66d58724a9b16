// The shared contract helpers (test/helpers/contract.ts) must be able to fail: each check is shown catching its defect.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  gradientNorms,
  leakedTensors,
  probeScalar,
  randomBatch,
  rng,
  scramblePadding,
  useBackend,
} from '../../helpers/contract';

beforeAll(() => useBackend('wasm'));

describe('contract helpers', () => {
  it('gradientNorms reports 0 for a variable the output does not use', () => {
    const a = tf.variable(tf.ones([2]), true, 'helper/a');
    const b = tf.variable(tf.ones([2]), true, 'helper/b');
    const n = gradientNorms([a, b], () => tf.sum(tf.square(a)));
    expect(n.get('helper/a')).toBeCloseTo(2 * Math.SQRT2, 5); // ‖2a‖
    expect(n.get('helper/b')).toBe(0);
    tf.dispose([a, b]);
  });

  it('probeScalar sees gradients a plain sum misses (rows of a LayerNorm output sum to 0)', () => {
    const x = tf.variable(
      tf.tensor2d([
        [1, 2, 3],
        [0, 5, -1],
      ]),
      true,
      'helper/x',
    );
    const centred = () => tf.sub(x, tf.mean(x, 1, true));
    const plain = gradientNorms([x], () => tf.sum(centred()));
    const probed = gradientNorms([x], () => probeScalar([centred()]));
    expect(plain.get('helper/x')).toBeLessThan(1e-6);
    expect(probed.get('helper/x')).toBeGreaterThan(0.1);
    x.dispose();
  });

  it('leakedTensors counts what a function leaves behind', async () => {
    let kept: tf.Tensor | undefined;
    expect(await leakedTensors(() => tf.tidy(() => void tf.ones([3])))).toBe(0);
    expect(await leakedTensors(() => void (kept = tf.ones([3])))).toBe(1);
    kept!.dispose();
  });

  it('randomBatch puts CLS first and a mask prefix; scramblePadding changes only masked pieces', () => {
    const b = randomBatch(rng(1), { batch: 2, length: 5, pieces: 2, vocabSize: 20, tokens: [2, 4] });
    expect(Array.from(b.mask)).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    expect([b.ids[0], b.ids[1], b.ids[10], b.ids[11]]).toEqual([1, 0, 1, 0]);
    const s = scramblePadding(rng(2), b, 20);
    const changed = Array.from(s.ids)
      .map((v, i) => (v !== b.ids[i] ? Math.floor(i / 2) : -1))
      .filter((t) => t >= 0);
    expect(new Set(changed)).toEqual(new Set([3, 4]));
  });
});
