import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import { setSplitLimits } from '../../../src/core/backend/simd/pool';
import { ParamScope, TransformerStack } from '../../../src/core/nn';
import { packingOf, packRows, unpackRows } from '../../../src/core/nn/packing';
import { rng, useBackend, uniformTensor } from '../../helpers/contract';

let scope: ParamScope;
beforeAll(async () => {
  await useBackend('wasm');
  scope = ParamScope.root('pk', 3);
});
afterAll(() => scope.dispose());

const rand = uniformTensor;
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!), `at ${i}: ${a[i]} vs ${b[i]}`).toBeLessThan(tol);
};

// B 3, T 6: rows of 4, 6 and 1 real tokens (right padding)
const LENS = [4, 6, 1];
const T = 6;
const H = 8;
const maskOf = (lens: number[], t: number) =>
  tf.tensor2d(lens.map((n) => Array.from({ length: t }, (_, j) => (j < n ? 1 : 0))));

describe('token packing', () => {
  it('packs the real tokens in order; no padding → no packing', () => {
    const mask = maskOf(LENS, T);
    const p = packingOf(mask)!;
    expect(p.tokens).toBe(11);
    expect(Array.from(p.idx.dataSync())).toEqual([0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12]);
    const full = maskOf([T, T], T);
    expect(packingOf(full)).toBeNull();
    tf.dispose([mask, p.idx, full]);
  });

  it('pack and unpack are adjoint, and each one’s gradient is the other', () => {
    const mask = maskOf(LENS, T);
    const p = packingOf(mask)!;
    const x = rand(rng(1), [3, T, H]) as tf.Tensor3D;
    const y = rand(rng(2), [p.tokens, H]) as tf.Tensor2D;
    const packed = packRows(x, p);
    const unpacked = unpackRows(y, p);
    // ⟨pack x, y⟩ = ⟨x, unpack y⟩
    expect(tf.sum(tf.mul(packed, y)).dataSync()[0]).toBeCloseTo(tf.sum(tf.mul(x, unpacked)).dataSync()[0]!, 4);
    // zeros at padding, the rows themselves elsewhere
    const u = unpacked.dataSync();
    const yv = y.dataSync();
    let k = 0;
    for (let b = 0; b < 3; b++) {
      for (let t = 0; t < T; t++)
        for (let h = 0; h < H; h++) expect(u[(b * T + t) * H + h]).toBe(t < LENS[b]! ? yv[(k + t) * H + h] : 0);
      k += LENS[b]!;
    }
    const gx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(packRows(xi as tf.Tensor3D, p), y)))(x);
    expect(Array.from(gx.dataSync())).toEqual(Array.from(unpacked.dataSync()));
    const gy = tf.grad((yi: tf.Tensor) => tf.sum(tf.mul(unpackRows(yi as tf.Tensor2D, p), x)))(y);
    expect(Array.from(gy.dataSync())).toEqual(Array.from(packed.dataSync()));
    tf.dispose([mask, p.idx, x, y, packed, unpacked, gx, gy]);
  });

  it('a transformer stack on a padded batch equals each text run alone, values and weight gradients', () => {
    const st = new TransformerStack(scope.child('stack'), 2, { dim: H, heads: 2, mlpRatio: 2 });
    const r = rng(7);
    for (const v of st.variables()) v.assign(tf.mul(rand(r, v.shape), v.name.includes('gamma') ? 1 : 0.5));
    const x = rand(rng(8), [3, T, H]) as tf.Tensor3D;
    const w = rand(rng(9), [3, T, H]) as tf.Tensor3D; // loss weights per output value
    const mask = maskOf(LENS, T);
    const vars = st.variables();
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const y = st.apply(x, mask, true);
      return tf.sum(tf.mul(tf.mul(y, tf.expandDims(mask, 2)), w)) as tf.Scalar;
    }, vars);
    const y = st.apply(x, mask, false);
    const yv = y.dataSync();
    // the oracle: each text alone, no padding (the unpacked path), same loss summed over texts
    let loss = 0;
    const sum: Record<string, Float32Array> = {};
    for (let b = 0; b < 3; b++) {
      const n = LENS[b]!;
      const xb = tf.slice(x, [b, 0, 0], [1, n, H]) as tf.Tensor3D;
      const wb = tf.slice(w, [b, 0, 0], [1, n, H]);
      const aloneT = st.apply(xb, undefined, false);
      const alone = aloneT.dataSync();
      aloneT.dispose();
      for (let t = 0; t < T; t++)
        for (let h = 0; h < H; h++) {
          const got = yv[(b * T + t) * H + h]!;
          if (t >= n) expect(got).toBe(0);
          else expect(Math.abs(got - alone[t * H + h]!)).toBeLessThan(1e-5);
        }
      const g = tf.variableGrads(() => tf.sum(tf.mul(st.apply(xb, undefined, true), wb)) as tf.Scalar, vars);
      loss += g.value.dataSync()[0]!;
      for (const [k, t] of Object.entries(g.grads)) {
        const d = t.dataSync();
        sum[k] ??= new Float32Array(d.length);
        for (let i = 0; i < d.length; i++) sum[k]![i]! += d[i]!;
      }
      tf.dispose([xb, wb, g.value, ...Object.values(g.grads)]);
    }
    expect(value.dataSync()[0]).toBeCloseTo(loss, 4);
    expect(Object.keys(grads).sort()).toEqual(Object.keys(sum).sort());
    for (const [k, t] of Object.entries(grads)) close(t.dataSync(), sum[k]!, 1e-4);
    tf.dispose([value, ...Object.values(grads), y]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, mask]);
  });
});

describe('token packing on wasm: kernels.c pack_rows / unpack_rows against tf.gather / tf.scatterND', () => {
  afterEach(() => setSplitLimits());
  afterAll(async () => {
    await useBackend('wasm');
  });
  // B 5, T 7, h 6 (a 4-lane body and a tail): padding first and across rows (empty texts), a full row, one token
  const lens = [0, 7, 0, 1, 5];
  const h = 6;
  const bits = (t: tf.Tensor) => Array.from(new Uint32Array(t.dataSync().slice().buffer));
  for (const threads of [1, 2]) {
    it(`${threads} thread(s): the same bits, values and gradients, −0 → +0 as scatterND; no tensor left behind`, async () => {
      expect((await initBackend({ backend: 'wasm', threads, quiet: true })).threads).toBe(threads);
      if (threads > 1) setSplitLimits({ macs: 1, elements: 1 }); // every token range split across the threads
      const mask = maskOf(lens, 7);
      const p = packingOf(mask)!;
      expect(Array.from(p.pos)).toEqual(Array.from(p.idx.dataSync()));
      const x = rand(rng(3), [5, 7, h]) as tf.Tensor3D;
      const yv = rand(rng(4), [p.tokens, h]).dataSync().slice();
      yv[0] = -0;
      yv[h + 1] = -0;
      yv[2 * h + 2] = Number.NaN;
      const y = tf.tensor2d(yv, [p.tokens, h]);
      const before = tf.memory().numTensors;
      const gather = (t: tf.Tensor) => tf.tidy(() => tf.gather(tf.reshape(t, [35, h]), p.idx));
      const scatter = (t: tf.Tensor) =>
        tf.tidy(() => tf.reshape(tf.scatterND(tf.expandDims(p.idx, 1), t, [35, h]), [5, 7, h]));
      const packed = packRows(x, p);
      const unpacked = unpackRows(y, p);
      const [refPacked, refUnpacked] = [gather(x), scatter(y)];
      expect(packed.shape).toEqual([p.tokens, h]);
      expect(unpacked.shape).toEqual([5, 7, h]);
      expect(bits(packed)).toEqual(bits(refPacked));
      expect(bits(unpacked)).toEqual(bits(refUnpacked));
      expect(Object.is(unpacked.dataSync()[7 * h], 0)).toBe(true); // −0 in (the first token), +0 out
      // gradients: unpack's is a gather of dy, pack's a scatter of dy
      const gy = tf.grad((yi: tf.Tensor) => tf.sum(tf.mul(unpackRows(yi as tf.Tensor2D, p), x)))(y);
      const gx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(packRows(xi as tf.Tensor3D, p), y)))(x);
      expect(bits(gy)).toEqual(bits(refPacked));
      expect(bits(gx)).toEqual(bits(refUnpacked));
      tf.dispose([packed, unpacked, refPacked, refUnpacked, gy, gx]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([mask, p.idx, x, y]);
    });
  }
});
