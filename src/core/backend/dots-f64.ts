import * as tf from '@tensorflow/tfjs-core';
import { minRowsToSplit, splitRun } from './simd/pool';
import { asWasm, disposeTemp, f32 } from './wasm-heap';

/**
 * All dot products of a's rows with b's rows in float64: out (na, nb), out[i·nb + t] = Σ_j a[i·d + j]·b[t·d + j],
 * each sum taken j = 0, 1, … in order with every product and sum rounded to float64, as JS's `s += x * y`. On wasm
 * kernels.c dots_f64 computes them (rows of a shared with the pool's threads); elsewhere the same loop in JS. The
 * two give the same bits.
 */
export function dotsF64(a: Float64Array, b: Float64Array, na: number, nb: number, d: number): Float64Array {
  if (tf.engine().backendName === 'wasm' && na > 0 && nb > 0 && d > 0) return onHeap(a, b, na, nb, d);
  const out = new Float64Array(na * nb);
  for (let i = 0; i < na; i++) {
    const ai = i * d;
    let t = 0;
    // four rows of b per pass over a's row: each sum still runs j = 0, 1, … in order
    for (; t + 4 <= nb; t += 4) {
      const [b0, b1, b2, b3] = [t * d, (t + 1) * d, (t + 2) * d, (t + 3) * d];
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < d; j++) {
        const x = a[ai + j]!;
        s0 += x * b[b0 + j]!;
        s1 += x * b[b1 + j]!;
        s2 += x * b[b2 + j]!;
        s3 += x * b[b3 + j]!;
      }
      out.set([s0, s1, s2, s3], i * nb + t);
    }
    for (; t < nb; t++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += a[ai + j]! * b[t * d + j]!;
      out[i * nb + t] = s;
    }
  }
  return out;
}

function onHeap(a: Float64Array, b: Float64Array, na: number, nb: number, d: number): Float64Array {
  const be = asWasm(tf.backend());
  const pairs = (nb + 1) >> 1;
  const doubles = na * d + pairs * 2 * d + na * nb; // a, b's rows in interleaved pairs, out
  const buf = be.makeOutput([2 * doubles + 2], 'float32'); // + 8 bytes to align the float64s
  try {
    const base = f32(be, buf);
    const at = Math.ceil(base.byteOffset / 8) * 8;
    const heap = new Float64Array(base.buffer, at, doubles);
    heap.set(a.subarray(0, na * d));
    const bp = heap.subarray(na * d, na * d + pairs * 2 * d); // bp[(t / 2)·2d + 2j + t % 2]; a missing row stays 0
    bp.fill(0);
    for (let t = 0; t < nb; t++) {
      const row = (t >> 1) * 2 * d + (t & 1);
      for (let j = 0; j < d; j++) bp[row + 2 * j] = b[t * d + j]!;
    }
    const [pa, pb, po] = [at, at + 8 * na * d, at + 8 * (na * d + pairs * 2 * d)];
    splitRun(be, 'dots_f64', na, 1, minRowsToSplit(nb * d), (i0, n) => [pa, pb, po, i0, i0 + n, nb, d]);
    return Float64Array.from(new Float64Array(f32(be, buf).buffer, po, na * nb)); // a view taken after the kernel
  } finally {
    disposeTemp(be, buf);
  }
}
