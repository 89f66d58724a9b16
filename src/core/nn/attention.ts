import * as tf from '@tensorflow/tfjs-core';
import { Dense } from './dense';
import type { Module } from './module';
import { fusedAttention } from './fused';
import { dropout, keyMaskBias } from './ops';
import type { ParamScope } from './params';

export interface AttentionOptions {
  dim: number; // H: query width and output width
  heads: number; // h, divides dim
  kvDim?: number; // width of the memory (cross-attention); default dim
  dropout?: number; // on the attention probabilities
}

export interface AttendOptions {
  memory?: tf.Tensor3D; // (B, Tk, kvDim); absent: self-attention over x
  keyMask?: tf.Tensor2D; // (B, Tk) 1 = attend, 0 = padding
  training?: boolean;
}

/**
 * Multi-head attention, self or cross. Variables under the scope: wq/bq (H, H), wk/bk and wv/bv (kvDim, H),
 * wo/bo (H, H). Heads are folded into the batch, (B·h, T, dh), so scores and values are 3-D batched matMuls
 * and every transpose is 4-D.
 */
export class MultiHeadAttention implements Module {
  readonly dim: number;
  readonly heads: number;
  readonly kvDim: number;
  readonly q: Dense;
  readonly k: Dense;
  readonly v: Dense;
  readonly o: Dense;
  private readonly rate: number;

  constructor(scope: ParamScope, opts: AttentionOptions) {
    if (opts.dim % opts.heads !== 0)
      throw new Error(`${scope.path}: dim ${opts.dim} is not divisible by heads ${opts.heads}`);
    this.dim = opts.dim;
    this.heads = opts.heads;
    this.kvDim = opts.kvDim ?? opts.dim;
    this.rate = opts.dropout ?? 0;
    this.q = new Dense(scope, this.dim, this.dim, { names: { w: 'wq', b: 'bq' } });
    this.k = new Dense(scope, this.kvDim, this.dim, { names: { w: 'wk', b: 'bk' } });
    this.v = new Dense(scope, this.kvDim, this.dim, { names: { w: 'wv', b: 'bv' } });
    this.o = new Dense(scope, this.dim, this.dim, { names: { w: 'wo', b: 'bo' } });
  }

  /** x (B, Tq, H) → (B, Tq, H). */
  apply(x: tf.Tensor3D, opts: AttendOptions = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const mem = opts.memory ?? x;
      const ctx = this.attend(
        this.q.apply(x) as tf.Tensor3D,
        this.k.apply(mem) as tf.Tensor3D,
        this.v.apply(mem) as tf.Tensor3D,
        opts,
      );
      return this.o.apply(ctx) as tf.Tensor3D;
    });
  }

  /**
   * The attention core on projected inputs, before the output projection: q (B, Tq, H), k and v (B, Tk, H) →
   * softmax(q·kᵀ/√dh + mask)·v per head, heads merged (B, Tq, H). `opts.memory` is not read here.
   */
  attend(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, opts: AttendOptions = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const [b, tq] = q.shape;
      const tk = k.shape[1];
      const h = this.heads;
      const dh = this.dim / h;
      if (!(this.rate > 0 && opts.training)) {
        // wasm: the whole core as one op each way (nn/fused.ts); null elsewhere
        const fused = fusedAttention(q, k, v, h, opts.keyMask);
        if (fused) return fused;
      }
      // (B, T, H) → (B, T, h, dh) → (B, h, T, dh) → (B·h, T, dh)
      const split = (t: tf.Tensor, len: number) =>
        tf.reshape(tf.transpose(tf.reshape(t, [b, len, h, dh]), [0, 2, 1, 3]), [b * h, len, dh]) as tf.Tensor3D;
      const qs = split(tf.mul(q, 1 / Math.sqrt(dh)), tq);
      const ks = split(k, tk);
      const vs = split(v, tk);
      let scores: tf.Tensor = tf.matMul(qs, ks, false, true); // (B·h, Tq, Tk)
      if (opts.keyMask) {
        scores = tf.reshape(tf.add(tf.reshape(scores, [b, h, tq, tk]), keyMaskBias(opts.keyMask)), [b * h, tq, tk]);
      }
      const p = dropout(tf.softmax(scores), this.rate, opts.training ?? false) as tf.Tensor3D;
      const ctx = tf.matMul(p, vs); // (B·h, Tq, dh)
      return tf.reshape(tf.transpose(tf.reshape(ctx, [b, h, tq, dh]), [0, 2, 1, 3]), [b, tq, this.dim]) as tf.Tensor3D;
    });
  }

  variables(): tf.Variable[] {
    return [...this.q.variables(), ...this.k.variables(), ...this.v.variables(), ...this.o.variables()];
  }

  /** Forward FLOPs for a batch of `batch` rows, `tq` queries over `tk` keys. */
  flops(batch: number, tq: number, tk = tq): number {
    const proj =
      this.q.flops(batch * tq) + this.k.flops(batch * tk) + this.v.flops(batch * tk) + this.o.flops(batch * tq);
    return proj + 2 * 2 * batch * tq * tk * this.dim; // scores + weighted values
  }
}
