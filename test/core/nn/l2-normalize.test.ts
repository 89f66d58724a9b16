import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeBackend, initBackend } from '../../../src/core/backend';
import { fusedL2Normalize } from '../../../src/core/nn/l2-normalize';
import { l2Normalize } from '../../../src/core/nn/ops';
import { randT, weightedSum } from '../backend/oracle';

// l2Normalize on wasm as one tape node against the five composed tfjs ops it replaces: the same bits forward and
// backward (rows of every scale, a zero row on the eps side of the maximum, a row at the eps boundary), fewer
// engine ops, nothing left behind.
afterAll(disposeBackend);

const composed = (x: tf.Tensor, eps: number) =>
  tf.tidy(() => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), -1, true), eps))));

const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

describe('fusedL2Normalize', () => {
  it("gives the composed ops' bits, forward and gradient, for rows of every scale and rank 2 and 3", async () => {
    await initBackend({ backend: 'wasm', threads: 1, quiet: true });
    for (const [shape, eps] of [
      [[37, 130], 1e-12],
      [[4, 5, 64], 1e-12],
      [[9, 3], 0.5],
    ] as [number[], number][]) {
      const x = tf.tidy(() => {
        const base = randT(shape.length * 7 + shape[0]!, shape);
        const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
        const d = shape[shape.length - 1]!;
        // scales 1e-3 … 1e3 by row; row 1 all zero (below eps: the maximum's other side); row 2 at √eps scale
        const scale = Float32Array.from({ length: rows }, (_, r) =>
          r === 1 ? 0 : r === 2 ? Math.sqrt(eps / d) : 10 ** ((r % 7) - 3),
        );
        return tf.mul(base, tf.reshape(tf.tensor1d(scale), [...shape.slice(0, -1), 1]));
      });
      const v = tf.variable(x, true, `l2n/${shape.join('x')}`);
      const grads = (f: (t: tf.Tensor) => tf.Tensor) =>
        tf.tidy(() => {
          const { value, grads: g } = tf.variableGrads(() => weightedSum(f(v)), [v]);
          return [bits(f(x)), bits(value), bits(g[v.name]!)];
        });
      const want = grads((t) => composed(t, eps));
      const before = tf.memory().numTensors;
      const got = grads((t) => fusedL2Normalize(t, eps)!);
      expect(tf.memory().numTensors).toBe(before);
      got.forEach((g, i) => expect(g, `${shape} output ${i}`).toEqual(want[i]));
      expect(bits(l2Normalize(x, eps))).toEqual(want[0]);
      tf.dispose([x, v]);
    }
  });

  it('records one tape node where the composed ops record five, and is null off wasm', async () => {
    await initBackend({ backend: 'wasm', threads: 1, quiet: true });
    const x = randT(3, [6, 8]);
    const v = tf.variable(x, true, 'l2n/count');
    const count = async (f: () => tf.Tensor) =>
      (await tf.profile(() => tf.tidy(() => tf.variableGrads(() => weightedSum(f()), [v]).value))).kernels.length;
    const fused = await count(() => fusedL2Normalize(v, 1e-12)!);
    const plain = await count(() => composed(v, 1e-12));
    expect(plain - fused).toBeGreaterThanOrEqual(15);
    await initBackend({ backend: 'cpu', quiet: true });
    expect(fusedL2Normalize(tf.ones([2, 3]), 1e-12)).toBeNull();
    tf.dispose([x, v]);
  });
});
