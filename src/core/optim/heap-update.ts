import * as tf from '@tensorflow/tfjs-core';
import { splitLimits, splitRun } from '../backend/simd/pool';
import { simdKernels } from '../backend/simd/simd-kernels';
import { compactRowsOf, touchedRowsOf } from '../backend/table-grad';
import { asWasm, newTensors, ptr, withInts } from '../backend/wasm-heap';

/**
 * AdamW and the global gradient norm as single SIMD passes over the wasm heap (backend/simd/kernels.c). Composed
 * of tfjs ops, one AdamW update is ≈ 14 elementwise kernels per parameter: ≈ 2,000 launches and ≈ 140 ms per step
 * for the paper model's 9.3 M parameters (a plain JS loop: ≈ 75–145 ms); the SIMD pass takes ≈ 15 ms. Used only
 * when the active backend is 'wasm' and every tensor is float32; the composed ops stay the path elsewhere.
 */

/**
 * Σ g² over all gradients, accumulated in float64. An embedding table's gradient is read in the rows the step touched
 * (the rest is +0, which adds nothing to a lane: the same value): ≈ 8,000 of 32,770 rows a step; a compact one
 * (backend/table-grad.ts) as its packed rows, in the same order and lanes (D a multiple of 4).
 */
export function sumOfSquaresOnHeap(grads: readonly tf.Tensor[]): number {
  const be = asWasm(tf.backend());
  const k = simdKernels(be);
  let s = 0;
  for (const g of grads) {
    const c = compactRowsOf(g);
    if (c) {
      s += k.sumsq(ptr(be, g), c.rows.length * c.d);
      continue;
    }
    const t = touchedRowsOf(g);
    if (!t || t.d % 4 !== 0 || t.rows.length * t.d > g.size) {
      s += k.sumsq(ptr(be, g), g.size);
      continue;
    }
    s += withInts(be, t.rows, (list) => k.sumsq_rows(ptr(be, g), list, t.rows.length, t.d));
  }
  return s;
}

export interface AdamWScalars {
  beta1: number;
  beta2: number;
  epsilon: number;
  lr: number;
  bc1: number; // 1 - β1^t
  bc2: number; // 1 - β2^t
  decay: number; // lr·λ, or 0
  gradScale: number; // g ← gradScale·g first (global-norm clipping)
}

/**
 * One AdamW step of one parameter (same formula and order as AdamW.step's composed ops). When p, m and v each
 * hold their data alone (the usual case: nothing else references a variable's buffer between steps) they are
 * updated in place and null is returned — ≈ 40% faster than writing fresh buffers. Otherwise (a clone or reshape
 * of one of them is alive and must keep its values) new (p, m, v) tensors are returned for the caller to assign.
 */
export function adamWOnHeap(
  p: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  c: AdamWScalars,
): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  const be = asWasm(tf.backend());
  const alone =
    [p, m, v].every((t) => be.refCount(t.dataId) === 1) && new Set([p.dataId, m.dataId, v.dataId, g.dataId]).size === 4;
  const outs = alone ? [p, m, v] : newTensors(be, p.shape, p.shape, p.shape);
  const at = [p, g, m, v, ...outs].map((t) => ptr(be, t));
  const rows = compactRowsOf(g);
  if (rows) {
    // a compact table gradient: each row's gradient from its packed row, or d zeros (the same operations)
    const { slot, d } = rows;
    const zeros = tf.zeros([d]);
    try {
      const pz = ptr(be, zeros);
      withInts(be, slot, (ps) =>
        splitRun(be, 'adamw_rows', rows.vocab, 1, Math.ceil(splitLimits.elements / d), (r0, n) => [
          ...at,
          ps,
          pz,
          r0,
          r0 + n,
          d,
          ...scalars(c),
        ]),
      );
    } finally {
      zeros.dispose();
    }
    return alone ? null : (outs as [tf.Tensor, tf.Tensor, tf.Tensor]);
  }
  splitRun(be, 'adamw', p.size, 4, splitLimits.elements, (s0, n) => [...at.map((a) => a + 4 * s0), n, ...scalars(c)]);
  return alone ? null : (outs as [tf.Tensor, tf.Tensor, tf.Tensor]);
}

/** kernels.c adamw's scalar arguments, in its order. */
const scalars = (c: AdamWScalars) => [
  c.beta1,
  c.beta2,
  1 - c.beta1,
  1 - c.beta2,
  c.epsilon,
  c.lr,
  c.bc1,
  c.bc2,
  1 - c.decay,
  c.gradScale,
];
