import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { colSum } from '../simd/pool';
import { asWasm, ptr } from '../wasm-heap';

/**
 * Replaces wasm's Sum of float32 over a run of consecutive axes that is not the last: x seen as (outer, R, inner)
 * with R the reduced axes, out (outer, inner) = Σ_R, as column sums (kernels.c col_sum) in place. The stock
 * kernel first transposes x to put the reduced axes last, e.g. a position table's gradient, Σ over the batch of a
 * (192, 24, 128) tensor (≈ 1–2 ms each, several per step of the paper model). Both add the reduced values in the
 * same order, from the first down, so the result has the same bits. Other cases: the stock kernel.
 */
export function sumOverride(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const first = axes[0]!;
    const last = axes[axes.length - 1]!;
    const size = tf.util.sizeFromShape;
    const inner = size(x.shape.slice(last + 1));
    if (
      x.dtype !== 'float32' ||
      axes.length === 0 ||
      last - first !== axes.length - 1 ||
      inner === 1 ||
      size(x.shape) === 0
    )
      return original.kernelFunc(args);
    const outer = size(x.shape.slice(0, first));
    const reduced = size(x.shape.slice(first, last + 1));
    const shape = keepDims
      ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d))
      : x.shape.filter((_, i) => i < first || i > last);
    const be = asWasm(args.backend);
    const out = be.makeOutput(shape, 'float32');
    const [px, po] = [ptr(be, x), ptr(be, out)];
    for (let o = 0; o < outer; o++) colSum(be, px + 4 * o * reduced * inner, po + 4 * o * inner, reduced, inner);
    return out;
  };
  return { ...original, kernelFunc }; // the stock kernel's name, backend, setup and dispose
}
