import { describe, expect, it } from 'vitest';
import type { Outcomes } from '../../../src/core/eval/outcomes';
import { pairedBootstrap } from '../../../src/core/results/bootstrap';
import { meanCi, t975 } from '../../../src/core/results/stats';
import { mulberry32 } from '../../../src/core/rng';

/** Outcomes with t2i ranks per query (ids q0…, one language or two) and NLU span counts. */
function outcomes(ranks: number[], langs = ['en'], spans?: [number, number, number][]): Outcomes {
  const id = ranks.map((_, i) => `q${i}`);
  const lang = ranks.map((_, i) => langs[i % langs.length]!);
  const empty = { id: [], lang: [], rank: [] };
  return {
    split: 'test',
    retrieval: { t2i: { id, lang, rank: ranks }, i2t: empty, t2t: empty },
    ...(spans ? { nlu: { id, lang, intentOk: ranks.map((r) => +(r === 1)), exact: ranks.map(() => 0), spans } } : {}),
  };
}

describe('paired bootstrap over test queries and seeds', () => {
  it('identical arms differ by exactly 0; an arm that finds everything beats one that finds nothing by exactly 1', () => {
    const a = outcomes([1, 30, 4, 12, 9]);
    const same = pairedBootstrap([[a, a]], 't2i R@10', 500)!;
    expect([same.delta, same.lo, same.hi, same.se]).toEqual([0, 0, 0, 0]);
    const all = pairedBootstrap([[outcomes([1, 2, 3]), outcomes([20, 30, 40])]], 't2i R@10', 500)!;
    expect([all.delta, all.lo, all.hi]).toEqual([1, 1, 1]);
  });

  it('one seed pair, one language: the bootstrap SE matches the analytic SE of a paired mean, sd(d)/√n', () => {
    const r = mulberry32(3);
    const n = 400;
    const ra = Array.from({ length: n }, () => (r() < 0.6 ? 1 : 50));
    const rb = ra.map((x) => (r() < 0.2 ? (x === 1 ? 50 : 1) : x)); // B flips 20 % of A's outcomes
    const d = ra.map((x, i) => +(x <= 10) - +(rb[i]! <= 10));
    const mean = d.reduce((x, y) => x + y, 0) / n;
    const sd = Math.sqrt(d.reduce((x, y) => x + (y - mean) ** 2, 0) / (n - 1));
    const bs = pairedBootstrap([[outcomes(ra), outcomes(rb)]], 't2i R@10', 4000)!;
    expect(bs.delta).toBeCloseTo(mean, 12);
    expect(bs.se / (sd / Math.sqrt(n))).toBeGreaterThan(0.9);
    expect(bs.se / (sd / Math.sqrt(n))).toBeLessThan(1.1);
    expect(bs.lo).toBeLessThan(mean);
    expect(bs.hi).toBeGreaterThan(mean);
    expect(bs.detectable).toBeCloseTo(2.801585 * bs.se, 6);
  });

  it('macro-averages languages, pairs queries by id, and resamples seed pairs too (a seed effect widens the interval)', () => {
    const a = outcomes([1, 1, 1, 1, 50, 50], ['en', 'de']);
    const b = outcomes([1, 50, 1, 50, 50, 50], ['en', 'de']);
    // en: a 2/3 vs b 1/3 hits; de: a 1/3 vs b 0 → macro Δ = (1/3 + 1/3) / 2
    expect(pairedBootstrap([[a, b]], 't2i R@10', 10)!.delta).toBeCloseTo(1 / 3, 12);
    // B evaluated on an extra query A never saw: it is left out
    const bExtra: Outcomes = {
      ...b,
      retrieval: {
        ...b.retrieval,
        t2i: {
          id: [...b.retrieval.t2i.id, 'zz'],
          lang: [...b.retrieval.t2i.lang, 'en'],
          rank: [...b.retrieval.t2i.rank, 1],
        },
      },
    };
    expect(pairedBootstrap([[a, bExtra]], 't2i R@10', 10)!.delta).toBeCloseTo(1 / 3, 12);
    const r = mulberry32(9);
    const q = (p: number) => Array.from({ length: 200 }, () => (r() < p ? 1 : 50));
    const steady = [0, 1, 2, 3, 4].map(() => [outcomes(q(0.6)), outcomes(q(0.5))] as [Outcomes, Outcomes]);
    const shaky = [0.9, 0.3, 0.8, 0.2, 0.7].map((p) => [outcomes(q(p)), outcomes(q(0.5))] as [Outcomes, Outcomes]);
    const [s1, s2] = [pairedBootstrap(steady, 't2i R@10', 1000)!, pairedBootstrap(shaky, 't2i R@10', 1000)!];
    expect(s2.hi - s2.lo).toBeGreaterThan(1.5 * (s1.hi - s1.lo));
  });

  it('slot F1 is recomputed from resampled span counts, not averaged per query', () => {
    const spans: [number, number, number][] = [
      [1, 1, 1],
      [0, 1, 1],
      [0, 0, 2],
    ];
    const none: [number, number, number][] = [
      [0, 1, 1],
      [0, 1, 1],
      [0, 0, 2],
    ];
    const bs = pairedBootstrap(
      [[outcomes([1, 1, 1], ['en'], spans), outcomes([1, 1, 1], ['en'], none)]],
      'slot F1',
      10,
    )!;
    expect(bs.delta).toBeCloseTo((2 * 1) / (2 + 4), 12); // A: 2·1/(2 + 4); B: 0
  });
});

describe('held-out-template metrics', () => {
  it('keep only the rows whose subset is held-out', () => {
    const make = (ok: number[]): Outcomes => ({
      ...outcomes([1, 1, 1, 1]),
      nlu: {
        id: ['a', 'b', 'c', 'd'],
        lang: ['en', 'en', 'en', 'en'],
        intentOk: ok,
        exact: ok,
        spans: ok.map(() => [0, 0, 0] as [number, number, number]),
        subset: ['seen', 'held-out', 'seen', 'held-out'],
      },
    });
    const [a, b] = [make([1, 1, 1, 0]), make([0, 0, 0, 1])];
    expect(pairedBootstrap([[a, b]], 'intent acc', 10)!.delta).toBeCloseTo(0.5, 12); // 3/4 − 1/4
    expect(pairedBootstrap([[a, b]], 'intent acc (held-out)', 10)!.delta).toBeCloseTo(0, 12); // b, d: 1/2 − 1/2
    expect(pairedBootstrap([[a, b]], 'intent acc (held-out)', 10)!.queries).toBe(2);
  });
});

describe('seed intervals', () => {
  it('t quantiles match the table, and large df approach 1.96', () => {
    expect([t975(1), t975(4), t975(30)]).toEqual([12.706, 2.776, 2.042]);
    expect(t975(60)).toBeCloseTo(2.0003, 3);
    expect(t975(1000)).toBeCloseTo(1.9623, 3);
  });

  it('mean ± t·s/√n', () => {
    const m = meanCi([0.5, 0.6, 0.55, 0.52, 0.58]);
    const sd = Math.sqrt([0.5, 0.6, 0.55, 0.52, 0.58].reduce((a, x) => a + (x - 0.55) ** 2, 0) / 4);
    expect(m.mean).toBeCloseTo(0.55, 12);
    expect(m.half).toBeCloseTo((2.776 * sd) / Math.sqrt(5), 12);
    expect(meanCi([0.4]).half).toBeUndefined();
  });
});
