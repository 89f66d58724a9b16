import * as tf from '@tensorflow/tfjs-core';
import { custom } from './fused';

/**
 * Token packing for right-padded text batches: the row-wise parts of a transformer (LayerNorm, projections, MLP,
 * residuals) run on the N real tokens (N, H) instead of all B·T positions; only attention, which mixes tokens of
 * one text, sees the padded (B, T, H) layout. Padding is 30–60 % of the positions of a training batch of captions
 * and chunks, so this removes that share of the text towers' matrix products. The real tokens' values are those
 * of the padded computation (padding never reaches them: attention masks padded keys, and pooling and the slot
 * loss mask padded positions); only sums over rows (weight gradients) group their terms differently.
 */
export interface Packing {
  /** (N) int32: flat positions b·T + t of the real tokens, ascending. The owner disposes it. */
  idx: tf.Tensor1D;
  batch: number; // B
  length: number; // T
  tokens: number; // N
}

/** The packing of a key mask (B, T) of 1/0, or null when it has no padding (nothing to gain). */
export function packingOf(mask: tf.Tensor2D): Packing | null {
  const [batch, length] = mask.shape;
  const m = mask.dataSync();
  const pos: number[] = [];
  for (let i = 0; i < m.length; i++) if (m[i]! > 0) pos.push(i);
  if (pos.length === m.length || pos.length === 0) return null;
  return { idx: tf.tensor1d(pos, 'int32'), batch, length, tokens: pos.length };
}

const gatherRows = (x2: tf.Tensor, idx: tf.Tensor1D) => tf.gather(x2, idx);
const scatterRows = (y: tf.Tensor, idx: tf.Tensor1D, rows: number) =>
  tf.tidy(() => tf.scatterND(tf.expandDims(idx, 1), y, [rows, y.shape[1]!]));

/** (B, T, H) → (N, H): the real tokens, in order. Its gradient scatters back (zeros at padding). */
export function packRows(x: tf.Tensor3D, p: Packing): tf.Tensor2D {
  const [b, t, h] = x.shape;
  const op = custom((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([p.idx]);
    return {
      value: gatherRows(tf.reshape(xi, [b * t, h]), p.idx),
      gradFunc: (dy, saved) => [tf.reshape(scatterRows(dy, saved[0] as tf.Tensor1D, b * t), [b, t, h])],
    };
  });
  return op(x) as tf.Tensor2D;
}

/** (N, H) → (B, T, H) with zeros at padding. Its gradient gathers the real tokens' rows. */
export function unpackRows(y: tf.Tensor2D, p: Packing): tf.Tensor3D {
  const h = y.shape[1];
  const op = custom((yi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([p.idx]);
    return {
      value: tf.reshape(scatterRows(yi, p.idx, p.batch * p.length), [p.batch, p.length, h]),
      gradFunc: (dy, saved) => [gatherRows(tf.reshape(dy, [p.batch * p.length, h]), saved[0] as tf.Tensor1D)],
    };
  });
  return op(y) as tf.Tensor3D;
}
