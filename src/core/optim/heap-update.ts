import * as tf from '@tensorflow/tfjs-core';
import { simdKernels } from '../backend/simd/simd-kernels';
import { asWasm, ptr } from '../backend/wasm-heap';

/**
 * AdamW and the global gradient norm as single SIMD passes over the wasm heap (backend/simd/kernels.c). Composed
 * of tfjs ops, one AdamW update is ≈ 14 elementwise kernels per parameter: ≈ 2,000 launches and ≈ 140 ms per step
 * for the paper model's 9.3 M parameters (a plain JS loop: ≈ 75–145 ms); the SIMD pass takes ≈ 15 ms. Used only
 * when the active backend is 'wasm' and every tensor is float32; the composed ops stay the path elsewhere.
 */

export const onWasmHeap = (ts: readonly tf.Tensor[]) => tf.getBackend() === 'wasm' && ts.every((t) => t.dtype === 'float32');

/** Σ g² over all gradients, accumulated in float64. */
export function sumOfSquaresOnHeap(grads: readonly tf.Tensor[]): number {
  const be = asWasm(tf.backend());
  const k = simdKernels(be);
  let s = 0;
  for (const g of grads) s += k.sumsq(ptr(be, g), g.size);
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
 * One AdamW step of one parameter: returns new (p, m, v) tensors (the caller assigns them; inputs untouched, so a
 * tensor sharing p's data elsewhere keeps its values). Same formula and order as AdamW.step's composed ops.
 */
export function adamWOnHeap(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, c: AdamWScalars): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const be = asWasm(tf.backend());
  const outs = [be.makeOutput(p.shape, 'float32'), be.makeOutput(p.shape, 'float32'), be.makeOutput(p.shape, 'float32')];
  const { beta1, beta2, epsilon, lr, bc1, bc2, decay, gradScale } = c;
  simdKernels(be).adamw(ptr(be, p), ptr(be, g), ptr(be, m), ptr(be, v), ptr(be, outs[0]!), ptr(be, outs[1]!), ptr(be, outs[2]!), p.size,
    beta1, beta2, 1 - beta1, 1 - beta2, epsilon, lr, bc1, bc2, 1 - decay, gradScale);
  const engine = tf.engine();
  return outs.map((o) => engine.makeTensorFromTensorInfo(o)) as [tf.Tensor, tf.Tensor, tf.Tensor];
}
