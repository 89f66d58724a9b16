import { mulberry32 } from '../rng';
import type { Outcomes } from '../eval/outcomes';

/**
 * Paired bootstrap of a difference between two arms over test queries and seeds. Each seed of arm A is paired with
 * the same seed of arm B (same data slice, same test queries); within a pair, queries are matched by id. One
 * resample draws seed pairs with replacement and, within each drawn pair and each language, that language's queries
 * with replacement — the same draws for both arms — and computes the metric's macro mean over languages for A and
 * for B; the difference is averaged over the drawn pairs. Query and seed variation both enter the interval.
 */

/** The headline metrics a comparison is made on; '(held-out)' ones keep only queries of held-out templates. */
export const BOOTSTRAP_METRICS = [
  't2i R@10',
  'i2t R@10',
  't2t R@10',
  'intent acc',
  'slot F1',
  't2t R@10 (held-out)',
  'intent acc (held-out)',
  'slot F1 (held-out)',
] as const;
export type BootstrapMetric = (typeof BOOTSTRAP_METRICS)[number];
const HELD_OUT = ' (held-out)';
const baseOf = (m: BootstrapMetric) => m.replace(HELD_OUT, '') as BootstrapMetric;

/** One arm's per-query values of a metric, by language: `v` is (n, width) row-major; width 1 (mean) or 3 (span F1 sums). */
interface Strata {
  langs: string[];
  n: number[];
  v: Float64Array[];
}

const RETRIEVAL_TASK: Partial<Record<BootstrapMetric, 't2i' | 'i2t' | 't2t'>> = {
  't2i R@10': 't2i',
  'i2t R@10': 'i2t',
  't2t R@10': 't2t',
};

/** Query id → per-query value(s) and language, for one run's outcomes. */
function perQuery(o: Outcomes, metric: BootstrapMetric): Map<string, { lang: string; v: number[] }> {
  const out = new Map<string, { lang: string; v: number[] }>();
  const base = baseOf(metric);
  const held = metric !== base;
  const task = RETRIEVAL_TASK[base];
  const keep = (subset: (string | null)[] | undefined, i: number) => !held || subset?.[i] === 'held-out';
  if (task) {
    const t = o.retrieval[task] as Outcomes['retrieval']['t2t'];
    t.id.forEach(
      (id, i) =>
        keep(t.subset, i) && out.set(`${id}|${t.lang[i]}`, { lang: t.lang[i]!, v: [t.rank[i]! <= 10 ? 1 : 0] }),
    );
  } else if (o.nlu) {
    const n = o.nlu;
    n.id.forEach(
      (id, i) =>
        keep(n.subset, i) &&
        out.set(id, { lang: n.lang[i]!, v: base === 'intent acc' ? [n.intentOk[i]!] : [...n.spans[i]!] }),
    );
  }
  return out;
}

/** Per-language aggregate of summed values: a mean, or span F1 = 2·correct / (predicted + gold). */
const aggregate = (metric: BootstrapMetric, sums: number[], n: number) =>
  baseOf(metric) === 'slot F1'
    ? sums[1]! + sums[2]! > 0
      ? (2 * sums[0]!) / (sums[1]! + sums[2]!)
      : 0
    : n > 0
      ? sums[0]! / n
      : 0;

/** Both arms' strata over the queries they share, in the same order. */
function aligned(a: Outcomes, b: Outcomes, metric: BootstrapMetric): [Strata, Strata] | undefined {
  const [qa, qb] = [perQuery(a, metric), perQuery(b, metric)];
  const byLang = new Map<string, string[]>();
  for (const [id, x] of qa) if (qb.has(id)) (byLang.get(x.lang) ?? byLang.set(x.lang, []).get(x.lang)!).push(id);
  if (byLang.size === 0) return undefined;
  const langs = [...byLang.keys()].sort();
  const width = baseOf(metric) === 'slot F1' ? 3 : 1;
  const make = (q: typeof qa): Strata => ({
    langs,
    n: langs.map((l) => byLang.get(l)!.length),
    v: langs.map((l) => Float64Array.from(byLang.get(l)!.flatMap((id) => q.get(id)!.v.slice(0, width)))),
  });
  return [make(qa), make(qb)];
}

export interface PairedDifference {
  metric: BootstrapMetric;
  /** mean over seed pairs of (A − B), all queries */
  delta: number;
  /** 95% percentile interval of the resampled differences */
  lo: number;
  hi: number;
  /** std of the resampled differences */
  se: number;
  /** smallest |difference| this design detects with 80% power at α = 0.05 (two-sided): (1.96 + 0.84)·se */
  detectable: number;
  pairs: number;
  queries: number;
  resamples: number;
}

/** The paired bootstrap of `metric` over the seed pairs (A's and B's outcomes of the same seed); undefined without data. */
export function pairedBootstrap(
  pairs: [Outcomes, Outcomes][],
  metric: BootstrapMetric,
  resamples = 2000,
  seed = 7,
): PairedDifference | undefined {
  const sets = pairs.map(([a, b]) => aligned(a, b, metric)).filter((x): x is [Strata, Strata] => x !== undefined);
  if (sets.length === 0) return undefined;
  const width = baseOf(metric) === 'slot F1' ? 3 : 1;
  const macro = (s: Strata, pick?: Int32Array[]) => {
    let total = 0;
    s.langs.forEach((_, li) => {
      const sums = [0, 0, 0];
      const n = s.n[li]!;
      for (let k = 0; k < n; k++) {
        const q = pick ? pick[li]![k]! : k;
        for (let w = 0; w < width; w++) sums[w]! += s.v[li]![q * width + w]!;
      }
      total += aggregate(metric, sums, n);
    });
    return total / s.langs.length;
  };
  const delta = sets.reduce((acc, [a, b]) => acc + macro(a) - macro(b), 0) / sets.length;
  const r = mulberry32(seed);
  const diffs = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) {
    let d = 0;
    for (let p = 0; p < sets.length; p++) {
      const [a, b] = sets[Math.floor(r() * sets.length)]!;
      const pick = a.n.map((n) => Int32Array.from({ length: n }, () => Math.floor(r() * n)));
      d += macro(a, pick) - macro(b, pick);
    }
    diffs[i] = d / sets.length;
  }
  const sorted = Float64Array.from(diffs).sort();
  const q = (p: number) => sorted[Math.min(resamples - 1, Math.max(0, Math.round(p * (resamples - 1))))]!;
  const mean = diffs.reduce((x, y) => x + y, 0) / resamples;
  const se = Math.sqrt(diffs.reduce((x, y) => x + (y - mean) ** 2, 0) / (resamples - 1));
  return {
    metric,
    delta,
    lo: q(0.025),
    hi: q(0.975),
    se,
    detectable: (1.959964 + 0.841621) * se,
    pairs: sets.length,
    queries: sets[0]![0].n.reduce((x, y) => x + y, 0),
    resamples,
  };
}
