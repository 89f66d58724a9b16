import { forEachScoreBlock, type ScoreOptions } from './similarity';

/** The retrieval numbers of one task × language (docs/metrics-json.md). */
export interface RetrievalScores {
  'R@1': number;
  'R@5': number;
  'R@10': number;
  /** Median (1-based) rank of the first relevant item; the mean of the two middle ranks for an even count. */
  medianRank: number;
  mrr: number;
  /** Queries counted (those with at least one relevant item among the candidates). */
  n: number;
}

export const RETRIEVAL_KEYS = ['R@1', 'R@5', 'R@10', 'medianRank', 'mrr'] as const;
export const RECALL_KS = [1, 5, 10] as const;

/** Query side / item side of a retrieval task: vectors plus a group id per row (-1: relevant to nothing). */
export interface RankSide {
  vectors: Float32Array; // (n, dim)
  groups: Int32Array; // (n)
}

/**
 * The rank of the first relevant item for every query, separately within each item bucket (e.g. the
 * language of a chunk), with the PESSIMISTIC tie rule: an irrelevant item whose score equals the best
 * relevant score is ranked above it, so rank = 1 + #{irrelevant j in the bucket : s_j >= max relevant s}.
 * NaN scores count as -Infinity (a NaN relevant item lands below every irrelevant one).
 * Returns ranks (nq, nBuckets), row-major; 0 where the query has no relevant item in that bucket.
 */
export function firstRelevantRanks(
  queries: RankSide,
  items: RankSide & { buckets: Int32Array; nBuckets: number },
  dim: number,
  opts: ScoreOptions = {},
): Int32Array {
  const nq = queries.groups.length;
  const ni = items.groups.length;
  const nb = items.nBuckets;
  const ranks = new Int32Array(nq * nb);
  const best = new Float64Array(nb);
  const has = new Uint8Array(nb);
  const above = new Int32Array(nb);
  forEachScoreBlock(
    queries.vectors,
    items.vectors,
    dim,
    (start, n, scores) => {
      for (let a = 0; a < n; a++) {
        const g = queries.groups[start + a]!;
        if (g < 0) continue;
        const row = a * ni;
        best.fill(-Infinity);
        has.fill(0);
        above.fill(0);
        for (let j = 0; j < ni; j++) {
          if (items.groups[j] !== g) continue;
          const b = items.buckets[j]!;
          const s = scores[row + j]!;
          has[b] = 1;
          if (s > best[b]!) best[b] = s; // NaN never wins: stays -Infinity
        }
        for (let j = 0; j < ni; j++) {
          if (items.groups[j] === g) continue;
          const b = items.buckets[j]!;
          if (!has[b]) continue;
          const s = scores[row + j]!;
          if (s >= best[b]! || (Number.isNaN(s) && best[b] === -Infinity)) above[b]!++;
        }
        for (let b = 0; b < nb; b++) if (has[b]) ranks[(start + a) * nb + b] = 1 + above[b]!;
      }
    },
    opts,
  );
  return ranks;
}

/** R@k, median rank and MRR of a list of first-relevant ranks (all ≥ 1); undefined for an empty list. */
export function summariseRanks(ranks: readonly number[]): RetrievalScores | undefined {
  const n = ranks.length;
  if (n === 0) return undefined;
  const sorted = [...ranks].sort((a, b) => a - b);
  const recall = (k: number) => ranks.filter((r) => r <= k).length / n;
  const mid = n >> 1;
  return {
    'R@1': recall(1),
    'R@5': recall(5),
    'R@10': recall(10),
    medianRank: n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2,
    mrr: ranks.reduce((a, r) => a + 1 / r, 0) / n,
    n,
  };
}

/** Macro mean over languages of each number (n: the total number of queries). */
export function macroMean(byLang: Record<string, RetrievalScores>): RetrievalScores | undefined {
  const rows = Object.values(byLang);
  if (rows.length === 0) return undefined;
  const mean = (k: (typeof RETRIEVAL_KEYS)[number]) => rows.reduce((a, r) => a + r[k], 0) / rows.length;
  return {
    'R@1': mean('R@1'),
    'R@5': mean('R@5'),
    'R@10': mean('R@10'),
    medianRank: mean('medianRank'),
    mrr: mean('mrr'),
    n: rows.reduce((a, r) => a + r.n, 0),
  };
}
