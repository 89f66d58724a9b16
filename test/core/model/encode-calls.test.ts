import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setSplitLimits } from '../../../src/core/backend/simd/pool';
import { initBackend } from '../../../src/core/backend';
import type { ModelCall, ModelCallResult } from '../../../src/core/model/train-model';
import { createUnifiedModel, type UnifiedModel } from '../../../src/core/model/unified';
import type { EncodedBatch } from '../../../src/core/text/tokenizer';
import { createRegistry } from '../../../src/plugins';
import { differingGrads, probeBits, randomBatch, rng, useBackend } from '../../helpers/contract';

// TrainModel.encodeCalls against the same calls made one by one: every output and every variable's gradient equal to
// the bit (text passes as one set of rows: segment-wise weight gradients, attention per batch, fused queries hooked).

const registry = createRegistry({ warn: () => undefined });
const V = 64;
const spec = (fusion: object, text: object = {}) => ({
  dim: 8,
  tokenizer: { id: 'word-ngram', buckets: V - 2, pieces: 3, maxLength: 9 },
  text: { id: 'text-transformer', hidden: 16, layers: 2, heads: 2, mlpRatio: 2, ...text },
  image: { id: 'image-vit', imageSize: 8, patchSize: 4, hidden: 16, layers: 1, heads: 2 },
  nlu: { id: 'nlu-transformer', hidden: 12, layers: 1, heads: 2 },
  fusion,
});

const batch = (seed: number, b: number, t: number, tokens?: number[]) =>
  randomBatch(rng(seed), { batch: b, length: t, pieces: 3, vocabSize: V, ...(tokens ? { tokens } : {}) });

/** A stage's worth of calls: texts of other lengths, one without padding, queries with and without NLU, NLU runs. */
function calls(training: boolean): ModelCall[] {
  const [captions, chunks, full, q1, q2, q3, q4] = [
    batch(1, 4, 6),
    batch(2, 3, 9),
    batch(3, 2, 5, [4, 4]), // CLS + 4 tokens in 5 positions: no padding
    batch(4, 3, 7),
    batch(5, 2, 8),
    batch(6, 3, 6),
    batch(7, 2, 7),
  ];
  return [
    { kind: 'text', batch: captions!, training },
    { kind: 'query', batch: q1!, training, useNlu: true },
    { kind: 'text', batch: chunks!, training },
    { kind: 'nlu', batch: q2!, training },
    { kind: 'query', batch: q3!, training, useNlu: false },
    { kind: 'text', batch: full!, training },
    { kind: 'query', batch: q2!, training, useNlu: true },
    { kind: 'nlu', batch: q4!, training }, // four NLU runs: an order changed changes their weights' sums
  ];
}

/** The tensors a call returned, in a fixed order. */
const tensorsOf = (r: ModelCallResult): tf.Tensor[] =>
  r instanceof tf.Tensor
    ? [r]
    : 'embedding' in r
      ? [r.embedding, ...(r.nlu ? [r.nlu.intentLogits, r.nlu.slotLogits] : [])]
      : [r.intentLogits, r.slotLogits];

function oneByOne(m: UnifiedModel, cs: readonly ModelCall[]): ModelCallResult[] {
  return cs.map((c) =>
    c.kind === 'text'
      ? m.encodeText(c.batch, c.training)
      : c.kind === 'query'
        ? m.encodeQuery(c.batch, c.training, c.useNlu)
        : m.runNlu(c.batch, c.training),
  );
}

/** Outputs and gradients (as raw bits) of a probe over the calls' results, made by `how`. */
const run = (m: UnifiedModel, cs: readonly ModelCall[], how: 'at once' | 'one by one') =>
  probeBits(Object.values(m.modules).flat(), () =>
    (how === 'at once' ? m.encodeCalls(cs) : oneByOne(m, cs)).flatMap(tensorsOf),
  );

function expectSameBits(m: UnifiedModel, cs: readonly ModelCall[]): void {
  const a = run(m, cs, 'at once');
  const b = run(m, cs, 'one by one');
  expect(a.outs.length).toBe(b.outs.length);
  a.outs.forEach((o, i) => expect(o, `output ${i}`).toEqual(b.outs[i]));
  expect(Object.keys(a.grads).length).toBeGreaterThan(40);
  expect(differingGrads(a.grads, b.grads)).toEqual([]);
}

async function withModel(s: object, f: (m: UnifiedModel) => void | Promise<void>): Promise<void> {
  const m = await createUnifiedModel(s, { numIntents: 3, numSlotLabels: 5, seed: 3, registry });
  try {
    const before = tf.memory().numTensors;
    await f(m);
    expect(tf.memory().numTensors, 'tensors left').toBe(before);
  } finally {
    m.dispose();
  }
}

describe('encodeCalls (a step’s model calls at once)', () => {
  beforeAll(() => useBackend('wasm'));
  afterEach(() => setSplitLimits());

  for (const fusion of [{ id: 'cross-attention', heads: 2 }, { id: 'late' }, { id: 'none' }]) {
    it(`equals the calls one by one to the bit, outputs and gradients (wasm, fusion ${fusion.id})`, async () => {
      await withModel(spec(fusion), (m) => expectSameBits(m, calls(true)));
    });
  }

  it('to the bit on 2 threads with every kernel split, and in inference mode', async () => {
    expect((await initBackend({ backend: 'wasm', threads: 2, quiet: true })).threads).toBe(2);
    setSplitLimits({ macs: 1, elements: 1 });
    try {
      await withModel(spec({ id: 'cross-attention', heads: 2 }), (m) => {
        expectSameBits(m, calls(true));
        expectSameBits(m, calls(false));
      });
    } finally {
      await useBackend('wasm');
    }
  });

  it('runs fewer kernels than the calls one by one (the text passes are one set of rows)', async () => {
    await withModel(spec({ id: 'cross-attention', heads: 2 }), async (m) => {
      const cs = calls(true);
      const count = async (f: () => ModelCallResult[]) => {
        const p = await tf.profile(() => tf.tidy(() => f().flatMap(tensorsOf)));
        tf.dispose(p.result as tf.Tensor[]);
        return p.kernels.length;
      };
      const [atOnce, oneEach] = [await count(() => m.encodeCalls(cs)), await count(() => oneByOne(m, cs))];
      expect(atOnce).toBeLessThan(oneEach * 0.8);
    });
  });

  it('equals the calls one by one to the bit with dropout in the model (inference mode)', async () => {
    await withModel(spec({ id: 'cross-attention', heads: 2 }, { dropout: 0.1 }), (m) =>
      expectSameBits(m, calls(false)),
    );
  });

  it('equals the calls one by one to the bit on the cpu backend (one pass each there)', async () => {
    await useBackend('cpu');
    try {
      await withModel(spec({ id: 'cross-attention', heads: 2 }), (m) => expectSameBits(m, calls(true)));
    } finally {
      await useBackend('wasm');
    }
  });
});
