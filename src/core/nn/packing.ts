import * as tf from '@tensorflow/tfjs-core';
import { asWasm, newTensors, onWasmFloat32, ptr } from '../backend/wasm-heap';
import { custom } from './fused';
import { packRowsAt, unpackRowsAt } from './row-copies';

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
  /** The same positions in JS (where the threads' shares of an unpack begin and end). */
  pos: Int32Array;
  batch: number; // B
  length: number; // T
  tokens: number; // N
}

/** The packing of a key mask (B, T) of 1/0, or null when it has no padding (nothing to gain). */
export function packingOf(mask: tf.Tensor2D): Packing | null {
  const [batch, length] = mask.shape;
  const m = mask.dataSync();
  let n = 0;
  for (let i = 0; i < m.length; i++) if (m[i]! > 0) n++;
  if (n === m.length || n === 0) return null;
  const pos = new Int32Array(n);
  for (let i = 0, k = 0; i < m.length; i++) if (m[i]! > 0) pos[k++] = i;
  return { idx: tf.tensor1d(pos, 'int32'), pos, batch, length, tokens: n };
}

/**
 * x (rows, h) → (N, h): rows idx. On wasm one kernels.c pass (pack_rows) shared with the pool's threads by token
 * ranges; elsewhere tf.gather. Both copy the rows.
 */
function gatherRows(x: tf.Tensor, idx: tf.Tensor1D, p: Packing, h: number): tf.Tensor2D {
  if (!onWasmFloat32([x])) return tf.gather(tf.reshape(x, [-1, h]), idx) as tf.Tensor2D;
  const be = asWasm(tf.backend());
  const [out] = newTensors(be, [p.tokens, h]) as [tf.Tensor2D];
  packRowsAt(be, ptr(be, x), ptr(be, idx), p.tokens, ptr(be, out), h);
  return out;
}

/**
 * y (N, h) → (B, T, h): y's rows at idx, zeros at padding, as tf.scatterND's sum into zeros (y + 0: a −0 comes out
 * +0). On wasm one kernels.c pass (unpack_rows) that writes every output row once, each thread the rows from its
 * first token's position to the next thread's; elsewhere tf.scatterND.
 */
function scatterRows(y: tf.Tensor, idx: tf.Tensor1D, p: Packing): tf.Tensor3D {
  const h = y.shape[1]!;
  const rows = p.batch * p.length;
  if (!onWasmFloat32([y]))
    return tf.tidy(() => tf.reshape(tf.scatterND(tf.expandDims(idx, 1), y, [rows, h]), [p.batch, p.length, h]));
  const be = asWasm(tf.backend());
  const [out] = newTensors(be, [p.batch, p.length, h]) as [tf.Tensor3D];
  unpackRowsAt(be, ptr(be, y), ptr(be, idx), p.pos, rows, ptr(be, out), h);
  return out;
}

/** (B, T, H) → (N, H): the real tokens, in order. Its gradient scatters back (zeros at padding). */
export function packRows(x: tf.Tensor3D, p: Packing): tf.Tensor2D {
  const h = x.shape[2];
  const op = custom((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([p.idx]);
    return {
      value: gatherRows(xi, p.idx, p, h),
      gradFunc: (dy, saved) => [scatterRows(dy, saved[0] as tf.Tensor1D, p)],
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
      value: scatterRows(yi, p.idx, p),
      gradFunc: (dy, saved) => [gatherRows(dy, saved[0] as tf.Tensor1D, p, h)],
    };
  });
  return op(y) as tf.Tensor3D;
}
