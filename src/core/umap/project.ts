import { UMAP } from 'umap-js';
import type { Points } from './quality';
import { mulberry32 } from '../rng';

export interface UmapOptions {
  nComponents?: 2 | 3;
  nNeighbors?: number;
  minDist?: number;
  nEpochs?: number;
  seed?: number;
  /** Above this many points umap-js's approximate nearest neighbours (NN-descent) replace the exact k-NN. */
  approxAbove?: number;
  onProgress?: (p: { phase: 'knn' | 'optimize'; done: number; total: number }) => void;
}

const cosineDistance = (x: number[], y: number[]) => {
  let dot = 0;
  let nx = 0;
  let ny = 0;
  for (let i = 0; i < x.length; i++) {
    dot += x[i]! * y[i]!;
    nx += x[i]! * x[i]!;
    ny += y[i]! * y[i]!;
  }
  return 1 - dot / (Math.sqrt(nx * ny) || 1);
};

/** Exact k-NN under cosine distance (self excluded), for the small maps where it is affordable. */
export function exactKnn(p: Points, k: number, onRow?: (i: number) => void) {
  const rows = Array.from({ length: p.n }, (_, i) => Array.from(p.data.subarray(i * p.dim, (i + 1) * p.dim)));
  const knnIndices: number[][] = [];
  const knnDistances: number[][] = [];
  const dist = new Float64Array(p.n);
  const idx = Array.from({ length: p.n }, (_, j) => j);
  for (let i = 0; i < p.n; i++) {
    for (let j = 0; j < p.n; j++) dist[j] = i === j ? -1 : cosineDistance(rows[i]!, rows[j]!);
    // UMAP expects each point to be its own first neighbour at distance 0.
    const nearest = idx
      .slice()
      .sort((a, b) => dist[a]! - dist[b]! || a - b)
      .slice(0, k);
    knnIndices.push(nearest);
    knnDistances.push(nearest.map((j) => Math.max(dist[j]!, 0)));
    onRow?.(i);
  }
  return { knnIndices, knnDistances };
}

/** UMAP projection of (N, D) vectors to (N, 2|3), seeded; cosine metric. */
export async function umapProject(p: Points, opts: UmapOptions = {}): Promise<Points> {
  const nComponents = opts.nComponents ?? 2;
  const nNeighbors = Math.min(opts.nNeighbors ?? 15, p.n - 1);
  const umap = new UMAP({
    nComponents,
    nNeighbors,
    minDist: opts.minDist ?? 0.1,
    nEpochs: opts.nEpochs,
    random: mulberry32(opts.seed ?? 0),
    distanceFn: cosineDistance,
  });
  const rows = Array.from({ length: p.n }, (_, i) => Array.from(p.data.subarray(i * p.dim, (i + 1) * p.dim)));
  if (p.n <= (opts.approxAbove ?? 3000)) {
    const step = Math.max(1, Math.floor(p.n / 20));
    const knn = exactKnn(
      p,
      nNeighbors,
      (i) => (i % step === 0 || i === p.n - 1) && opts.onProgress?.({ phase: 'knn', done: i + 1, total: p.n }),
    );
    umap.setPrecomputedKNN(knn.knnIndices, knn.knnDistances);
  } else opts.onProgress?.({ phase: 'knn', done: 0, total: p.n });
  const total = umap.initializeFit(rows);
  const every = Math.max(1, Math.floor(total / 10));
  for (let e = 0; e < total; e++) {
    umap.step();
    if ((e + 1) % every === 0 || e === total - 1) {
      opts.onProgress?.({ phase: 'optimize', done: e + 1, total });
      await new Promise((r) => setImmediate(r));
    }
  }
  const emb = umap.getEmbedding();
  const data = new Float32Array(p.n * nComponents);
  emb.forEach((row, i) => row.forEach((v, d) => (data[i * nComponents + d] = v)));
  return { n: p.n, dim: nComponents, data };
}
