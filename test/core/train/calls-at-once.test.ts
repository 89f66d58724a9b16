import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PairType } from '../../../src/core/config/stage';
import type { Features } from '../../../src/core/loss/loss';
import { createUnifiedModel, type UnifiedModel } from '../../../src/core/model/unified';
import type { PairBatch } from '../../../src/core/train/batch';
import { callsAtOnce, modesOf, pairFeatures } from '../../../src/core/train/features';
import { createRegistry } from '../../../src/plugins';
import { differingGrads, probeBits, randomBatch, rng, useBackend } from '../../helpers/contract';

// pairFeatures on the step's view (callsAtOnce: the step's model calls at once) against pairFeatures on the model
// itself: every feature and every gradient equal to the bit, for the pair mixes of the reference curriculum.

const registry = createRegistry({ warn: () => undefined });
const V = 64;
const spec = {
  dim: 8,
  tokenizer: { id: 'word-ngram', buckets: V - 2, pieces: 3, maxLength: 9 },
  text: { id: 'text-transformer', hidden: 16, layers: 1, heads: 2, mlpRatio: 2 },
  image: { id: 'image-cnn', imageSize: 8, channels: [4, 8], kernel: 3 },
  nlu: { id: 'nlu-transformer', hidden: 12, layers: 1, heads: 2 },
  fusion: { id: 'cross-attention', heads: 2 },
};

const text = (seed: number, b: number, t: number) =>
  randomBatch(rng(seed), { batch: b, length: t, pieces: 3, vocabSize: V });

function pairBatch(pair: PairType, seed: number): PairBatch {
  const r = rng(seed);
  const n = 3;
  switch (pair) {
    case 'image-caption':
      return {
        pair,
        n,
        images: { data: Float32Array.from({ length: n * 8 * 8 * 3 }, r), size: 8 },
        right: text(seed + 1, n * 2, 6),
        captionsPerImage: 2,
      };
    case 'caption-chunk':
      return { pair, n, left: text(seed + 1, n, 5), right: text(seed + 2, n, 9) };
    case 'query-chunk':
      return { pair, n, query: text(seed + 1, n, 7), right: text(seed + 2, n, 8) };
    case 'query-semantic':
      return { pair, n, query: text(seed + 1, n, 6), right: text(seed + 2, n, 5) };
    case 'query-nlu': {
      const query = text(seed + 1, n, 7);
      return {
        pair,
        n,
        query,
        intent: Int32Array.from({ length: n }, (_, i) => i % 3),
        slotLabels: Int32Array.from({ length: n * 7 }, (_, i) => i % 5),
        slotMask: query.mask,
      };
    }
    default:
      throw new Error(pair);
  }
}

/** Features and every variable's gradient of a probe over them (raw bits), with or without the step's view. */
function run(m: UnifiedModel, terms: readonly { pair: PairType; nlu: boolean }[], atOnce: boolean) {
  const modes = modesOf(['text', 'image', 'nlu', 'fusion']);
  const batches = terms.map((t, i) => pairBatch(t.pair, 10 * (i + 1)));
  return probeBits(Object.values(m.modules).flat(), () => {
    const features = terms.map((t, i) => ({ batch: batches[i]!, nlu: t.nlu }));
    const view = atOnce ? callsAtOnce(m, features, modes) : m;
    return terms.flatMap((t, i) => {
      const f: Features = pairFeatures(view, batches[i]!, t.nlu, modes, {});
      return Object.values(f).filter((x): x is tf.Tensor => x instanceof tf.Tensor && x.dtype === 'float32');
    });
  });
}

describe('callsAtOnce (a step’s model calls at once, as pairFeatures makes them)', () => {
  let m: UnifiedModel;
  beforeAll(async () => {
    await useBackend('wasm');
    m = await createUnifiedModel(spec, { numIntents: 3, numSlotLabels: 5, seed: 2, registry });
    return () => m.dispose();
  });

  const mixes: Record<string, { pair: PairType; nlu: boolean }[]> = {
    'stage 1 (image-caption, caption-chunk, query-chunk without NLU)': [
      { pair: 'image-caption', nlu: false },
      { pair: 'caption-chunk', nlu: false },
      { pair: 'query-chunk', nlu: false },
    ],
    'stage 3 (queries with NLU fused, query-nlu between them)': [
      { pair: 'image-caption', nlu: false },
      { pair: 'query-chunk', nlu: true },
      { pair: 'query-nlu', nlu: true },
      { pair: 'query-semantic', nlu: true },
    ],
  };
  for (const [name, terms] of Object.entries(mixes)) {
    it(`gives pairFeatures' features and gradients to the bit: ${name}`, () => {
      const before = tf.memory().numTensors;
      const a = run(m, terms, true);
      const b = run(m, terms, false);
      expect(a.outs.length).toBe(b.outs.length);
      a.outs.forEach((f, i) => expect(f, `feature ${i}`).toEqual(b.outs[i]));
      expect(Object.keys(a.grads).length).toBeGreaterThan(20);
      expect(differingGrads(a.grads, b.grads)).toEqual([]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
