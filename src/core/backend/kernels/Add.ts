import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { splitLimits, splitRun } from '../simd/pool';
import { asWasm, ptr } from '../wasm-heap';
import { addTableGrads } from '../table-grad';

/**
 * Replaces wasm's Add for two float32 tensors of one shape with at least splitLimits.elements values: the sums
 * tfjs's backward pass makes where a tensor feeds several ops (the (32,770 × 128) embedding table's gradient, once
 * per text pass: ≈ 1.5 ms each on one thread), split across the pool. Same sums element by element, so the same
 * bits; broadcasts, other dtypes and small tensors: the stock kernel.
 */
export function addOverride(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const rows = addTableGrads(asWasm(args.backend), a, b); // two embedding-table gradients kept as rows
    if (rows) return rows;
    const n = tf.util.sizeFromShape(a.shape);
    if (
      a.dtype !== 'float32' ||
      b.dtype !== 'float32' ||
      n < splitLimits.elements ||
      !tf.util.arraysEqual(a.shape, b.shape)
    )
      return original.kernelFunc(args);
    const be = asWasm(args.backend);
    const out = be.makeOutput(a.shape, 'float32');
    const [pa, pb, po] = [ptr(be, a), ptr(be, b), ptr(be, out)];
    splitRun(be, 'vadd', n, 4, splitLimits.elements, (s0, k) => [pa + 4 * s0, pb + 4 * s0, po + 4 * s0, k]);
    return out;
  };
  return { ...original, kernelFunc }; // the stock kernel's name, backend, setup and dispose
}
