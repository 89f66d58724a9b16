/** Mean and sample standard deviation (n − 1); std is undefined below two values. */
export function meanStd(xs: readonly number[]): { mean: number; std: number | undefined; n: number } {
  const n = xs.length;
  const mean = n ? xs.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : undefined;
  return { mean, std, n };
}

export interface Difference {
  /** mean(a) − mean(b) */
  delta: number;
  /** Pooled seed standard deviation of the two arms; undefined with one seed per arm. */
  spread: number | undefined;
  /** |delta| > 2 · spread; undefined when the spread is. */
  exceeds: boolean | undefined;
  na: number;
  nb: number;
}

/** Arm a vs arm b over seeds: the difference of means against the pooled seed spread (2σ rule). */
export function compareArms(a: readonly number[], b: readonly number[]): Difference {
  const A = meanStd(a);
  const B = meanStd(b);
  const dof = A.n + B.n - 2;
  const ss = (s: number | undefined, n: number) => (n > 1 ? s! ** 2 * (n - 1) : 0);
  const spread = dof > 0 ? Math.sqrt((ss(A.std, A.n) + ss(B.std, B.n)) / dof) : undefined;
  const delta = A.mean - B.mean;
  return { delta, spread, exceeds: spread === undefined ? undefined : Math.abs(delta) > 2 * spread, na: A.n, nb: B.n };
}

export const fmt = (x: number | undefined, digits = 3) => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits));
export const fmtSigned = (x: number, digits = 3) => {
  const r = Number(x.toFixed(digits)); // no '−0.000'
  return `${r >= 0 ? '+' : '−'}${Math.abs(r).toFixed(digits)}`;
};
export const fmtMeanStd = (xs: readonly number[]) => {
  if (!xs.length) return '—';
  const m = meanStd(xs);
  return m.std === undefined ? `${fmt(m.mean)} (1 seed)` : `${fmt(m.mean)} ± ${fmt(m.std)}`;
};

/** "Δ = +0.031 ± 0.012; exceeds the seed spread (2σ): yes" */
export function describeDifference(d: Difference): string {
  if (d.spread === undefined) return `Δ = ${fmtSigned(d.delta)} (one seed per arm: no seed spread, no conclusion)`;
  return `Δ = ${fmtSigned(d.delta)} ± ${fmt(d.spread)} (pooled seed std, n = ${d.na} vs ${d.nb}); exceeds the seed spread (|Δ| > 2σ): ${d.exceeds ? 'yes' : 'no'}`;
}
