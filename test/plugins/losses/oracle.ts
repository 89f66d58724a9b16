// Plain float64 formulas (double loops, Math.exp/log): the oracles the tfjs losses are checked against.

export const dot = (x: readonly number[], y: readonly number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);

/** Symmetric InfoNCE with scale s = exp(min(logitScale, log maxScale)). */
export function infoNceJs(a: number[][], b: number[][], logitScale: number, maxScale = 100) {
  const s = Math.exp(Math.min(logitScale, Math.log(maxScale)));
  const n = a.length;
  const logits = a.map((ai) => b.map((bj) => s * dot(ai, bj)));
  let aToB = 0;
  let bToA = 0;
  for (let i = 0; i < n; i++) {
    let rowSum = 0;
    let colSum = 0;
    for (let j = 0; j < n; j++) {
      rowSum += Math.exp(logits[i]![j]!);
      colSum += Math.exp(logits[j]![i]!);
    }
    aToB += Math.log(rowSum) - logits[i]![i]!;
    bToA += Math.log(colSum) - logits[i]![i]!;
  }
  return { infoNce: (aToB + bToA) / (2 * n), aToB: aToB / n, bToA: bToA / n, temperature: 1 / s };
}

/** SigLIP: (1/B) Σ_i Σ_j -log σ(z_ij (exp(tPrime)·a_i·b_j + bias)). */
export function siglipJs(a: number[][], b: number[][], tPrime: number, bias: number) {
  const t = Math.exp(tPrime);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      const z = i === j ? 1 : -1;
      sum += -Math.log(1 / (1 + Math.exp(-z * (t * dot(a[i]!, b[j]!) + bias))));
    }
  }
  return sum / a.length;
}

/** Cross-entropy of one row of logits against an integer label, with label smoothing ε. */
export function ceJs(logits: readonly number[], label: number, smoothing = 0): number {
  const lse = Math.log(logits.reduce((s, v) => s + Math.exp(v), 0));
  let ce = 0;
  for (let c = 0; c < logits.length; c++) {
    const q = (c === label ? 1 - smoothing : 0) + smoothing / logits.length;
    ce -= q * (logits[c]! - lse);
  }
  return ce;
}

/** Index of the largest value (the first one on ties). */
export const argmax = (xs: readonly number[]) => xs.reduce((best, v, i) => (v > xs[best]! ? i : best), 0);

/** Rows of a flat (rows·cols) array. */
export const rows = (flat: readonly number[], cols: number): number[][] =>
  Array.from({ length: flat.length / cols }, (_, i) => flat.slice(i * cols, (i + 1) * cols));
