/**
 * The one seeded PRNG (mulberry32): uniform in [0, 1), whose whole state is one uint32, so a checkpoint can store
 * it and a resumed run draws exactly the numbers an uninterrupted run would have drawn.
 */
export class Rng {
  private a: number;

  constructor(seed: number) {
    this.a = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A fresh uint32, e.g. the seed of a child generator. */
  uint32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  state(): number {
    return this.a;
  }

  setState(s: number): void {
    this.a = s >>> 0;
  }
}

/** The generator as a function: `mulberry32(seed)()` is `new Rng(seed).next()`. */
export function mulberry32(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/** Fisher–Yates permutation of [0, n) drawn from a generator seeded with `seed`. */
export function permutation(n: number, seed: number): Int32Array {
  const r = new Rng(seed);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = r.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** FNV-1a 32-bit hash of a string's UTF-16 code units: stable seeds derived from names. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
