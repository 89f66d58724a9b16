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
  // items reordered by bucket, so that each bucket's scores are one contiguous run of a score row
  const order = Int32Array.from({ length: ni }, (_, j) => j).sort(
    (a, b) => items.buckets[a]! - items.buckets[b]! || a - b,
  );
  const bucket = Int32Array.from(order, (j) => items.buckets[j]!);
  const start = new Int32Array(nb + 1); // bucket b's items: [start[b], start[b + 1])
  for (const b of bucket) start[b + 1]!++;
  for (let b = 0; b < nb; b++) start[b + 1]! += start[b]!;
  const vectors = new Float32Array(ni * dim);
  order.forEach((j, k) => vectors.set(items.vectors.subarray(j * dim, (j + 1) * dim), k * dim));
  const relevant = indexByGroup(Int32Array.from(order, (j) => items.groups[j]!)); // group → its (reordered) items
  const best = new Float64Array(nb);
  forEachScoreBlock(
    queries.vectors,
    vectors,
    dim,
    (first, n, scores) => {
      for (let a = 0; a < n; a++) {
        const rel = relevant.get(queries.groups[first + a]!);
        if (!rel) continue; // no relevant item (or group -1): rank 0 everywhere
        const row = a * ni;
        best.fill(Number.NaN); // NaN: the bucket has no relevant item
        for (const j of rel) {
          const b = bucket[j]!;
          const s = scores[row + j]!;
          if (Number.isNaN(best[b]!)) best[b] = -Infinity;
          if (s > best[b]!) best[b] = s; // a NaN score never wins: stays -Infinity
        }
        for (let b = 0; b < nb; b++) {
          const t = best[b]!;
          if (Number.isNaN(t)) continue;
          // every item of the bucket at or above the best relevant score, the relevant ones taken back out below
          let above = 0;
          const end = row + start[b + 1]!;
          if (t === -Infinity)
            above = start[b + 1]! - start[b]!; // NaN scores included
          else for (let j = row + start[b]!; j < end; j++) if (scores[j]! >= t) above++;
          for (const j of rel) {
            if (bucket[j] !== b) continue;
            const s = scores[row + j]!;
            if (s >= t || t === -Infinity) above--;
          }
          ranks[(first + a) * nb + b] = 1 + above;
        }
      }
    },
    opts,
  );
  return ranks;
}

/** The item indices of every group ≥ 0. */
function indexByGroup(groups: Int32Array): Map<number, Int32Array> {
  const lists = new Map<number, number[]>();
  groups.forEach((g, j) => {
    if (g < 0) return;
    const l = lists.get(g);
    if (l) l.push(j);
    else lists.set(g, [j]);
  });
  return new Map([...lists].map(([g, l]) => [g, Int32Array.from(l)]));
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
