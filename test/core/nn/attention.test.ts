import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MultiHeadAttention, ParamScope, TransformerBlock, TransformerStack } from '../../../src/core/nn';
import { rng, useBackend, uniformTensor } from '../../helpers/contract';
import { add, attention, dense, geluTanh, layerNorm, toMat, toVec, type AttnWeights, type Mat } from './reference';

let scope: ParamScope;
beforeAll(async () => {
  await useBackend('wasm');
  scope = ParamScope.root('a', 5);
});
afterAll(() => scope.dispose());

const rand = uniformTensor;
const close = (a: number[], b: number[], tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]!), `at ${i}: ${v} vs ${b[i]}`).toBeLessThan(tol));
};
/** Random biases too, so the oracle sees every parameter. */
function randomize(vars: tf.Variable[], seed: number): void {
  const r = rng(seed);
  for (const v of vars) v.assign(tf.mul(rand(r, v.shape), v.name.includes('gamma') ? 1 : 0.5));
}
const weightsOf = (m: MultiHeadAttention): AttnWeights => ({
  wq: toMat(m.q.w),
  bq: toVec(m.q.b!),
  wk: toMat(m.k.w),
  bk: toVec(m.k.b!),
  wv: toMat(m.v.w),
  bv: toVec(m.v.b!),
  wo: toMat(m.o.w),
  bo: toVec(m.o.b!),
});
const rows = (t: tf.Tensor): Mat[] => t.arraySync() as Mat[];

describe('MultiHeadAttention against a head-by-head loop', () => {
  it('self-attention with a key padding mask (B 2, T 5, H 8, 2 heads)', () => {
    const m = new MultiHeadAttention(scope.child('self'), { dim: 8, heads: 2 });
    randomize(m.variables(), 1);
    const x = rand(rng(2), [2, 5, 8]) as tf.Tensor3D;
    const maskRows = [
      [1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1],
    ];
    const mask = tf.tensor2d(maskRows);
    const y = m.apply(x, { keyMask: mask });
    const w = weightsOf(m);
    close(
      toVec(y),
      rows(x)
        .flatMap((xb, b) => attention(xb, xb, maskRows[b], w, 2))
        .flat(),
      1e-5,
    );
    expect(m.flops(2, 5)).toBe(4 * 2 * 2 * 5 * 8 * 8 + 4 * 2 * 5 * 5 * 8);
    tf.dispose([x, mask, y]);
  });

  it('cross-attention to a wider memory (Tq 3, Tk 6, kvDim 12, 4 heads)', () => {
    const m = new MultiHeadAttention(scope.child('cross'), { dim: 8, heads: 4, kvDim: 12 });
    randomize(m.variables(), 3);
    const x = rand(rng(4), [2, 3, 8]) as tf.Tensor3D;
    const mem = rand(rng(5), [2, 6, 12]) as tf.Tensor3D;
    const maskRows = [
      [1, 0, 1, 1, 0, 1],
      [1, 1, 1, 1, 1, 0],
    ];
    const mask = tf.tensor2d(maskRows);
    const y = m.apply(x, { memory: mem, keyMask: mask });
    expect(y.shape).toEqual([2, 3, 8]);
    const w = weightsOf(m);
    const memRows = rows(mem);
    close(
      toVec(y),
      rows(x)
        .flatMap((xb, b) => attention(xb, memRows[b]!, maskRows[b], w, 4))
        .flat(),
      1e-5,
    );
    tf.dispose([x, mem, mask, y]);
  });

  it('masked keys have no influence: changing them leaves every output unchanged', () => {
    const m = new MultiHeadAttention(scope.child('inv'), { dim: 8, heads: 2 });
    const x = rand(rng(6), [1, 4, 8]) as tf.Tensor3D;
    const mem1 = rand(rng(7), [1, 5, 8]);
    const mem2 = tf.concat(
      [tf.slice(mem1, [0, 0, 0], [1, 3, 8]), tf.mul(rand(rng(8), [1, 2, 8]), 100)],
      1,
    ) as tf.Tensor3D;
    const mask = tf.tensor2d([[1, 1, 1, 0, 0]]);
    const a = m.apply(x, { memory: mem1 as tf.Tensor3D, keyMask: mask });
    const b = m.apply(x, { memory: mem2, keyMask: mask });
    expect(toVec(a)).toEqual(toVec(b));
    tf.dispose([x, mem1, mem2, mask, a, b]);
  });
});

describe('TransformerBlock (pre-LN) against the formula', () => {
  it('x + attn(LN1 x), then + W2·gelu(W1·LN2 x + b1) + b2', () => {
    const blk = new TransformerBlock(scope.child('blk'), { dim: 8, heads: 2, mlpRatio: 1.5 });
    randomize(blk.variables(), 11);
    const x = rand(rng(12), [2, 4, 8]) as tf.Tensor3D;
    const maskRows = [
      [1, 1, 0, 0],
      [1, 1, 1, 1],
    ];
    const mask = tf.tensor2d(maskRows);
    const y = blk.apply(x, mask, false);
    const w = weightsOf(blk.attn);
    const ref = rows(x).flatMap((xb, b) => {
      const x1 = add(
        xb,
        attention(
          layerNorm(xb, toVec(blk.ln1.gamma), toVec(blk.ln1.beta)),
          layerNorm(xb, toVec(blk.ln1.gamma), toVec(blk.ln1.beta)),
          maskRows[b],
          w,
          2,
        ),
      );
      const h = dense(
        layerNorm(x1, toVec(blk.ln2.gamma), toVec(blk.ln2.beta)),
        toMat(blk.fc1.w),
        toVec(blk.fc1.b!),
      ).map((r) => r.map(geluTanh));
      return add(x1, dense(h, toMat(blk.fc2.w), toVec(blk.fc2.b!)));
    });
    close(toVec(y), ref.flat(), 1e-4);
    expect(blk.fc1.outDim).toBe(12);
    tf.dispose([x, mask, y]);
  });

  it('a stack names its variables layers.<i>/... and ln_f/..., and ends with a LayerNorm', () => {
    const s = ParamScope.root('stk', 1);
    try {
      const st = new TransformerStack(s, 2, { dim: 4, heads: 2, mlpRatio: 2 });
      const names = st.variables().map((v) => v.name);
      expect(names.slice(0, 4)).toEqual([
        'stk/layers.0/ln1/gamma',
        'stk/layers.0/ln1/beta',
        'stk/layers.0/attn/wq',
        'stk/layers.0/attn/bq',
      ]);
      expect(names).toContain('stk/layers.1/mlp/w2');
      expect(names.slice(-2)).toEqual(['stk/ln_f/gamma', 'stk/ln_f/beta']);
      expect(new Set(names).size).toBe(names.length);
      const y = st.apply(rand(rng(1), [1, 3, 4]) as tf.Tensor3D, undefined, false);
      const r = toMat(tf.reshape(y, [3, 4]));
      for (const row of r) expect(row.reduce((a, b) => a + b, 0) / 4).toBeCloseTo(0, 5); // γ=1, β=0: zero-mean rows
      y.dispose();
    } finally {
      s.dispose();
    }
  });
});
