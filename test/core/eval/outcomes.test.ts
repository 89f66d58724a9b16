import { describe, expect, it } from 'vitest';
import { queryOutcomes } from '../../../src/core/eval/outcomes';
import { retrievalMetrics } from '../../../src/core/eval/retrieval';
import { summariseRanks } from '../../../src/core/eval/ranking';
import { nluMetrics, type NluExample } from '../../../src/core/eval/nlu';
import { randomSplit } from './random-split';

// Per-query outcomes are what `unir results` resamples: summarised per language they must give back the metrics.
describe('per-query outcomes', () => {
  for (const seed of [1, 2, 3]) {
    it(`summarise to metrics.retrieval's t2i, i2t, t2t per language (random split ${seed}, ties included)`, () => {
      const { set } = randomSplit(seed);
      const m = retrievalMetrics(set, { engine: 'js', crossLingual: false });
      const o = queryOutcomes({ split: 'test', embeddings: set }, { engine: 'js' });
      for (const task of ['t2i', 'i2t', 't2t'] as const) {
        const langs = Object.keys(m.retrieval[task] ?? {}).filter((l) => l !== 'mean');
        expect([...new Set(o.retrieval[task].lang)].sort()).toEqual(langs.sort());
        for (const l of langs) {
          const ranks = o.retrieval[task].rank.filter((_, i) => o.retrieval[task].lang[i] === l);
          expect(summariseRanks(ranks), `${task} ${l}`).toEqual(m.retrieval[task]![l]);
        }
      }
    });
  }

  it('NLU outcomes carry ids and add up to nluMetrics per language', () => {
    const ex: NluExample[] = [
      { id: 'q1', lang: 'en', intent: 'a', predIntent: 'a', tags: ['B-x', 'I-x', 'O'], predTags: ['B-x', 'I-x', 'O'] },
      { id: 'q2', lang: 'en', intent: 'a', predIntent: 'b', tags: ['B-x', 'O', 'B-y'], predTags: ['B-x', 'O', 'O'] },
      { id: 'q3', lang: 'de', intent: 'b', predIntent: 'b', tags: ['O', 'B-y'], predTags: ['B-y', 'O'] },
    ];
    const o = queryOutcomes({ split: 'test', nlu: ex }).nlu!;
    expect(o.id).toEqual(['q1', 'q2', 'q3']);
    expect(o.intentOk).toEqual([1, 0, 1]);
    expect(o.exact).toEqual([1, 0, 0]);
    expect(o.spans).toEqual([
      [1, 1, 1],
      [1, 1, 2],
      [0, 1, 1],
    ]);
    const m = nluMetrics(ex).nlu;
    const en = o.spans.slice(0, 2).reduce<number[]>((a, s) => a.map((v, i) => v + s[i]!), [0, 0, 0]);
    const f1 = (2 * en[0]!) / (en[1]! + en[2]!);
    expect(m.slotF1.en).toBeCloseTo(f1, 12);
    expect(m.intentAccuracy.en).toBe((o.intentOk[0]! + o.intentOk[1]!) / 2);
  });
});
