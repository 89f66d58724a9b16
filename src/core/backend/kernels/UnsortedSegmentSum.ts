import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { asWasm, i32, typed } from '../wasm-heap';

/**
 * out[s, ...] = Σ x[i, ...] over the rows i whose segmentIds[i] = s; ids outside [0, numSegments) are dropped.
 * The gradient of gather (token embeddings, gathered log-probs). x: (n, ...inner), segmentIds: (n) int32,
 * out: (numSegments, ...inner). Plain JS over the wasm heap: ≈ 7 ms at 8000×128 (bridging to cpu: minutes).
 */
export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
    const numSegments = (attrs as { numSegments: number }).numSegments;
    const be = asWasm(backend);
    const rows = tf.util.sizeFromShape(segmentIds.shape);
    const inner = rows === 0 ? 0 : tf.util.sizeFromShape(x.shape) / rows;
    const out = be.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
    const o = typed(be, out); // views after the allocation
    const xs = typed(be, x);
    const ids = i32(be, segmentIds);
    o.fill(0);
    for (let r = 0; r < rows; r++) {
      const s = ids[r]!;
      if (s < 0 || s >= numSegments) continue;
      const src = r * inner;
      const dst = s * inner;
      for (let j = 0; j < inner; j++) o[dst + j]! += xs[src + j]!;
    }
    return out;
  },
};
