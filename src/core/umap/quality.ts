/** Row-major (N, D) vectors. */
export interface Points {
  n: number;
  dim: number;
  data: Float32Array | Float64Array;
}

function sqDist(p: Points, i: number, j: number): number {
  let s = 0;
  const a = i * p.dim;
  const b = j * p.dim;
  for (let d = 0; d < p.dim; d++) {
    const x = p.data[a + d]! - p.data[b + d]!;
    s += x * x;
  }
  return s;
}

/** Indices of the other points ordered by distance from i (ties by index). */
function order(p: Points, i: number): Int32Array {
  const idx = new Int32Array(p.n - 1);
  const dist = new Float64Array(p.n);
  for (let j = 0, t = 0; j < p.n; j++) {
    if (j === i) continue;
    idx[t++] = j;
    dist[j] = sqDist(p, i, j);
  }
  return idx.sort((a, b) => dist[a]! - dist[b]! || a - b);
}

/**
 * Trustworthiness T(k) of a low-dimensional map (Venna & Kaski 2001; sklearn.manifold.trustworthiness):
 * 1 − 2/(n·k·(2n − 3k − 1)) · Σ_i Σ_{j ∈ U_i} (r(i, j) − k), U_i = the low-dim k-NN of i that are not among
 * its high-dim k-NN, r(i, j) = the rank of j among i's high-dim neighbours. 1 = every map neighbour is a true one.
 * Euclidean distances; O(n² log n): subsample above a few thousand points.
 */
export function trustworthiness(high: Points, low: Points, k = 10): number {
  const n = high.n;
  if (low.n !== n) throw new Error(`trustworthiness: ${n} high-dim points vs ${low.n} low-dim points`);
  if (k >= n / 2) throw new Error(`trustworthiness: k=${k} must be < n/2 (n=${n})`);
  const rank = new Int32Array(n);
  let penalty = 0;
  for (let i = 0; i < n; i++) {
    const hi = order(high, i);
    for (let r = 0; r < hi.length; r++) rank[hi[r]!] = r + 1;
    const lo = order(low, i);
    for (let r = 0; r < k; r++) {
      const j = lo[r]!;
      if (rank[j]! > k) penalty += rank[j]! - k;
    }
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * penalty;
}

function cosine(p: Points, i: number, j: number): number {
  let dot = 0;
  let ni = 0;
  let nj = 0;
  for (let d = 0; d < p.dim; d++) {
    const a = p.data[i * p.dim + d]!;
    const b = p.data[j * p.dim + d]!;
    dot += a * b;
    ni += a * a;
    nj += b * b;
  }
  return dot / (Math.sqrt(ni * nj) || 1);
}

export interface Alignment {
  translations: number; // mean cosine between texts of the same group in different languages
  random: number; // mean cosine between random pairs of texts in different languages
  score: number; // translations − random: > 0 means translations sit closer than chance
  pairs: number;
}

/**
 * Cross-lingual alignment of text embeddings: mean cosine between translations (same group, different
 * language) vs between random cross-language pairs (seeded, same count).
 */
export function alignmentScore(p: Points, langs: readonly string[], groups: readonly string[], seed = 0): Alignment {
  const byGroup = new Map<string, number[]>();
  groups.forEach((g, i) => byGroup.set(g, [...(byGroup.get(g) ?? []), i]));
  let sum = 0;
  let pairs = 0;
  for (const members of byGroup.values()) {
    for (let a = 0; a < members.length; a++) {
      for (let b = a + 1; b < members.length; b++) {
        const [i, j] = [members[a]!, members[b]!];
        if (langs[i] === langs[j]) continue;
        sum += cosine(p, i, j);
        pairs++;
      }
    }
  }
  let s = seed >>> 0 || 1;
  const rand = (m: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % m;
  };
  let rsum = 0;
  let rpairs = 0;
  for (let tries = 0; rpairs < Math.max(pairs, 1) && tries < 50 * Math.max(pairs, 1); tries++) {
    const i = rand(p.n);
    const j = rand(p.n);
    if (langs[i] === langs[j] || groups[i] === groups[j]) continue;
    rsum += cosine(p, i, j);
    rpairs++;
  }
  const translations = pairs ? sum / pairs : NaN;
  const random = rpairs ? rsum / rpairs : NaN;
  return { translations, random, score: translations - random, pairs };
}
