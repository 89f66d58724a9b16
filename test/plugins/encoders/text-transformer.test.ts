import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EncoderCtx, TextEncoder } from '../../../src/core/model/encoder';
import { textTransformer } from '../../../src/plugins/encoders/text-transformer';
import {
  describeModuleContract,
  describePluginBasics,
  maxAbsDiff,
  randomBatch,
  rng,
  rowNorms,
  scramblePadding,
  useBackend,
} from '../../helpers/contract';

beforeAll(() => useBackend('wasm'));

const tok = { vocabSize: 40, pieces: 3, maxLength: 7, padId: 0, clsId: 1 };
const ctx: EncoderCtx = { scope: 'text', seed: 3, dim: 12, tokenizer: tok };
const small = { hidden: 16, layers: 2, heads: 2 };
const build = (cfg: object = small, c: EncoderCtx = ctx) =>
  textTransformer.create(textTransformer.configSchema.parse(cfg), c) as TextEncoder;
const batch = randomBatch(rng(1), { batch: 3, length: 6, pieces: 3, vocabSize: 40, tokens: [5, 2, 3] });

describe('text-transformer', () => {
  describePluginBasics(textTransformer);
  describeModuleContract({
    build: () => build(),
    run: (m, training) => {
      const { embedding, tokens } = m.encode(batch, { training, tokens: true });
      return { embedding, tokens: tokens! };
    },
    shapes: { embedding: [3, 12], tokens: [3, 6, 16] },
    unitRows: ['embedding'],
  });

  it('padding is ignored: other ids at masked positions give identical embeddings', () => {
    const m = build();
    const a = m.encode(batch, { training: false }).embedding;
    const b = m.encode(scramblePadding(rng(2), batch, 40), { training: false }).embedding;
    expect(maxAbsDiff(a, b)).toBe(0);
    tf.dispose([a, b]);
    m.dispose();
  });

  it('embedding = L2(proj(masked mean of the token states)) and cls pooling reads position 0', () => {
    for (const pooling of ['mean', 'cls'] as const) {
      const m = build({ ...small, pooling });
      const { embedding, tokens } = m.encode(batch, { training: false, tokens: true });
      const proj = m.variables().filter((v) => v.name.startsWith('text/proj/'));
      expect(proj.map((v) => v.name)).toEqual(['text/proj/w', 'text/proj/b']);
      const expected = tf.tidy(() => {
        const mask = tf.tensor2d(batch.mask, [3, 6]);
        const pooled =
          pooling === 'cls'
            ? tf.reshape(tf.slice(tokens!, [0, 0, 0], [3, 1, 16]), [3, 16])
            : tf.div(tf.sum(tf.mul(tokens!, tf.expandDims(mask, 2)), 1), tf.expandDims(tf.sum(mask, 1), 1));
        const y = tf.add(tf.matMul(pooled as tf.Tensor2D, proj[0]! as tf.Tensor2D), proj[1]!);
        return tf.div(y, tf.norm(y, 2, 1, true));
      });
      expect(maxAbsDiff(embedding, expected)).toBeLessThan(1e-6);
      tf.dispose([embedding, tokens!, expected]);
      m.dispose();
    }
  });

  it('applies the fuse hook to the embedded tokens before its layers', () => {
    const m = build();
    let seen: number[] = [];
    const identity = m.encode(batch, {
      training: false,
      fuse: (x, mask) => ((seen = [...x.shape, ...mask.shape]), x),
    }).embedding;
    expect(seen).toEqual([3, 6, 16, 3, 6]);
    const plain = m.encode(batch, { training: false }).embedding;
    expect(maxAbsDiff(identity, plain)).toBe(0);
    const shifted = m.encode(batch, {
      training: false,
      fuse: (x) => tf.add(x, tf.linspace(-1, 1, 16)) as tf.Tensor3D,
    }).embedding;
    expect(maxAbsDiff(shifted, plain)).toBeGreaterThan(1e-3);
    expect(rowNorms(shifted).every((n) => Math.abs(n - 1) < 1e-5)).toBe(true);
    tf.dispose([identity, plain, shifted]);
    m.dispose();
  });

  it('builds from its defaults (H 128, 2 layers, 4 heads, MLP 2H) and reports FLOPs', () => {
    const m = build({}, { ...ctx, dim: 128, tokenizer: { ...tok, maxLength: 32 } });
    const e = m.encode(randomBatch(rng(3), { batch: 2, length: 9, pieces: 3, vocabSize: 40 }), {
      training: false,
    }).embedding;
    expect(e.shape).toEqual([2, 128]);
    const H = 128,
      T = 32,
      G = 3;
    const perLayer = 4 * 2 * T * H * H + 4 * T * T * H + 2 * 2 * T * H * 2 * H;
    expect(m.flops([1, T])).toBe(2 * perLayer + T * G * H + 2 * H * 128);
    expect(m.flops([64, T])).toBe(64 * m.flops([1, T]));
    e.dispose();
    m.dispose();
  });

  it('rejects a batch from another tokenizer and a missing tokenizer with UserErrors', () => {
    const m = build();
    const wrong = randomBatch(rng(4), { batch: 1, length: 4, pieces: 2, vocabSize: 40 });
    expect(() => m.encode(wrong, { training: false })).toThrow(
      /text: batch of 4×2 pieces, but the encoder was built for ≤ 7 tokens × 3 pieces; encode with the model's tokenizer/,
    );
    m.dispose();
    expect(() => build(small, { scope: 'text', seed: 1, dim: 8, where: 'model.text' })).toThrow(
      /model\.text: 'text-transformer' reads token ids and needs the model's tokenizer/,
    );
    expect(textTransformer.configSchema.safeParse({ hidden: 30, heads: 4 }).error?.issues[0]).toMatchObject({
      path: ['heads'],
      message: 'heads 4 must divide hidden 30',
    });
  });
});
