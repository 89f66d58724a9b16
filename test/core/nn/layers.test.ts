import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Dense,
  EmbeddingBag,
  gelu,
  l2Normalize,
  LayerNorm,
  maskedMean,
  ParamScope,
  patchify,
  pool,
  PositionalEmbedding,
} from '../../../src/core/nn';
import { gradientNorms, rng, useBackend, uniformTensor } from '../../helpers/contract';
import { dense, geluTanh, layerNorm, toMat, toVec } from './reference';

let scope: ParamScope;
beforeAll(async () => {
  await useBackend('wasm');
  scope = ParamScope.root('t', 1);
});
afterAll(() => scope.dispose());

const close = (a: number[], b: number[], tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]!), `at ${i}: ${v} vs ${b[i]}`).toBeLessThan(tol));
};
const rand = uniformTensor;

describe('nn building blocks against float64 formulas', () => {
  it('Dense on a rank-3 input = x·W + b row by row', () => {
    const d = new Dense(scope.child('dense'), 6, 5);
    d.b!.assign(rand(rng(2), [5]) as tf.Tensor1D);
    const x = rand(rng(1), [2, 3, 6]);
    const y = d.apply(x);
    expect(y.shape).toEqual([2, 3, 5]);
    close(toVec(y), dense(toMat(tf.reshape(x, [6, 6])), toMat(d.w), toVec(d.b!)).flat());
    expect(d.flops(6)).toBe(2 * 6 * 6 * 5);
    tf.dispose([x, y]);
  });

  it('LayerNorm normalises the last axis then scales and shifts', () => {
    const ln = new LayerNorm(scope.child('ln'), 8);
    ln.gamma.assign(rand(rng(3), [8]) as tf.Tensor1D);
    ln.beta.assign(rand(rng(4), [8]) as tf.Tensor1D);
    const x = tf.mul(rand(rng(5), [2, 2, 8]), 3);
    const y = ln.apply(x);
    close(toVec(y), layerNorm(toMat(tf.reshape(x, [4, 8])), toVec(ln.gamma), toVec(ln.beta)).flat(), 1e-4);
    tf.dispose([x, y]);
  });

  it('gelu = x·sigmoid(2u) equals the tanh form 0.5x(1 + tanh u), and has a gradient', () => {
    const xs = [-6, -3, -1.5, -0.5, -0.01, 0, 0.3, 1, 2.5, 7];
    const x = tf.tensor1d(xs);
    const y = gelu(x);
    close(toVec(y), xs.map(geluTanh), 1e-5);
    const g = tf.grad((t: tf.Tensor) => tf.sum(gelu(t)))(x);
    const h = 1e-3;
    close(
      toVec(g),
      xs.map((v) => (geluTanh(v + h) - geluTanh(v - h)) / (2 * h)),
      2e-3,
    );
    tf.dispose([x, y, g]);
  });

  it("maskedMean's hand-written gradient gives the composed formula's bits, and none to a row's masked tokens", () => {
    const [B, T, H] = [5, 7, 12];
    const x = rand(rng(3), [B, T, H]);
    // rows of 2, 3, 4, 5 tokens and one with none (its count is clamped to 1)
    const mask = tf.tensor2d(
      Array.from({ length: B * T }, (_, i) => (i % T < [2, 3, 4, 5, 0][Math.floor(i / T)]! ? 1 : 0)),
      [B, T],
    );
    const w = rand(rng(4), [B, H]);
    const composed = (xi: tf.Tensor) => {
      const m = tf.expandDims(mask, 2);
      return tf.div(tf.sum(tf.mul(xi, m), 1), tf.maximum(tf.sum(m, 1), 1));
    };
    const loss = (f: (xi: tf.Tensor) => tf.Tensor) => (xi: tf.Tensor) => tf.sum(tf.mul(f(xi), w)) as tf.Scalar;
    const mine = tf.grad(loss((xi) => maskedMean(xi as tf.Tensor3D, mask)))(x);
    const theirs = tf.grad(loss(composed))(x);
    expect(Array.from(mine.dataSync())).toEqual(Array.from(theirs.dataSync()));
    expect(Array.from(maskedMean(x as tf.Tensor3D, mask).dataSync())).toEqual(Array.from(composed(x).dataSync()));
    const m = mask.arraySync();
    const g = mine.arraySync() as number[][][];
    g.forEach((row, b) => row.forEach((tok, t) => m[b]![t] === 0 && expect(tok.every((v) => v === 0)).toBe(true)));
  });

  it('l2Normalize, maskedMean and pool', () => {
    const x = tf.tensor3d([
      [
        [1, 2],
        [3, 4],
        [100, 100],
      ],
      [
        [-1, 0],
        [5, 5],
        [7, 9],
      ],
    ]);
    const mask = tf.tensor2d([
      [1, 1, 0],
      [1, 1, 1],
    ]);
    close(toVec(maskedMean(x, mask)), [2, 3, 11 / 3, 14 / 3]);
    close(toVec(pool(x, mask, 'cls')), [1, 2, -1, 0]);
    close(toVec(pool(x, undefined, 'mean')), [104 / 3, 106 / 3, 11 / 3, 14 / 3], 1e-4);
    const v = tf.tensor2d([
      [3, 4],
      [0, 0],
    ]);
    close(toVec(l2Normalize(v)), [0.6, 0.8, 0, 0]);
    tf.dispose([x, mask, v]);
  });

  it("EmbeddingBag sums the rows of a token's pieces, pad pieces count as zero and get no gradient", () => {
    const V = 7;
    const e = new EmbeddingBag(scope.child('emb'), V, 3, 0, 1);
    const table = toMat(e.table);
    const ids = tf.tensor3d(
      [
        [
          [1, 0, 0],
          [2, 3, 2],
        ],
        [
          [4, 5, 0],
          [0, 0, 0],
        ],
      ],
      [2, 2, 3],
      'int32',
    );
    const y = e.apply(ids);
    const bag = (...r: number[]) => [0, 1, 2].map((j) => r.reduce((s, i) => s + (i === 0 ? 0 : table[i]![j]!), 0));
    close(toVec(y), [...bag(1), ...bag(2, 3, 2), ...bag(4, 5), ...bag()]);
    const { grads } = tf.variableGrads(() => tf.sum(e.apply(ids)), [e.table]);
    const g = toMat(grads[e.table.name]!);
    expect(g[0]).toEqual([0, 0, 0]); // pad row
    expect(g[2]).toEqual([2, 2, 2]); // id 2 used twice
    expect(g[6]).toEqual([0, 0, 0]); // unused
    tf.dispose([ids, y, grads[e.table.name]!]);
  });

  it('PositionalEmbedding adds the first T rows and rejects longer batches with a UserError', () => {
    const p = new PositionalEmbedding(scope.child('pos'), 4, 2);
    const x = tf.zeros([1, 3, 2]) as tf.Tensor3D;
    const y = p.apply(x);
    close(toVec(y), toVec(p.table).slice(0, 6));
    expect(() => p.apply(tf.zeros([1, 5, 2]) as tf.Tensor3D)).toThrow(
      /t\/pos\/table: a batch of 5 tokens, but this encoder holds 4 positions/,
    );
    tf.dispose([x, y]);
  });

  it('patchify orders patches row-major and flattens each as (row, col, channel)', () => {
    const B = 2,
      S = 6,
      C = 3,
      p = 3;
    const data = Float32Array.from({ length: B * S * S * C }, (_, i) => i);
    const y = patchify(tf.tensor4d(data, [B, S, S, C]), p);
    expect(y.shape).toEqual([B, 4, p * p * C]);
    const at = (b: number, r: number, c: number, ch: number) => ((b * S + r) * S + c) * C + ch;
    const expected: number[] = [];
    for (let b = 0; b < B; b++)
      for (let pr = 0; pr < 2; pr++)
        for (let pc = 0; pc < 2; pc++)
          for (let r = 0; r < p; r++)
            for (let c = 0; c < p; c++) for (let ch = 0; ch < C; ch++) expected.push(at(b, pr * p + r, pc * p + c, ch));
    expect(toVec(y)).toEqual(expected);
    y.dispose();
  });

  it('gradientNorms sees every parameter of a Dense', () => {
    const d = new Dense(scope.child('g'), 3, 2);
    const x = rand(rng(9), [4, 3]);
    const n = gradientNorms(d.variables(), () => tf.sum(tf.square(d.apply(x))));
    expect([...n.values()].every((v) => v > 0)).toBe(true);
    x.dispose();
  });
});
