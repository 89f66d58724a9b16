import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors';
import { onWasmFloat32 } from '../backend/wasm-heap';
import { sumOfSquaresOnHeap } from './heap-update';

export interface ClippedGrads {
  /** New tensors, g·min(1, maxNorm/(norm + 1e-6)); the caller disposes them (and still owns the inputs). */
  grads: Record<string, tf.Tensor>;
  /** Global L2 norm of the input gradients, before clipping; NaN/Infinity if a gradient was not finite. */
  norm: number;
}

/** Global L2 norm √(Σ_k ‖g_k‖²) of a set of gradients (one pass over the heap on wasm; reads one scalar back elsewhere). */
export function globalNorm(grads: Record<string, tf.Tensor>): number {
  const gs = Object.values(grads);
  if (gs.length === 0) return 0;
  if (onWasmFloat32(gs)) return Math.sqrt(sumOfSquaresOnHeap(gs));
  return tf.tidy(() => tf.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g))))).dataSync()[0]!);
}

/** PyTorch clip_grad_norm_'s factor: min(1, maxNorm/(norm + 1e-6)) (NaN when the norm is not finite). */
export function clipCoefficient(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new UserError(`clipByGlobalNorm: maxNorm must be > 0, got ${maxNorm}`);
  return Math.min(maxNorm / (norm + 1e-6), 1);
}

/**
 * Scales all gradients together so that their global L2 norm is at most maxNorm (PyTorch clip_grad_norm_).
 * Training passes clipCoefficient(globalNorm(g), maxNorm) to AdamW.step as gradScale instead, without copies.
 */
export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): ClippedGrads {
  const norm = globalNorm(grads); // 0 for no gradients
  const coef = clipCoefficient(norm, maxNorm); // checks maxNorm
  const names = Object.keys(grads);
  return tf.tidy(() => {
    const out: Record<string, tf.Tensor> = {};
    for (const k of names) out[k] = tf.mul(grads[k]!, coef);
    return { grads: out, norm };
  });
}
