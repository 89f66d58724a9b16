import * as tf from '@tensorflow/tfjs-core';
import { splitRun } from '../backend/simd/pool';
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
