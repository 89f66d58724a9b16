import * as tf from '@tensorflow/tfjs-core';
import { simdKernels } from '../backend/simd/simd-kernels';
import { asWasm, f32, i32, ptr } from '../backend/wasm-heap';
import { blockRows, forEachScoreBlock, forEachScoreTensor, type ScoreOptions } from './similarity';

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
  // per block: thresholds (n, nb) = the best relevant score per query and bucket (NaN: none), then the counts (n, nb)
  // of the bucket's items at or above it, then the relevant ones taken back out
  const rankBlock = (
    first: number,
    n: number,
    scores: Float32Array,
    thr: Float32Array,
    count: () => void,
    counts: Int32Array,
  ) => {
    thr.fill(Number.NaN, 0, n * nb);
    for (let a = 0; a < n; a++) {
      const rel = relevant.get(queries.groups[first + a]!);
      if (!rel) continue; // no relevant item (or group -1): rank 0 everywhere
      for (const j of rel) {
        const k = a * nb + bucket[j]!;
        const s = scores[a * ni + j]!;
        if (Number.isNaN(thr[k]!)) thr[k] = -Infinity;
        if (s > thr[k]!) thr[k] = s; // a NaN score never wins: stays -Infinity
      }
    }
    count();
    for (let a = 0; a < n; a++) {
      const rel = relevant.get(queries.groups[first + a]!);
      if (!rel) continue;
      for (let b = 0; b < nb; b++) {
        const t = thr[a * nb + b]!;
        if (Number.isNaN(t)) continue;
        let above = counts[a * nb + b]!;
        for (const j of rel) {
          if (bucket[j] !== b) continue;
          if (scores[a * ni + j]! >= t || t === -Infinity) above--;
        }
        ranks[(first + a) * nb + b] = 1 + above;
      }
    }
  };
  const rows = blockRows(nq, ni, opts);
  if ((opts.engine ?? 'tf') === 'tf' && tf.getBackend() === 'wasm') {
    // the counts by kernels.c count_at_least over the score block in the wasm heap (no copy out)
    const be = asWasm(tf.backend());
    const kern = simdKernels(be);
    const [thrT, cntT, startT] = [tf.zeros([rows * nb]), tf.zeros([rows * nb], 'int32'), tf.tensor1d(start, 'int32')];
    try {
      forEachScoreTensor(
        queries.vectors,
        vectors,
        dim,
        (first, n, s) => {
          const [thr, counts] = [f32(be, thrT), i32(be, cntT)]; // views taken after the block's allocation
          rankBlock(
            first,
            n,
            f32(be, s),
            thr,
            () => kern.count_at_least(ptr(be, s), n, ni, ptr(be, thrT), ptr(be, startT), nb, ptr(be, cntT)),
            counts,
          );
        },
        opts,
      );
    } finally {
      tf.dispose([thrT, cntT, startT]);
    }
    return ranks;
  }
  const thr = new Float32Array(rows * nb);
  const counts = new Int32Array(rows * nb);
  forEachScoreBlock(
    queries.vectors,
    vectors,
    dim,
    (first, n, scores) =>
      rankBlock(first, n, scores, thr, () => countAtLeast(scores, n, ni, thr, start, nb, counts), counts),
    opts,
  );
  return ranks;
}

/** count_at_least in JS: counts (n, nb) of scores (n, ni) ≥ thr (n, nb) over the bucket ranges start (nb + 1). */
function countAtLeast(
  scores: Float32Array,
  n: number,
  ni: number,
  thr: Float32Array,
  start: Int32Array,
  nb: number,
  counts: Int32Array,
): void {
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < nb; b++) {
      const t = thr[a * nb + b]!;
      let c = 0;
      if (t === -Infinity)
        c = start[b + 1]! - start[b]!; // NaN scores included
      else if (!Number.isNaN(t))
        for (let j = a * ni + start[b]!; j < a * ni + start[b + 1]!; j++) if (scores[j]! >= t) c++;
      counts[a * nb + b] = c;
    }
  }
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
