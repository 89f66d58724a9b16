import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors';

export interface ClippedGrads {
  /** New tensors, g·min(1, maxNorm/(norm + 1e-6)); the caller disposes them (and still owns the inputs). */
  grads: Record<string, tf.Tensor>;
  /** Global L2 norm of the input gradients, before clipping; NaN/Infinity if a gradient was not finite. */
  norm: number;
}

/**
 * Scales all gradients together so that their global L2 norm √(Σ_k ‖g_k‖²) is at most maxNorm (PyTorch
 * clip_grad_norm_: coefficient maxNorm/(norm + 1e-6), capped at 1). Reads one scalar back (the norm).
 */
export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): ClippedGrads {
  if (!(maxNorm > 0)) throw new UserError(`clipByGlobalNorm: maxNorm must be > 0, got ${maxNorm}`);
  const names = Object.keys(grads);
  if (names.length === 0) return { grads: {}, norm: 0 };
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(names.map((k) => tf.sum(tf.square(grads[k]!))))); // ()
    const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1); // ()
    const out: Record<string, tf.Tensor> = {};
    for (const k of names) out[k] = tf.mul(grads[k]!, coef);
    return { grads: out, norm: norm.dataSync()[0]! };
  });
}
