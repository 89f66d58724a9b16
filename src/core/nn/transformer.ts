import * as tf from '@tensorflow/tfjs-core';
import { MultiHeadAttention } from './attention';
import { Dense } from './dense';
import { LayerNorm } from './layer-norm';
import type { Module } from './module';
import { dropout, gelu } from './ops';
import { packingOf, packRows, unpackRows, type Packing } from './packing';
import type { ParamScope } from './params';

export interface TransformerOptions {
  dim: number; // H
  heads: number;
  mlpRatio: number; // MLP hidden = mlpRatio·H
  dropout?: number; // on the residual branches and attention probabilities
}

/**
 * Pre-LN transformer block: x + attn(LN1 x), then + MLP(LN2 x) with GELU. Variables under the scope:
 * ln1/*, attn/{wq,bq,wk,bk,wv,bv,wo,bo}, ln2/*, mlp/{w1,b1,w2,b2}.
 */
export class TransformerBlock implements Module {
  readonly ln1: LayerNorm;
  readonly attn: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly fc1: Dense;
  readonly fc2: Dense;
  private readonly rate: number;

  constructor(
    scope: ParamScope,
    readonly opts: TransformerOptions,
  ) {
    const { dim } = opts;
    const hidden = Math.round(opts.mlpRatio * dim);
    this.rate = opts.dropout ?? 0;
    this.ln1 = new LayerNorm(scope.child('ln1'), dim);
    this.attn = new MultiHeadAttention(scope.child('attn'), { dim, heads: opts.heads, dropout: this.rate });
    this.ln2 = new LayerNorm(scope.child('ln2'), dim);
    const mlp = scope.child('mlp');
    this.fc1 = new Dense(mlp, dim, hidden, { names: { w: 'w1', b: 'b1' } });
    this.fc2 = new Dense(mlp, hidden, dim, { names: { w: 'w2', b: 'b2' } });
  }

  /** x (B, T, H), keyMask (B, T) → (B, T, H). */
  apply(x: tf.Tensor3D, keyMask: tf.Tensor2D | undefined, training: boolean): tf.Tensor3D {
    return tf.tidy(() => this.residuals(x, this.attn.apply(this.ln1.apply(x), { keyMask, training }), training));
  }

  /**
   * The same block on packed tokens (nn/packing.ts): x (N, H) → (N, H). Row-wise parts run on the N tokens; the
   * attention core sees them unpacked to (B, T, H) with keyMask (B, T).
   */
  applyPacked(x: tf.Tensor2D, p: Packing, keyMask: tf.Tensor2D, training: boolean): tf.Tensor2D {
    return tf.tidy(() => {
      const n1 = this.ln1.apply(x);
      const at = this.attn;
      const un = (d: Dense) => unpackRows(d.apply(n1) as tf.Tensor2D, p);
      const ctx = at.attend(un(at.q), un(at.k), un(at.v), { keyMask, training }); // (B, T, H)
      return this.residuals(x, at.o.apply(packRows(ctx, p)), training);
    });
  }

  /** After attention, row by row: x1 = x + dropout(a), then x1 + dropout(W2·gelu(W1·LN2 x1 + b1) + b2). */
  private residuals<T extends tf.Tensor>(x: T, a: tf.Tensor, training: boolean): T {
    const x1 = tf.add(x, dropout(a, this.rate, training)) as T;
    const m = this.fc2.apply(gelu(this.fc1.apply(this.ln2.apply(x1))));
    return tf.add(x1, dropout(m, this.rate, training)) as T;
  }

  variables(): tf.Variable[] {
    return [
      ...this.ln1.variables(),
      ...this.attn.variables(),
      ...this.ln2.variables(),
      ...this.fc1.variables(),
      ...this.fc2.variables(),
    ];
  }

  flops(batch: number, tokens: number): number {
    return this.attn.flops(batch, tokens) + this.fc1.flops(batch * tokens) + this.fc2.flops(batch * tokens);
  }
}

/** N pre-LN blocks (`<scope>/layers.<i>/...`) and the final LayerNorm (`<scope>/ln_f/*`). */
export class TransformerStack implements Module {
  readonly blocks: TransformerBlock[];
  readonly lnF: LayerNorm;

  constructor(scope: ParamScope, layers: number, opts: TransformerOptions) {
    this.blocks = Array.from({ length: layers }, (_, i) => new TransformerBlock(scope.child(`layers.${i}`), opts));
    this.lnF = new LayerNorm(scope.child('ln_f'), opts.dim);
  }

  /**
   * x (B, T, H), keyMask (B, T) → (B, T, H), normalised. With padding in keyMask the blocks run on the real tokens
   * only (nn/packing.ts) and padded positions come out as zeros; without, on all positions.
   */
  apply(x: tf.Tensor3D, keyMask: tf.Tensor2D | undefined, training: boolean): tf.Tensor3D {
    return tf.tidy(() => {
      const p = keyMask ? packingOf(keyMask) : null;
      if (!p) return this.lnF.apply(this.blocks.reduce((h, blk) => blk.apply(h, keyMask, training), x));
      const h = this.blocks.reduce((hi, blk) => blk.applyPacked(hi, p, keyMask!, training), packRows(x, p));
      return unpackRows(this.lnF.apply(h), p);
    });
  }

  variables(): tf.Variable[] {
    return [...this.blocks.flatMap((b) => b.variables()), ...this.lnF.variables()];
  }

  flops(batch: number, tokens: number): number {
    return this.blocks.reduce((s, b) => s + b.flops(batch, tokens), 0);
  }
}
