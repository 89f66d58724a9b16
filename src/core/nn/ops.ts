import * as tf from '@tensorflow/tfjs-core';
import { custom, fusedGelu, fusedLinear, type RowSegments } from './fused';
import { fusedL2Normalize } from './l2-normalize';

/** Added to attention scores of masked keys: exp underflows to exactly 0 after softmax's max shift. */
export const MASKED = -1e9;

/**
 * tanh-approximate GELU written as x·sigmoid(2u), u = √(2/π)(x + 0.044715x³): equal to
 * 0.5x(1 + tanh u), but wasm's sigmoid is ≈ 10× faster than its tanh and pow (x³ as x·x·x).
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  const fused = fusedGelu(x); // wasm: one SIMD pass each way
  if (fused) return fused;
  return tf.tidy(() => {
    const x3 = tf.mul(tf.mul(x, x), x);
    const u2 = tf.mul(tf.add(x, tf.mul(x3, 0.044715)), 2 * Math.sqrt(2 / Math.PI)); // 2u
    return tf.mul(x, tf.sigmoid(u2));
  });
}

/** Rows scaled to unit L2 norm: (B, D) → (B, D). `eps` guards zero rows. */
export function l2Normalize<T extends tf.Tensor>(x: T, eps = 1e-12): T {
  const fused = fusedL2Normalize(x, eps); // wasm: one tape node, the composed ops' values
  if (fused) return fused;
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), -1, true), eps))) as T);
}

/**
 * Mean over the tokens where mask = 1: x (B, T, H), mask (B, T) → (B, H). The mask is data (no gradient). The
 * gradient is written out, dx = (dy / count) · mask, the values tfjs's composed one gives: its Sum gradient fills
 * a JS array of ones the size of x (2.4 MB for 192 texts × 24 tokens × 128) to broadcast dy, every pass.
 */
export function maskedMean(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const m = tf.expandDims(mask, 2); // (B, T, 1)
    const count = tf.maximum(tf.sum(m, 1), 1); // (B, 1)
    const mean = custom((xi: tf.Tensor, save: tf.GradSaveFunc) => {
      save([m, count]);
      return {
        value: tf.div(tf.sum(tf.mul(xi, m), 1), count),
        gradFunc: (dy: tf.Tensor, [ms, cs]: tf.Tensor[]) => [tf.mul(tf.expandDims(tf.div(dy, cs!), 1), ms!)], // (B, T, H)
      };
    });
    return mean(x) as tf.Tensor2D;
  });
}

/** Attention bias from a key padding mask: (B, Tk) of 1/0 → (B, 1, 1, Tk) of 0/MASKED. */
export function keyMaskBias(mask: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, t] = mask.shape;
    return tf.reshape(tf.mul(tf.sub(1, mask), MASKED), [b, 1, 1, t]) as tf.Tensor4D;
  });
}

/** Inverted dropout when training and rate > 0; identity otherwise. */
export function dropout<T extends tf.Tensor>(x: T, rate: number, training: boolean): T {
  return training && rate > 0 ? (tf.dropout(x, rate) as T) : x;
}

/**
 * (..., in) @ (in, out) + b → (..., out), as a 2-D matMul. Not tf.fused.matMul: wrong on wasm for in > 48.
 * `segs`: x (rows, in) holds separate batches of these row counts (RowSegments): the weights' gradients are summed
 * as separate passes sum them.
 */
export function linear(
  x: tf.Tensor,
  w: tf.Tensor2D | tf.Variable,
  b?: tf.Tensor | tf.Variable,
  segs?: RowSegments,
): tf.Tensor {
  const fused = fusedLinear(x, w, b, segs); // wasm: one gemm + bias pass each way
  if (fused) return fused;
  if (segs && segs.length > 1)
    throw new Error('linear: row segments need the fused op (TransformerStack.applyMany checks)');
  return tf.tidy(() => {
    const [inDim, outDim] = w.shape as [number, number];
    const lead = x.shape.slice(0, -1);
    const x2 = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, inDim]) as tf.Tensor2D);
    let y: tf.Tensor = tf.matMul(x2, w as tf.Tensor2D);
    if (b) y = tf.add(y, b);
    return x.rank === 2 ? y : tf.reshape(y, [...lead, outDim]);
  });
}

/** Pooled state: masked mean over tokens or the CLS (first) token. x (B, T, H), mask (B, T) → (B, H). */
export function pool(x: tf.Tensor3D, mask: tf.Tensor2D | undefined, how: 'mean' | 'cls'): tf.Tensor2D {
  return tf.tidy(() => {
    if (how === 'cls') return tf.reshape(tf.slice(x, [0, 0, 0], [-1, 1, -1]), [x.shape[0], x.shape[2]]) as tf.Tensor2D;
    return mask ? maskedMean(x, mask) : (tf.mean(x, 1) as tf.Tensor2D);
  });
}

/** tf.tidy for functions returning an interface of tensors (which TS does not see as a TensorContainer). */
export function tidyRecord<T extends object>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}
