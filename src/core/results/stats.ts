/** Mean and sample standard deviation (n − 1); std is undefined below two values. */
export function meanStd(xs: readonly number[]): { mean: number; std: number | undefined; n: number } {
  const n = xs.length;
  const mean = n ? xs.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : undefined;
  return { mean, std, n };
}

/** Two-sided 95% quantile of Student's t with `df` degrees of freedom (table to 30, Cornish–Fisher beyond). */
export function t975(df: number): number {
  const T = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
    2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
  ];
  if (df < 1) return NaN;
  if (df <= 30) return T[Math.round(df) - 1]!;
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

/** Mean and the half-width of its 95% t interval over seeds (undefined below two values). */
export function meanCi(xs: readonly number[]): { mean: number; half: number | undefined; n: number } {
  const m = meanStd(xs);
  return { mean: m.mean, half: m.std === undefined ? undefined : (t975(m.n - 1) * m.std) / Math.sqrt(m.n), n: m.n };
}

/** "0.553 ± 0.021 (95% CI, 5 seeds)" */
export const fmtMeanCi = (xs: readonly number[]) => {
  if (!xs.length) return '—';
  const m = meanCi(xs);
  return m.half === undefined ? `${fmt(m.mean)} (1 seed)` : `${fmt(m.mean)} ± ${fmt(m.half)}`;
};

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

export const fmt = (x: number | undefined, digits = 3) =>
  x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
export const fmtSigned = (x: number, digits = 3) => {
  const r = Number(x.toFixed(digits)); // no '−0.000'
  return `${r >= 0 ? '+' : '−'}${Math.abs(r).toFixed(digits)}`;
};
/** An interval bound: as fmtSigned, except that a non-zero bound which rounds to 0 keeps its sign and one significant
 * digit (−0.0002), so an interval that excludes 0 never prints as "[…, +0.000]". */
export const fmtBound = (x: number, digits = 3) =>
  x !== 0 && Number(x.toFixed(digits)) === 0
    ? `${x > 0 ? '+' : '−'}${Math.abs(x).toPrecision(1)}`
    : fmtSigned(x, digits);
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
