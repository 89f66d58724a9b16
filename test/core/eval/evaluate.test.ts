import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEmbeddings } from '../../../src/core/eval/embeddings';
import {
  evaluateSplit,
  type EvalEncoder,
  type EvalImage,
  type EvalQuery,
  type EvalText,
} from '../../../src/core/eval/evaluate';
import { nluMetrics } from '../../../src/core/eval/nlu';
import { retrievalMetrics } from '../../../src/core/eval/retrieval';
import { nlu } from '../../../src/plugins/metrics/nlu';
import { retrieval } from '../../../src/plugins/metrics/retrieval';

const tmp = mkdtempSync(join(tmpdir(), 'unir-evaluate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const D = 16;
/** Character-bigram hashing, L2-normalised on the tfjs backend: a real (if weak) text encoder. */
function embed(strings: readonly string[]): Float32Array {
  const raw = new Float32Array(strings.length * D);
  strings.forEach((s, i) => {
    for (let k = 0; k + 1 < s.length; k++) raw[i * D + ((s.charCodeAt(k) * 31 + s.charCodeAt(k + 1)) % D)]! += 1;
  });
  const t = tf.tidy(() => {
    const x = tf.tensor2d(raw, [strings.length, D]);
    return tf.div(x, tf.add(tf.norm(x, 'euclidean', 1, true), 1e-9));
  });
  const out = t.dataSync() as Float32Array;
  t.dispose();
  return Float32Array.from(out);
}

const GROUPS = ['apple', 'banana', 'cherry', 'grape', 'lemon'];
const images: EvalImage[] = GROUPS.flatMap((g) =>
  ['test', 'train'].map((split) => ({ id: `img/${g}/${split}`, group: g, split, path: `${g}.png` })),
);
const texts: EvalText[] = GROUPS.flatMap((g) =>
  ['en', 'de'].flatMap((lang) => [
    { id: `cap/${g}/${lang}`, group: g, split: 'test', lang, role: 'caption' as const, text: `a ${g} ${lang}` },
    { id: `chunk/${g}/${lang}`, group: g, split: 'test', lang, role: 'chunk' as const, text: `${g} notes in ${lang}` },
  ]),
);
const queries: EvalQuery[] = GROUPS.flatMap((g, gi) =>
  ['en', 'de'].map((lang) => {
    const text = `find ${g} yesterday`;
    return {
      id: `q/${g}/${lang}`,
      group: g,
      split: 'test',
      lang,
      text,
      intent: gi % 2 ? 'find_image' : 'find_document',
      slots: [{ label: 'object', start: 5, end: 5 + g.length }],
    };
  }),
);
const INTENTS = ['find_image', 'find_document'];
const SLOTS = ['O', 'B-object', 'I-object'];

const encoder: EvalEncoder = {
  embedImages: async (b) => embed(b.map((r) => `the ${r.group}`)),
  embedTexts: async (b) => embed(b.map((r) => r.text)),
  async embedQueries(b, useNlu) {
    const embeddings = embed(b.map((q) => (useNlu ? q.text.slice(q.slots[0]!.start, q.slots[0]!.end) : q.text)));
    // tokens: [CLS] then whitespace words; the head predicts find_image and tags the second word as B-object
    const T = 5;
    const tokenSpans = b.map((q) => {
      const spans: ([number, number] | null)[] = [null];
      for (const m of q.text.matchAll(/\S+/g)) spans.push([m.index!, m.index! + m[0].length]);
      while (spans.length < T) spans.push(null);
      return spans;
    });
    const intentLogits = new Float32Array(b.length * 2).map((_, i) => (i % 2 === 0 ? 1 : 0));
    const slotLogits = new Float32Array(b.length * T * 3).map((_, i) =>
      i % (T * 3) === 2 * 3 + 1 ? 2 : i % 3 === 0 ? 1 : 0,
    ); // (B, T, S)
    return { embeddings, nlu: { intentLogits, slotLogits, tokenSpans } };
  },
};

describe('evaluateSplit', () => {
  it('embeds the split in batches, decodes NLU, runs the metrics and exports the embeddings', async () => {
    const before = tf.memory().numTensors;
    const run = join(tmp, 'run');
    const cfg = retrieval.configSchema.parse({ tasks: ['t2i', 'i2t', 't2t', 'q2i'] });
    const { metrics, inputs } = await evaluateSplit(
      encoder,
      { images, texts, queries },
      {
        split: 'test',
        batchSize: 3,
        metrics: [retrieval.create(cfg, {}), nlu.create(nlu.configSchema.parse({}), {})],
        intentLabels: INTENTS,
        slotLabels: SLOTS,
        exportTo: run,
      },
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(inputs.embeddings!.ids.length).toBe(5 + 20 + 10); // the train images are left out
    expect(readEmbeddings(run, 'test').ids).toEqual(inputs.embeddings!.ids);
    // what the metrics saw is what the pure functions give
    const pure = retrievalMetrics(
      inputs.embeddings!,
      { tasks: ['t2i', 'i2t', 't2t', 'q2i'] },
      inputs.queriesWithoutNlu,
    );
    expect(metrics.retrieval).toEqual(pure.retrieval);
    expect(metrics.nluContribution).toEqual(pure.nluContribution);
    // NLU: gold 'find <object> yesterday' → O B-object O; predicted B-object on word 1, intent find_image
    expect(inputs.nlu![0]).toEqual({
      id: 'q/apple/en',
      lang: 'en',
      intent: 'find_document',
      predIntent: 'find_image',
      tags: ['O', 'B-object', 'O'],
      predTags: ['O', 'B-object', 'O'],
    });
    expect(metrics.nlu).toEqual(nluMetrics(inputs.nlu!, INTENTS).nlu);
    expect(metrics.nlu!.intentAccuracy!.mean).toBe(0.4);
    expect(metrics.nlu!.slotF1!.mean).toBe(1);
    // the query path that embeds only the object text finds the group's chunk; the plain text path can be worse
    expect(metrics.retrieval!.t2t!.mean!['R@1']).toBe(1);
  });

  it("carries each query's subset into the embeddings, the NLU examples and metrics.bySubset", async () => {
    const withSubset = queries.map((q, i): EvalQuery => ({ ...q, subset: i % 3 === 0 ? 'held-out' : 'seen' }));
    const cfg = retrieval.configSchema.parse({ tasks: ['t2i', 't2t', 'q2i'] });
    const run = join(tmp, 'run-subsets');
    const { metrics, inputs } = await evaluateSplit(
      encoder,
      { images, texts, queries: withSubset },
      {
        split: 'test',
        batchSize: 4,
        metrics: [retrieval.create(cfg, {}), nlu.create(nlu.configSchema.parse({}), {})],
        intentLabels: INTENTS,
        slotLabels: SLOTS,
        exportTo: run,
      },
    );
    const e = inputs.embeddings!;
    // rows are embedded shortest text first: compare by id
    const want = new Map(withSubset.map((q) => [q.id, q.subset]));
    const queryRows = e.ids.flatMap((id, i) => (e.kind[i] === 'query' ? [i] : []));
    expect(queryRows.length).toBe(withSubset.length);
    for (const i of queryRows) expect(e.subset![i]).toBe(want.get(e.ids[i]!));
    expect(e.subset!.filter((s, i) => e.kind[i] !== 'query').every((s) => s === null)).toBe(true);
    expect(inputs.queriesWithoutNlu!.ids).toEqual(queryRows.map((i) => e.ids[i]));
    inputs.queriesWithoutNlu!.ids.forEach((id, k) => expect(inputs.queriesWithoutNlu!.subset![k]).toBe(want.get(id)));
    for (const x of inputs.nlu!) expect(x.subset).toBe(want.get(x.id!));
    expect(readEmbeddings(run, 'test').subset).toEqual(e.subset);
    expect(Object.keys(metrics.bySubset!).sort()).toEqual(['held-out', 'seen']);
    const held = inputs.nlu!.filter((x) => x.subset === 'held-out');
    expect(held).toHaveLength(4);
    expect(metrics.bySubset!['held-out']!.nlu).toEqual(nluMetrics(held, INTENTS).nlu);
    // held-out: apple, grape (en) and banana, lemon (de); banana and grape are find_image, what the head always predicts
    expect(metrics.bySubset!['held-out']!.nlu!.intentAccuracy!.mean).toBe(0.5);
    expect(metrics.bySubset!.seen!.retrieval!.t2t!.mean!.n).toBe(6);
    expect(metrics.bySubset!['held-out']!.retrieval!.q2i!.mean!.n).toBe(4);
    expect(Object.keys(metrics.bySubset!.seen!.nluContribution!)).toEqual(['t2t', 'q2i']);
  });
});
