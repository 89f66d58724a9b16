import * as tf from '@tensorflow/tfjs-core';
import { fusedLayerNorm, type RowSegments } from './fused';
import type { Module } from './module';
import { ones, zeros, type ParamScope } from './params';

/** Layer normalisation over the last axis; variables `<scope>/gamma`, `<scope>/beta` (dim). */
export class LayerNorm implements Module {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;

  constructor(
    scope: ParamScope,
    readonly dim: number,
    readonly eps = 1e-5,
  ) {
    this.gamma = scope.variable('gamma', [dim], ones);
    this.beta = scope.variable('beta', [dim], zeros);
  }

  /** x (..., D) → (..., D); `segs`: x (rows, D) holds separate batches of these row counts (RowSegments). */
  apply<T extends tf.Tensor>(x: T, segs?: RowSegments): T {
    const fused = fusedLayerNorm(x, this.gamma, this.beta, this.eps, segs);
    if (fused) return fused;
    if (segs && segs.length > 1)
      throw new Error('LayerNorm: row segments need the fused op (TransformerStack.applyMany checks)');
    return tf.tidy(() => {
      const mu = tf.mean(x, -1, true);
      const xc = tf.sub(x, mu);
      const variance = tf.mean(tf.square(xc), -1, true);
      return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(variance, this.eps))), this.gamma), this.beta) as T;
    });
  }

  variables(): tf.Variable[] {
    return [this.gamma, this.beta];
  }
}
