import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors';
import type { EncodedBatch } from '../text/tokenizer';
import { EmbeddingBag, PositionalEmbedding } from './embedding';
import type { Module } from './module';
import type { ParamScope } from './params';
import { TransformerStack, type TransformerOptions } from './transformer';

export interface TokenTransformerOptions extends TransformerOptions {
  layers: number;
  vocabSize: number;
  pieces: number; // G
  maxLength: number; // T
  padId: number;
}

/** An EncodedBatch as tensors: ids (B, T, G) int32, mask (B, T) float32. The caller disposes them. */
export function batchTensors(batch: EncodedBatch): { ids: tf.Tensor3D; mask: tf.Tensor2D } {
  return {
    ids: tf.tensor3d(batch.ids, [batch.batch, batch.length, batch.pieces], 'int32'),
    mask: tf.tensor2d(batch.mask, [batch.batch, batch.length], 'float32'),
  };
}

/**
 * The trunk shared by the text and NLU encoders: embedding-bag (`<scope>/embed/table`) + learned positions
 * (`<scope>/pos/table`) → optional hook → N pre-LN layers (`<scope>/layers.<i>/...`, `<scope>/ln_f/...`).
 */
export class TokenTransformer implements Module {
  readonly embed: EmbeddingBag;
  readonly pos: PositionalEmbedding;
  readonly stack: TransformerStack;

  constructor(
    readonly scope: ParamScope,
    readonly opts: TokenTransformerOptions,
  ) {
    this.embed = new EmbeddingBag(scope.child('embed'), opts.vocabSize, opts.dim, opts.padId);
    this.pos = new PositionalEmbedding(scope.child('pos'), opts.maxLength, opts.dim);
    this.stack = new TransformerStack(scope, opts.layers, opts);
  }

  /** A UserError when the batch does not fit this trunk's tokenizer (pieces, length). */
  check(batch: EncodedBatch): void {
    const { pieces, maxLength } = this.opts;
    if (batch.pieces !== pieces || batch.length > maxLength) {
      throw new UserError(
        `${this.scope.path}: batch of ${batch.length}×${batch.pieces} pieces, but the encoder was built for ≤ ${maxLength} tokens × ${pieces} pieces; encode with the model's tokenizer`,
      );
    }
  }

  /** States (B, T, H) after the final LayerNorm; `hook` maps the embedded tokens before the layers. */
  apply(
    ids: tf.Tensor3D,
    mask: tf.Tensor2D,
    training: boolean,
    hook?: (x: tf.Tensor3D, mask: tf.Tensor2D) => tf.Tensor3D,
  ): tf.Tensor3D {
    return tf.tidy(() => {
      let x = this.pos.apply(this.embed.apply(ids)); // (B, T, H)
      if (hook) x = hook(x, mask);
      return this.stack.apply(x, mask, training);
    });
  }

  /**
   * Several batches' states (B_i, T_i, H) after the final LayerNorm, as `apply` on each in turn gives them (values
   * and gradients; TransformerStack.applyMany): each batch embedded (and hooked) in turn, then the layers once over
   * all rows.
   */
  applyMany(
    ids: readonly tf.Tensor3D[],
    masks: readonly tf.Tensor2D[],
    training: boolean,
    hooks?: readonly (((x: tf.Tensor3D, mask: tf.Tensor2D) => tf.Tensor3D) | undefined)[],
  ): tf.Tensor3D[] {
    return tf.tidy(() => {
      const xs = ids.map((id, i) => {
        const x = this.pos.apply(this.embed.apply(id));
        const hook = hooks?.[i];
        return hook ? hook(x, masks[i]!) : x;
      });
      return this.stack.applyMany(xs, masks, training);
    });
  }

  variables(): tf.Variable[] {
    return [...this.embed.variables(), ...this.pos.variables(), ...this.stack.variables()];
  }

  /** Forward FLOPs for [B, T]: the layers, plus the embedding-bag sums (B·T·G·H). */
  flops(batch: number, tokens: number): number {
    return this.stack.flops(batch, tokens) + batch * tokens * this.opts.pieces * this.opts.dim;
  }
}
