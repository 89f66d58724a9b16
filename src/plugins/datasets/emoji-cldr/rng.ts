import { hash32, mulberry32 } from '../../../core/rng';

export { hash32, mulberry32 };

/** Uniform in [0, 1) from a string key: the same key always gives the same number. */
export function unitHash(key: string): number {
  return mulberry32(hash32(key))();
}

/** A seeded random source keyed by a string (e.g. `${seed}/${split}/${lang}/${group}`). */
export function rngFor(key: string) {
  const next = mulberry32(hash32(key));
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}
export type Rng = ReturnType<typeof rngFor>;
