import * as tf from '@tensorflow/tfjs-core';

export type ScoreEngine = 'tf' | 'js';

export interface ScoreOptions {
  /** 'tf': matmul on the current tfjs backend; 'js': plain Float32 loops (no backend needed). */
  engine?: ScoreEngine;
  /** Upper bound on a block's size (query rows × items): memory per block is 4 bytes × this. */
  maxBlockElements?: number;
}

/**
 * Dot products of every query with every item, a block of query rows at a time: `onBlock(start, n, scores)`
 * receives scores (n, ni) for queries [start, start + n). The block buffer is reused: copy what you keep.
 * For L2-normalised vectors the scores are cosine similarities.
 */
export function forEachScoreBlock(
  queries: Float32Array, // (nq, dim)
  items: Float32Array, // (ni, dim)
  dim: number,
  onBlock: (start: number, n: number, scores: Float32Array) => void,
  opts: ScoreOptions = {},
): void {
  if ((opts.engine ?? 'tf') === 'js') return jsBlocks(queries, items, dim, opts, onBlock);
  forEachScoreTensor(queries, items, dim, (start, n, s) => onBlock(start, n, s.dataSync() as Float32Array), opts);
}

/** (nq, ni, rows per block) of a score computation, or undefined when there is nothing to score. */
function blocks(queries: Float32Array, items: Float32Array, dim: number, opts: ScoreOptions) {
  const nq = dim > 0 ? queries.length / dim : 0;
  const ni = dim > 0 ? items.length / dim : 0;
  return nq === 0 || ni === 0 ? undefined : { nq, ni, rows: blockRows(nq, ni, opts) };
}

/** Query rows per block: maxBlockElements / items, at least 1, at most all. */
export const blockRows = (nq: number, ni: number, opts: ScoreOptions = {}) =>
  Math.max(1, Math.min(nq, Math.floor((opts.maxBlockElements ?? 1 << 22) / ni)));

/**
 * forEachScoreBlock's 'tf' engine with the block as a tensor (n, ni) on the current backend, disposed after
 * `onBlock` returns (on wasm a kernel can read it in place: no copy out).
 */
export function forEachScoreTensor(
  queries: Float32Array, // (nq, dim)
  items: Float32Array, // (ni, dim)
  dim: number,
  onBlock: (start: number, n: number, scores: tf.Tensor2D) => void,
  opts: ScoreOptions = {},
): void {
  const b = blocks(queries, items, dim, opts);
  if (!b) return;
  const { nq, ni, rows } = b;
  // wasm's fast matmul path needs untransposed operands: transpose the items once. (dim, ni)
  const itemsT = tf.tidy(() => tf.transpose(tf.tensor2d(items, [ni, dim])));
  try {
    for (let start = 0; start < nq; start += rows) {
      const n = Math.min(rows, nq - start);
      const s = tf.tidy(() =>
        tf.matMul(tf.tensor2d(queries.subarray(start * dim, (start + n) * dim), [n, dim]), itemsT),
      ) as tf.Tensor2D; // (n, ni)
      try {
        onBlock(start, n, s);
      } finally {
        s.dispose();
      }
    }
  } finally {
    itemsT.dispose();
  }
}

function jsBlocks(
  q: Float32Array,
  items: Float32Array,
  dim: number,
  opts: ScoreOptions,
  onBlock: (start: number, n: number, scores: Float32Array) => void,
): void {
  const b = blocks(q, items, dim, opts);
  if (!b) return;
  const { nq, ni, rows } = b;
  const buf = new Float32Array(rows * ni);
  for (let start = 0; start < nq; start += rows) {
    const n = Math.min(rows, nq - start);
    for (let a = 0; a < n; a++) {
      const qo = (start + a) * dim;
      for (let j = 0; j < ni; j++) {
        const io = j * dim;
        let s = 0;
        for (let d = 0; d < dim; d++) s += q[qo + d]! * items[io + d]!;
        buf[a * ni + j] = s;
      }
    }
    onBlock(start, n, buf.subarray(0, n * ni));
  }
}
