// Plain-JS float64 reference implementations (the oracles of the nn tests): written from the formulas, loops only.
import type * as tf from '@tensorflow/tfjs-core';

export type Mat = number[][];

export const toMat = (t: tf.Tensor): Mat => t.arraySync() as Mat;
export const toVec = (t: tf.Tensor): number[] => Array.from(t.dataSync());

export function matmul(a: Mat, b: Mat): Mat {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, x, k) => s + x * b[k]![j]!, 0)));
}

export function dense(x: Mat, w: Mat, b?: number[]): Mat {
  return matmul(x, w).map((r) => r.map((v, j) => v + (b?.[j] ?? 0)));
}

export function layerNorm(x: Mat, gamma: number[], beta: number[], eps = 1e-5): Mat {
  return x.map((r) => {
    const mu = r.reduce((s, v) => s + v, 0) / r.length;
    const varc = r.reduce((s, v) => s + (v - mu) ** 2, 0) / r.length;
    return r.map((v, j) => ((v - mu) / Math.sqrt(varc + eps)) * gamma[j]! + beta[j]!);
  });
}

/** The textbook tanh form: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))). */
export const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

export function softmax(r: number[]): number[] {
  const m = Math.max(...r);
  const e = r.map((v) => Math.exp(v - m));
  const z = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / z);
}

export interface AttnWeights {
  wq: Mat;
  bq: number[];
  wk: Mat;
  bk: number[];
  wv: Mat;
  bv: number[];
  wo: Mat;
  bo: number[];
}

/**
 * Multi-head attention for one example, head by head: x (Tq, H), mem (Tk, Hkv), keyMask (Tk) of 0/1.
 * softmax over visible keys only (masked keys get weight 0).
 */
export function attention(x: Mat, mem: Mat, keyMask: number[] | undefined, w: AttnWeights, heads: number): Mat {
  const q = dense(x, w.wq, w.bq);
  const k = dense(mem, w.wk, w.bk);
  const v = dense(mem, w.wv, w.bv);
  const H = q[0]!.length;
  const dh = H / heads;
  const out: Mat = x.map(() => new Array<number>(H).fill(0));
  for (let h = 0; h < heads; h++) {
    const cols = Array.from({ length: dh }, (_, i) => h * dh + i);
    for (let i = 0; i < x.length; i++) {
      const visible = k.map((_, j) => (keyMask ? keyMask[j] === 1 : true));
      const scores = k.map((kr, j) => cols.reduce((s, c) => s + q[i]![c]! * kr[c]!, 0) / Math.sqrt(dh));
      const vis = scores.filter((_, j) => visible[j]);
      const p = softmax(vis);
      let n = 0;
      const probs = scores.map((_, j) => (visible[j] ? p[n++]! : 0));
      for (const c of cols) out[i]![c] = probs.reduce((s, pj, j) => s + pj * v[j]![c]!, 0);
    }
  }
  return dense(out, w.wo, w.bo);
}

export const add = (a: Mat, b: Mat): Mat => a.map((r, i) => r.map((v, j) => v + b[i]![j]!));
