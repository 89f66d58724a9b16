import * as tf from '@tensorflow/tfjs-core';
import { splitRun } from '../backend/simd/pool';
import { simdKernels } from '../backend/simd/simd-kernels';
import { asWasm, f32, newTensors, ptr } from '../backend/wasm-heap';

/** Rows below this count are scored on the calling thread (a hand-off to the pool costs a few µs). */
const MIN_ROWS_PER_THREAD = 8192;

/**
 * scores (N) = rows (N, D) · query (D), the rows resident on the backend (uploaded once, not per query). On wasm:
 * kernels.c rowdot, its rows split across the gemm pool's threads (memory-bound: one pass over N·D floats);
 * elsewhere a tfjs matMul. Owns no tensor after it returns.
 */
export function rowScores(rows: tf.Tensor2D, query: Float32Array): Float32Array {
  const [n, d] = rows.shape;
  if (tf.getBackend() !== 'wasm' || rows.dtype !== 'float32') {
    const s = tf.tidy(() => tf.matMul(rows, tf.tensor2d(query, [1, d]), false, true));
    const out = s.dataSync() as Float32Array;
    s.dispose();
    return out;
  }
  const be = asWasm(tf.backend());
  const q = tf.tensor1d(query, 'float32');
  const [scores] = newTensors(be, [n]);
  try {
    const a = ptr(be, rows);
    const qp = ptr(be, q);
    const out = ptr(be, scores!);
    splitRun(be, 'rowdot', n, 4, 2 * MIN_ROWS_PER_THREAD, (start, count) => [
      a + 4 * start * d,
      qp,
      out + 4 * start,
      count,
      d,
    ]);
    return f32(be, scores!).slice();
  } finally {
    q.dispose();
    scores!.dispose();
  }
}

/**
 * scores = rows[start_r, start_r + count_r) · query for each range r, concatenated in range order (an IVF index's
 * probed lists). On wasm one rowdot call per range on the calling thread (ranges are short); elsewhere tfjs.
 */
export function rangeScores(
  rows: tf.Tensor2D,
  query: Float32Array,
  starts: ArrayLike<number>,
  counts: ArrayLike<number>,
): Float32Array {
  const d = rows.shape[1];
  let total = 0;
  for (let r = 0; r < counts.length; r++) total += counts[r]!;
  if (total === 0) return new Float32Array(0);
  if (tf.getBackend() !== 'wasm' || rows.dtype !== 'float32') {
    const s = tf.tidy(() => {
      const parts = Array.from({ length: counts.length }, (_, r) => tf.slice(rows, [starts[r]!, 0], [counts[r]!, d]));
      return tf.matMul(tf.concat(parts.filter((p) => p.shape[0] > 0)), tf.tensor2d(query, [1, d]), false, true);
    });
    const out = s.dataSync() as Float32Array;
    s.dispose();
    return out;
  }
  const be = asWasm(tf.backend());
  const q = tf.tensor1d(query, 'float32');
  const [scores] = newTensors(be, [total]);
  try {
    const kern = simdKernels(be);
    const a = ptr(be, rows);
    const qp = ptr(be, q);
    let out = ptr(be, scores!);
    for (let r = 0; r < counts.length; r++) {
      kern.rowdot(a + 4 * starts[r]! * d, qp, out, counts[r]!, d);
      out += 4 * counts[r]!;
    }
    return f32(be, scores!).slice();
  } finally {
    q.dispose();
    scores!.dispose();
  }
}
