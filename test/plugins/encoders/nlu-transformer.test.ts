import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EncoderCtx, NluEncoder } from '../../../src/core/model/encoder';
import { nluTransformer } from '../../../src/plugins/encoders/nlu-transformer';
import {
  describeModuleContract,
  describePluginBasics,
  maxAbsDiff,
  randomBatch,
  rng,
  scramblePadding,
  useBackend,
} from '../../helpers/contract';

beforeAll(() => useBackend('wasm'));

const tok = { vocabSize: 30, pieces: 2, maxLength: 6, padId: 0, clsId: 1 };
const ctx: EncoderCtx = { scope: 'nlu', seed: 5, dim: 12, tokenizer: tok, numIntents: 4, numSlotLabels: 5 };
const small = { hidden: 8, layers: 1, heads: 2 };
const build = (cfg: object = small, c: EncoderCtx = ctx) =>
  nluTransformer.create(nluTransformer.configSchema.parse(cfg), c) as NluEncoder;
const batch = randomBatch(rng(1), { batch: 3, length: 5, pieces: 2, vocabSize: 30, tokens: [4, 1, 2] });

describe('nlu-transformer', () => {
  describePluginBasics(nluTransformer);
  describeModuleContract({
    build: () => build(),
    run: (m, training) => ({ ...m.encode(batch, { training }) }),
    shapes: {
      tokenStates: [3, 5, 8],
      intentLogits: [3, 4],
      slotLogits: [3, 5, 5],
      semantic: [3, 8],
      intentEmbedding: [3, 8],
    },
  });

  it('heads follow their formulas: slots per token, intent + semantic from the masked mean, intentEmbedding = softmax(intent)·E', () => {
    const m = build();
    const out = m.encode(batch, { training: false });
    const v = Object.fromEntries(m.variables().map((x) => [x.name, x]));
    const lin = (x: tf.Tensor, head: string) =>
      tf.add(tf.matMul(tf.reshape(x, [-1, 8]) as tf.Tensor2D, v[`nlu/${head}/w`]! as tf.Tensor2D), v[`nlu/${head}/b`]!);
    const ref = tf.tidy(() => {
      const mask = tf.tensor2d(batch.mask, [3, 5]);
      const pooled = tf.div(
        tf.sum(tf.mul(out.tokenStates, tf.expandDims(mask, 2)), 1),
        tf.expandDims(tf.sum(mask, 1), 1),
      );
      const intent = lin(pooled, 'intent');
      return {
        slots: tf.reshape(lin(out.tokenStates, 'slot'), [3, 5, 5]),
        intent,
        semantic: lin(pooled, 'semantic'),
        intentEmbedding: tf.matMul(tf.softmax(intent) as tf.Tensor2D, v['nlu/intent/embedding']! as tf.Tensor2D),
      };
    });
    expect(maxAbsDiff(out.slotLogits, ref.slots)).toBeLessThan(1e-6);
    expect(maxAbsDiff(out.intentLogits, ref.intent)).toBeLessThan(1e-6);
    expect(maxAbsDiff(out.semantic, ref.semantic)).toBeLessThan(1e-6);
    expect(maxAbsDiff(out.intentEmbedding, ref.intentEmbedding)).toBeLessThan(1e-6);
    expect(v['nlu/intent/embedding']!.shape).toEqual([4, 8]);
    tf.dispose([out as unknown as tf.TensorContainer, ref]);
    m.dispose();
  });

  it('padding is ignored by every pooled output and by the states of real tokens', () => {
    const m = build();
    const a = m.encode(batch, { training: false });
    const b = m.encode(scramblePadding(rng(9), batch, 30), { training: false });
    for (const k of ['intentLogits', 'semantic', 'intentEmbedding'] as const) expect(maxAbsDiff(a[k], b[k]), k).toBe(0);
    const real = tf.tidy(() => tf.expandDims(tf.tensor2d(batch.mask, [3, 5]), 2));
    expect(maxAbsDiff(tf.mul(a.tokenStates, real), tf.mul(b.tokenStates, real))).toBe(0);
    tf.dispose([a as unknown as tf.TensorContainer, b as unknown as tf.TensorContainer, real]);
    m.dispose();
  });

  it('takes I and S from the create ctx, not the config, and says so when they are missing', () => {
    expect(nluTransformer.configSchema.safeParse({ numIntents: 3 }).success).toBe(false);
    expect(() => build(small, { ...ctx, numIntents: undefined, where: 'model.nlu' })).toThrow(
      /model\.nlu: 'nlu-transformer' needs numIntents ≥ 1 from the dataset in its create ctx, got undefined/,
    );
    const m = build(small, { ...ctx, numIntents: 7, numSlotLabels: 3 });
    expect([m.numIntents, m.numSlotLabels]).toEqual([7, 3]);
    m.dispose();
  });
});
