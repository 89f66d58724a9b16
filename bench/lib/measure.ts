/** Mean seconds per call of `fn` after one warm-up call: repeats until `minSeconds` have passed or `maxReps` ran. */
export function secondsPerCall(
  fn: () => void,
  opts: { minSeconds?: number; maxReps?: number; warmup?: boolean } = {},
): number {
  const { minSeconds = 1, maxReps = 50, warmup = true } = opts;
  if (warmup) fn();
  let reps = 0;
  const t0 = performance.now();
  while (reps < maxReps) {
    fn();
    reps++;
    if ((performance.now() - t0) / 1000 >= minSeconds) break;
  }
  return (performance.now() - t0) / 1000 / reps;
}

/** GFLOP/s of a (batched) matmul: 2·batch·m·k·n flops per call. */
export const matMulGflops = (batch: number, m: number, k: number, n: number, seconds: number) =>
  (2 * batch * m * k * n) / seconds / 1e9;

/** The median of xs (the mean of the middle two for an even count). */
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
