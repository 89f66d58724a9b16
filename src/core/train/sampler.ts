import type { PairType } from '../config/stage';
import { hash32, permutation } from '../rng';

/**
 * The training examples of one pair type: example i is (left[i], right[i]), rows of the tables of
 * TrainData (see data.ts); group[i] is its relevance group (index), used to keep a contrastive
 * sub-batch free of two examples of the same group (they would be each other's false negatives).
 */
export interface PairPool {
  size: number;
  left: Int32Array;
  right: Int32Array;
  group: Int32Array;
}

/** Pairs whose loss uses in-batch negatives: no two examples of one group in a sub-batch. */
export const CONTRASTIVE_PAIRS: ReadonlySet<PairType> = new Set([
  'image-caption',
  'image-image',
  'caption-chunk',
  'query-chunk',
]);

export interface PoolCursor {
  epoch: number;
  cursor: number;
}
export type SamplerState = Partial<Record<PairType, PoolCursor>>;

/**
 * Draws examples from each pool in a seeded random order, one epoch after another (each epoch a fresh
 * permutation seeded by (seed, pair, epoch)). The whole state is an (epoch, cursor) per pool, so a resumed
 * run continues the data order exactly.
 */
export class PairSampler {
  private readonly cursors = new Map<PairType, PoolCursor>();
  private readonly perms = new Map<PairType, { epoch: number; perm: Int32Array }>();

  constructor(
    private readonly pools: Partial<Record<PairType, PairPool>>,
    private readonly seed: number,
  ) {}

  private perm(pair: PairType, epoch: number): Int32Array {
    const cached = this.perms.get(pair);
    if (cached && cached.epoch === epoch) return cached.perm;
    const perm = permutation(this.pools[pair]!.size, hash32(`${this.seed}/${pair}/${epoch}`));
    this.perms.set(pair, { epoch, perm });
    return perm;
  }

  /** `n` example indices of `pair`'s pool. Contrastive pairs skip examples whose group is already drawn (while possible). */
  draw(pair: PairType, n: number): Int32Array {
    const pool = this.pools[pair];
    if (!pool || pool.size === 0) throw new Error(`PairSampler: no '${pair}' examples`);
    const c = this.cursors.get(pair) ?? { epoch: 0, cursor: 0 };
    const distinct = CONTRASTIVE_PAIRS.has(pair);
    const out = new Int32Array(n);
    const groups = new Set<number>();
    let skipped = 0;
    for (let k = 0; k < n; ) {
      if (c.cursor >= pool.size) {
        c.epoch++;
        c.cursor = 0;
      }
      const i = this.perm(pair, c.epoch)[c.cursor++]!;
      const g = pool.group[i]!;
      if (distinct && g >= 0 && groups.has(g) && skipped < pool.size) {
        skipped++;
        continue;
      }
      groups.add(g);
      out[k++] = i;
    }
    this.cursors.set(pair, c);
    return out;
  }

  state(): SamplerState {
    return Object.fromEntries([...this.cursors].map(([p, c]) => [p, { ...c }]));
  }

  restore(s: SamplerState): void {
    this.cursors.clear();
    for (const [p, c] of Object.entries(s))
      if (c) this.cursors.set(p as PairType, { epoch: c.epoch, cursor: c.cursor });
  }
}

/**
 * Splits a batch of `batchSize` over pair types by their shares (largest remainder; every pair gets at
 * least 2 examples so in-batch contrast has a negative). Order follows `shares`.
 */
export function allocateBatch(batchSize: number, shares: Partial<Record<PairType, number>>): [PairType, number][] {
  const entries = Object.entries(shares) as [PairType, number][];
  const exact = entries.map(([, s]) => s * batchSize);
  const counts = exact.map((x) => Math.floor(x));
  let left = batchSize - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) if (left-- > 0) counts[i]!++;
  for (let i = 0; i < counts.length; i++) {
    while (counts[i]! < 2) {
      const donor = counts.indexOf(Math.max(...counts));
      if (counts[donor]! <= 2) break;
      counts[donor]!--;
      counts[i]!++;
    }
    counts[i] = Math.max(2, counts[i]!);
  }
  return entries.map(([p], i) => [p, counts[i]!]);
}
