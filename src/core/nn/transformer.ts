import * as tf from '@tensorflow/tfjs-core';
import { MultiHeadAttention } from './attention';
import { Dense } from './dense';
import { LayerNorm } from './layer-norm';
import type { Module } from './module';
import { dropout, gelu } from './ops';
import { packingOf, packRows, unpackRows, type Packing } from './packing';
import type { ParamScope } from './params';
import { fusedSegmentAttention, linearFuses, type AttnSegment, type RowSegments } from './fused';
import { onWasmFloat32 } from '../backend/wasm-heap';

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

  /**
   * The block on the rows of several batches at once (TransformerStack.applyMany): x (N, H), N = Σ rows of `segs`,
   * → (N, H). Row-wise parts run once on all rows, with each weight's gradient summed as separate passes sum it;
   * attention is one op over the batches (fusedSegmentAttention). The same values and gradients as `applyPacked` /
   * `apply` on each batch. No dropout; wasm only (applyMany checks).
   */
  applySegments(x: tf.Tensor2D, segs: readonly RowSegment[], training: boolean): tf.Tensor2D {
    return tf.tidy(() => {
      const rows = segs.map((s) => s.rows);
      const n1 = this.ln1.apply(x, rows);
      const at = this.attn;
      const [q, k, v] = [at.q, at.k, at.v].map((d) => d.apply(n1, rows) as tf.Tensor2D) as [
        tf.Tensor2D,
        tf.Tensor2D,
        tf.Tensor2D,
      ];
      const ctx = fusedSegmentAttention(q, k, v, at.heads, segs);
      if (!ctx) throw new Error('applySegments: the attention of row segments needs the fused op (applyMany checks)');
      return this.residuals(x, at.o.apply(ctx, rows), training, rows);
    });
  }

  /** After attention, row by row: x1 = x + dropout(a), then x1 + dropout(W2·gelu(W1·LN2 x1 + b1) + b2). */
  private residuals<T extends tf.Tensor>(x: T, a: tf.Tensor, training: boolean, segs?: RowSegments): T {
    const x1 = tf.add(x, dropout(a, this.rate, training)) as T;
    const m = this.fc2.apply(gelu(this.fc1.apply(this.ln2.apply(x1, segs), segs)), segs);
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

/** One batch's rows among several (TransformerStack.applyMany): its real tokens, or all B·T positions. */
export interface RowSegment extends AttnSegment {
  pack(x: tf.Tensor3D): tf.Tensor2D; // (B, T, H) → (rows, H)
  unpack(y: tf.Tensor): tf.Tensor3D; // (rows, H) → (B, T, H)
}

/** The packing of a batch of `shape` (B, T, H) by its keyMask (nn/packing.ts), or all positions when it has no padding. */
function rowSegment(shape: readonly number[], keyMask: tf.Tensor2D): RowSegment {
  const [b, t, h] = shape as [number, number, number];
  const p = packingOf(keyMask);
  const common = { batch: b, length: t, keyMask, packing: p };
  if (!p)
    return {
      ...common,
      rows: b * t,
      pack: (x) => tf.reshape(x, [b * t, h]),
      unpack: (y) => tf.reshape(y, [b, t, h]),
    };
  return { ...common, rows: p.tokens, pack: (x) => packRows(x, p), unpack: (y) => unpackRows(y as tf.Tensor2D, p) };
}

/** N pre-LN blocks (`<scope>/layers.<i>/...`) and the final LayerNorm (`<scope>/ln_f/*`). */
export class TransformerStack implements Module {
  readonly blocks: TransformerBlock[];
  readonly lnF: LayerNorm;

  private readonly rate: number;

  constructor(scope: ParamScope, layers: number, opts: TransformerOptions) {
    this.rate = opts.dropout ?? 0;
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

  /**
   * Several batches xs[i] (B_i, T_i, H) with keyMasks[i] (B_i, T_i) → their states (B_i, T_i, H), as `apply` on each
   * in turn would give them, values and gradients to the bit: their real tokens run through the blocks as one set of
   * rows (fewer, larger ops), each weight's gradient summed over the batches as separate passes sum it (nn/fused.ts
   * RowSegments), attention per batch. Only where the fused ops take segments (wasm, weights below fusedLinear's
   * limit) and without dropout (it would draw differently); elsewhere one `apply` each.
   */
  applyMany(xs: readonly tf.Tensor3D[], keyMasks: readonly tf.Tensor2D[], training: boolean): tf.Tensor3D[] {
    const rowsAtOnce =
      xs.length > 1 &&
      !(training && this.rate > 0) &&
      onWasmFloat32(xs) &&
      this.blocks.every((b) =>
        [b.attn.q, b.attn.k, b.attn.v, b.attn.o, b.fc1, b.fc2].every((d) => linearFuses(d.inDim, d.outDim)),
      );
    if (!rowsAtOnce) return xs.map((x, i) => this.apply(x, keyMasks[i], training));
    return tf.tidy(() => {
      const segs = xs.map((x, i) => rowSegment(x.shape, keyMasks[i]!));
      const rows = segs.map((s) => s.rows);
      const h0 = tf.concat(
        xs.map((x, i) => segs[i]!.pack(x)),
        0,
      ) as tf.Tensor2D;
      const h = this.blocks.reduce((hi, blk) => blk.applySegments(hi, segs, training), h0);
      return tf.split(this.lnF.apply(h, rows), rows, 0).map((y, i) => segs[i]!.unpack(y));
    });
  }

  variables(): tf.Variable[] {
    return [...this.blocks.flatMap((b) => b.variables()), ...this.lnF.variables()];
  }

  flops(batch: number, tokens: number): number {
    return this.blocks.reduce((s, b) => s + b.flops(batch, tokens), 0);
  }
}
