import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors';
import { fusedEmbeddingBag } from './fused';
import type { Module } from './module';
import type { ParamScope } from './params';

/**
 * Bag-of-pieces token embedding: ids (B, T, G) → gather rows of `<scope>/table` (V, H) → sum over G → (B, T, H).
 * Pieces equal to padId contribute zero (masked, so the pad row also gets no gradient).
 */
export class EmbeddingBag implements Module {
  readonly table: tf.Variable;

  constructor(
    scope: ParamScope,
    readonly vocabSize: number,
    readonly dim: number,
    readonly padId: number,
    std = 0.02,
  ) {
    this.table = scope.variable('table', [vocabSize, dim], { kind: 'normal', std });
  }

  apply(ids: tf.Tensor3D): tf.Tensor3D {
    const fused = fusedEmbeddingBag(this.table as tf.Tensor as tf.Tensor2D, ids, this.padId);
    if (fused) return fused;
    return tf.tidy(() => {
      const [b, t, g] = ids.shape;
      const flat = tf.reshape(ids, [-1]) as tf.Tensor1D; // (B·T·G)
      const keep = tf.expandDims(tf.cast(tf.notEqual(flat, this.padId), 'float32'), 1); // (B·T·G, 1)
      const rows = tf.mul(tf.gather(this.table, flat), keep); // (B·T·G, H)
      return (
        g === 1 ? tf.reshape(rows, [b, t, this.dim]) : tf.sum(tf.reshape(rows, [b, t, g, this.dim]), 2)
      ) as tf.Tensor3D;
    });
  }

  variables(): tf.Variable[] {
    return [this.table];
  }
}

/** Learned absolute positions: x (B, T, H) + `<scope>/table`[0:T] (maxLength, H). */
export class PositionalEmbedding implements Module {
  readonly table: tf.Variable;

  constructor(
    scope: ParamScope,
    readonly maxLength: number,
    readonly dim: number,
    std = 0.02,
  ) {
    this.table = scope.variable('table', [maxLength, dim], { kind: 'normal', std });
  }

  apply(x: tf.Tensor3D): tf.Tensor3D {
    const t = x.shape[1];
    if (t > this.maxLength) {
      throw new UserError(
        `${this.table.name}: a batch of ${t} tokens, but this encoder holds ${this.maxLength} positions; encode with the tokenizer the model was built with`,
      );
    }
    return tf.tidy(
      () => tf.add(x, t === this.maxLength ? this.table : tf.slice(this.table, [0, 0], [t, this.dim])) as tf.Tensor3D,
    );
  }

  variables(): tf.Variable[] {
    return [this.table];
  }
}
