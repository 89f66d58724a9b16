import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NluOutput } from '../../../src/core/model/encoder';
import type { Fusion, FusionCtx } from '../../../src/core/model/fusion';
import { crossAttention } from '../../../src/plugins/fusions/cross-attention';
import { attention, layerNorm, toVec, type Mat } from '../../core/nn/reference';
import { describeModuleContract, describePluginBasics, maxAbsDiff, rng, useBackend } from '../../helpers/contract';
import { disposeNlu, nluFeatures } from './fixtures';

const B = 2,
  T = 4,
  Ht = 8,
  Hn = 6;
const ctx: FusionCtx = { scope: 'fusion', seed: 1, dim: 10, textHidden: Ht, nluHidden: Hn, where: 'model.fusion' };
const build = (cfg: object = {}) =>
  crossAttention.create(crossAttention.configSchema.parse({ heads: 2, ...cfg }), ctx) as Fusion;
const maskRows = [
  [1, 1, 1, 0],
  [1, 1, 1, 1],
];
let x: tf.Tensor3D;
let mask: tf.Tensor2D;
let nlu: NluOutput;
beforeAll(async () => {
  await useBackend('wasm');
  const r = rng(3);
  x = tf.tensor3d(
    Float32Array.from({ length: B * T * Ht }, () => r() * 2 - 1),
    [B, T, Ht],
  );
  mask = tf.tensor2d(maskRows);
  nlu = nluFeatures(4, B, T, Hn);
});

describe('cross-attention fusion', () => {
  describePluginBasics(crossAttention);
  describeModuleContract({
    build: () => build(),
    run: (f) => ({ fused: f.early!(nlu)(x, mask) }),
    shapes: { fused: [B, T, Ht] },
  });

  it('x + gate ⊙ CrossAttn(LN_q x, LN_m [NLU tokens; intent embedding; semantic]) with padded NLU tokens masked out', () => {
    const f = build({ gateInit: 0.7 });
    const v = Object.fromEntries(
      f.variables().map((t) => [t.name.replace(/^fusion\//, ''), t.arraySync() as Mat & number[]]),
    );
    const y = f.early!(nlu)(x, mask);
    const xs = x.arraySync() as Mat[];
    const toks = nlu.tokenStates.arraySync() as Mat[];
    const ie = nlu.intentEmbedding.arraySync() as Mat;
    const sem = nlu.semantic.arraySync() as Mat;
    const w = {
      wq: v['attn/wq']!,
      bq: v['attn/bq']!,
      wk: v['attn/wk']!,
      bk: v['attn/bk']!,
      wv: v['attn/wv']!,
      bv: v['attn/bv']!,
      wo: v['attn/wo']!,
      bo: v['attn/bo']!,
    } as never;
    const ref = xs.flatMap((xb, b) => {
      const mem = layerNorm([...toks[b]!, ie[b]!, sem[b]!], v['ln_m/gamma']!, v['ln_m/beta']!);
      const a = attention(layerNorm(xb, v['ln_q/gamma']!, v['ln_q/beta']!), mem, [...maskRows[b]!, 1, 1], w, 2);
      return xb.map((row, t) => row.map((xv, j) => xv + 0.7 * a[t]![j]!));
    });
    toVec(y).forEach((got, i) => expect(Math.abs(got - ref.flat()[i]!)).toBeLessThan(1e-5));
    expect(f.flops([B, T])).toBeGreaterThan(0);
    y.dispose();
    f.dispose();
  });

  it('really uses the NLU features: other intent embedding, semantic vector or token states → other output', () => {
    const f = build();
    const base = f.early!(nlu)(x, mask);
    const other = nluFeatures(99, B, T, Hn);
    for (const k of ['intentEmbedding', 'semantic', 'tokenStates'] as const) {
      const y = f.early!({ ...nlu, [k]: other[k] })(x, mask);
      expect(maxAbsDiff(y, base), k).toBeGreaterThan(1e-4);
      y.dispose();
    }
    tf.dispose([base]);
    disposeNlu(other);
    f.dispose();
  });

  it('ignores NLU token states at padded positions', () => {
    const f = build();
    const base = f.early!(nlu)(x, mask);
    const keep = tf.tensor3d(
      maskRows.flatMap((r) => r.flatMap((m) => new Array(Hn).fill(m))),
      [B, T, Hn],
    );
    const noise = nluFeatures(7, B, T, Hn);
    const changed = tf.add(
      tf.mul(nlu.tokenStates, keep),
      tf.mul(tf.mul(noise.tokenStates, tf.sub(1, keep)), 50),
    ) as tf.Tensor3D;
    const y = f.early!({ ...nlu, tokenStates: changed })(x, mask);
    expect(maxAbsDiff(y, base)).toBe(0);
    tf.dispose([base, keep, changed, y]);
    disposeNlu(noise);
    f.dispose();
  });

  it('starts near the identity: gateInit 0 returns x exactly', () => {
    const f = build({ gateInit: 0 });
    const y = f.early!(nlu)(x, mask);
    expect(maxAbsDiff(y, x)).toBe(0);
    y.dispose();
    f.dispose();
  });

  it('says when heads do not divide the text width', () => {
    expect(() => build({ heads: 3 })).toThrow(
      /^model\.fusion\.heads: 3 heads must divide the text encoder's hidden width 8$/,
    );
  });
});
