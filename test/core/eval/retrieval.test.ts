import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeBackend, initBackend } from '../../../src/core/backend';
import type { EmbeddingSet } from '../../../src/core/eval/embeddings';
import { firstRelevantRanks, summariseRanks } from '../../../src/core/eval/ranking';
import { retrievalMetrics, type RetrievalTask } from '../../../src/core/eval/retrieval';
import { expectClose, randomSplit } from './random-split';
import { bruteRank, bruteRetrieval } from './retrieval-oracle';

beforeAll(async () => {
  await initBackend({ backend: 'wasm', threads: 1, quiet: true }); // the 'tf' engine there counts in kernels.c
  await tf.setBackend('cpu');
});
afterAll(disposeBackend);

describe('first-relevant rank with pessimistic ties', () => {
  it('counts an irrelevant item tied with the best relevant one as ranked above it', () => {
    // query (1, 0); items: relevant 0.5, irrelevant 0.5 (tie), irrelevant 0.9, relevant 0.1, irrelevant 0.2
    const items = new Float32Array([0.5, 0, 0.5, 1, 0.9, 0, 0.1, 0, 0.2, 0]);
    const ranks = firstRelevantRanks(
      { vectors: new Float32Array([1, 0]), groups: new Int32Array([7]) },
      { vectors: items, groups: new Int32Array([7, 1, 2, 7, 3]), buckets: new Int32Array(5), nBuckets: 1 },
      2,
    );
    expect([...ranks]).toEqual([3]); // 0.9 and the tied 0.5 come first
    expect(bruteRank([0.5, 0.5, 0.9, 0.1, 0.2], [true, false, false, true, false])).toBe(3);
  });

  for (const [engine, backend] of [
    ['js', 'cpu'],
    ['tf', 'wasm'],
  ] as const) {
    it(`ranks a NaN relevant item below every irrelevant one (${engine} engine on ${backend})`, async () => {
      await tf.setBackend(backend);
      // 9 items in 2 buckets: a NaN relevant score, NaN irrelevant ones, more than one 4-lane block per bucket
      const ranks = firstRelevantRanks(
        { vectors: new Float32Array([1, -1]), groups: new Int32Array([0, 0]) },
        {
          vectors: new Float32Array([NaN, 0.3, NaN, -5, 0.3, 0.1, -0.2, 0.7, NaN]),
          groups: new Int32Array([0, 1, 1, 1, 0, 1, 1, 1, 1]),
          buckets: new Int32Array([0, 0, 0, 0, 1, 1, 1, 1, 1]),
          nBuckets: 2,
        },
        1,
        { engine },
      );
      await tf.setBackend('cpu');
      // query 1: bucket 0 has only NaN relevant: all 4 items above it → 4; bucket 1: 0.3 beaten by 0.7 → 2
      // query −1: bucket 0 → 4; bucket 1: −0.3 beaten by −0.1 and 0.2 → 3
      expect([...ranks]).toEqual([4, 2, 4, 3]);
    });
  }

  it('summarises ranks: R@k, median (mean of the middle two), MRR', () => {
    expect(summariseRanks([1, 3, 6, 12])).toEqual({
      'R@1': 0.25,
      'R@5': 0.5,
      'R@10': 0.75,
      medianRank: 4.5,
      mrr: (1 + 1 / 3 + 1 / 6 + 1 / 12) / 4,
      n: 4,
    });
    expect(summariseRanks([2, 9, 1])!.medianRank).toBe(2);
    expect(summariseRanks([])).toBeUndefined();
  });
});

describe('retrieval metrics equal the brute-force oracle', () => {
  const tasks: RetrievalTask[] = ['t2i', 'i2t', 't2t', 'q2i'];
  for (const [engine, backend] of [
    ['tf', 'cpu'],
    ['tf', 'wasm'],
    ['js', 'cpu'],
  ] as const) {
    it(`on 40 random 11×7-style splits with exact ties (${engine} engine on ${backend}, tiny blocks)`, async () => {
      await tf.setBackend(backend);
      let ties = 0;
      for (let seed = 1; seed <= 40; seed++) {
        const { set, plain, dim } = randomSplit(seed);
        const before = tf.memory().numTensors;
        const got = retrievalMetrics(set, { tasks, engine, maxBlockElements: 20 }, plain);
        expect(tf.memory().numTensors).toBe(before);
        const want = bruteRetrieval(set, dim, tasks, 'query', plain);
        expectClose(got.retrieval, want.retrieval, `seed ${seed} retrieval`);
        expectClose(got.t2tCross, want.t2tCross, `seed ${seed} t2tCross`);
        expectClose(got.nluContribution, want.nluContribution, `seed ${seed} nluContribution`);
        // how many caption→image queries had an irrelevant image tied with their best relevant one
        for (const a of set.ids.keys()) {
          if (set.role?.[a] !== 'caption' || set.group[a] === null) continue;
          const s = (j: number) =>
            [0, 1, 2].reduce((acc, d) => acc + set.vectors[a * 3 + d]! * set.vectors[j * 3 + d]!, 0);
          const imgs = set.ids.map((_, j) => j).filter((j) => set.kind[j] === 'image');
          const best = Math.max(...imgs.filter((j) => set.group[j] === set.group[a]).map(s));
          if (imgs.some((j) => set.group[j] !== set.group[a] && s(j) === best)) ties++;
        }
      }
      expect(ties).toBeGreaterThan(20); // the cases really exercise the tie rule
      await tf.setBackend('cpu');
    });
  }

  it('t2t from captions, and the cross-lingual diagonal is the same-language t2t', () => {
    for (let seed = 100; seed < 110; seed++) {
      const { set, dim } = randomSplit(seed, { images: 5, captions: 30, chunks: 25, queries: 0 }, 3);
      const got = retrievalMetrics(set, { tasks: ['t2t'], t2tFrom: 'caption' });
      const want = bruteRetrieval(set, dim, ['t2t'], 'caption');
      expectClose(got.retrieval, want.retrieval);
      expectClose(got.t2tCross, want.t2tCross);
      for (const [l, s] of Object.entries(got.retrieval.t2t ?? {}))
        if (l !== 'mean') expect(got.t2tCross![l]![l]).toEqual(s);
    }
  });

  it('without the cross-lingual table, each query is scored against its own language alone: the same t2t to the bit (wasm, tiny blocks)', async () => {
    await tf.setBackend('wasm');
    let langs = 0;
    for (let seed = 200; seed < 220; seed++) {
      const { set, plain } = randomSplit(seed);
      const opts = { tasks: ['t2t', 'q2i'] as RetrievalTask[], maxBlockElements: 20 };
      const full = retrievalMetrics(set, opts, plain);
      const same = retrievalMetrics(set, { ...opts, crossLingual: false }, plain);
      expect(same.t2tCross).toBeUndefined();
      expect(same.retrieval).toEqual(full.retrieval);
      langs += Object.keys(full.retrieval.t2t ?? {}).length - 1;
    }
    expect(langs).toBeGreaterThan(40); // several languages per split: the split by language is exercised
    await tf.setBackend('cpu');
  });

  it('perfect embeddings score R@1 = 1, median rank 1, MRR 1 on every task', () => {
    // one-hot per group: every item of the query's group scores 1, every other item 0
    const groups = ['a', 'b', 'c'];
    const rows = groups.flatMap((g, gi) => [
      { id: `img-${g}`, kind: 'image' as const, lang: null, role: null, gi },
      ...['en', 'de'].flatMap((l) => [
        { id: `cap-${g}-${l}`, kind: 'text' as const, lang: l, role: 'caption' as const, gi },
        { id: `chunk-${g}-${l}`, kind: 'text' as const, lang: l, role: 'chunk' as const, gi },
        { id: `q-${g}-${l}`, kind: 'query' as const, lang: l, role: null, gi },
      ]),
    ]);
    const set: EmbeddingSet = {
      ids: rows.map((r) => r.id),
      kind: rows.map((r) => r.kind),
      lang: rows.map((r) => r.lang),
      group: rows.map((r) => groups[r.gi]!),
      role: rows.map((r) => r.role),
      vectors: new Float32Array(rows.flatMap((r) => groups.map((_, k) => +(k === r.gi)))),
      dim: 3,
    };
    const got = retrievalMetrics(set, { tasks: ['t2i', 'i2t', 't2t', 'q2i'] });
    for (const task of ['t2i', 'i2t', 't2t', 'q2i'] as const) {
      expect(Object.keys(got.retrieval[task]!).sort()).toEqual(['de', 'en', 'mean']);
      expect(got.retrieval[task]!.mean).toMatchObject({ 'R@1': 1, medianRank: 1, mrr: 1 });
    }
    expect(got.t2tCross!.en!.de).toMatchObject({ 'R@1': 1, n: 3 });
  });

  it('refuses no-NLU embeddings that are not the query rows in order', () => {
    const { set, plain } = randomSplit(3);
    const shuffled = { ...plain, ids: [...plain.ids].reverse() };
    expect(() => retrievalMetrics(set, {}, shuffled)).toThrow(
      /no-NLU embeddings must hold the 11 query rows, in order/,
    );
  });
});
