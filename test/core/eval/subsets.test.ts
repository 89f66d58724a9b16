import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportEmbeddings, readEmbeddings, type EmbeddingSet } from '../../../src/core/eval/embeddings';
import type { EvalInputs } from '../../../src/core/eval/metric';
import { readMetricsJson, writeMetricsJson } from '../../../src/core/run/metrics';
import { MetricsFileSchema, MetricsSchema } from '../../../src/core/eval/metrics-schema';
import { nluMetrics, type NluExample } from '../../../src/core/eval/nlu';
import { queryOutcomes } from '../../../src/core/eval/outcomes';
import { summariseRanks } from '../../../src/core/eval/ranking';
import { retrievalMetrics } from '../../../src/core/eval/retrieval';
import { querySubsets } from '../../../src/core/eval/subsets';
import { metricRows } from '../../../src/core/store/rows';
import { nlu } from '../../../src/plugins/metrics/nlu';
import { retrieval } from '../../../src/plugins/metrics/retrieval';
import { rng } from '../../helpers/fake-run';
import { randomSplit } from './random-split';
import { bruteRetrieval } from './retrieval-oracle';

const tmp = mkdtempSync(join(tmpdir(), 'unir-subsets-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SUBSETS = ['held-out', 'seen'];
const INTENTS = ['find_image', 'play_music'];
const TAGS = ['O', 'B-object', 'I-object'];

/** A random split whose query rows are split over two subsets (one query without a subset), with NLU examples. */
function fixture(seed: number) {
  const { set, plain, dim } = randomSplit(seed, { images: 9, captions: 13, chunks: 11, queries: 40 });
  const r = rng(seed + 100);
  const subset = set.kind.map((k, i) => (k !== 'query' ? null : i % 17 === 0 ? null : SUBSETS[Math.floor(r() * 2)]!));
  const withSubset: EmbeddingSet = { ...set, subset };
  const qrows = set.kind.flatMap((k, i) => (k === 'query' ? [i] : []));
  const plainWithSubset: EmbeddingSet = { ...plain, subset: qrows.map((i) => subset[i]!) };
  const tag = () => TAGS[Math.floor(r() * 3)]!;
  const examples: NluExample[] = qrows.map((i) => {
    const tags = [tag(), tag(), tag()];
    return {
      id: set.ids[i]!,
      lang: set.lang[i]!,
      intent: INTENTS[Math.floor(r() * 2)]!,
      predIntent: INTENTS[Math.floor(r() * 2)]!,
      tags,
      predTags: r() < 0.5 ? tags : [tag(), tag(), tag()],
      ...(subset[i] ? { subset: subset[i]! } : {}),
    };
  });
  const inputs: EvalInputs = {
    split: 'test',
    embeddings: withSubset,
    queriesWithoutNlu: plainWithSubset,
    nlu: examples,
    intentLabels: INTENTS,
  };
  return { inputs, set: withSubset, plain: plainWithSubset, qrows, subset, examples, dim };
}

/** The oracle's view of one subset: the same split with the other query rows removed (vectors copied row by row). */
function onlySubset(
  set: EmbeddingSet,
  plain: EmbeddingSet,
  dim: number,
  s: string,
): { set: EmbeddingSet; plain: EmbeddingSet } {
  const keep = set.ids.map((_, i) => i).filter((i) => set.kind[i] !== 'query' || set.subset![i] === s);
  const pick = <T>(col: readonly T[]) => keep.map((i) => col[i]!);
  const vec = (from: EmbeddingSet, rows: number[]) =>
    Float32Array.from(rows.flatMap((i) => [...from.vectors.subarray(i * dim, (i + 1) * dim)]));
  const sub: EmbeddingSet = {
    ids: pick(set.ids),
    kind: pick(set.kind),
    lang: pick(set.lang),
    group: pick(set.group),
    role: pick(set.role!),
    vectors: vec(set, keep),
    dim,
  };
  const prow = plain.ids.map((_, k) => k).filter((k) => plain.subset![k] === s);
  const p: EmbeddingSet = {
    ids: prow.map((k) => plain.ids[k]!),
    kind: prow.map(() => 'query' as const),
    lang: prow.map((k) => plain.lang[k]!),
    group: prow.map((k) => plain.group[k]!),
    vectors: vec(plain, prow),
    dim,
  };
  return { set: sub, plain: p };
}

const retrievalCfg = retrieval.configSchema.parse({ tasks: ['t2i', 'i2t', 't2t', 'q2i'], engine: 'js' });

describe('metrics per query subset', () => {
  for (const seed of [1, 2, 3]) {
    it(`bySubset equals the top-level metric functions (and the brute-force oracle) on each subset's rows (random split ${seed})`, () => {
      const f = fixture(seed);
      expect(querySubsets(f.inputs)).toEqual(SUBSETS);
      const m = { ...retrieval.create(retrievalCfg, {}).evaluate(f.inputs) };
      const n = nlu.create(nlu.configSchema.parse({}), {}).evaluate(f.inputs);
      expect(Object.keys(m.bySubset!).sort()).toEqual(SUBSETS);
      for (const s of SUBSETS) {
        const o = onlySubset(f.set, f.plain, f.dim, s);
        const top = retrievalMetrics(o.set, { tasks: ['t2t', 'q2i'], engine: 'js', crossLingual: false }, o.plain);
        expect(m.bySubset![s]!.retrieval).toEqual(top.retrieval);
        expect(m.bySubset![s]!.nluContribution).toEqual(top.nluContribution);
        const brute = bruteRetrieval(o.set, f.dim, ['t2t', 'q2i'], 'query', o.plain);
        for (const task of ['t2t', 'q2i'] as const) {
          for (const [lang, scores] of Object.entries(brute.retrieval[task]!)) {
            for (const [k, v] of Object.entries(scores))
              expect(m.bySubset![s]!.retrieval![task]![lang]![k as 'mrr'], `${s} ${task} ${lang} ${k}`).toBeCloseTo(
                v,
                9,
              );
          }
        }
        expect(n.bySubset![s]!.nlu).toEqual(
          nluMetrics(
            f.examples.filter((e) => e.subset === s),
            INTENTS,
          ).nlu,
        );
      }
      // the top level is unchanged by the subset column: every query row, as without subsets
      const plainInputs: EvalInputs = {
        ...f.inputs,
        embeddings: { ...f.set, subset: undefined },
        queriesWithoutNlu: { ...f.plain, subset: undefined },
      };
      const without = retrieval.create(retrievalCfg, {}).evaluate(plainInputs);
      expect(without.bySubset).toBeUndefined();
      expect(m.retrieval).toEqual(without.retrieval);
      expect(m.nluContribution).toEqual(without.nluContribution);
      expect(MetricsSchema.safeParse({ ...m, ...n, bySubset: { ...m.bySubset } }).success).toBe(true);
    });
  }

  it('counts add up: per language, subset intent accuracy × n sums to the top level (minus the subset-less queries)', () => {
    const f = fixture(4);
    const n = nlu.create(nlu.configSchema.parse({}), {}).evaluate(f.inputs);
    const withSubset = f.examples.filter((e) => e.subset !== undefined);
    const all = nluMetrics(withSubset, INTENTS).nlu.intentAccuracy;
    for (const lang of Object.keys(all).filter((l) => l !== 'mean')) {
      const count = (s: string) => withSubset.filter((e) => e.lang === lang && e.subset === s).length;
      const sum = SUBSETS.reduce((a, s) => a + (n.bySubset![s]!.nlu!.intentAccuracy![lang] ?? 0) * count(s), 0);
      expect(sum / (count('seen') + count('held-out'))).toBeCloseTo(all[lang]!, 12);
    }
    expect(f.examples.some((e) => e.subset === undefined)).toBe(true);
  });

  it('writes no bySubset when no query has a subset, and none for a subset without NLU examples', () => {
    const { set, plain } = randomSplit(5);
    const inputs: EvalInputs = { split: 'val', embeddings: set, queriesWithoutNlu: plain };
    expect(querySubsets(inputs)).toEqual([]);
    expect(retrieval.create(retrievalCfg, {}).evaluate(inputs).bySubset).toBeUndefined();
    const f = fixture(5);
    const n = nlu
      .create(nlu.configSchema.parse({}), {})
      .evaluate({ ...f.inputs, nlu: f.examples.filter((e) => e.subset !== 'seen') });
    expect(Object.keys(n.bySubset!)).toEqual(['held-out']);
    // t2tFrom caption: t2t is not asked by queries, so a subset gets q2i only
    const cap = retrieval
      .create(retrieval.configSchema.parse({ tasks: ['t2t', 'q2i'], t2tFrom: 'caption', engine: 'js' }), {})
      .evaluate(f.inputs);
    expect(Object.keys(cap.bySubset!.seen!.retrieval!)).toEqual(['q2i']);
  });

  it('per-query outcomes carry the subset of each t2t and NLU row; restricted to held-out they summarise to bySubset', () => {
    const f = fixture(6);
    const m = retrieval.create(retrievalCfg, {}).evaluate(f.inputs);
    const n = nlu.create(nlu.configSchema.parse({}), {}).evaluate(f.inputs);
    const o = queryOutcomes(f.inputs, { engine: 'js' });
    const t2t = o.retrieval.t2t;
    expect(t2t.subset).toHaveLength(t2t.id.length);
    const subsetOf = new Map(f.set.ids.map((id, i) => [id, f.set.subset![i]]));
    t2t.id.forEach((id, k) => expect(t2t.subset![k]).toBe(subsetOf.get(id)));
    for (const s of SUBSETS) {
      const langs = Object.keys(m.bySubset![s]!.retrieval!.t2t!).filter((l) => l !== 'mean');
      for (const l of langs) {
        const ranks = t2t.rank.filter((_, k) => t2t.lang[k] === l && t2t.subset![k] === s);
        expect(summariseRanks(ranks), `${s} ${l}`).toEqual(m.bySubset![s]!.retrieval!.t2t![l]);
      }
      const rows = o.nlu!.subset!.flatMap((x, k) => (x === s ? [k] : []));
      for (const l of new Set(rows.map((k) => o.nlu!.lang[k]!))) {
        const mine = rows.filter((k) => o.nlu!.lang[k] === l);
        expect(mine.reduce((a, k) => a + o.nlu!.intentOk[k]!, 0) / mine.length).toBeCloseTo(
          n.bySubset![s]!.nlu!.intentAccuracy![l]!,
          12,
        );
      }
    }
    expect(o.nlu!.subset!.filter((x) => x === null).length).toBe(f.examples.filter((e) => !e.subset).length);
    // no subsets → no subset arrays (the file's old shape)
    const { set } = randomSplit(6);
    const plainO = queryOutcomes(
      { split: 'test', embeddings: set, nlu: f.examples.map(({ subset: _s, ...e }) => e) },
      { engine: 'js' },
    );
    expect(plainO.retrieval.t2t.subset).toBeUndefined();
    expect(plainO.nlu!.subset).toBeUndefined();
  });

  it('exported embeddings keep the subset column', () => {
    const f = fixture(7);
    exportEmbeddings(join(tmp, 'run'), 'test', f.set);
    const back = readEmbeddings(join(tmp, 'run'), 'test');
    expect(back.subset).toEqual(f.subset);
    exportEmbeddings(join(tmp, 'run'), 'val', { ...f.set, subset: undefined });
    expect(readEmbeddings(join(tmp, 'run'), 'val').subset).toBeUndefined();
  });
});

describe('bySubset in metrics.json and the store', () => {
  const scores = { 'R@1': 0.2, 'R@5': 0.5, 'R@10': 0.7, medianRank: 6, mrr: 0.33, n: 10 };
  const zero = { 'R@1': 0, 'R@5': 0.1, 'R@10': -0.1, medianRank: -2, mrr: 0 };
  const sub = (acc: number) => ({
    nlu: {
      intentAccuracy: { en: acc, de: acc, mean: acc },
      slotF1: { en: 0.5, de: 0.5, mean: 0.5 },
      exactMatch: { en: 0.25, de: 0.25, mean: 0.25 },
    },
    retrieval: { t2t: { en: scores, de: scores, mean: scores }, q2i: { en: scores, mean: scores } },
    nluContribution: {
      t2t: {
        withNlu: { en: scores, mean: scores },
        withoutNlu: { en: scores, mean: scores },
        delta: { en: zero, mean: zero },
      },
    },
  });
  const file = () =>
    JSON.parse(
      JSON.stringify({
        runId: 'r1',
        experiment: 'smoke',
        backend: 'wasm',
        seed: 3,
        stages: [],
        final: {
          nlu: { intentAccuracy: { en: 0.8, mean: 0.8 } },
          bySubset: { seen: sub(1), 'held-out': sub(0.6) },
          somethingNew: { x: 1 },
        },
      }),
    );

  it('round-trips through writeMetricsJson / readMetricsJson; unknown top-level keys still pass (loose)', () => {
    const dir = join(tmp, 'metrics');
    writeMetricsJson(dir, file());
    expect(readMetricsJson(dir)).toEqual(file());
    expect(MetricsFileSchema.parse(file()).final.bySubset!['held-out']!.nlu!.intentAccuracy!.mean).toBe(0.6);
  });

  it.each([
    [
      'a fraction above 1',
      (f: any) => (f.final.bySubset.seen.nlu.slotF1.en = 1.5),
      'final.bySubset.seen.nlu.slotF1.en',
    ],
    ['an unknown key inside a subset', (f: any) => (f.final.bySubset.seen.t2tCross = {}), 'final.bySubset.seen'],
    [
      'a task a subset does not have',
      (f: any) => (f.final.bySubset['held-out'].retrieval.t2i = f.final.bySubset.seen.retrieval.t2t),
      'final.bySubset.held-out.retrieval',
    ],
    [
      'a mean-less language table',
      (f: any) => delete f.final.bySubset.seen.retrieval.t2t.mean,
      'final.bySubset.seen.retrieval.t2t',
    ],
  ])('rejects %s', (_what, mutate, path) => {
    const f = file();
    mutate(f);
    const r = MetricsFileSchema.safeParse(f);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it("stores bySubset rows under '<task>#<subset>' with the top-level naming", () => {
    const m = file().final;
    const rows = metricRows('final', m);
    const get = (task: string, lang: string, metric: string) =>
      rows.filter((r) => r[1] === task && r[2] === lang && r[3] === metric).map((r) => r[4]);
    expect(get('nlu#held-out', 'mean', 'intentAccuracy')).toEqual([0.6]);
    expect(get('nlu#seen', 'de', 'intentAccuracy')).toEqual([1]);
    expect(get('t2t#held-out', 'de', 'R@10')).toEqual([0.7]);
    expect(get('q2i#seen', 'en', 'n')).toEqual([10]);
    expect(get('t2t-no-nlu#held-out', 'mean', 'mrr')).toEqual([0.33]);
    expect(get('t2t-nlu-delta#seen', 'mean', 'R@10')).toEqual([-0.1]);
    // each subset gives exactly the rows its metrics would give at the top level, renamed
    for (const s of ['seen', 'held-out']) {
      const alone = metricRows('final', m.bySubset[s]).map(([st, t, l, k, v]) => [st, `${t}#${s}`, l, k, v]);
      expect(rows.filter((r) => r[1].endsWith(`#${s}`))).toEqual(alone);
    }
    expect(rows.filter((r) => r[1] === 'nlu')).toHaveLength(2);
    expect(rows).toHaveLength(2 + 2 * (9 + (3 + 2) * 6 + 2 * 6 + 2 * 5)); // nlu 3 × 3 langs; t2t, q2i 6 keys × 3 + 2 langs; no-nlu, delta × 2 langs
  });
});
