import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend } from '../../../src/core/backend';
import { dotsF64 } from '../../../src/core/backend/dots-f64';
import { rand, startWasmAndCpu } from './oracle';

// dots-f64.ts: float64 dot products (pixel-knn's scores) by kernels.c dots_f64 on wasm, a JS loop elsewhere.
// Values of mixed magnitudes (1e-8 … 1e8, both signs, exact zeros) make every reordering of a sum show in its bits.

beforeAll(startWasmAndCpu);
afterAll(disposeBackend);

function values(seed: number, n: number): Float64Array {
  const [u, e] = [rand(seed, n), rand(seed + 1, n, -8, 8)];
  return Float64Array.from(u, (x, i) => (i % 11 === 5 ? 0 : x * 10 ** Math.round(e[i]!)));
}

describe('dotsF64', () => {
  // nb: 4-pair blocks, a lone pair, an odd last row paired with zeros; d off every 2- and 4-lane block
  for (const [na, nb, d] of [
    [3, 8, 5],
    [5, 9, 7],
    [2, 11, 33],
    [1, 1, 1],
    [4, 2, 3],
  ] as const) {
    it(`(${na}, ${d}) · (${nb}, ${d})ᵀ on wasm and cpu: a plain loop's sums, bit for bit`, async () => {
      const [a, b] = [values(na * 100 + d, na * d), values(nb * 100 + d + 50, nb * d)];
      // the oracle: one product at a time, Σ_j in order, as JS sums
      const want = Float64Array.from({ length: na * nb }, (_, k) =>
        Array.from({ length: d }, (_, j) => a[Math.floor(k / nb) * d + j]! * b[(k % nb) * d + j]!).reduce(
          (s, p) => s + p,
          0,
        ),
      );
      for (const backend of ['wasm', 'cpu'] as const) {
        await tf.setBackend(backend);
        const before = tf.memory().numTensors;
        const got = dotsF64(a, b, na, nb, d);
        expect(tf.memory().numTensors, `${backend}: no tensor left`).toBe(before);
        expect(got.length).toBe(na * nb);
        for (let k = 0; k < want.length; k++)
          expect(
            Object.is(got[k], want[k]),
            `${backend} (${Math.floor(k / nb)}, ${k % nb}): ${got[k]} vs ${want[k]}`,
          ).toBe(true);
      }
    });
  }

  it('no rows on either side: an empty result', async () => {
    await tf.setBackend('wasm');
    expect(dotsF64(new Float64Array(0), values(1, 6), 0, 2, 3).length).toBe(0);
    expect(dotsF64(values(1, 6), new Float64Array(0), 2, 0, 3).length).toBe(0);
  });
});
