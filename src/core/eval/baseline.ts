import type { z } from 'zod';
import { pluginDefiner, type Plugin } from '../registry/plugin';
import { macroMean, summariseRanks, type RetrievalScores } from './ranking';

/** Decoded images: ids, groups and (N, S, S, 3) RGB in [0, 1]. */
export interface BaselineImages {
  ids: readonly string[];
  groups: readonly string[];
  size: number;
  data: Float32Array;
}

/** What a baseline sees of one evaluated split: the training images (at any size it asks for) and the split's rows. */
export interface BaselineInputs {
  split: string;
  /** The train split's images (the model's training images), decoded at `size`. */
  trainImages(size: number): Promise<BaselineImages>;
  /** The evaluated split's images (those the model is evaluated on), decoded at `size`. */
  splitImages(size: number): Promise<BaselineImages>;
  /** The split's images the model is evaluated on. */
  images: readonly { id: string; group: string }[];
  captions: readonly { group: string; lang: string }[];
  chunks: readonly { group: string; lang: string }[];
  queries: readonly { group: string | null; lang: string }[];
}

/** Scores of a baseline, shaped like metrics.retrieval (per language + mean); tasks it cannot score are absent. */
export type BaselineResult = Partial<Record<'t2i' | 'i2t' | 't2t', Record<string, RetrievalScores>>>;

export interface BaselineInstance {
  compute(inputs: BaselineInputs): Promise<BaselineResult>;
}

/**
 * A baseline plugin: a reference that needs no training (pixel nearest neighbour, chance), computed for every
 * evaluated split and written to metrics.json as `baselines.<camelCase id>` beside the model's numbers.
 */
export type BaselinePlugin<S extends z.ZodType = z.ZodType> = Plugin<'baseline', S, undefined, BaselineInstance>;
export const defineBaseline = pluginDefiner('baseline')<undefined, BaselineInstance>();

/** 'pixel-knn' → 'pixelKnn': the key of a baseline in metrics.json. */
export const baselineKey = (id: string) => id.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const withMean = (byLang: Record<string, RetrievalScores>) => {
  const mean = macroMean(byLang);
  return mean
    ? {
        ...Object.fromEntries(
          Object.keys(byLang)
            .sort()
            .map((l) => [l, byLang[l]!]),
        ),
        mean,
      }
    : undefined;
};

/**
 * t2i and i2t of a scorer that rates (image, group) pairs: `scores` (nImages, nGroups), image i's group index
 * `imageGroup[i]` (-1: none), `captionGroup[c]` / `captionLang[c]` the captions'. A caption of group g ranks the
 * images by scores[·, g]; an image ranks the captions of language L by scores[i, group of the caption]. Ties are
 * pessimistic, as in metrics.retrieval (docs/metrics-json.md).
 */
export function groupScoreRetrieval(
  scores: Float64Array,
  nGroups: number,
  imageGroup: Int32Array,
  captionGroup: Int32Array,
  captionLang: readonly string[],
): BaselineResult {
  const ni = imageGroup.length;
  const t2i = new Map<string, number[]>();
  const i2t = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, r: number) => (m.get(k) ?? m.set(k, []).get(k)!).push(r);
  const hasImage = new Uint8Array(nGroups);
  for (let i = 0; i < ni; i++) if (imageGroup[i]! >= 0) hasImage[imageGroup[i]!] = 1;
  captionGroup.forEach((g, c) => {
    if (g < 0 || !hasImage[g]) return;
    let best = -Infinity;
    for (let i = 0; i < ni; i++)
      if (imageGroup[i] === g && scores[i * nGroups + g]! > best) best = scores[i * nGroups + g]!;
    let above = 0;
    for (let i = 0; i < ni; i++) if (imageGroup[i] !== g && scores[i * nGroups + g]! >= best) above++;
    push(t2i, captionLang[c]!, 1 + above);
  });
  const langs = [...new Set(captionLang)];
  for (const lang of langs) {
    const rows = [...captionGroup.keys()].filter((c) => captionLang[c] === lang && captionGroup[c]! >= 0);
    for (let i = 0; i < ni; i++) {
      const g = imageGroup[i]!;
      if (g < 0 || !rows.some((c) => captionGroup[c] === g)) continue;
      const best = scores[i * nGroups + g]!;
      let above = 0;
      for (const c of rows) if (captionGroup[c] !== g && scores[i * nGroups + captionGroup[c]!]! >= best) above++;
      push(i2t, lang, 1 + above);
    }
  }
  const summarise = (m: Map<string, number[]>) =>
    withMean(Object.fromEntries([...m].map(([l, r]) => [l, summariseRanks(r)!])));
  const out: BaselineResult = {};
  const a = summarise(t2i),
    b = summarise(i2t);
  if (a) out.t2i = a;
  if (b) out.i2t = b;
  return out;
}

/**
 * Expected scores of a random ranking: a query with r relevant items among n candidates has its first relevant item
 * at rank k with probability C(n−k, r−1)/C(n, r). R@k and MRR are the expectations, averaged over queries; medianRank
 * is the median over queries of each query's median rank.
 */
export function chanceScores(queries: readonly { n: number; r: number }[]): RetrievalScores | undefined {
  const rows = queries.filter((q) => q.r > 0 && q.n >= q.r);
  if (rows.length === 0) return undefined;
  const acc = { 'R@1': 0, 'R@5': 0, 'R@10': 0, mrr: 0 };
  const medians: number[] = [];
  for (const { n, r } of rows) {
    // P(first relevant at k) = ∏_{j<k} (n−r−j)/(n−j) · r/(n−k+1): iterate in float64
    let miss = 1; // P(no relevant item in the top k−1)
    let cdf = 0;
    let median = 0;
    for (let k = 1; k <= n - r + 1; k++) {
      const p = miss * (r / (n - k + 1));
      cdf += p;
      acc.mrr += p / k;
      for (const top of [1, 5, 10] as const) if (k <= top) acc[`R@${top}`] += p;
      if (!median && cdf >= 0.5 - 1e-12) median = k;
      miss *= (n - r - k + 1) / (n - k + 1);
    }
    medians.push(median || n - r + 1);
  }
  const m = rows.length;
  const sorted = medians.sort((a, b) => a - b);
  const mid = m >> 1;
  return {
    // the sums of probabilities may end a rounding error above 1 (few candidates): clamp, as metrics.json requires
    'R@1': Math.min(1, acc['R@1'] / m),
    'R@5': Math.min(1, acc['R@5'] / m),
    'R@10': Math.min(1, acc['R@10'] / m),
    medianRank: m % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2,
    mrr: Math.min(1, acc.mrr / m),
    n: m,
  };
}
