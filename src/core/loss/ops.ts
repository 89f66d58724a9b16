import * as tf from '@tensorflow/tfjs-core';

/**
 * Identity forward, zero gradient backward: tfjs-core 4.22 has no tf.stopGradient. Gradients still reach
 * the variables that produced `x`, but as exact zeros (so a frozen encoder should also be left out of the
 * optimizer's grads, or AdamW's moments and weight decay would still move it).
 */
export const stopGradient = tf.customGrad((x, _save) => ({
  value: tf.clone(x as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as <T extends tf.Tensor>(x: T) => T;

/**
 * Softmax cross-entropy per row, without tf.gather (its gradient needs UnsortedSegmentSum, missing on wasm):
 * -Σ_c q_c · logSoftmax(logits)_c with q = (1 - ε)·onehot(label) + ε/C.
 * logits (N, C) float32, labels (N) int32 → (N). A label outside [0, C) gives only the ε term (0 if ε = 0).
 */
export function crossEntropyRows(logits: tf.Tensor2D, labels: tf.Tensor1D, smoothing = 0): tf.Tensor1D {
  return tf.tidy(() => {
    const classes = logits.shape[1];
    const logp = tf.logSoftmax(logits); // (N, C)
    let q: tf.Tensor = tf.cast(tf.oneHot(labels, classes), 'float32'); // (N, C)
    if (smoothing > 0) q = tf.add(tf.mul(q, 1 - smoothing), smoothing / classes);
    return tf.neg(tf.sum(tf.mul(q, logp), 1)) as tf.Tensor1D;
  });
}

/** 1 where argmax(logits) == label, else 0. logits (N, C), labels (N) int32 → (N) float32. No gradient. */
export function correctRows(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32') as tf.Tensor1D);
}

/** -log σ(x) = softplus(-x); tf.logSigmoid of an intermediate throws in the backward pass (tfjs 4.22). */
export function negLogSigmoid<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.softplus(tf.neg(x)));
}

/**
 * min(x, max) whose gradient still flows while x > max when it would push x back down (dy > 0 under
 * gradient descent): a clamped learnable scale stays at max but can leave it, as with CLIP's in-place
 * clamp after each step. A plain tf.minimum would give zero gradient above max, freezing it there for good.
 */
export const clampAboveMax = (x: tf.Scalar, max: number): tf.Scalar =>
  tf.customGrad((v, save) => {
    (save as tf.GradSaveFunc)([v as tf.Tensor]);
    return {
      value: tf.minimum(v as tf.Tensor, max),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.mul(dy, tf.cast(tf.logicalOr(tf.lessEqual(saved[0]!, max), tf.greater(dy, 0)), 'float32')),
    };
  })(x) as tf.Scalar;
