import * as tf from '@tensorflow/tfjs-core';
import { minRowsToSplit, splitRun, type PoolOp } from '../backend/simd/pool';
import { asWasm, disposeTemp, f32 } from '../backend/wasm-heap';
import type { ImageBatch } from './augmentation';

/** Heap addresses an augmentation kernel is given: the images, `scratch` batch-sized buffers, the parameters. */
export interface HeapBatch {
  img: number;
  scratch: number[];
  params: number;
}

/**
 * An image's work in elementwise-float units, for when to share a batch with the pool: random-affine and
 * color-jitter compute ≈ 20–40 float64 operations per channel (≈ 1 ms for the recipe's 96 images of 24×24 on one
 * thread; shared: ≈ 0.6). Outlines, stroke width and grey are near one pass over the pixels: sharing a batch of 96
 * with a worker that may be asleep cost more than it gave (grey 0.02 → 0.13 ms).
 */
const COST: Partial<Record<PoolOp, number>> = { aug_affine: 16, aug_jitter: 16 };

/**
 * Runs a kernels.c augmentation over `batch` on the wasm heap: the images copied in, `scratch` batch-sized scratch
 * buffers, the per-image parameters (float64) after them, `op` over images [i0, i1) shared with the pool's threads
 * by image ranges, the images copied back. False (nothing done) when the backend is not wasm: the caller runs its
 * JS loop, which computes the same values (the kernels' tests compare them bit for bit).
 */
export function augmentOnHeap(
  batch: ImageBatch,
  params: Float64Array,
  scratch: number,
  op: Extract<PoolOp, `aug_${string}`>,
  args: (h: HeapBatch, i0: number, i1: number) => number[],
): boolean {
  if (tf.engine().backendName !== 'wasm' || batch.n === 0) return false; // (no backend yet: JS, none is started)
  const be = asWasm(tf.backend());
  const per = batch.size * batch.size * 3;
  const floats = batch.n * per;
  const body = floats * (1 + scratch);
  const buf = be.makeOutput([body + 2 * params.length + 2], 'float32'); // + 8 bytes to align the float64s
  try {
    const heap = f32(be, buf);
    const img = heap.byteOffset;
    const at = Math.ceil((img + 4 * body) / 8) * 8;
    heap.set(batch.data.subarray(0, floats));
    new Float64Array(heap.buffer, at, params.length).set(params);
    const h: HeapBatch = {
      img,
      scratch: Array.from({ length: scratch }, (_, k) => img + 4 * floats * (k + 1)),
      params: at,
    };
    splitRun(be, op, batch.n, 1, minRowsToSplit(per * (COST[op] ?? 1)), (i0, n) => args(h, i0, i0 + n));
    batch.data.set(f32(be, buf, floats)); // a view taken after the kernels (the heap may have grown)
  } finally {
    disposeTemp(be, buf);
  }
  return true;
}
