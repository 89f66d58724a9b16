import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipByGlobalNorm } from '../../../src/core/optim';
import { rng } from '../../helpers/fake-run';
import { BACKENDS, useBackend, values } from '../../plugins/losses/backends';

describe.each(BACKENDS)('clipByGlobalNorm on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const r = rng(31);
  const raw = {
    w: Array.from({ length: 12 }, () => (r() * 2 - 1) * 3),
    b: Array.from({ length: 4 }, () => r() * 2 - 1),
    s: [r() * 5],
  };
  const shapes = { w: [3, 4], b: [4], s: [] as number[] };
  const jsNorm = Math.sqrt(
    Object.values(raw)
      .flat()
      .reduce((s, x) => s + x * x, 0),
  );
  const grads = () =>
    Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, tf.tensor(v, shapes[k as keyof typeof shapes])]));

  it('returns the global L2 norm and scales every gradient by maxNorm/norm when it is above maxNorm', () => {
    const before = tf.memory().numTensors;
    const g = grads();
    const maxNorm = jsNorm / 3;
    const out = clipByGlobalNorm(g, maxNorm);
    expect(Math.abs(out.norm - jsNorm) / jsNorm).toBeLessThan(1e-6);
    const clipped = Object.keys(raw).flatMap((k) => values(out.grads[k]!));
    const want = Object.values(raw)
      .flat()
      .map((x) => (x * maxNorm) / (jsNorm + 1e-6));
    expect(Math.max(...clipped.map((x, i) => Math.abs(x - want[i]!)))).toBeLessThan(1e-6);
    expect(Math.abs(Math.hypot(...clipped) - maxNorm) / maxNorm).toBeLessThan(1e-6);
    expect(out.grads.w!.shape).toEqual([3, 4]);
    tf.dispose([...Object.values(g), ...Object.values(out.grads)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves gradients under maxNorm unchanged (new tensors, same values)', () => {
    const g = grads();
    const out = clipByGlobalNorm(g, jsNorm * 2);
    for (const k of Object.keys(raw)) {
      expect(out.grads[k]).not.toBe(g[k]);
      expect(values(out.grads[k]!)).toEqual(values(g[k]!));
    }
    tf.dispose([...Object.values(g), ...Object.values(out.grads)]);
  });

  it('reports a non-finite norm, handles no gradients, rejects maxNorm ≤ 0', () => {
    const bad = { x: tf.tensor1d([1, NaN]) };
    const out = clipByGlobalNorm(bad, 1);
    expect(out.norm).toBeNaN();
    tf.dispose([bad.x, ...Object.values(out.grads)]);
    expect(clipByGlobalNorm({}, 1)).toEqual({ grads: {}, norm: 0 });
    expect(() => clipByGlobalNorm({}, 0)).toThrow('clipByGlobalNorm: maxNorm must be > 0, got 0');
  });
});
